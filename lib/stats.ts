/**
 * Live native objects and memory, process-wide. After every pipeline has
 * finished and its frames/packets were freed, `frames`, `packets` and
 * `objects` are 0; `leaked*` count handles the garbage collector had to free.
 *
 * @example
 * const s = stats();
 * if (s.frames || s.packets || s.objects) console.warn('still alive', s);
 */
import type { NativeStats } from '../types/binding.js';
import { native } from './native/binding.js';

export type Stats = NativeStats;

export function stats(): Stats {
  return native.stats();
}

/** Versions of the libav* libraries ffnode runs on. */
export function versions(): Record<string, string> {
  return native.versions();
}

/** libav's own log level (default 'error'). */
export function setLogLevel(level: Parameters<typeof native.setLogLevel>[0]): void {
  native.setLogLevel(level);
}

/**
 * Live native objects and memory, process-wide. After every pipeline has
 * finished and its frames/packets were freed, `frames`, `packets` and
 * `objects` are 0; `leaked*` count handles the garbage collector had to free.
 * Handles freed because their worker thread ended (`worker.terminate()`) are
 * not counted as leaked: a terminated worker leaves these counts as they were.
 *
 * @example
 * const s = stats();
 * if (s.frames || s.packets || s.objects) console.warn('still alive', s);
 */
import type { NativeStats, Versions } from '../types/binding.js';
import { native } from './native/binding.js';

export type Stats = NativeStats;
export type { Versions };

export function stats(): Stats {
  return native.stats();
}

/**
 * Versions of the libav* libraries ffnode runs on, and of zimg (null when the
 * addon was built without it and every resize runs on swscale).
 *
 * @example
 * versions().libavcodec // '59.37.100'
 */
export function versions(): Versions {
  return native.versions();
}

/**
 * libav's own log (decoder complaints, muxer notes): filtered by level in
 * native code, then handed to one listener on the main thread, or, with
 * none, written to stderr as `ffnode: libav: <line>`. FFmpeg threads never
 * wait for JavaScript: the listener's queue holds 1024 lines and a full
 * queue drops lines (counted by logDropped()). On stderr a run of identical
 * lines is printed once, then as `Last message repeated N times` (as the
 * ffmpeg CLI does); a listener gets every line. docs/patterns/cli.md.
 *
 * @example
 * import { setLogLevel, onLog } from 'ffnode';
 * setLogLevel('warning');
 * onLog((level, line) => myLogger[level === 'error' ? 'error' : 'warn']('libav', line));
 */
import type { LibavLogLevel, LibavLogLine } from '../types/binding.js';
import { native } from './native/binding.js';

export type { LibavLogLevel, LibavLogLine };

/**
 * The most verbose libav level that is logged, process-wide (default 'error').
 *
 * @example
 * setLogLevel('quiet'); // nothing from libav
 */
export function setLogLevel(level: LibavLogLevel): void {
  native.setLogLevel(level);
}

/**
 * Sends libav's log lines (at or above the level) to `listener` instead of
 * stderr; `null` goes back to stderr. One listener per process: the last call
 * wins (in a worker thread, until that worker ends). The listener never keeps
 * the process alive.
 *
 * @example
 * const lines: string[] = [];
 * onLog((level, line) => lines.push(`${level}: ${line}`));
 */
export function onLog(listener: ((level: LibavLogLine['level'], line: string) => void) | null): void {
  if (listener !== null && typeof listener !== 'function') throw new TypeError('onLog: expected a function or null');
  native.onLog(listener);
}

/**
 * Lines dropped because the listener fell 1024 lines behind.
 *
 * @example
 * if (logDropped()) console.warn(`${logDropped()} libav log lines dropped`);
 */
export function logDropped(): number {
  return native.logDropped();
}

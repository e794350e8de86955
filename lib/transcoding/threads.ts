/**
 * Thread budgets for a ladder. Rungs already run in parallel, so codec
 * threads on top of that mostly cost memory (every x264 frame thread holds
 * frames) and some CPU (frame-thread sync, decoder frame threads). The
 * budgets here spend threads only where the work is: measured in
 * docs/performance/benchmark.md.
 */
import os from 'node:os';
import type { Variant } from './ladder.js';

/** Pixel rate (pixels/s) up to which one decoder thread keeps up with a software ladder: 1080p60. */
export const ONE_THREAD_DECODE = 1920 * 1080 * 60;

/**
 * 'balanced' encoder threads: each encoded rung gets frame threads in
 * proportion to its share of the ladder's pixel rate, rounded up, so the
 * largest rung never waits alone at the end while the others idle, and small
 * rungs run single-threaded (x264's most efficient mode).
 *
 * @example
 * balancedEncoderThreads(ladder, 2) // 1080p/720p/480p/360p → [2, 1, 1, 1]
 */
export function balancedEncoderThreads(ladder: readonly Variant[], cores = os.availableParallelism()): Map<Variant, number> {
  const rate = (v: Variant): number => v.width * v.height * v.frameRate;
  const encoded = ladder.filter((v) => !v.passthrough);
  const total = encoded.reduce((s, v) => s + rate(v), 0);
  const out = new Map<Variant, number>();
  for (const v of encoded) out.set(v, Math.max(1, Math.ceil((cores * rate(v)) / total - 1e-9)));
  return out;
}

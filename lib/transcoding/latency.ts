/**
 * Encode latency per rung: frame in (taken by the rung) → its packet out, in
 * ms. Bounded memory: the last {@link LATENCY_SAMPLES} samples in a ring, and
 * at most {@link LATENCY_PENDING} frames waiting for their packet.
 */
export const LATENCY_SAMPLES = 512;
export const LATENCY_PENDING = 64;

export interface LatencySummary {
  /** ms */
  p50: number;
  p95: number;
  max: number;
  /** samples behind the figures (at most LATENCY_SAMPLES, the most recent) */
  samples: number;
}

export class EncodeLatency {
  readonly #ring = new Float64Array(LATENCY_SAMPLES);
  #count = 0;
  readonly #pendingPts = new Float64Array(LATENCY_PENDING);
  readonly #pendingAt = new Float64Array(LATENCY_PENDING).fill(-1);
  #slot = 0;

  /** A frame with `pts` goes into the encoder now. */
  frameIn(pts: number): void {
    this.#pendingPts[this.#slot] = pts;
    this.#pendingAt[this.#slot] = performance.now();
    this.#slot = (this.#slot + 1) % LATENCY_PENDING;
  }

  /** A packet with `pts` (same time base) came out now. */
  packetOut(pts: number): void {
    for (let i = 0; i < LATENCY_PENDING; i++) {
      if (this.#pendingAt[i]! >= 0 && this.#pendingPts[i] === pts) {
        this.add(performance.now() - this.#pendingAt[i]!);
        this.#pendingAt[i] = -1;
        return;
      }
    }
  }

  add(ms: number): void {
    this.#ring[this.#count % LATENCY_SAMPLES] = ms;
    this.#count++;
  }

  get summary(): LatencySummary {
    const n = Math.min(this.#count, LATENCY_SAMPLES);
    if (n === 0) return { p50: 0, p95: 0, max: 0, samples: 0 };
    const s = this.#ring.slice(0, n).sort();
    const at = (q: number): number => s[Math.min(n - 1, Math.floor(q * n))]!;
    return { p50: at(0.5), p95: at(0.95), max: s[n - 1]!, samples: n };
  }
}

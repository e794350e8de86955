/**
 * Ingest bitrate over the last few seconds, in fixed one-second buckets:
 * constant memory whatever the packet rate.
 */
export class IngestMeter {
  readonly #buckets: Float64Array;
  #second = 0;
  bytes = 0;

  /** @param windowSeconds seconds averaged (default 5) */
  constructor(windowSeconds = 5) {
    this.#buckets = new Float64Array(windowSeconds);
  }

  add(bytes: number, now = Date.now()): void {
    this.#advance(now);
    this.#buckets[this.#second % this.#buckets.length]! += bytes;
    this.bytes += bytes;
  }

  /**
   * Bits per second over the complete seconds of the window.
   *
   * @example
   * const m = new IngestMeter(); m.add(250_000); m.bitrate(); // ≈ 400_000 a second later
   */
  bitrate(now = Date.now()): number {
    this.#advance(now);
    const n = this.#buckets.length;
    let sum = 0;
    for (let i = 1; i < n; i++) sum += this.#buckets[(this.#second - i + n * 2) % n]!;
    return Math.round((sum * 8) / (n - 1));
  }

  #advance(now: number): void {
    const s = Math.floor(now / 1000);
    if (this.#second === 0) this.#second = s;
    const n = this.#buckets.length;
    for (let k = Math.min(n, s - this.#second); k > 0; k--) this.#buckets[(s - k + 1) % n] = 0;
    this.#second = Math.max(this.#second, s);
  }
}

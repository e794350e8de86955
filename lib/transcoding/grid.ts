/**
 * The segment grid: which source frames must be IDRs so that segment N of
 * every variant starts at the same source time. Decided once per source
 * frame, before fan-out, so every variant sees the same request.
 */
export class KeyframeGrid {
  readonly #step: number;
  readonly #halfFrame: number;
  #origin: number | null = null;
  #next = 0;

  /** @param segmentDuration seconds; @param frameRate source fps (for the tolerance) */
  constructor(segmentDuration: number, frameRate: number) {
    this.#step = segmentDuration;
    this.#halfFrame = 0.5 / (frameRate > 0 ? frameRate : 30);
  }

  /** True when the frame at `seconds` opens a new segment. */
  isKey(seconds: number): boolean {
    if (this.#origin === null) {
      this.#origin = seconds;
      this.#next = this.#step;
      return true;
    }
    const t = seconds - this.#origin;
    if (t + this.#halfFrame < this.#next) return false;
    while (t + this.#halfFrame >= this.#next) this.#next += this.#step;
    return true;
  }

  /** Seconds of the grid's origin (the first frame), or null before any frame. */
  get origin(): number | null {
    return this.#origin;
  }
}

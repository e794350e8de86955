/**
 * The segment grid — its one definition, shared by every part that cuts or
 * checks segments: the ladder's keyframe requests ({@link KeyframeGrid}), the
 * native Segmenter (`gridTolerance`) and the passthrough check.
 *
 * The rule: with origin o (the first frame), step d (the segment duration) and
 * tolerance τ (half a source frame), a frame at t opens segment k when
 * `t - o + τ >= k·d` — the first frame at or after the grid point, or less
 * than half a frame before it. Live timestamps jitter: an IDR forced half a
 * frame early still opens its segment everywhere.
 */

/** Half a frame of `frameRate` fps (30 when unknown): the grid's tolerance in seconds. */
export function gridTolerance(frameRate: number): number {
  return 0.5 / (frameRate > 0 && Number.isFinite(frameRate) ? frameRate : 30);
}

/** The grid rule: does a frame at `t` seconds from the origin reach grid point `point` (seconds)? */
export function reachesGridPoint(t: number, point: number, tolerance: number): boolean {
  return t + tolerance >= point;
}

/**
 * Which source frames must be IDRs so that segment N of every variant starts
 * at the same source time. Decided once per source frame, before fan-out, so
 * every variant sees the same request.
 *
 * @example
 * const grid = new KeyframeGrid(2, 30);
 * if (grid.isKey(seconds)) frame.keyFrame = true;
 * await Segmenter.open({ ..., segmentDuration: 2, gridTolerance: grid.tolerance });
 */
export class KeyframeGrid {
  readonly #step: number;
  /** seconds a frame may lie before a grid point and still open its segment */
  readonly tolerance: number;
  #origin: number | null = null;
  #next = 0;

  /** @param segmentDuration seconds; @param frameRate source fps (for the tolerance) */
  constructor(segmentDuration: number, frameRate: number) {
    this.#step = segmentDuration;
    this.tolerance = gridTolerance(frameRate);
  }

  /** True when the frame at `seconds` opens a new segment. */
  isKey(seconds: number): boolean {
    if (this.#origin === null) {
      this.#origin = seconds;
      this.#next = this.#step;
      return true;
    }
    const t = seconds - this.#origin;
    if (!reachesGridPoint(t, this.#next, this.tolerance)) return false;
    while (reachesGridPoint(t, this.#next, this.tolerance)) this.#next += this.#step;
    return true;
  }

  /** Seconds of the grid's origin (the first frame), or null before any frame. */
  get origin(): number | null {
    return this.#origin;
  }
}

/**
 * The renditions of one ladder run — its video rungs and its audio rendition —
 * as one unit: opened together (closed again if any fails), put on one shared
 * timeline, fed each decoded source frame by reference, ended, discarded or
 * closed together. Shared by transcode() and LiveSession.
 */
import type { Frame } from '../media/frame.js';
import { AudioRendition, type AudioContext, type AudioOptions } from './audio-rendition.js';
import type { Variant } from './ladder.js';
import type { RenditionCounters } from './sink.js';
import { VideoVariant, type VariantContext } from './video-variant.js';

/** What to do with one frame for one rung: wait for room, or drop it for that rung when its queue is full. */
export type FeedPolicy = (v: VideoVariant, anyBehind: boolean) => 'wait' | 'offer' | 'drop';

/** The largest start delay, rounded up to the millisecond (0 when nothing starts early). */
export function sharedTimeOffset(delays: readonly number[]): number {
  const d = Math.max(0, ...delays.filter((x) => Number.isFinite(x)));
  return Math.ceil(d * 1000 - 1e-6) / 1000;
}

const seconds = (f: Frame): number => ((f.pts ?? 0) * f.timeBase[0]) / f.timeBase[1];

export class RenditionSet {
  readonly variants: VideoVariant[];
  readonly encoded: VideoVariant[];
  readonly passthrough: VideoVariant[];
  readonly audio: AudioRendition | null;
  #workers: Promise<void>[] = [];
  #geometry: string | null = null;
  #geometryChanges = 0;

  private constructor(variants: VideoVariant[], audio: AudioRendition | null) {
    this.variants = variants;
    this.encoded = variants.filter((v) => !v.passthrough);
    this.passthrough = variants.filter((v) => v.passthrough);
    this.audio = audio;
  }

  /** Opens every rung (and the audio rendition when `audio` is given); on failure closes what opened. */
  static async open(ladder: readonly Variant[], ctx: VariantContext, audio: { options: AudioOptions; ctx: AudioContext } | null): Promise<RenditionSet> {
    const variants: VideoVariant[] = [];
    let a: AudioRendition | null = null;
    try {
      for (const v of ladder) variants.push(await VideoVariant.open(v, ctx));
      if (audio) a = await AudioRendition.open(audio.options, audio.ctx);
    } catch (e) {
      for (const v of variants) await v.close();
      throw e;
    }
    return new RenditionSet(variants, a);
  }

  /**
   * One timeline for every rendition: each starts its dts before its first
   * picture/sample by its own delay (B-frames, AAC priming); all add the
   * largest, so source time t is the same output time in all of them.
   */
  get startOffset(): number {
    return sharedTimeOffset([...this.variants.map((v) => v.startDelay), this.audio?.startDelay ?? 0]);
  }

  /** Opens every segmenter at `timeOffset` seconds and announces the renditions to the sink. */
  async package(timeOffset: number): Promise<void> {
    for (const v of this.variants) await v.package(timeOffset);
    await this.audio?.package(timeOffset);
  }

  /** Starts every worker loop; `onFailure` hears the first failure of any (after the queues were discarded). */
  start(onFailure: (e: unknown) => void): void {
    this.#workers = [...this.variants.map((v) => v.run()), ...(this.audio ? [this.audio.run()] : [])];
    for (const w of this.#workers) w.catch((e) => {
      this.discard();
      onFailure(e);
    });
  }

  /** Every rendition's counters (video rungs, then audio). */
  get counters(): RenditionCounters[] {
    return [...this.variants.map((v) => v.counters), ...(this.audio ? [this.audio.counters] : [])];
  }

  /**
   * The source may change size or pixel format mid-stream (a live encoder
   * restarting at another size): every rung keeps its own, its scaler
   * follows. Returns the warning for such a change (the first 5), else null.
   * (The first frame is the baseline: stream info may lack the pixel format.)
   */
  geometryChange(frame: Frame, origin: number | null): string | null {
    const g = `${frame.width}x${frame.height} ${frame.format ?? '?'}`;
    const before = this.#geometry;
    this.#geometry = g;
    if (before === null || g === before || ++this.#geometryChanges > 5) return null;
    const at = seconds(frame) - (origin ?? seconds(frame));
    return (
      `source video changed from ${before} to ${g} at ${at.toFixed(3)} s: asked to encode the ladder from the source as opened, ` +
      `kept every rung at its own size and format (${this.encoded.map((v) => `${v.variant.width}x${v.variant.height}`).join(', ') || 'none encoded'}) and scaled the new frames to it, so the renditions stay valid` +
      (this.passthrough.length ? '; the copied (passthrough) rung carries the source as it is' : '') +
      (this.#geometryChanges === 5 ? ' (further changes are not reported)' : '')
    );
  }

  /**
   * Gives `frame` (not consumed; keyFrame already decided) by reference to
   * every encoded rung, as `policy` says per rung: 'wait' for room, 'offer'
   * (dropped for that rung when its queue is full), 'drop'. Drops are
   * counted in the rung's counters; returns how many rungs dropped it.
   */
  async fanOut(frame: Frame, policy: FeedPolicy): Promise<number> {
    const anyBehind = this.encoded.some((v) => v.queue.full);
    let dropped = 0;
    for (const v of this.encoded) {
      const how = policy(v, anyBehind);
      if (how === 'wait') {
        await v.queue.push(frame.ref());
        continue;
      }
      if (how === 'offer') {
        const r = frame.ref();
        if (v.queue.offer(r)) continue;
        r.free();
      }
      v.counters.dropped++;
      dropped++;
    }
    return dropped;
  }

  /** No more frames: workers drain their queues, flush, and finish. */
  end(): void {
    for (const v of this.variants) v.queue.end();
    this.audio?.queue.end();
  }

  /** Stops the workers: queues end and drop what they hold. */
  discard(): void {
    for (const v of this.variants) v.queue.discard();
    this.audio?.queue.discard();
  }

  /** Settles once every worker has (each rejection is the caller's through `start`'s onFailure). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#workers);
  }

  /** Resolves when every worker finished; rejects with the first failure. */
  finished(): Promise<void[]> {
    return Promise.all(this.#workers);
  }

  async close(): Promise<void> {
    for (const v of this.variants) await v.close();
    await this.audio?.close();
  }
}

/**
 * What a Presentation knows about one rendition: its stored segments that
 * manifests list, its live window, its measured bandwidth. Internal to
 * lib/delivery (not exported from the package).
 */
import { BandwidthMeter } from './bandwidth.js';
import type { Rendition } from './types.js';

/** A stored segment as manifests list it (no data: the store has that). */
export interface ListedSegment {
  sequence: number;
  /** seconds, media time */
  start: number;
  duration: number;
  bytes: number;
  /** store key, e.g. 'v720p/seg_12.m4s' */
  key: string;
  /** URI relative to the rendition's playlist, e.g. 'seg_12.m4s' */
  uri: string;
  discontinuity: boolean;
  programDateTime?: Date;
  /** starts with a keyframe (always true for audio) */
  independent: boolean;
  /** init segment version it needs: 0 = init.mp4, n = init_<n>.mp4 (default 0) */
  init?: number;
  /** index of the DASH Period it belongs to (default 0) */
  period?: number;
  /**
   * DASH timeline start/duration (seconds, media time) when they differ
   * from start/duration: a segment overlapping its predecessor is listed
   * from the predecessor's end, so the timeline never runs back and every
   * MPD update gives it the same times
   */
  dash?: { start: number; duration: number };
}

/** A segment out of every manifest, waiting for its grace period before deletion. */
export interface RetiredSegment {
  key: string;
  /** seconds to keep it stored */
  grace: number;
}

/**
 * One rendition's state.
 *
 * @example
 * const t = new Track({ id: 'v720p', type: 'video', codecs: 'avc1.64001f', bitrate: 2_800_000 });
 * t.add({ sequence: 0, start: 0, duration: 2, bytes: 700_000, key: 'v720p/seg_0.m4s', uri: 'seg_0.m4s', discontinuity: false, independent: true });
 * t.slide(4, 2); // [] until more than 4 segments are listed
 */
export class Track {
  readonly rendition: Rendition;
  /** segments the manifests list, oldest first */
  readonly segments: ListedSegment[] = [];
  readonly meter = new BandwidthMeter();
  /** the init segment (CMAF) is stored */
  hasInit = false;
  /** discontinuities that slid out of the window (EXT-X-DISCONTINUITY-SEQUENCE) */
  discontinuitySequence = 0;
  /** the longest segment ever listed, seconds (live target durations never shrink) */
  longest = 0;
  /** start of the first segment ever listed (seconds), null before it */
  firstStart: number | null = null;
  /** removed from the manifests in memory; deleted once the manifests that dropped them are stored */
  retired: RetiredSegment[] = [];
  /** the init version the next segment uses (0: init.mp4, n: init_<n>.mp4); starts at the presentation's firstSequence */
  initVersion = 0;
  /** init versions stored and not yet retired */
  readonly inits = new Set<number>();
  /** bytes of the current init version (a repeated setInit with the same bytes changes nothing) */
  initData: Buffer | null = null;
  /** DASH Period index of the last segment added */
  period = 0;
  /** the last segment added, also after it slid out (continues numbering, PDT, timeline) */
  last: ListedSegment | null = null;
  #listed = 0;

  constructor(rendition: Rendition) {
    this.rendition = rendition;
  }

  /** sum of the listed segments' durations, seconds */
  get listedDuration(): number {
    return this.#listed;
  }

  /** the sequence number the next segment must have, or null before the first */
  get nextSequence(): number | null {
    return this.last ? this.last.sequence + 1 : null;
  }

  add(s: ListedSegment): void {
    this.segments.push(s);
    this.last = s;
    this.firstStart ??= s.start;
    this.#listed += s.duration;
    this.longest = Math.max(this.longest, s.duration);
    this.meter.add(s.bytes, s.duration);
  }

  /**
   * Drops the oldest segments while more than `windowSize` are listed, but
   * never one whose removal would leave less than three target durations
   * listed (RFC 8216 §6.2.2: a client needs that much to start). A dropped
   * segment that carried a discontinuity takes its EXT-X-DISCONTINUITY tag
   * with it, so the discontinuity sequence counts it.
   */
  slide(windowSize: number, target: number): ListedSegment[] {
    const removed: ListedSegment[] = [];
    while (this.segments.length > windowSize && this.#listed - this.segments[0]!.duration >= 3 * target - 1e-6) {
      const s = this.segments.shift()!;
      this.#listed -= s.duration;
      if (s.discontinuity) this.discontinuitySequence++;
      removed.push(s);
    }
    if (this.segments.length === 0) this.#listed = 0; // no float residue
    return removed;
  }
}

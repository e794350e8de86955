/**
 * The contract between the transcoding pipeline and packaging: the pipeline
 * describes renditions and hands over init/media segments; a Presentation
 * stores them and keeps the HLS and DASH manifests true.
 */
import type { Readable } from 'node:stream';

/** One encoded track a player can pick: a video rung or the audio group. */
export interface Rendition {
  /** stable id, also the folder name in the store, e.g. 'v720p', 'a128k' */
  id: string;
  type: 'video' | 'audio';
  /** RFC 6381 codecs string from the real bitstream, e.g. 'avc1.64001f', 'mp4a.40.2' */
  codecs: string;
  /** nominal target bitrate (bits/s); manifests use measured values once segments exist */
  bitrate: number;
  width?: number;
  height?: number;
  /** frames per second, e.g. 30 or 29.97 */
  frameRate?: number;
  sampleRate?: number;
  channels?: number;
  /** audio group language tag, e.g. 'und' */
  language?: string;
}

/** A media segment as the Segmenter produced it (start/duration in seconds). */
export interface MediaSegment {
  sequence: number;
  start: number;
  duration: number;
  data: Buffer;
  startsWithKeyframe: boolean;
  /** wall-clock time of the segment start (live) */
  programDateTime?: Date;
  /** a timestamp discontinuity before this segment (live input restarted) */
  discontinuity?: boolean;
}

export type PresentationMode = 'vod' | 'event' | 'live';
export type SegmentFormat = 'cmaf' | 'ts';

/**
 * Byte range of a stored object, both ends inclusive (as in `Content-Range`).
 *
 * @example
 * const first100: ByteRange = { start: 0, end: 99 };
 */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * One stored object opened for reading: what an HTTP server needs to answer
 * with validators and ranges without reading the whole object first. It
 * holds its content as it was when opened (a later put or delete does not
 * change what it reads). Call `stream()` once or `close()` once it is not
 * needed, so a file descriptor is never left open.
 *
 * @example
 * const obj = await store.open?.('v720p/seg_3.m4s');
 * if (obj) obj.stream({ start: 0, end: 99 }).pipe(res); // the first 100 bytes
 */
export interface StoredObject {
  /** bytes */
  size: number;
  /** last modification, ms since the epoch (a put's time); NaN when the store does not know */
  mtimeMs: number;
  /** a strong HTTP validator (quoted) when the store has a cheap one; else the server hashes `buffer` */
  etag?: string;
  /** the whole content when it is already in memory (sent as is: zero-copy); treat as read-only */
  buffer?: Buffer;
  /** the content, or the inclusive `range` of it; at most one call */
  stream(range?: ByteRange): Readable;
  /** releases what open() took (a file descriptor) when `stream()` is not called; safe to call twice */
  close(): Promise<void>;
}

/** Where segments and manifests live (filesystem, memory, ...). Keys are '/'-separated relative paths. */
export interface SegmentStore {
  /** writes atomically: readers see the old content or the new, never a part */
  put(key: string, data: Buffer | string): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  delete(key: string): Promise<void>;
  list(prefix?: string): Promise<string[]>;
  /**
   * Optional read side for servers: the object with its size and mtime, to
   * stream (ranges) without loading it, or null when absent. A store
   * without it is served through `get()`.
   */
  open?(key: string): Promise<StoredObject | null>;
}

export interface PresentationOptions {
  store: SegmentStore;
  mode: PresentationMode;
  segmentFormat: SegmentFormat;
  /** the target segment duration in seconds (segments may be shorter/longer, cut at keyframes) */
  segmentDuration: number;
  /** write HLS (master.m3u8 + one media playlist per rendition); default true */
  hls?: boolean;
  /** write DASH (manifest.mpd); default true for cmaf, unavailable for ts */
  dash?: boolean;
  /** live: segments kept in the window (default 6) */
  windowSize?: number;
  /** live: seconds a segment stays stored after leaving every manifest (default: RFC 8216 §6.2.2's minimum, its duration + the longest playlist that listed it, and at least 2 × segmentDuration) */
  deleteGrace?: number;
  /** the sequence number every rendition's first segment has (safe integer ≥ 0, default 0): a new presentation on a path whose old one is still being removed starts above the old one's numbers */
  firstSequence?: number;
  /** event/live: EXT-X-TARGETDURATION in whole seconds, fixed for the presentation's life (default: round(segmentDuration), or the longest segment listed at the first publish if that rounds higher) */
  targetDuration?: number;
  /** dynamic MPD: the UTCTiming element (default `urn:mpeg:dash:utc:direct:2014` with the time the MPD was written) */
  utcTiming?: { schemeIdUri: string; value: string };
  /** called with problems that do not stop packaging (a segment longer than the fixed target duration); at most 10 messages */
  onWarning?: (msg: string) => void;
}

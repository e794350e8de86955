/**
 * Options of the stream registry: how every live stream is transcoded,
 * packaged, kept across reconnects, recorded and admitted.
 */
import type { SegmentFormat, SegmentStore } from '../delivery/types.js';
import type { AudioOptions } from '../transcoding/audio-rendition.js';
import type { VariantSpec } from '../transcoding/ladder.js';

export interface RegistryOptions {
  /** where every stream's presentation lives, each under `<app>/<name>/` */
  store: SegmentStore;
  /** rung names or specs; default: derived from each stream's first frames (never upscaled) */
  ladder?: readonly (string | VariantSpec)[];
  /** x264 preset (default 'veryfast') */
  preset?: string;
  /** seconds (default 2) */
  segmentDuration?: number;
  segmentFormat?: SegmentFormat;
  /** segments in the live window (default 6) */
  windowSize?: number;
  /** 'low' (default): no B-frames, no lookahead; 'normal': the preset's own */
  latency?: 'low' | 'normal';
  audio?: AudioOptions | false;
  hls?: boolean;
  dash?: boolean;
  /** seconds a dropped publisher has to come back and continue the stream (default 10) */
  reconnectGrace?: number;
  /** a second publisher on a live path: refuse it (default) or end the first and take over */
  onConflict?: 'refuse' | 'takeover';
  /** streams at once (default 16); beyond it a publish is refused with 'ELIMIT' */
  maxStreams?: number;
  /**
   * record each stream's source packets (no re-encode) to `<dir>/<app>/<name>/<ISO time>.mp4`
   * (fragmented, readable after a crash), and keep its presentation as VOD
   * (EVENT playlists → ENDLIST, static MPD) when it ends
   */
  record?: { dir: string; format?: 'mp4' | 'mkv' } | false;
  /** DASH UTCTiming element (default: urn:mpeg:dash:utc:direct:2014) */
  utcTiming?: { schemeIdUri: string; value: string };
}

/**
 * Options of the stream registry: how every live stream is transcoded,
 * packaged, kept across reconnects, recorded and admitted.
 */
import type { SegmentFormat, SegmentStore } from '../delivery/types.js';
import type { AudioOptions } from '../transcoding/audio-rendition.js';
import type { LadderSpec } from '../transcoding/ladder.js';
import type { LatencyMode } from '../transcoding/live-session.js';
import type { Preset } from '../../types/binding.js';
import type { IngestProtocol } from './types.js';

/** What a publish authorisation decides on. */
export interface PublishContext {
  /** `<app>/<name>` */
  path: string;
  app: string;
  name: string;
  protocol: IngestProtocol;
  remoteAddress: string | null;
  /** the query the publisher sent (RTMP stream name or push URL), parsed */
  query: URLSearchParams;
}

/** Who may publish: a signed stream name, or the operator's own decision. */
export interface PublishAuthOptions {
  /**
   * publishers of peer-facing ingests (RTMP, HTTP push) must present
   * `?exp=<unix seconds>&sig=<base64url(HMAC-SHA256(secret, "/<app>/<name>:" + exp))>`;
   * two secrets may be active during a rotation. Sources the operator
   * configured (pull, listen, demo) are not asked.
   */
  publishSecret?: string | readonly string[];
  /** replaces the signature check: resolve true to admit the publisher, false to refuse it (EAUTH) */
  authorizePublish?(ctx: PublishContext): boolean | Promise<boolean>;
}

export interface RegistryOptions {
  /** where every stream's presentation lives, each under `<app>/<name>/` */
  store: SegmentStore;
  /** rung names or specs; default: derived from each stream's first frames (never upscaled) */
  ladder?: LadderSpec;
  /** x264 preset (default 'veryfast') */
  preset?: Preset;
  /** seconds (default 2) */
  segmentDuration?: number;
  segmentFormat?: SegmentFormat;
  /** segments in the live window (default 6) */
  windowSize?: number;
  /** 'low' (default): no B-frames, no lookahead; 'normal': the preset's own */
  latency?: LatencyMode;
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
  /** publish authorisation (default: anyone may publish) */
  auth?: PublishAuthOptions;
}

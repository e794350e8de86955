/**
 * Shared vocabulary of the live server (lib/server): what an ingest hands
 * the registry, and what the registry tells the world. One-way data flow:
 * ingest → Decoder → ladder → segments → Presentation → store.
 */
import type { ByteSource, DecoderOptions } from '../media/decoder.js';

/** How a publisher reached us. */
export type IngestProtocol = 'rtmp' | 'http' | 'pull' | 'srt' | 'udp' | 'demo';

/**
 * One publisher's media, as an ingest hands it to the registry: something
 * `Decoder.open()` takes, plus a way to end it.
 *
 * @example
 * registry.publish({ path: 'live/cam1', protocol: 'rtmp', remoteAddress: '10.0.0.7:50122',
 *   input: flvReadable, inputOptions: { format: 'flv' }, close: (why) => conn.close(why) });
 */
export interface IngestSource {
  /** `<app>/<name>` (see {@link parseStreamPath}) */
  path: string;
  protocol: IngestProtocol;
  /** `host:port` of the publisher, when there is one */
  remoteAddress?: string;
  /** what Decoder.open() reads: a byte stream, or a URL/listener address */
  input: string | ByteSource;
  /**
   * the query the publisher sent with its stream path (RTMP stream name
   * `mine?exp=…&sig=…`, HTTP push URL), without the '?': publish auth reads it
   */
  query?: string;
  /** demuxer hints and AVOptions for the input (e.g. `{ format: 'flv' }`) */
  inputOptions?: Omit<DecoderOptions, 'signal'>;
  /** ends the publisher (kick, takeover, shutdown); idempotent */
  close(reason?: string): void;
}

/** Lifecycle of a stream path. */
export type StreamState = 'starting' | 'live' | 'reconnecting' | 'ended';

/** A stream path's two parts. */
export interface StreamPath {
  app: string;
  name: string;
  /** `<app>/<name>` */
  path: string;
}

// Each part is a folder name and appears literally in URLs and store keys.
const PART = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Parses and checks `<app>/<name>` (each part 1–64 of [A-Za-z0-9_.-],
 * starting with a letter or digit). A leading '/' is accepted.
 *
 * @example
 * parseStreamPath('/live/cam1'); // { app: 'live', name: 'cam1', path: 'live/cam1' }
 */
export function parseStreamPath(p: string): StreamPath {
  if (typeof p !== 'string') throw new TypeError('stream path must be a string');
  const parts = p.replace(/^\//, '').split('/');
  if (parts.length !== 2 || !PART.test(parts[0]!) || !PART.test(parts[1]!))
    throw new RangeError(`invalid stream path ${JSON.stringify(p)}: expected <app>/<name>, each 1-64 of [A-Za-z0-9_.-] starting with a letter or digit`);
  return { app: parts[0]!, name: parts[1]!, path: `${parts[0]}/${parts[1]}` };
}

/** Why a publish was refused: sent to the publisher (RTMP onStatus, HTTP status). */
export type RefusalCode = 'EBUSY' | 'ELIMIT' | 'EAUTH' | 'EINVAL' | 'ECLOSED';

/**
 * What a publish became: the stream it feeds, and when this publisher's
 * session is over (its input ended or failed, it was kicked or taken over).
 */
export interface Publication {
  path: string;
  /** resolves (never rejects) when this publisher's session is over */
  ended: Promise<{ reason: 'ended' | 'error' | 'kicked' | 'takeover' | 'shutdown'; error?: Error }>;
}

/** What ingests call: the registry. */
export interface PublishTarget {
  /**
   * Starts (or continues, within the reconnect grace) the stream at
   * `source.path`. Rejects with a `StreamRefused` (its `code` and `reason`
   * say why) when the path is busy, the server is full or the path invalid.
   */
  publish(source: IngestSource): Promise<Publication>;
}

/** One rendition of a live stream, as the API reports it. */
export interface RenditionSnapshot {
  id: string;
  type: 'video' | 'audio';
  width?: number;
  height?: number;
  /** nominal bits/s */
  bitrate: number;
  /** bits/s measured over the stored segments */
  measuredBitrate: number;
  encoder: string;
  frames: number;
  dropped: number;
  segments: number;
  /** video: encode latency of the current session, frame in → its packet out (ms), over its last frames */
  encodeLatency?: { p50: number; p95: number };
}

/** A stream as `GET /api/streams` reports it. */
export interface StreamSnapshot {
  path: string;
  app: string;
  name: string;
  state: StreamState;
  /** ISO time of the first publish */
  startedAt: string;
  /** seconds since the first publish */
  uptime: number;
  publisher: { protocol: IngestProtocol; remoteAddress: string | null } | null;
  source: { codec: string; width: number; height: number; fps: number; audioCodec: string | null; sampleRate: number | null; channels: number | null } | null;
  /** bits/s of source bytes over the last seconds */
  ingestBitrate: number;
  /** source bytes received since the first publish (every publisher of this stream) */
  ingestBytes: number;
  /** media seconds per wall second of the current session */
  speed: number;
  renditions: RenditionSnapshot[];
  /** publishes that continued this stream within the grace period */
  reconnects: number;
  /** manifest URLs relative to the server root */
  manifests: { hls: string | null; dash: string | null };
  recording: string | null;
}

/** What the HTTP face reads and acts on: the registry. */
export interface StreamDirectory {
  list(): StreamSnapshot[];
  get(path: string): StreamSnapshot | undefined;
  /**
   * streams that ended with a recording, newest first: their presentations
   * stay in the store as VOD (state 'ended'); absent when not tracked
   */
  recordings?(): StreamSnapshot[];
  /** ends the stream's current publisher; resolves false when no such stream */
  kick(path: string, reason?: string): Promise<boolean>;
}

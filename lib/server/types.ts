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

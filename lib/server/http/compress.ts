/**
 * gzip and brotli for text responses (playlists, MPDs, JSON), chosen from
 * `Accept-Encoding` with q-values (negotiator). Media segments are never
 * compressed (already compressed, and ranges must address stored bytes).
 * A compressed stored manifest is kept in a small bounded cache keyed by
 * its entity tag, so 500 viewers of one live playlist version cost one
 * compression, concurrent requests included (they share the promise).
 */
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import Negotiator from 'negotiator';

/** A content coding this server produces. */
export type Coding = 'br' | 'gzip' | 'identity';

/** Bodies smaller than this are sent as they are: the saving is below a packet. */
export const MIN_COMPRESS_BYTES = 1024;

const CODINGS: readonly Coding[] = ['br', 'gzip', 'identity'];
type EncodingWithPreference = (available: readonly string[], opts: { preferred: readonly string[] }) => string | undefined;

/**
 * The coding to answer `req` with: the client's highest q-value among br,
 * gzip and identity (ties: br, then gzip); identity without `Accept-Encoding`.
 *
 * @example
 * negotiateCoding(req); // 'br' for `Accept-Encoding: gzip, deflate, br`
 */
export function negotiateCoding(req: IncomingMessage): Coding {
  if (!req.headers['accept-encoding']) return 'identity';
  const n = new Negotiator(req);
  return ((n.encoding as unknown as EncodingWithPreference).call(n, CODINGS, { preferred: CODINGS }) as Coding | undefined) ?? 'identity';
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/**
 * `data` in `coding` (identity: `data` itself). Brotli at quality 5 and
 * gzip at level 6: most of the saving at a small cost, since a live
 * playlist is compressed anew every segment.
 *
 * @example
 * const body = await compress(Buffer.from(json), 'gzip');
 */
export function compress(data: Buffer, coding: Coding): Promise<Buffer> {
  if (coding === 'br') {
    return brotli(data, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length },
    });
  }
  if (coding === 'gzip') return gzip(data, { level: 6 });
  return Promise.resolve(data);
}

interface Entry {
  data: Promise<Buffer>;
  bytes: number;
}

/**
 * Compressed bodies by (entity tag, coding), least recently used evicted
 * beyond `maxEntries` entries or `maxBytes` compressed bytes.
 *
 * @example
 * const cache = new CompressionCache();
 * const body = await cache.get('"1f-abc"', 'br', playlistBuffer);
 */
export class CompressionCache {
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(
    readonly maxEntries = 256,
    readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  /** `data` (whose strong tag is `etag`) in `coding`, compressed at most once while cached. */
  get(etag: string, coding: Coding, data: Buffer): Promise<Buffer> {
    const key = `${coding} ${etag}`;
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key); // most recently used last
      this.#entries.set(key, hit);
      return hit.data;
    }
    const entry: Entry = { data: compress(data, coding), bytes: 0 };
    this.#entries.set(key, entry);
    entry.data.then(
      (out) => {
        if (this.#entries.get(key) !== entry) return; // evicted while compressing
        entry.bytes = out.length;
        this.#bytes += out.length;
        this.#trim();
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    this.#trim();
    return entry.data;
  }

  /** entries held */
  get size(): number {
    return this.#entries.size;
  }

  /** compressed bytes held */
  get bytes(): number {
    return this.#bytes;
  }

  #trim(): void {
    for (const [key, e] of this.#entries) {
      if (this.#entries.size <= this.maxEntries && this.#bytes <= this.maxBytes) return;
      this.#entries.delete(key);
      this.#bytes -= e.bytes;
    }
  }
}

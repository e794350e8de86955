/**
 * The live server's minimal HTTP face: what players fetch (playlists, MPDs,
 * init and media segments, straight from the store), a small JSON API over
 * the stream directory, and the HTTP push ingest (PUT/POST) when one is
 * given. Conditional requests, ranges, compression, auth and the player page
 * are not here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SegmentStore } from '../../delivery/types.js';
import { checkKey } from '../../delivery/store-key.js';
import { parseStreamPath, type StreamDirectory } from '../types.js';
import { resolveRequestPath } from './request-path.js';

/** What the minimal handler serves from. */
export interface MinimalHandlerOptions {
  /** every stream's presentation, under `<app>/<name>/` */
  store: SegmentStore;
  /** the streams the API reports (the registry) */
  directory: StreamDirectory;
  /** the HTTP push ingest: handles a PUT/POST and returns true, or returns false when it is not its request */
  push?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** `Access-Control-Allow-Origin` on media and API responses (default '*') */
  cors?: string;
}

/** How each servable file type is sent. */
interface MediaType {
  contentType: string;
  cacheControl: string;
}

const PLAYLIST = 'no-cache';
const IMMUTABLE = 'max-age=31536000, immutable';
const MEDIA_TYPES: Readonly<Record<string, MediaType>> = {
  '.m3u8': { contentType: 'application/vnd.apple.mpegurl', cacheControl: PLAYLIST },
  '.mpd': { contentType: 'application/dash+xml', cacheControl: PLAYLIST },
  '.mp4': { contentType: 'video/mp4', cacheControl: IMMUTABLE },
  '.m4s': { contentType: 'video/iso.segment', cacheControl: IMMUTABLE },
  '.ts': { contentType: 'video/mp2t', cacheControl: IMMUTABLE },
};

/** The media type of a store key, by its extension; undefined for anything not served. */
export function mediaTypeOf(key: string): MediaType | undefined {
  const dot = key.lastIndexOf('.');
  return dot > key.lastIndexOf('/') ? MEDIA_TYPES[key.slice(dot)] : undefined;
}

const READ_METHODS = 'GET, HEAD';

/**
 * Creates the request listener of the live server's HTTP face:
 *
 * - `GET|HEAD /<app>/<name>/…` — a store key (`master.m3u8`, `manifest.mpd`,
 *   `<rendition>/index.m3u8`, init `.mp4`, `.m4s`, `.ts`) from the store, with
 *   its Content-Type and Cache-Control (`no-cache` for playlists and MPDs, one
 *   immutable year for segments and init); 404 when absent.
 * - `GET /api/streams` → `{ streams: StreamSnapshot[] }`,
 *   `GET /api/streams/<app>/<name>` → one snapshot or 404,
 *   `GET /api/health` → `{ ok: true, streams: n }`,
 *   `GET /api/time` → the UTC time as ISO 8601 text (DASH UTCTiming `http-iso`).
 * - PUT/POST go to `push` first; any other method is 405 with `Allow`.
 *
 * Every path goes through {@link resolveRequestPath} (escapes → 400).
 *
 * @example
 * const handler = createMinimalHandler({ store, directory: registry, push: createPushHandler(registry, {}) });
 * http.createServer(handler).listen(8080); // GET http://127.0.0.1:8080/live/cam1/master.m3u8
 */
export function createMinimalHandler(options: MinimalHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { store, directory, push } = options;
  const cors = options.cors ?? '*';

  const send = (req: IncomingMessage, res: ServerResponse, status: number, type: string, body: Buffer | string, cache = PLAYLIST): void => {
    const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': data.length,
      'Cache-Control': cache,
      'Access-Control-Allow-Origin': cors,
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : data);
  };
  const text = (req: IncomingMessage, res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void => {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    send(req, res, status, 'text/plain; charset=utf-8', `${message}\n`, 'no-store');
  };
  const json = (req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void =>
    send(req, res, status, 'application/json; charset=utf-8', JSON.stringify(value), 'no-cache');

  const api = (req: IncomingMessage, res: ServerResponse, segs: string[]): void => {
    const [, what, app, name, ...extra] = segs;
    if (what === 'streams' && app === undefined) return json(req, res, 200, { streams: directory.list() });
    if (what === 'streams' && name !== undefined && extra.length === 0) {
      const stream = directory.get(`${app}/${name}`);
      return stream ? json(req, res, 200, stream) : json(req, res, 404, { error: `no stream ${app}/${name}` });
    }
    if (what === 'health' && app === undefined) return json(req, res, 200, { ok: true, streams: directory.list().length });
    if (what === 'time' && app === undefined) return send(req, res, 200, 'text/plain; charset=utf-8', new Date().toISOString(), 'no-store');
    json(req, res, 404, { error: 'not found' });
  };

  const media = async (req: IncomingMessage, res: ServerResponse, segs: string[]): Promise<void> => {
    const key = segs.join('/');
    const type = mediaTypeOf(key);
    if (segs.length < 3 || !type || !isStreamPath(segs[0]!, segs[1]!)) return text(req, res, 404, 'not found');
    try {
      checkKey(key);
    } catch {
      return text(req, res, 404, 'not found');
    }
    let data: Buffer | null;
    try {
      data = await store.get(key);
    } catch (e) {
      // a key the store refuses (e.g. a symlink below a FileStore root) is not there
      if (e instanceof RangeError || (e as { errorName?: string }).errorName === 'ELOOP') return text(req, res, 404, 'not found');
      throw e;
    }
    if (!data) return text(req, res, 404, 'not found');
    send(req, res, 200, type.contentType, data, type.cacheControl);
  };

  return (req, res) => {
    const method = req.method ?? 'GET';
    if ((method === 'PUT' || method === 'POST') && push?.(req, res)) return;
    if (method !== 'GET' && method !== 'HEAD') return text(req, res, 405, 'method not allowed', { Allow: READ_METHODS });
    const p = resolveRequestPath(req.url);
    if (!p.ok) return text(req, res, p.status, p.status === 400 ? `bad request: ${p.reason}` : 'not found');
    const work = p.segments[0] === 'api' ? Promise.resolve(api(req, res, p.segments)) : media(req, res, p.segments);
    work.catch((e: unknown) => {
      if (!res.headersSent) text(req, res, 500, `internal error: ${(e as Error)?.message ?? e}`);
      else res.destroy();
    });
  };
}

function isStreamPath(app: string, name: string): boolean {
  try {
    parseStreamPath(`${app}/${name}`);
    return true;
  } catch {
    return false;
  }
}

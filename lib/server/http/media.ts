/**
 * Serving store objects to players: playlists, MPDs, init and media
 * segments, each with its Content-Type and Cache-Control, validators,
 * ranges, and compression for manifests (send-object.ts). Objects come
 * from the store's read side (`open`, else `get`): MemoryStore's Buffer is
 * sent as is, FileStore's file is streamed from its descriptor.
 * See docs/delivery/http.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openStored } from '../../delivery/stored-object.js';
import type { SegmentStore, StoredObject } from '../../delivery/types.js';
import { checkKey } from '../../delivery/store-key.js';
import { parseStreamPath } from '../types.js';
import type { ViewerTracker } from '../viewers.js';
import { carryToken } from '../auth/playback.js';
import { cacheControlFor, PRIVATE_MANIFEST } from './cache-policy.js';
import { CompressionCache } from './compress.js';
import { applyCors } from './cors.js';
import { bufferEtag } from './etag.js';
import { mediaTypeOf, type MediaType } from './media-types.js';
import type { RoutedPath } from './request-path.js';
import { sendRepresentation } from './send-object.js';
import { sendText } from './respond.js';
import type { CorsOrigins } from './types.js';

/** What the media route needs. */
export interface MediaRouteOptions {
  store: SegmentStore;
  cors: CorsOrigins;
  compression: boolean;
  viewers?: ViewerTracker;
}

/**
 * A media route: serves `p` (a store key) or answers 404. `carry` (a
 * playback token's query text, '' for none) is appended to every URI in a
 * playlist or MPD it serves; the handler has already checked it.
 */
export type MediaRoute = (req: IncomingMessage, res: ServerResponse, p: RoutedPath, query: URLSearchParams, carry: string) => Promise<void>;

/** Largest manifest read into memory (to inspect, carry tokens into, compress); larger ones are streamed as they are. */
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;

/**
 * True when `p` is a media path this route owns: `<app>/<name>/…` ending in
 * a served extension.
 *
 * @example
 * isMediaPath(['live', 'cam1', 'master.m3u8']); // true
 */
export function isMediaPath(segments: readonly string[]): boolean {
  if (segments.length < 3 || !mediaTypeOf(segments[segments.length - 1]!)) return false;
  try {
    parseStreamPath(`${segments[0]}/${segments[1]}`);
    return true;
  } catch {
    return false;
  }
}

// A key the store refuses (RangeError) or a link below its root (ELOOP): not found, like an absent key.
const isRefusal = (e: unknown): boolean => e instanceof RangeError || (e as { errorName?: string })?.errorName === 'ELOOP';

/** The object's tag: the store's, else a hash of its Buffer, else (a custom store streaming without one) a weak one from size and mtime. */
const etagOf = (obj: StoredObject): string => obj.etag ?? (obj.buffer ? bufferEtag(obj.buffer) : `W/"${obj.size.toString(36)}-${String(obj.mtimeMs)}"`);

// A stored manifest's Cache-Control, read once per Buffer (MemoryStore hands out the same one per version).
const policies = new WeakMap<Buffer, string>();
function manifestPolicy(kind: 'playlist' | 'mpd', stored: Buffer): string {
  let policy = policies.get(stored);
  if (policy === undefined) policies.set(stored, (policy = cacheControlFor(kind, stored.toString('latin1'))));
  return policy;
}

async function readWhole(obj: StoredObject): Promise<Buffer> {
  if (obj.buffer) return obj.buffer;
  const chunks: Buffer[] = [];
  for await (const c of obj.stream()) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Creates the media route.
 *
 * @example
 * const media = createMediaRoute({ store, cors: '*', compression: true });
 */
export function createMediaRoute(o: MediaRouteOptions): MediaRoute {
  const compressed = new CompressionCache();

  const sendManifest = async (req: IncomingMessage, res: ServerResponse, type: MediaType, obj: StoredObject, carry: string, streamPath: string): Promise<void> => {
    const kind = type.kind as 'playlist' | 'mpd';
    if (obj.size > MAX_MANIFEST_BYTES) {
      if (carry) return sendText(req, res, 500, `manifest larger than ${MAX_MANIFEST_BYTES} bytes: cannot carry the playback token`);
      return sendRepresentation(req, res, { contentType: type.contentType, cacheControl: 'no-cache', etag: etagOf(obj), mtimeMs: obj.mtimeMs, size: obj.size, stream: (r) => obj.stream(r) });
    }
    const stored = await readWhole(obj);
    if (carry) {
      // rewritten for this viewer: its own tag, never in a shared cache, compressed per request
      const body = Buffer.from(carryToken(stored.toString('utf8'), kind, carry, { streamPath }), 'utf8');
      return sendRepresentation(req, res, {
        contentType: type.contentType, cacheControl: PRIVATE_MANIFEST, etag: bufferEtag(body), mtimeMs: Number.NaN, size: body.length, buffer: body,
        ...(o.compression ? { compression: {} } : {}),
      });
    }
    return sendRepresentation(req, res, {
      contentType: type.contentType, cacheControl: manifestPolicy(kind, stored), etag: obj.etag ?? bufferEtag(stored), mtimeMs: obj.mtimeMs,
      size: stored.length, buffer: stored,
      ...(o.compression ? { compression: { cache: compressed } } : {}),
    });
  };

  return async (req, res, p, _query, carry) => {
    const key = p.segments.join('/');
    const type = mediaTypeOf(key)!;
    applyCors(req, res, o.cors);
    let obj: StoredObject | null;
    try {
      obj = await openStored(o.store, checkKey(key));
    } catch (e) {
      if (isRefusal(e)) return sendText(req, res, 404, 'not found');
      throw e;
    }
    if (!obj) return sendText(req, res, 404, 'not found');
    try {
      o.viewers?.seenRequest(`${p.segments[0]}/${p.segments[1]}`, req);
      if (type.kind === 'playlist' || type.kind === 'mpd') return await sendManifest(req, res, type, obj, carry, `${p.segments[0]}/${p.segments[1]}`);
      await sendRepresentation(req, res, {
        contentType: type.contentType, cacheControl: cacheControlFor(type.kind), etag: etagOf(obj), mtimeMs: obj.mtimeMs,
        size: obj.size, ...(obj.buffer ? { buffer: obj.buffer } : {}), stream: (r) => obj.stream(r),
      });
    } finally {
      await obj.close(); // a no-op once its stream was taken
    }
  };
}

/**
 * Serving store objects to players: playlists, MPDs, init and media
 * segments, each with its Content-Type and Cache-Control.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SegmentStore } from '../../delivery/types.js';
import { checkKey } from '../../delivery/store-key.js';
import { parseStreamPath } from '../types.js';
import type { ViewerTracker } from '../viewers.js';
import { carryToken } from '../auth/playback.js';
import { applyCors } from './cors.js';
import { mediaTypeOf } from './media-types.js';
import type { RoutedPath } from './request-path.js';
import { sendBody, sendText } from './respond.js';
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

const IMMUTABLE = 'max-age=31536000, immutable';

/**
 * Creates the media route.
 *
 * @example
 * const media = createMediaRoute({ store, cors: '*', compression: true });
 */
export function createMediaRoute(o: MediaRouteOptions): MediaRoute {
  return async (req, res, p, _query, carry) => {
    const key = p.segments.join('/');
    const type = mediaTypeOf(key)!;
    applyCors(req, res, o.cors);
    try {
      checkKey(key);
    } catch {
      return sendText(req, res, 404, 'not found');
    }
    let data: Buffer | null;
    try {
      data = await o.store.get(key);
    } catch (e) {
      if (e instanceof RangeError || (e as { errorName?: string }).errorName === 'ELOOP') return sendText(req, res, 404, 'not found');
      throw e;
    }
    if (!data) return sendText(req, res, 404, 'not found');
    o.viewers?.seenRequest(`${p.segments[0]}/${p.segments[1]}`, req);
    if (carry && (type.kind === 'playlist' || type.kind === 'mpd')) data = Buffer.from(carryToken(data.toString('utf8'), type.kind, carry), 'utf8');
    const cache = type.kind === 'init' || type.kind === 'segment' ? IMMUTABLE : 'no-cache';
    sendBody(req, res, 200, type.contentType, data, { 'Cache-Control': cache });
  };
}

/**
 * The JSON API under `/api`: the streams the registry reports, one stream,
 * kicking a publisher, health, and the server's clock.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamDirectory } from '../types.js';
import type { ViewerTracker } from '../viewers.js';
import { applyCors } from './cors.js';
import type { RoutedPath } from './request-path.js';
import { methodNotAllowed, sendBody, sendJson } from './respond.js';
import type { CorsOrigins } from './types.js';

/** What the API route needs. */
export interface ApiRouteOptions {
  directory: StreamDirectory;
  viewers?: ViewerTracker;
  /** bearer token(s); absent: open */
  token?: string | readonly string[];
  cors: CorsOrigins;
}

/** The API route: answers every request under `/api`. */
export type ApiRoute = (req: IncomingMessage, res: ServerResponse, p: RoutedPath, query: URLSearchParams) => Promise<void>;

/**
 * Creates the API route.
 *
 * @example
 * const api = createApiRoute({ directory: registry, cors: false });
 */
export function createApiRoute(o: ApiRouteOptions): ApiRoute {
  return async (req, res, p) => {
    applyCors(req, res, o.cors);
    const [, what, app, name, ...extra] = p.segments;
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(req, res, 'GET, HEAD');
    if (what === 'streams' && app === undefined) return sendJson(req, res, 200, { streams: o.directory.list() });
    if (what === 'streams' && name !== undefined && extra.length === 0) {
      const stream = o.directory.get(`${app}/${name}`);
      return stream ? sendJson(req, res, 200, stream) : sendJson(req, res, 404, { error: `no stream ${app}/${name}` });
    }
    if (what === 'health' && app === undefined) return sendJson(req, res, 200, { ok: true, streams: o.directory.list().length });
    if (what === 'time' && app === undefined) return sendBody(req, res, 200, 'text/plain; charset=utf-8', new Date().toISOString(), { 'Cache-Control': 'no-store' });
    sendJson(req, res, 404, { error: 'not found' });
  };
}

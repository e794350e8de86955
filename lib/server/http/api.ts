/**
 * The JSON API under `/api`: the streams the registry reports (with their
 * viewers), one stream, kicking a publisher, health, and the server's
 * clock. Every answer is JSON (`{ error }` for errors) and `no-store`,
 * except `/api/time`, which is the ISO text DASH's UTCTiming expects.
 * docs/server/api.md (and docs/server/openapi.json) describe it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseStreamPath, type StreamDirectory, type StreamSnapshot } from '../types.js';
import type { ViewerTracker } from '../viewers.js';
import { bearerCheck } from './bearer.js';
import { applyCors, preflight } from './cors.js';
import { healthReport } from './health.js';
import type { RoutedPath } from './request-path.js';
import { sendBody, sendJson } from './respond.js';
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
 * A stream as the API reports it: the registry's snapshot and its current viewers.
 *
 * @example
 * const { streams } = (await (await fetch(`${url}/api/streams`)).json()) as { streams: ApiStream[] };
 * streams[0].viewers; // 12
 */
export type ApiStream = StreamSnapshot & { viewers: number };

/** One API path (OpenAPI template syntax) and the methods it takes besides HEAD and OPTIONS. */
export interface ApiRouteSpec {
  path: string;
  methods: readonly ('GET' | 'DELETE')[];
  /** answered without a token (health keeps its details for token holders) */
  open: boolean;
}

/**
 * Every path the API serves; the router below and docs/server/openapi.json
 * both follow it (test/api-openapi.test.mjs holds them to it).
 *
 * @example
 * API_ROUTES.map((r) => r.path); // ['/api/streams', '/api/streams/{app}/{name}', '/api/health', '/api/time']
 */
export const API_ROUTES: readonly ApiRouteSpec[] = [
  { path: '/api/streams', methods: ['GET'], open: false },
  { path: '/api/streams/{app}/{name}', methods: ['GET', 'DELETE'], open: false },
  { path: '/api/health', methods: ['GET'], open: true },
  { path: '/api/time', methods: ['GET'], open: true },
];

/**
 * Largest request body accepted (and ignored): no API request has one.
 *
 * @example
 * Number(req.headers['content-length'] ?? 0) <= MAX_API_BODY; // else 413
 */
export const MAX_API_BODY = 1024;

const NO_STORE = { 'Cache-Control': 'no-store' };

/** The spec `segments` match, and the `{param}` values. */
function match(segments: readonly string[]): { spec: ApiRouteSpec; params: Record<string, string> } | null {
  for (const spec of API_ROUTES) {
    const parts = spec.path.slice(1).split('/');
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const fits = parts.every((part, i) => {
      if (!part.startsWith('{')) return part === segments[i];
      params[part.slice(1, -1)] = segments[i]!;
      return true;
    });
    if (fits) return { spec, params };
  }
  return null;
}

/**
 * Creates the API route. With `token`, every path but `/api/health` and
 * `/api/time` needs `Authorization: Bearer <token>` (401 with a
 * `WWW-Authenticate` challenge otherwise); health answers anyone, but only
 * `{ ok }` without a token.
 *
 * @example
 * const api = createApiRoute({ directory: registry, viewers, token: process.env.API_TOKEN, cors: false });
 */
export function createApiRoute(o: ApiRouteOptions): ApiRoute {
  const auth = bearerCheck(o.token);
  const withViewers = (s: StreamSnapshot): ApiStream => ({ ...s, viewers: o.viewers?.count(s.path) ?? 0 });
  const error = (req: IncomingMessage, res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void =>
    sendJson(req, res, status, { error: message }, { ...NO_STORE, ...headers });

  const route = async (req: IncomingMessage, res: ServerResponse, p: RoutedPath): Promise<void> => {
    const m = match(p.segments);
    const method = req.method ?? 'GET';
    // The clock is public and players on other sites read it (DASH UTCTiming).
    if (m?.spec.path === '/api/time') applyCors(req, res, '*');
    else applyCors(req, res, o.cors);
    const allow = `${m ? m.spec.methods.join(', ') : 'GET'}, HEAD, OPTIONS`;
    if (method === 'OPTIONS') return preflight(req, res, m?.spec.path === '/api/time' ? '*' : o.cors, allow);
    const length = Number(req.headers['content-length'] ?? 0);
    if (req.headers['transfer-encoding'] !== undefined || !(length <= MAX_API_BODY)) {
      return error(req, res, 413, `no API request takes a body (at most ${MAX_API_BODY} bytes are ignored)`, { Connection: 'close' });
    }
    const verdict = auth?.(req) ?? { ok: true as const };
    if (!m?.spec.open && !verdict.ok) return error(req, res, verdict.status, verdict.error, { 'WWW-Authenticate': verdict.challenge });
    if (!m) return error(req, res, 404, `no API path ${p.path}`);
    const get = method === 'GET' || method === 'HEAD';
    if (!get && !(method === 'DELETE' && m.spec.methods.includes('DELETE'))) return error(req, res, 405, `method ${method} not allowed (allowed: ${allow})`, { Allow: allow });

    switch (m.spec.path) {
      case '/api/streams':
        return sendJson(req, res, 200, { streams: o.directory.list().map(withViewers), recordings: (o.directory.recordings?.() ?? []).map(withViewers) }, NO_STORE);
      case '/api/streams/{app}/{name}': {
        let path: string;
        try {
          path = parseStreamPath(`${m.params.app}/${m.params.name}`).path;
        } catch {
          return error(req, res, 404, `no stream ${m.params.app}/${m.params.name}`);
        }
        if (method === 'DELETE') {
          if (!(await o.directory.kick(path, 'kicked through the API'))) return error(req, res, 404, `no stream ${path}`);
          res.writeHead(204, NO_STORE).end();
          return;
        }
        const s = o.directory.get(path);
        return s ? sendJson(req, res, 200, withViewers(s), NO_STORE) : error(req, res, 404, `no stream ${path}`);
      }
      case '/api/health':
        // Open for load balancers: without a token (when one is set) it says only that the server answers.
        return sendJson(req, res, 200, verdict.ok ? healthReport(o.directory.list().length) : { ok: true }, NO_STORE);
      default: // '/api/time'
        return sendBody(req, res, 200, 'text/plain; charset=utf-8', new Date().toISOString(), NO_STORE);
    }
  };

  return async (req, res, p) => {
    try {
      await route(req, res, p);
    } catch (e) {
      // The reason goes to the operator's log, not to whoever asked.
      process.emitWarning(`ffnode API ${req.method} ${p.path}: ${(e as Error)?.message ?? e}`);
      if (res.headersSent) res.destroy();
      else error(req, res, 500, 'internal error');
    }
  };
}

/**
 * `createHandler()`: the live server's HTTP face as one request handler that
 * drops into node:http, Express (middleware, `next()` for paths it does not
 * own) and Fastify (a raw route). It routes; each route is its own module:
 *
 * - `/` and `/player/*` → the player page (player.ts)
 * - `/api/*` → the JSON API (api.ts)
 * - `/metrics` → Prometheus metrics (../metrics.ts)
 * - PUT/POST `/<app>/<name>` → HTTP push ingest (../ingest/http-push.ts)
 * - `/<app>/<name>/…` with a media extension → the store (media.ts)
 *
 * Every path goes through resolveRequestPath (request-path.ts) first.
 * See docs/delivery/http.md.
 */
import type { SegmentStore } from '../../delivery/types.js';
import { createPlaybackAuth } from '../auth/playback.js';
import { createPushHandler } from '../ingest/http-push.js';
import type { LiveMetrics, RequestRoute } from '../metrics.js';
import { createApiRoute } from './api.js';
import { applyCors, preflight } from './cors.js';
import { createMediaRoute, isMediaPath } from './media.js';
import { mediaTypeOf } from './media-types.js';
import { createMetricsRoute } from './metrics-route.js';
import { createPlayerRoute } from './player.js';
import { resolveRequestPath } from './request-path.js';
import { methodNotAllowed, sendJson, sendText } from './respond.js';
import type { HandlerOptions, HandlerRegistry, HandlerSource, Next, RequestHandler } from './types.js';
import type { ViewerTracker } from '../viewers.js';

export type { HandlerOptions, HandlerSource, RequestHandler, Next, CorsOrigins } from './types.js';

const isStore = (s: HandlerSource): s is SegmentStore => typeof (s as SegmentStore).get === 'function' && typeof (s as SegmentStore).put === 'function';

const MEDIA_METHODS = 'GET, HEAD, OPTIONS';

/**
 * Creates the HTTP handler. Given a store, it serves media only; given a
 * live server (`serve()`'s result, or `{ store, registry }`), it adds the
 * player page, the JSON API, `/metrics` and HTTP push, and takes the
 * server's options (CORS, tokens, playback secret) as its defaults.
 * Paths it does not own go to `next()` when there is one, else 404.
 *
 * @example
 * // node:http
 * http.createServer(createHandler(server)).listen(8080);
 * // Express: mounted anywhere, other routes untouched
 * app.use('/tv', createHandler(server));
 * // Fastify: a raw route
 * const handler = createHandler(server);
 * fastify.all('/*', (req, reply) => { reply.hijack(); handler(req.raw, reply.raw); });
 */
export function createHandler(source: HandlerSource, options: HandlerOptions = {}): RequestHandler {
  const store = isStore(source) ? source : source.store;
  const registry: HandlerRegistry | undefined = isStore(source) ? undefined : source.registry;
  const viewers: ViewerTracker | undefined = isStore(source) ? undefined : source.viewers;
  const metrics: LiveMetrics | undefined = isStore(source) ? undefined : source.metrics;
  const o: HandlerOptions = { ...(isStore(source) ? {} : source.handlerOptions), ...options };

  const mediaCors = o.cors?.media ?? '*';
  const apiCors = o.cors?.api ?? false;
  const media = createMediaRoute({ store, cors: mediaCors, compression: o.compression ?? true, viewers });
  const playback = o.playbackSecret !== undefined ? createPlaybackAuth(o.playbackSecret) : undefined;
  const api = registry && o.api !== false ? createApiRoute({ directory: registry, viewers, cors: apiCors, ...(o.api?.token !== undefined ? { token: o.api.token } : {}) }) : undefined;
  const metricsRoute = metrics && o.metrics !== false ? createMetricsRoute({ metrics, cors: apiCors, ...(o.metrics?.token !== undefined ? { token: o.metrics.token } : {}) }) : undefined;
  // The page lists streams through the API only when it needs no token: a
  // page cannot keep one secret. Otherwise it plays paths or URLs it is given.
  const openApi = api && (o.api === undefined || o.api === false || o.api.token === undefined);
  const player = registry && o.playerPage !== false ? createPlayerRoute(openApi ? { apiBase: 'api' } : {}) : undefined;
  const push = registry && o.push !== false ? ((isStore(source) ? undefined : source.push) ?? createPushHandler(registry, {})) : undefined;

  return (req, res, next?: Next) => {
    const started = process.hrtime.bigint();
    let route: RequestRoute = 'other';
    if (metrics) {
      res.once('finish', () => {
        const bytes = req.method === 'HEAD' || res.statusCode === 304 ? 0 : Number(res.getHeader('content-length') ?? 0) || 0;
        metrics.observeRequest(route, res.statusCode, bytes, Number(process.hrtime.bigint() - started) / 1e9);
      });
    }
    const notOurs = (): void => {
      if (next) next();
      else sendText(req, res, 404, 'not found');
    };
    const fail = (e: unknown): void => {
      if (res.headersSent) res.destroy();
      else sendText(req, res, 500, `internal error: ${(e as Error)?.message ?? e}`);
    };

    const method = req.method ?? 'GET';
    // '/api/…' is the API's whatever the method ('api' is a reserved app name)
    const apiPath = api !== undefined && /^\/api(?:[/?]|$)/.test(req.url ?? '');
    if ((method === 'PUT' || method === 'POST') && push && !apiPath) {
      route = 'push';
      if (push(req, res)) return;
    }
    const p = resolveRequestPath(req.url);
    if (!p.ok) {
      // the API answers JSON errors, even for a path refused before it is routed
      if (apiPath) return sendJson(req, res, p.status, { error: p.status === 404 ? 'not found' : `bad request: ${p.reason}` }, { 'Cache-Control': 'no-store' });
      if (p.status === 404) return notOurs();
      return sendText(req, res, 400, `bad request: ${p.reason}`);
    }
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const [first] = p.segments;

    if (first === 'api' && api) {
      route = 'api';
      return void api(req, res, p, query).catch(fail);
    }
    if (first === 'metrics' && p.segments.length === 1 && metricsRoute) {
      route = 'metrics';
      return void metricsRoute(req, res, p, query).catch(fail);
    }
    if (isMediaPath(p.segments)) {
      route = mediaTypeOf(p.path)!.kind;
      if (method === 'OPTIONS') return preflight(req, res, mediaCors, MEDIA_METHODS);
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(req, res, MEDIA_METHODS);
      let carry = '';
      if (playback) {
        // every file under /<app>/<name>/ needs that stream's token; the
        // token then rides along in every URI the manifests name
        const verdict = playback.check(`${p.segments[0]}/${p.segments[1]}`, query);
        if (!verdict.ok) {
          applyCors(req, res, mediaCors);
          return sendText(req, res, 403, `forbidden: ${verdict.reason}`);
        }
        carry = verdict.carry;
      }
      return void media(req, res, p, query, carry).catch(fail);
    }
    if (player && (p.segments.length === 0 || first === 'player')) {
      route = 'player';
      return void player(req, res, p).then((served) => {
        if (!served) {
          route = 'other';
          notOurs();
        }
      }, fail);
    }
    notOurs();
  };
}

/**
 * `GET /metrics`: the Prometheus exposition of a live server's metrics,
 * behind a bearer token when one is set (Prometheus sends it with
 * `authorization: { credentials_file: … }`). See docs/server/metrics.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LiveMetrics } from '../metrics.js';
import { bearerCheck } from './bearer.js';
import { applyCors } from './cors.js';
import type { RoutedPath } from './request-path.js';
import { methodNotAllowed, sendBody, sendText } from './respond.js';
import type { CorsOrigins } from './types.js';

/** What the metrics route needs. */
export interface MetricsRouteOptions {
  metrics: LiveMetrics;
  token?: string | readonly string[];
  cors: CorsOrigins;
}

/**
 * Creates the `/metrics` route.
 *
 * @example
 * const route = createMetricsRoute({ metrics, token: process.env.METRICS_TOKEN, cors: false });
 */
export function createMetricsRoute(o: MetricsRouteOptions): (req: IncomingMessage, res: ServerResponse, p: RoutedPath, query: URLSearchParams) => Promise<void> {
  const auth = bearerCheck(o.token);
  return async (req, res) => {
    applyCors(req, res, o.cors);
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(req, res, 'GET, HEAD');
    const verdict = auth?.(req);
    if (verdict && !verdict.ok) return sendText(req, res, verdict.status, verdict.error, { 'WWW-Authenticate': verdict.challenge });
    const { contentType, body } = await o.metrics.render();
    sendBody(req, res, 200, contentType, body, { 'Cache-Control': 'no-store' });
  };
}

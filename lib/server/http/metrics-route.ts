/**
 * `GET /metrics`: the Prometheus exposition of a live server's metrics.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LiveMetrics } from '../metrics.js';
import { applyCors } from './cors.js';
import type { RoutedPath } from './request-path.js';
import { methodNotAllowed, sendBody } from './respond.js';
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
 * const route = createMetricsRoute({ metrics, cors: false });
 */
export function createMetricsRoute(o: MetricsRouteOptions): (req: IncomingMessage, res: ServerResponse, p: RoutedPath, query: URLSearchParams) => Promise<void> {
  return async (req, res) => {
    applyCors(req, res, o.cors);
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(req, res, 'GET, HEAD');
    const { contentType, body } = await o.metrics.render();
    sendBody(req, res, 200, contentType, body, { 'Cache-Control': 'no-store' });
  };
}

/**
 * CORS headers for one response: which origin may read it. Media default to
 * every origin (players are often on another site); the API and metrics to
 * none, so a browser page elsewhere cannot read stream details.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsOrigins } from './types.js';

/**
 * Sets `Access-Control-Allow-Origin` (and `Vary: Origin` for a list) when the
 * request's origin is allowed; nothing when it is not or `origins` is false.
 *
 * @example
 * applyCors(req, res, ['https://player.example']); // echoes the origin when it is on the list
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, origins: CorsOrigins): void {
  if (origins === false) return;
  if (origins === '*') {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, ETag, Age, Date');
    return;
  }
  res.setHeader('Vary', appendVary(res.getHeader('Vary'), 'Origin'));
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origins.includes(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, ETag, Age, Date');
  }
}

/**
 * Answers a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`):
 * 204 with the allowed methods and headers, for an allowed origin.
 *
 * @example
 * if (req.method === 'OPTIONS') return preflight(req, res, '*', 'GET, HEAD, OPTIONS');
 */
export function preflight(req: IncomingMessage, res: ServerResponse, origins: CorsOrigins, methods: string): void {
  applyCors(req, res, origins);
  res.setHeader('Allow', methods);
  if (res.hasHeader('Access-Control-Allow-Origin')) {
    res.setHeader('Access-Control-Allow-Methods', methods);
    res.setHeader('Access-Control-Allow-Headers', 'Range, If-None-Match, Authorization, Content-Type');
    res.setHeader('Access-Control-Max-Age', '600');
  }
  res.writeHead(204).end();
}

/** `Vary` with `field` added once. */
export function appendVary(current: number | string | readonly string[] | undefined, field: string): string {
  const have = (Array.isArray(current) ? current.join(',') : String(current ?? '')).split(',').map((s) => s.trim()).filter(Boolean);
  if (!have.some((h) => h.toLowerCase() === field.toLowerCase())) have.push(field);
  return have.join(', ');
}

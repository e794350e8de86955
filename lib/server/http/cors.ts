/**
 * CORS headers for one response: which origin may read it. Media default to
 * every origin (players are often on another site); the API and metrics to
 * none, so a browser page elsewhere cannot read stream details.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsOrigins } from './types.js';

// What a cross-origin script may read beyond the CORS-safelisted headers: a
// player reads Content-Range for ranges, ETag to revalidate, Age/Date for clock sync.
const EXPOSED = 'Content-Length, Content-Range, Accept-Ranges, ETag, Age, Date';
// What a player may send: ranges and revalidation (not CORS-safelisted, so preflighted), bearer tokens for the API.
const REQUEST_HEADERS = 'Range, If-None-Match, If-Modified-Since, If-Range, Authorization, Content-Type';

/**
 * Sets `Access-Control-Allow-Origin` (and `Vary: Origin` for a list, whether
 * or not this origin is on it, since the answer depends on it) when the
 * request's origin is allowed; nothing when it is not or `origins` is false.
 * No credentials are ever allowed.
 *
 * @example
 * applyCors(req, res, ['https://player.example']); // echoes the origin when it is on the list
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, origins: CorsOrigins): void {
  if (origins === false) return;
  if (origins === '*') {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED);
    return;
  }
  res.setHeader('Vary', appendVary(res.getHeader('Vary'), 'Origin'));
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origins.includes(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', EXPOSED);
  }
}

/**
 * Answers `OPTIONS`: 204 with `Allow`; for an allowed origin also the CORS
 * preflight answer (methods, request headers, 10 minutes' max age). A
 * disallowed origin gets no `Access-Control-*` header, so its browser stops.
 *
 * @example
 * if (req.method === 'OPTIONS') return preflight(req, res, '*', 'GET, HEAD, OPTIONS');
 */
export function preflight(req: IncomingMessage, res: ServerResponse, origins: CorsOrigins, methods: string): void {
  applyCors(req, res, origins);
  res.setHeader('Allow', methods);
  if (res.hasHeader('Access-Control-Allow-Origin')) {
    res.setHeader('Access-Control-Allow-Methods', methods);
    res.setHeader('Access-Control-Allow-Headers', REQUEST_HEADERS);
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

/**
 * Small responses every route sends the same way: text errors, JSON, a
 * compressed text body, and a method-not-allowed with its `Allow` list.
 * Media responses (ranges, validators, cached compression) are
 * send-object.ts's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { compress, MIN_COMPRESS_BYTES, negotiateCoding } from './compress.js';
import { appendVary } from './cors.js';

/** Sends `body` with its length; a HEAD request gets the headers only. */
export function sendBody(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: Buffer | string, headers: Record<string, string> = {}): void {
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  // setHeader, not writeHead's object: only then does getHeader() see them
  // (the handler reads Content-Length when it counts bytes served).
  for (const [k, v] of Object.entries({ 'Content-Type': type, 'Content-Length': String(data.length), 'X-Content-Type-Options': 'nosniff', ...headers })) res.setHeader(k, v);
  res.writeHead(status);
  res.end(req.method === 'HEAD' ? undefined : data);
}

/**
 * Sends `body` gzip- or brotli-compressed when the client asks for it
 * (`Accept-Encoding` q-values) and it is at least 1 KiB, else as
 * {@link sendBody} does; always `Vary: Accept-Encoding`. Compressed per
 * call: for bodies made per request (JSON); `compress: false` turns it off.
 *
 * @example
 * await sendCompressible(req, res, 200, 'application/json; charset=utf-8', JSON.stringify(value), { 'Cache-Control': 'no-cache' });
 */
export async function sendCompressible(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: Buffer | string, headers: Record<string, string> = {}, compressIt = true): Promise<void> {
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.setHeader('Vary', appendVary(res.getHeader('Vary'), 'Accept-Encoding'));
  const coding = compressIt && data.length >= MIN_COMPRESS_BYTES ? negotiateCoding(req) : 'identity';
  if (coding === 'identity') return sendBody(req, res, status, type, data, headers);
  sendBody(req, res, status, type, await compress(data, coding), { ...headers, 'Content-Encoding': coding });
}

/** A plain-text status message (`no-store`). */
export function sendText(req: IncomingMessage, res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendBody(req, res, status, 'text/plain; charset=utf-8', `${message}\n`, { 'Cache-Control': 'no-store', ...headers });
}

/** A JSON value (`no-cache`). */
export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  sendBody(req, res, status, 'application/json; charset=utf-8', JSON.stringify(value), { 'Cache-Control': 'no-cache', ...headers });
}

/** 405 with the methods the path does take. */
export function methodNotAllowed(req: IncomingMessage, res: ServerResponse, allow: string): void {
  sendText(req, res, 405, `method ${req.method} not allowed (allowed: ${allow})`, { Allow: allow });
}

/**
 * Small responses every route sends the same way: text errors, JSON, and a
 * method-not-allowed with its `Allow` list. Media responses (ranges,
 * validators, compression) are media.ts's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Sends `body` with its length; a HEAD request gets the headers only. */
export function sendBody(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: Buffer | string, headers: Record<string, string> = {}): void {
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  // setHeader, not writeHead's object: only then does getHeader() see them
  // (the handler reads Content-Length when it counts bytes served).
  for (const [k, v] of Object.entries({ 'Content-Type': type, 'Content-Length': String(data.length), 'X-Content-Type-Options': 'nosniff', ...headers })) res.setHeader(k, v);
  res.writeHead(status);
  res.end(req.method === 'HEAD' ? undefined : data);
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

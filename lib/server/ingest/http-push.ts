/**
 * HTTP push ingest: `PUT`/`POST /<app>/<name>[.ts|.flv]` with an MPEG-TS or
 * FLV body (chunked or Content-Length), e.g.
 * `ffmpeg … -f mpegts -method PUT http://host:8080/live/cam1`.
 * See docs/ingest/http-push.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamRefused } from '../errors.js';
import type { Publication, PublishTarget, RefusalCode } from '../types.js';
import { parseStreamPath } from '../types.js';
import { PushBody, probePushFormat, type PushBodyEnd } from './push-body.js';

export interface PushHandlerOptions {
  /** bytes of body held for the consumer at most (default 8 MiB) */
  maxBufferedBytes?: number;
  /** ms without body bytes that end the push with 408 (default 10,000) */
  idleTimeoutMs?: number;
}

/**
 * HTTP status of each refusal code.
 *
 * @example
 * res.writeHead(REFUSAL_STATUS[err.errorName as RefusalCode]); // EBUSY → 409
 */
export const REFUSAL_STATUS: Readonly<Record<RefusalCode, number>> = { EBUSY: 409, ELIMIT: 503, EAUTH: 403, EINVAL: 400, ECLOSED: 503 };

const EXT_FORMAT: Record<string, 'mpegts' | 'flv'> = { ts: 'mpegts', m2ts: 'mpegts', mts: 'mpegts', flv: 'flv' };
const TYPE_FORMAT: Record<string, 'mpegts' | 'flv'> = { 'video/mp2t': 'mpegts', 'video/x-flv': 'flv', 'video/flv': 'flv' };

/**
 * Longest push URL query accepted (characters): publish auth reads it; a longer one is refused (414).
 *
 * @example
 * `PUT /live/cam1?${'x'.repeat(MAX_PUSH_QUERY + 1)}`; // 414
 */
export const MAX_PUSH_QUERY = 2048;

/** The stream path, extension format and query of a push URL, or null when it is not `/<app>/<name>[.ext]`. */
function pushPath(url: string | undefined): { path: string; format?: 'mpegts' | 'flv'; query: string } | null {
  const raw = url ?? '';
  const q = raw.indexOf('?');
  const pathname = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q + 1).split('#')[0]!;
  const m = /^\/([^/]+)\/([^/]+)$/.exec(pathname);
  if (!m) return null;
  let name = m[2]!;
  let format: 'mpegts' | 'flv' | undefined;
  const ext = /\.([A-Za-z0-9]+)$/.exec(name);
  if (ext && EXT_FORMAT[ext[1]!.toLowerCase()]) {
    format = EXT_FORMAT[ext[1]!.toLowerCase()];
    name = name.slice(0, -ext[0].length);
  }
  try {
    return { path: parseStreamPath(`${m[1]}/${name}`).path, format, query };
  } catch {
    return null;
  }
}

/** Status and text for a publication that ended before the body did, or with an error. */
function endStatus(end: Awaited<Publication['ended']>): [number, string] {
  switch (end.reason) {
    case 'ended':
      return [204, ''];
    case 'error':
      return [400, `the pushed stream could not be decoded: ${end.error?.message ?? 'error'}`];
    case 'kicked':
      return [403, 'the stream was ended by the server'];
    case 'takeover':
      return [409, 'another publisher took the stream over'];
    default:
      return [503, 'the server is shutting down'];
  }
}

/**
 * Makes a request handler for HTTP push. It returns false (and leaves the
 * request alone) when the request is not a push (method not PUT/POST, or path
 * not `/<app>/<name>` with an optional `.ts`/`.m2ts`/`.flv`), so it chains
 * with other handlers. The format comes from Content-Type (`video/mp2t`,
 * `video/x-flv`), else the extension, else the first bytes. Responses:
 * refusal 409 (EBUSY) / 503 (ELIMIT, ECLOSED) / 403 (EAUTH) / 400 (EINVAL),
 * the reason as text; 415 for a body that is neither MPEG-TS nor FLV; 408
 * after `idleTimeoutMs` without bytes (the source ends); 400 when the stream
 * fails to decode; 204 when the body and the session ended normally. A
 * response sent while the body still flows closes the connection. Set the
 * server's `requestTimeout` to 0: Node's default (300 s) cuts long pushes.
 *
 * @example
 * const push = createPushHandler(registry, { idleTimeoutMs: 5000 });
 * const server = http.createServer((req, res) => { if (!push(req, res)) serveOther(req, res); });
 * server.requestTimeout = 0;
 * // ffmpeg -re -i in.mp4 -c:v libx264 -c:a aac -f mpegts -method PUT http://127.0.0.1:8080/live/cam1
 */
export function createPushHandler(target: PublishTarget, opts: PushHandlerOptions = {}): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'PUT' && req.method !== 'POST') return false;
    const where = pushPath(req.url);
    if (!where) return false;
    if (where.query.length > MAX_PUSH_QUERY) {
      // refused before a byte of the body is read; the query (a signature) is not echoed
      res.on('error', () => {});
      res.writeHead(414, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end(`the push URL's query is longer than ${MAX_PUSH_QUERY} characters\n`, () => req.socket.destroy());
      return true;
    }
    void handlePush(target, opts, req, res, where.path, where.format, where.query);
    return true;
  };
}

async function handlePush(target: PublishTarget, opts: PushHandlerOptions, req: IncomingMessage, res: ServerResponse, path: string, extFormat: 'mpegts' | 'flv' | undefined, query: string): Promise<void> {
  res.on('error', () => {});
  const body = new PushBody(req, { maxBufferedBytes: opts.maxBufferedBytes, idleTimeoutMs: opts.idleTimeoutMs });
  body.on('error', () => {});
  let answered = false;
  const respond = (status: number, text: string): void => {
    if (answered) return;
    answered = true;
    if (res.headersSent || res.destroyed || body.endedBy === 'aborted') return;
    const open = body.endedBy !== 'complete';
    const headers: Record<string, string> = open ? { connection: 'close' } : {};
    if (text) headers['content-type'] = 'text/plain; charset=utf-8';
    res.writeHead(status, headers);
    res.end(status === 204 ? undefined : `${text}\n`, () => {
      // the client may still be sending: stop reading it (after our answer left)
      if (open) setTimeout(() => req.socket.destroy(), 500).unref();
    });
  };
  // a body that goes idle or overflows is answered at once; its source has ended
  void body.done.then((why: PushBodyEnd) => {
    if (why === 'idle') respond(408, `no body bytes for ${opts.idleTimeoutMs ?? 10_000} ms`);
    else if (why === 'overflow') respond(413, 'the consumer fell too far behind');
  });

  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  let format: 'mpegts' | 'flv' | undefined = TYPE_FORMAT[type] ?? extFormat;
  if (!format) {
    format = probePushFormat(await body.head);
    if (!format) {
      body.stop('closed');
      if (body.endedBy !== 'idle') respond(415, 'the body is neither MPEG-TS (0x47 every 188 bytes) nor FLV; say which with Content-Type video/mp2t or video/x-flv');
      return;
    }
  }
  const source = {
    path,
    protocol: 'http' as const,
    remoteAddress: req.socket.remoteAddress ? `${req.socket.remoteAddress}:${req.socket.remotePort}` : undefined,
    input: body,
    query, // publish auth reads it (a signed URL); never logged
    inputOptions: { format },
    close: (_reason?: string) => body.stop('closed'),
  };
  let pub: Publication;
  try {
    pub = await target.publish(source);
  } catch (e) {
    body.stop('closed');
    if (e instanceof StreamRefused) respond(REFUSAL_STATUS[e.errorName as RefusalCode] ?? 409, e.reason);
    else respond(500, `publish failed: ${(e as Error)?.message ?? e}`);
    return;
  }
  const end = await pub.ended;
  if (end.reason === 'ended' && !body.endedBy) body.stop('closed'); // the consumer stopped early
  const [status, text] = endStatus(end);
  respond(status, text);
}

/**
 * Sends one stored representation with HTTP's full semantics: validators
 * (ETag, Last-Modified) and conditional requests, byte ranges, content
 * codings for text, HEAD. The body goes out as the Buffer the store holds
 * (no copy) or streamed from the store (ranges read only their bytes).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ByteRange } from '../../delivery/types.js';
import { lastModifiedOf, evaluatePreconditions, type Validators } from './conditional.js';
import { compress, CompressionCache, MIN_COMPRESS_BYTES, negotiateCoding, type Coding } from './compress.js';
import { appendVary } from './cors.js';
import { codedEtag } from './etag.js';
import { decideRange } from './range.js';
import { sendText } from './respond.js';

/**
 * One representation as the media route hands it over.
 *
 * @example
 * const r: Representation = { contentType: 'video/mp4', cacheControl: IMMUTABLE, etag: bufferEtag(init), mtimeMs: Date.now(), size: init.length, buffer: init };
 */
export interface Representation {
  contentType: string;
  cacheControl: string;
  /** strong entity tag of the stored (identity) bytes, quoted */
  etag: string;
  /** last modification in ms; NaN: none sent */
  mtimeMs: number;
  size: number;
  /** the whole body, when in memory (required for compression) */
  buffer?: Buffer;
  /** the body or a range of it, read from the store (required without `buffer`) */
  stream?(range?: ByteRange): Readable;
  /**
   * absent: never compressed (segments); `{ cache }`: gzip/br on request,
   * kept in `cache`; `{}`: compressed per request (a per-viewer manifest)
   */
  compression?: { cache?: CompressionCache };
}

const isPrematureClose = (e: unknown): boolean => (e as NodeJS.ErrnoException)?.code === 'ERR_STREAM_PREMATURE_CLOSE';

/**
 * Answers a GET or HEAD for `r`: 304/412 from the preconditions, 206/416
 * for a Range (identity only: a Range request is never compressed), 200
 * otherwise, compressed when `r.compression` allows, the body is at least
 * {@link MIN_COMPRESS_BYTES} and the client asks. Each coding has its own
 * ETag. HEAD sends the same headers (and Content-Length) without a body.
 *
 * @example
 * await sendRepresentation(req, res, { contentType: 'video/iso.segment', cacheControl: IMMUTABLE, etag, mtimeMs, size, buffer, stream });
 */
export async function sendRepresentation(req: IncomingMessage, res: ServerResponse, r: Representation): Promise<void> {
  const headers: OutgoingHttpHeaders = { 'Content-Type': r.contentType, 'Cache-Control': r.cacheControl, 'Accept-Ranges': 'bytes', 'X-Content-Type-Options': 'nosniff' };
  let coding: Coding = 'identity';
  if (r.compression) {
    res.setHeader('Vary', appendVary(res.getHeader('Vary'), 'Accept-Encoding'));
    const ranged = req.method === 'GET' && req.headers.range !== undefined;
    if (r.buffer && r.size >= MIN_COMPRESS_BYTES && !ranged) coding = negotiateCoding(req);
  }
  const lastModified = lastModifiedOf(r.mtimeMs);
  const v: Validators = { etag: codedEtag(r.etag, coding), ...(lastModified !== undefined ? { lastModified } : {}) };
  headers.ETag = v.etag;
  if (lastModified !== undefined) headers['Last-Modified'] = new Date(lastModified).toUTCString();

  const pre = evaluatePreconditions(req, v);
  if (pre === 412) return sendText(req, res, 412, 'precondition failed');
  if (pre === 304) {
    const { 'Content-Type': _t, 'Accept-Ranges': _a, 'X-Content-Type-Options': _x, ...kept } = headers;
    res.writeHead(304, kept).end();
    return;
  }

  if (coding !== 'identity') {
    const data = r.buffer!;
    const body = await (r.compression!.cache ? r.compression!.cache.get(r.etag, coding, data) : compress(data, coding));
    res.writeHead(200, { ...headers, 'Content-Encoding': coding, 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }

  const d = decideRange(req, r.size, v);
  if (d.kind === 'unsatisfiable') return sendText(req, res, 416, `range not satisfiable (size ${r.size})`, { 'Content-Range': `bytes */${r.size}` });
  const range = d.kind === 'partial' ? d.range : undefined;
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${r.size}`;
  headers['Content-Length'] = range ? range.end - range.start + 1 : r.size;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD') return void res.end();
  if (r.buffer) return void res.end(range ? r.buffer.subarray(range.start, range.end + 1) : r.buffer);
  try {
    await pipeline(r.stream!(range), res);
  } catch (e) {
    if (!isPrematureClose(e)) throw e; // the client went away: nothing to report
  }
}

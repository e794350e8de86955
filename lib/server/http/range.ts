/**
 * Byte ranges (RFC 9110 §14) for GET: one range → 206; several that
 * overlap or touch are merged first, and if several remain the whole
 * representation is sent with 200 (a server may ignore Range; multipart
 * bodies buy players nothing); none satisfiable → 416. A malformed Range
 * (also `bytes=5-2`: an invalid range-spec, RFC 9110 §14.1.1), another
 * unit, or an If-Range that no longer matches → 200.
 */
import type { IncomingMessage } from 'node:http';
import rangeParser from 'range-parser';
import type { ByteRange } from '../../delivery/types.js';
import type { Validators } from './conditional.js';
import { strongMatch } from './etag.js';

/**
 * What to send of a representation of a known size.
 *
 * @example
 * const d: RangeDecision = { kind: 'partial', range: { start: 0, end: 99 } };
 */
export type RangeDecision = { kind: 'full' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

const SPEC = /^\s*(\d*)\s*-\s*(\d*)\s*$/;

/** Every range-spec of a `bytes=` value is well-formed: `a-b` with a ≤ b, `a-`, or `-n`. */
function wellFormed(header: string): boolean {
  const eq = header.indexOf('=');
  return header.slice(eq + 1).split(',').every((part) => {
    const m = SPEC.exec(part);
    if (!m || (m[1] === '' && m[2] === '')) return false;
    return m[1] === '' || m[2] === '' || Number(m[1]) <= Number(m[2]);
  });
}

/**
 * True when `If-Range` (absent: true) still names this representation: a
 * strong tag equal to its ETag, or exactly its Last-Modified date.
 */
function ifRangeHolds(value: string | undefined, v: Validators): boolean {
  if (value === undefined) return true;
  const s = value.trim();
  if (s.startsWith('"') || s.startsWith('W/')) return strongMatch(s, v.etag);
  const date = Date.parse(s);
  return v.lastModified !== undefined && !Number.isNaN(date) && date === v.lastModified;
}

/**
 * Decides what a request's `Range` asks of a representation of `size`
 * bytes with validators `v`. Only GET has ranges (RFC 9110 §14.2); HEAD and
 * others get 'full'.
 *
 * @example
 * decideRange(req, 1000, { etag }); // { kind: 'partial', range: { start: 0, end: 99 } } for `Range: bytes=0-99`
 */
export function decideRange(req: IncomingMessage, size: number, v: Validators): RangeDecision {
  const header = req.headers.range;
  if (req.method !== 'GET' || typeof header !== 'string') return { kind: 'full' };
  const ifRange = req.headers['if-range'];
  if (!ifRangeHolds(typeof ifRange === 'string' ? ifRange : undefined, v)) return { kind: 'full' };
  if (!wellFormed(header)) return { kind: 'full' };
  const ranges = rangeParser(size, header, { combine: true });
  if (ranges === -2) return { kind: 'full' };
  if (ranges === -1) return { kind: 'unsatisfiable' };
  if (ranges.type !== 'bytes' || ranges.length !== 1) return { kind: 'full' };
  return { kind: 'partial', range: { start: ranges[0]!.start, end: ranges[0]!.end } };
}

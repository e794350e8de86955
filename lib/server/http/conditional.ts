/**
 * Conditional requests (RFC 9110 §13.2.2), in the order the RFC gives:
 * If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since. If-Range
 * belongs to range handling (range.ts) but uses the same validators.
 */
import type { IncomingMessage } from 'node:http';
import { strongMatch, weakMatch } from './etag.js';

/**
 * The validators of the representation a response would carry.
 *
 * @example
 * const v: Validators = { etag: '"8-abc"', lastModified: Date.parse('2026-01-01T00:00:00Z') };
 */
export interface Validators {
  /** strong entity tag, quoted */
  etag: string;
  /** Last-Modified in ms (whole seconds) when one is sent: see {@link lastModifiedOf} */
  lastModified?: number;
}

/**
 * The Last-Modified to send for an object modified at `mtimeMs`, or
 * undefined. HTTP dates have whole seconds, so a date is only a validator
 * once its second is over: a live playlist rewritten twice within one
 * second would otherwise answer 304 with the older version (RFC 9110 §8.8.2.2).
 *
 * @example
 * lastModifiedOf(Date.now() - 5000); // the time, rounded down to its second
 * lastModifiedOf(Date.now());        // undefined: it may still change this second
 */
export function lastModifiedOf(mtimeMs: number, now = Date.now()): number | undefined {
  if (!Number.isFinite(mtimeMs)) return undefined;
  const whole = Math.floor(mtimeMs / 1000) * 1000;
  return now >= whole + 1000 ? whole : undefined;
}

const dateOf = (v: string | undefined): number => (v ? Date.parse(v) : Number.NaN);

/**
 * What the preconditions of `req` make of a GET/HEAD on an existing
 * representation: 'ok' (answer normally), 304 (not modified) or 412.
 *
 * @example
 * if (evaluatePreconditions(req, { etag }) === 304) return notModified();
 */
export function evaluatePreconditions(req: IncomingMessage, v: Validators): 'ok' | 304 | 412 {
  const h = req.headers;
  if (typeof h['if-match'] === 'string') {
    if (!strongMatch(h['if-match'], v.etag)) return 412;
  } else if (v.lastModified !== undefined) {
    const since = dateOf(h['if-unmodified-since']);
    if (!Number.isNaN(since) && v.lastModified > since) return 412;
  }
  if (typeof h['if-none-match'] === 'string') return weakMatch(h['if-none-match'], v.etag) ? 304 : 'ok';
  if (v.lastModified !== undefined) {
    const since = dateOf(h['if-modified-since']);
    if (!Number.isNaN(since) && v.lastModified <= since) return 304;
  }
  return 'ok';
}

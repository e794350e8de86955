/**
 * The one place a request URL becomes a path: every HTTP route of the live
 * server goes through {@link resolveRequestPath}, so no handler ever sees an
 * undecoded, doubly decoded or escaping path. The result's segments are
 * also valid store-key segments (see lib/delivery/store-key.ts), which checks
 * keys again before any store call.
 */

/** Longest raw request path (before the query) accepted. */
export const MAX_REQUEST_PATH = 1024;
/** Most '/'-separated segments a request path may have. */
const MAX_SEGMENTS = 16;

/** A request path that may be routed: decoded once, every segment checked. */
export interface RoutedPath {
  ok: true;
  /** the decoded path, always starting with '/' */
  path: string;
  /** its segments: none empty, none '.', '..' or hidden, no '%', '\\', NUL or control characters */
  segments: string[];
}

/** A request path that must not be routed, with the status to answer. */
export interface RefusedPath {
  ok: false;
  status: 400 | 404;
  reason: string;
}

// Escapes that decode to a dot, a separator, a backslash, a NUL or a percent
// sign: a path that needs one of them is an attack or a double encoding.
const DANGEROUS_ESCAPE = /%(2e|2f|5c|00|25)/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

// `http://authority` or `https://authority` at the start of an absolute-form target
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

const refuse = (status: 400 | 404, reason: string): RefusedPath => ({ ok: false, status, reason });

/**
 * Turns `req.url` into a routable path, or says why not. An absolute-form
 * target (`http://host/live/…`) counts by its path; the query string is
 * dropped; the path is percent-decoded exactly once. Refused with 400:
 * neither a leading '/' nor an http(s) URL (`*`, authority-form), longer
 * than {@link MAX_REQUEST_PATH}, malformed or dangerous escapes (`%2e` `%2f`
 * `%5c` `%00` `%25`: overlong UTF-8 such as `%c0%ae` is malformed),
 * backslashes, NUL and other control characters, empty segments (`//`),
 * '.' and '..' segments, too many segments. Refused with 404: hidden segments (`.name`). `/` itself routes
 * with no segments.
 *
 * @example
 * resolveRequestPath('/live/cam1/master.m3u8?x=1'); // { ok: true, path: '/live/cam1/master.m3u8', segments: ['live', 'cam1', 'master.m3u8'] }
 * resolveRequestPath('/live/../../etc/passwd');     // { ok: false, status: 400, reason: "'..' segment" }
 */
export function resolveRequestPath(url: string | undefined): RoutedPath | RefusedPath {
  if (typeof url !== 'string') return refuse(400, 'no request target');
  // absolute-form (RFC 9112 §3.2.2: a server must accept it): only its path counts, checked like any other
  const origin = ABSOLUTE_FORM.exec(url);
  if (origin) url = url.length === origin[0].length || url[origin[0].length] !== '/' ? `/${url.slice(origin[0].length)}` : url.slice(origin[0].length);
  if (!url.startsWith('/')) return refuse(400, 'the request target must be a path starting with / (or an http(s) URL)');
  const end = url.search(/[?#]/);
  const raw = end < 0 ? url : url.slice(0, end);
  if (raw.length > MAX_REQUEST_PATH) return refuse(400, `path longer than ${MAX_REQUEST_PATH} characters`);
  if (DANGEROUS_ESCAPE.test(raw)) return refuse(400, 'encoded dot, slash, backslash, NUL or percent sign');
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return refuse(400, 'malformed percent-encoding');
  }
  if (path.includes('\\')) return refuse(400, 'backslash');
  if (CONTROL.test(path)) return refuse(400, 'NUL or control character');
  if (path === '/') return { ok: true, path, segments: [] };
  const segments = path.slice(1).split('/');
  if (segments.length > MAX_SEGMENTS) return refuse(400, `more than ${MAX_SEGMENTS} segments`);
  for (const s of segments) {
    if (s === '') return refuse(400, 'empty segment');
    if (s === '.' || s === '..') return refuse(400, `'${s}' segment`);
    if (s.startsWith('.')) return refuse(404, 'hidden name');
  }
  return { ok: true, path, segments };
}

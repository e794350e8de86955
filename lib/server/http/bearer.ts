/**
 * Bearer tokens for the API and `/metrics` (RFC 6750 §2.1: the
 * `Authorization: Bearer <token>` header only — a token in a query string
 * ends up in logs). One token, or two while one replaces the other.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The `realm` every challenge names.
 *
 * @example
 * res.setHeader('WWW-Authenticate', `Bearer realm="${BEARER_REALM}"`);
 */
export const BEARER_REALM = 'ffnode';

/** A refused request: the status and the `WWW-Authenticate` challenge to answer with. */
export interface BearerRefusal {
  ok: false;
  /** 401: no or a wrong token; 400: a malformed Authorization header */
  status: 400 | 401;
  challenge: string;
  error: string;
}

/**
 * Decides whether a request carries one of the configured tokens.
 *
 * @example
 * const check: BearerCheck = bearerCheck('a-token-of-16-chars')!;
 * check(req); // { ok: true } or { ok: false, status: 401, challenge: 'Bearer realm="ffnode"', error: '…' }
 */
export type BearerCheck = (req: IncomingMessage) => { ok: true } | BearerRefusal;

// RFC 6750 §2.1 asks for b64token characters; any visible ASCII is taken
// (an operator's token with '!' or '@' still works), never a space.
const TOKEN = /^[\x21-\x7e]+$/;
const SCHEME = /^Bearer(?: |$)/i;
const CREDENTIALS = /^Bearer +([\x21-\x7e]+) *$/i;

// Fixed-length digests: comparing them takes the same time whatever the
// lengths and contents of the presented and the configured tokens.
const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * The check for `token` (one, or two during a rotation; each visible
 * ASCII, no spaces); undefined when there is no token (the endpoint is
 * open). Every configured token is compared, in constant time, whichever
 * matches.
 *
 * @example
 * const check = bearerCheck(['new-token-abcdefgh', 'old-token-abcdefgh']);
 * const v = check!(req);
 * if (!v.ok) res.writeHead(v.status, { 'WWW-Authenticate': v.challenge }).end();
 */
export function bearerCheck(token: string | readonly string[] | undefined): BearerCheck | undefined {
  if (token === undefined) return undefined;
  const tokens = typeof token === 'string' ? [token] : [...token];
  if (tokens.length < 1 || tokens.length > 2 || tokens.some((t) => typeof t !== 'string' || !TOKEN.test(t)))
    throw new TypeError('bearer token: one string of visible ASCII characters (no spaces), or two during a rotation');
  const expected = tokens.map(digest);
  const refuse = (status: 400 | 401, code: string | null, error: string): BearerRefusal => ({
    ok: false, status, error,
    challenge: `Bearer realm="${BEARER_REALM}"${code ? `, error="${code}", error_description="${error}"` : ''}`,
  });
  return (req) => {
    const header = req.headers.authorization;
    // No bearer credentials (none, or another scheme): the bare challenge
    // (RFC 6750 §3.1 asks for no error code then).
    if (header === undefined || !SCHEME.test(header)) return refuse(401, null, 'a bearer token is required');
    const m = CREDENTIALS.exec(header);
    if (!m) return refuse(400, 'invalid_request', 'the Authorization header must be "Bearer <token>"');
    const presented = digest(m[1]!);
    let match = false;
    for (const e of expected) match = timingSafeEqual(presented, e) || match;
    return match ? { ok: true } : refuse(401, 'invalid_token', 'the bearer token is not valid');
  };
}

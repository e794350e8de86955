/**
 * Signed URLs: `?exp=<unix seconds>&sig=<base64url HMAC-SHA256>` over
 * `<resource>:<exp>`, where the resource is `/<app>/<name>` (publish) or
 * `/<app>/<name>/` (playback: anything under the stream). One scheme for
 * both; see docs/server/auth.md.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Why a token was not accepted.
 *
 * @example
 * const why: TokenFailure = 'expired';
 */
export type TokenFailure = 'missing token' | 'malformed token' | 'expired' | 'bad signature';

/**
 * The outcome of {@link verifyToken}: the accepted `exp` and `sig`, or why not.
 *
 * @example
 * const v: TokenVerdict = { ok: false, reason: 'bad signature' };
 */
export type TokenVerdict = { ok: true; exp: string; sig: string } | { ok: false; reason: TokenFailure };

/**
 * Shortest secret accepted (the config file asks the same): an HMAC key is only as strong as its guessability.
 *
 * @example
 * if (secret.length < MIN_SECRET_LENGTH) throw new Error('secret too short');
 */
export const MIN_SECRET_LENGTH = 16;

// exp: decimal unix seconds, 1..12 digits (year 33658 and beyond need not be
// signed). sig: exactly the unpadded base64url of 32 bytes — 43 characters
// whose last one carries 2 zero bits (so one digest has one spelling); a
// trailing '=' (padded base64url) is tolerated. Both shapes are public, so
// refusing another length reveals nothing about the secret.
const EXP = /^[0-9]{1,12}$/;
const SIG = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]=?$/;

/**
 * The signature of `resource` until `exp`: base64url (no padding) of
 * HMAC-SHA256(secret, `${resource}:${exp}`).
 *
 * @example
 * signPath('a-long-random-secret', '/live/cam1', 1767225600); // 'x2J…' (43 characters)
 */
export function signPath(secret: string, resource: string, exp: number | string): string {
  return createHmac('sha256', secret).update(`${resource}:${exp}`).digest('base64url');
}

/**
 * Checks a secret or a rotation pair (1–2 strings of at least
 * {@link MIN_SECRET_LENGTH} characters) and returns it as a list; `what`
 * names the option in the error.
 *
 * @example
 * secretList(['new-secret-0123456789', 'old-secret-0123456789'], 'playbackSecret'); // both, as given
 */
export function secretList(value: string | readonly string[], what: string): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length < 1 || list.length > 2)
    throw new TypeError(`${what} must be a secret or a list of two (during a rotation)`);
  for (const s of list)
    if (typeof s !== 'string' || s.length < MIN_SECRET_LENGTH) throw new TypeError(`${what}: each secret must be a string of at least ${MIN_SECRET_LENGTH} characters`);
  return Object.freeze([...list]);
}

/** One value of `name`, or why not: absent, or repeated (never guess which one was meant). */
function single(query: URLSearchParams, name: string): string | null | 'repeated' {
  const all = query.getAll(name);
  if (all.length > 1) return 'repeated';
  return all[0] ?? null;
}

/**
 * Verifies the `exp`/`sig` pair in `query` for `resource` against each
 * secret (a rotation accepts either). The digests are compared in constant
 * time (every secret is tried, no early exit), and only a genuine token is
 * reported as 'expired'. `now` is in unix seconds.
 *
 * @example
 * verifyToken([secret], '/live/cam1/', new URLSearchParams('exp=1767225600&sig=…'), Date.now() / 1000);
 * // { ok: true, exp: '1767225600', sig: '…' } or { ok: false, reason: 'bad signature' }
 */
export function verifyToken(secrets: readonly string[], resource: string, query: URLSearchParams | string, now: number = Date.now() / 1000): TokenVerdict {
  const q = typeof query === 'string' ? new URLSearchParams(query) : query;
  const exp = single(q, 'exp');
  const sig = single(q, 'sig');
  if (exp === null && sig === null) return { ok: false, reason: 'missing token' };
  if (exp === null || sig === null || exp === 'repeated' || sig === 'repeated' || !EXP.test(exp) || !SIG.test(sig)) return { ok: false, reason: 'malformed token' };
  const presented = Buffer.from(sig.replace(/=$/, ''), 'base64url');
  if (presented.length !== 32) return { ok: false, reason: 'malformed token' }; // cannot happen after SIG; kept so the compare below never throws
  let match = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(`${resource}:${exp}`).digest();
    match = timingSafeEqual(expected, presented) || match;
  }
  if (!match) return { ok: false, reason: 'bad signature' };
  if (Number(exp) <= now) return { ok: false, reason: 'expired' };
  return { ok: true, exp, sig: sig.replace(/=$/, '') };
}

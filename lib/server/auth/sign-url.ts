/**
 * `signUrl()`: adds `exp` and `sig` to a publish or playback URL, the way
 * the server checks them (see docs/server/auth.md).
 */
import { signPath } from './token.js';

/**
 * Options of {@link signUrl}.
 *
 * @example
 * const o: SignUrlOptions = { expiresIn: 600, kind: 'playback' };
 */
export interface SignUrlOptions {
  /** seconds from now until the URL stops working (default 3600) */
  expiresIn?: number;
  /** absolute expiry in unix seconds (overrides expiresIn) */
  exp?: number;
  /**
   * 'publish' signs `/<app>/<name>`, 'playback' signs `/<app>/<name>/`
   * (everything under the stream). Default: 'publish' for rtmp:// and
   * rtmps:// URLs and for http(s) URLs of exactly `/<app>/<name>[.ts|.flv]`
   * (an HTTP push), 'playback' for any other http(s) URL.
   */
  kind?: 'playback' | 'publish';
  /** the path the handler is mounted under (Express `app.use('/tv', …)`): not part of the signed resource */
  mount?: string;
}

// The extensions an HTTP push URL may carry (see ingest/http-push.ts): the stream name is without them.
const PUSH_EXT = /\.(ts|m2ts|mts|flv)$/i;

/**
 * Signs a URL: returns it with `exp=<unix seconds>&sig=<base64url HMAC>`
 * in its query (any `exp`/`sig` already there replaced, other parameters
 * kept). For RTMP the query goes on the stream name, as publishers send it.
 * `secret` may be a rotation pair: the first one signs.
 *
 * @example
 * signUrl('rtmp://host/live/cam1', publishSecret, { expiresIn: 3600 });
 * // 'rtmp://host/live/cam1?exp=1767229200&sig=…' (ffmpeg -f flv '<that URL>')
 * signUrl('https://tv.example.com/live/cam1/master.m3u8', playbackSecret, { expiresIn: 600 });
 * // 'https://tv.example.com/live/cam1/master.m3u8?exp=…&sig=…' (every file under live/cam1/)
 */
export function signUrl(url: string, secret: string | readonly string[], options: SignUrlOptions = {}): string {
  const key = typeof secret === 'string' ? secret : secret[0];
  if (typeof key !== 'string' || key === '') throw new TypeError('signUrl: secret must be a non-empty string (or a list whose first one signs)');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`signUrl: not an absolute URL: ${JSON.stringify(url)}`);
  }
  const scheme = u.protocol.replace(/:$/, '').toLowerCase();
  if (!['rtmp', 'rtmps', 'http', 'https'].includes(scheme)) throw new TypeError(`signUrl: expected an rtmp(s):// or http(s):// URL, got ${scheme}://`);

  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    throw new TypeError(`signUrl: the path of ${JSON.stringify(url)} has a bad %-escape`);
  }
  const mount = (options.mount ?? '').replace(/\/+$/, '');
  if (mount) {
    if (!path.startsWith(`${mount}/`)) throw new RangeError(`signUrl: ${JSON.stringify(path)} is not under the mount path ${JSON.stringify(mount)}`);
    path = path.slice(mount.length);
  }
  const parts = path.replace(/^\//, '').split('/');
  const isPushShape = parts.length === 2 && parts[1] !== '';
  const kind = options.kind ?? (scheme.startsWith('rtmp') || isPushShape ? 'publish' : 'playback');
  if (!parts[0] || !parts[1]) throw new RangeError(`signUrl: ${JSON.stringify(path)} names no stream (expected /<app>/<name>…)`);
  let resource: string;
  if (kind === 'publish') {
    if (!isPushShape) throw new RangeError(`signUrl: a publish URL is /<app>/<name>, got ${JSON.stringify(path)}`);
    const name = scheme.startsWith('http') ? parts[1]!.replace(PUSH_EXT, '') : parts[1]!;
    resource = `/${parts[0]}/${name}`;
  } else if (kind === 'playback') {
    resource = `/${parts[0]}/${parts[1]}/`;
  } else {
    throw new TypeError(`signUrl: kind must be 'playback' or 'publish', got ${JSON.stringify(kind)}`);
  }

  let exp: number;
  if (options.exp !== undefined) exp = options.exp;
  else {
    const ttl = options.expiresIn ?? 3600;
    if (!(Number.isFinite(ttl) && ttl > 0)) throw new RangeError(`signUrl: expiresIn must be a positive number of seconds, got ${ttl}`);
    exp = Math.floor(Date.now() / 1000 + ttl);
  }
  if (!(Number.isSafeInteger(exp) && exp > 0 && exp < 1e12)) throw new RangeError(`signUrl: exp must be a positive integer of unix seconds, got ${exp}`);

  u.searchParams.delete('exp');
  u.searchParams.delete('sig');
  u.searchParams.append('exp', String(exp));
  u.searchParams.append('sig', signPath(key, resource, exp));
  return u.href;
}

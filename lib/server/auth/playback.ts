/**
 * Signed playback: every request under `/<app>/<name>/` carries
 * `?exp=<unix seconds>&sig=<base64url HMAC-SHA256>`; see docs/server/auth.md.
 */
import { secretList, verifyToken } from './token.js';

export { carryToken, carriesToken, type CarryScope } from './carry.js';

/**
 * The outcome of checking one request's token.
 *
 * @example
 * const c: PlaybackCheck = { ok: true, carry: 'exp=1767225600&sig=…' };
 */
export type PlaybackCheck = { ok: true; carry: string } | { ok: false; reason: string };

/**
 * Checks playback tokens.
 *
 * @example
 * const auth: PlaybackAuth = createPlaybackAuth(secret);
 */
export interface PlaybackAuth {
  /**
   * Checks the token in `query` for stream `<app>/<name>`; on success `carry`
   * is the query text (`exp=…&sig=…`) to append to every URI written into
   * the manifests served for this request. `now` is in unix seconds.
   */
  check(streamPath: string, query: URLSearchParams, now?: number): PlaybackCheck;
}

/**
 * Creates a playback checker from one secret, or two during a rotation
 * (either validates). The resource signed is `/<app>/<name>/`: one token
 * opens every file of that stream and nothing else. The carry is rebuilt
 * from the checked values only, so other query parameters never propagate.
 *
 * @example
 * const auth = createPlaybackAuth([newSecret, oldSecret]);
 * auth.check('live/cam1', new URLSearchParams('exp=1767225600&sig=…')); // { ok: true, carry: 'exp=1767225600&sig=…' }
 */
export function createPlaybackAuth(secrets: string | readonly string[]): PlaybackAuth {
  const keys = secretList(secrets, 'playbackSecret');
  return {
    check(streamPath, query, now) {
      const v = verifyToken(keys, `/${streamPath}/`, query, now);
      return v.ok ? { ok: true, carry: `exp=${v.exp}&sig=${v.sig}` } : { ok: false, reason: v.reason };
    },
  };
}

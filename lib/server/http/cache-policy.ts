/**
 * Cache-Control for each kind of media response, decided from the content
 * for manifests (see docs/delivery/http.md, "Caching"):
 *
 * - init and media segments never change under their name: a year, immutable;
 * - a live media playlist: at most half its target duration (Apple's HLS
 *   authoring rule), `no-cache` when that is under a second;
 * - a dynamic MPD: half its `minimumUpdatePeriod`, else `no-cache`;
 * - a master playlist: `no-cache` (a rendition may join a live ladder);
 * - `EXT-X-PLAYLIST-TYPE:VOD` (can never change, RFC 8216 §4.3.3.5): a day;
 * - other ended manifests (`EXT-X-ENDLIST`, a static MPD): a minute — a
 *   recorded live stream ends as one, and the next publish on its path
 *   replaces it, so caches must notice soon;
 * - a manifest carrying a playback token: `private, no-cache` (per viewer).
 */
import type { MediaKind } from './media-types.js';

/** What segments and init segments get. */
export const IMMUTABLE = 'max-age=31536000, immutable';
/** What a VOD media playlist gets. */
export const VOD_PLAYLIST = 'max-age=86400';
/** What an ended (non-VOD) playlist or a static MPD gets. */
export const ENDED_MANIFEST = 'max-age=60';
/** What a manifest rewritten for one viewer (a carried token) gets. */
export const PRIVATE_MANIFEST = 'private, no-cache';

// at most half of `seconds` in whole seconds; below one second: revalidate every time
const halfOf = (seconds: number): string => {
  const s = Math.floor(seconds / 2);
  return Number.isFinite(s) && s >= 1 ? `max-age=${s}` : 'no-cache';
};

/** Seconds of an xs:duration such as `PT2S` or `PT1M0.5S` (NaN when it is none). */
function isoSeconds(d: string): number {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(d);
  if (!m || d === 'PT') return Number.NaN;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/**
 * The Cache-Control of a response of `kind`; `text` is the manifest's text
 * (playlists and MPDs only).
 *
 * @example
 * cacheControlFor('segment');                                        // 'max-age=31536000, immutable'
 * cacheControlFor('playlist', '#EXTM3U\n#EXT-X-TARGETDURATION:4\n'); // 'max-age=2'
 */
export function cacheControlFor(kind: MediaKind, text = ''): string {
  if (kind === 'init' || kind === 'segment') return IMMUTABLE;
  if (kind === 'playlist') {
    if (/^#EXT-X-(?:I-FRAME-)?STREAM-INF:/m.test(text)) return 'no-cache';
    if (/^#EXT-X-PLAYLIST-TYPE:VOD\s*$/m.test(text)) return VOD_PLAYLIST;
    if (/^#EXT-X-ENDLIST\s*$/m.test(text)) return ENDED_MANIFEST;
    const td = /^#EXT-X-TARGETDURATION:(\d+)\s*$/m.exec(text);
    return td ? halfOf(Number(td[1])) : 'no-cache';
  }
  const root = /<MPD\b[^>]*>/.exec(text)?.[0] ?? '';
  if (!/\stype\s*=\s*["']dynamic["']/.test(root)) return root ? ENDED_MANIFEST : 'no-cache';
  const mup = /\sminimumUpdatePeriod\s*=\s*["']([^"']*)["']/.exec(root);
  return mup ? halfOf(isoSeconds(mup[1]!)) : 'no-cache';
}

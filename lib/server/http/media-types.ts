/**
 * What each servable store key is: its Content-Type and its kind, which
 * decides caching and compression. The kind comes from the extension and,
 * for manifests, from the content (a live playlist has no ENDLIST, a live
 * MPD is `type="dynamic"`).
 */

/** A served file's kind. */
export type MediaKind = 'playlist' | 'mpd' | 'init' | 'segment';

/** How one extension is served. */
export interface MediaType {
  contentType: string;
  kind: MediaKind;
}

const TYPES: Readonly<Record<string, MediaType>> = {
  '.m3u8': { contentType: 'application/vnd.apple.mpegurl', kind: 'playlist' },
  '.mpd': { contentType: 'application/dash+xml', kind: 'mpd' },
  '.mp4': { contentType: 'video/mp4', kind: 'init' },
  '.m4s': { contentType: 'video/iso.segment', kind: 'segment' },
  '.ts': { contentType: 'video/mp2t', kind: 'segment' },
};

/**
 * The media type of a store key by its extension; undefined for anything not served.
 *
 * @example
 * mediaTypeOf('live/cam1/v720p/init.mp4'); // { contentType: 'video/mp4', kind: 'init' }
 */
export function mediaTypeOf(key: string): MediaType | undefined {
  const dot = key.lastIndexOf('.');
  return dot > key.lastIndexOf('/') ? TYPES[key.slice(dot)] : undefined;
}

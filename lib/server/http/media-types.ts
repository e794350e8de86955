/**
 * What each servable store key is: its Content-Type and its kind, which
 * decides caching and compression (cache-policy.ts reads manifests to tell
 * live from ended). Audio renditions' CMAF files are `audio/mp4`: the
 * rendition folder says so (`a128k/…`, the id AudioRendition gives).
 */

/** A served file's kind. */
export type MediaKind = 'playlist' | 'mpd' | 'init' | 'segment';

/** How one key is served. */
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

const AUDIO_INIT: MediaType = { contentType: 'audio/mp4', kind: 'init' };
const AUDIO_SEGMENT: MediaType = { contentType: 'audio/mp4', kind: 'segment' };

// The folder AudioRendition names its rendition: `a<kbit/s>k`.
const AUDIO_FOLDER = /^a\d+k$/;

/**
 * The media type of a store key by its extension (and, for CMAF files, its
 * rendition folder); undefined for anything not served.
 *
 * @example
 * mediaTypeOf('live/cam1/v720p/init.mp4');   // { contentType: 'video/mp4', kind: 'init' }
 * mediaTypeOf('live/cam1/a128k/seg_3.m4s');  // { contentType: 'audio/mp4', kind: 'segment' }
 */
export function mediaTypeOf(key: string): MediaType | undefined {
  const slash = key.lastIndexOf('/');
  const dot = key.lastIndexOf('.');
  const type = dot > slash ? TYPES[key.slice(dot)] : undefined;
  if (!type || (type.kind !== 'init' && type.kind !== 'segment') || type.contentType === 'video/mp2t') return type;
  const folder = key.slice(key.lastIndexOf('/', slash - 1) + 1, slash);
  if (!AUDIO_FOLDER.test(folder)) return type;
  return type.kind === 'init' ? AUDIO_INIT : AUDIO_SEGMENT;
}

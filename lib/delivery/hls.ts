/**
 * HLS playlists (RFC 8216) rendered from plain data: pure functions, no I/O,
 * so every rule below is testable without a pipeline. `Presentation` decides
 * what goes in; these functions decide how it is written.
 */
import type { Bandwidth } from './bandwidth.js';
import type { Rendition } from './types.js';

/**
 * One media segment line of a media playlist.
 *
 * @example
 * const s: PlaylistSegment = { uri: 'seg_12.m4s', duration: 6.006, programDateTime: new Date() };
 */
export interface PlaylistSegment {
  /** URI relative to the playlist, e.g. 'seg_12.m4s' */
  uri: string;
  /** seconds */
  duration: number;
  /** a timestamp/format discontinuity before this segment */
  discontinuity?: boolean;
  /** wall-clock time of the segment's first sample (written as EXT-X-PROGRAM-DATE-TIME) */
  programDateTime?: Date;
  /**
   * URI of the init segment this segment needs, when it differs from the
   * one before it (a new init version): a new EXT-X-MAP is written before
   * the segment. The segment must also carry `discontinuity` (RFC 8216
   * §4.3.2.5: a new EXT-X-MAP changes the encoding parameters).
   */
  map?: string;
}

/**
 * What a media playlist lists and how.
 *
 * @example
 * const o: MediaPlaylistOptions = { segments, mediaSequence: 6, targetDuration: 6 }; // a live window
 */
export interface MediaPlaylistOptions {
  segments: readonly PlaylistSegment[];
  /** media sequence number of the first listed segment (default 0) */
  mediaSequence?: number;
  /** discontinuity sequence number of the first listed segment: discontinuities that slid out of a live window (default 0) */
  discontinuitySequence?: number;
  /**
   * a floor for EXT-X-TARGETDURATION, in seconds; the rendered value is
   * never below what the listed segments require, unless
   * `fixedTargetDuration` says to write exactly this value
   */
  targetDuration?: number;
  /**
   * write `targetDuration` as given even when a listed segment rounds above
   * it: a live or EVENT playlist's target must never change (§6.2.1), so
   * the caller fixes it once and reports longer segments itself
   */
  fixedTargetDuration?: boolean;
  /** 'VOD' or 'EVENT'; none for a live sliding window */
  playlistType?: 'VOD' | 'EVENT';
  /** writes EXT-X-ENDLIST: no segment will be added */
  ended?: boolean;
  /** URI of the fMP4 init segment (EXT-X-MAP), relative to the playlist; none for MPEG-TS */
  map?: string;
  /** every segment starts with a keyframe and decodes on its own (EXT-X-INDEPENDENT-SEGMENTS); default true */
  independentSegments?: boolean;
  /** writes EXT-X-PROGRAM-DATE-TIME for segments that carry one (default true) */
  programDateTime?: boolean;
}

/**
 * The lowest EXT-X-VERSION a media playlist written by `renderMediaPlaylist`
 * may declare (RFC 8216 §7): EXTINF durations are always decimal (≥ 3), and
 * EXT-X-MAP in a playlist that is not I-frames-only needs 6 (5 would do
 * only with EXT-X-I-FRAMES-ONLY, which ffnode does not write).
 *
 * @example
 * mediaPlaylistVersion({ map: true });  // 6 (CMAF)
 * mediaPlaylistVersion({ map: false }); // 3 (MPEG-TS)
 */
export function mediaPlaylistVersion(o: { map: boolean }): number {
  return o.map ? 6 : 3;
}

/**
 * EXTINF value as written: seconds with 3 decimals. Players sum these to
 * place segments, so the precision must not drift over long playlists.
 *
 * @example
 * formatExtinf(6.00640001); // '6.006'
 */
export function formatExtinf(seconds: number): string {
  return seconds.toFixed(3);
}

/**
 * The smallest legal EXT-X-TARGETDURATION for these segment durations:
 * RFC 8216 §4.3.3.1 requires each EXTINF, rounded to the nearest integer,
 * to be ≤ the target. Rounding (not ceil) is the rule: 29.97 fps segments
 * of 6.006 s get 6, not 7, which would make players hold back a second
 * more from the live edge. Half rounds up (6.5 → 7). Never below 1, nor
 * below `floor` (rounded up to an integer).
 *
 * @example
 * hlsTargetDuration([6.006, 6.006, 2.5]); // 6
 * hlsTargetDuration([6.5]);               // 7
 * hlsTargetDuration([1.2], 4);            // 4
 */
export function hlsTargetDuration(durations: Iterable<number>, floor = 1): number {
  let t = Math.max(1, Math.ceil(floor));
  for (const d of durations) t = Math.max(t, Math.round(Number(formatExtinf(d))));
  return t;
}

/**
 * Renders a media playlist.
 *
 * @example
 * renderMediaPlaylist({
 *   segments: [{ uri: 'seg_0.m4s', duration: 6 }, { uri: 'seg_1.m4s', duration: 4.5 }],
 *   map: 'init.mp4', playlistType: 'VOD', ended: true,
 * });
 * // #EXTM3U
 * // #EXT-X-VERSION:6
 * // #EXT-X-TARGETDURATION:6
 * // #EXT-X-MEDIA-SEQUENCE:0
 * // #EXT-X-PLAYLIST-TYPE:VOD
 * // #EXT-X-INDEPENDENT-SEGMENTS
 * // #EXT-X-MAP:URI="init.mp4"
 * // #EXTINF:6.000,
 * // seg_0.m4s
 * // ...
 * // #EXT-X-ENDLIST
 */
export function renderMediaPlaylist(o: MediaPlaylistOptions): string {
  const mediaSequence = o.mediaSequence ?? 0;
  const discontinuitySequence = o.discontinuitySequence ?? 0;
  checkInteger('mediaSequence', mediaSequence);
  checkInteger('discontinuitySequence', discontinuitySequence);
  for (const s of o.segments) {
    checkUri(s.uri);
    if (!(Number.isFinite(s.duration) && s.duration >= 0)) throw new RangeError(`HLS: segment ${s.uri} has an invalid duration ${s.duration}`);
  }
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${mediaPlaylistVersion({ map: o.map !== undefined || o.segments.some((s) => s.map !== undefined) })}`];
  const target = o.fixedTargetDuration ? o.targetDuration : hlsTargetDuration(o.segments.map((s) => s.duration), o.targetDuration ?? 1);
  if (!(Number.isSafeInteger(target) && target! >= 1)) throw new RangeError(`HLS: a fixed targetDuration must be an integer ≥ 1, got ${target}`);
  lines.push(`#EXT-X-TARGETDURATION:${target}`);
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${mediaSequence}`);
  // Live windows always say it (it counts removed discontinuities); VOD and
  // EVENT playlists never remove one, so only a non-zero value is worth a line.
  if (o.playlistType === undefined || discontinuitySequence > 0) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${discontinuitySequence}`);
  if (o.playlistType) lines.push(`#EXT-X-PLAYLIST-TYPE:${o.playlistType}`);
  if (o.independentSegments ?? true) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  let map = o.map;
  if (map !== undefined) lines.push(`#EXT-X-MAP:URI=${quoted('URI', map)}`);
  const pdt = o.programDateTime ?? true;
  for (const s of o.segments) {
    const newMap = s.map !== undefined && s.map !== map;
    if (newMap && !s.discontinuity) throw new RangeError(`HLS: segment ${s.uri} changes EXT-X-MAP without EXT-X-DISCONTINUITY`);
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (newMap) {
      map = s.map;
      lines.push(`#EXT-X-MAP:URI=${quoted('URI', map!)}`);
    }
    if (pdt && s.programDateTime) {
      if (Number.isNaN(s.programDateTime.getTime())) throw new RangeError(`HLS: segment ${s.uri} has an invalid programDateTime`);
      lines.push(`#EXT-X-PROGRAM-DATE-TIME:${s.programDateTime.toISOString()}`);
    }
    lines.push(`#EXTINF:${formatExtinf(s.duration)},`, s.uri);
  }
  if (o.ended) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

/**
 * A rendition as the master playlist lists it.
 *
 * @example
 * const e: MasterEntry = { rendition, uri: 'v720p/index.m3u8', bandwidth: presentation.bandwidth('v720p') };
 */
export interface MasterEntry {
  rendition: Rendition;
  /** URI of its media playlist, relative to the master, e.g. 'v720p/index.m3u8' */
  uri: string;
  /** measured (or, before segments exist, nominal) bandwidth of this rendition alone */
  bandwidth: Pick<Bandwidth, 'peak' | 'average'>;
}

/**
 * The renditions of a master playlist and its header.
 *
 * @example
 * const o: MasterPlaylistOptions = { renditions: [videoEntry, audioEntry], version: 6 };
 */
export interface MasterPlaylistOptions {
  renditions: readonly MasterEntry[];
  /** every segment of every listed rendition starts with a keyframe (default true) */
  independentSegments?: boolean;
  /** EXT-X-VERSION the media playlists declare; the master declares at least that (default 1) */
  version?: number;
  /** GROUP-ID of the audio renditions (default 'audio') */
  audioGroup?: string;
}

/**
 * Renders the master (multivariant) playlist. Audio renditions become
 * EXT-X-MEDIA entries of one group, the first one DEFAULT=YES. Each video
 * rendition becomes an EXT-X-STREAM-INF whose BANDWIDTH and
 * AVERAGE-BANDWIDTH add the audio group's largest values (RFC 8216
 * §4.3.4.2: BANDWIDTH covers every media the variant plays), whose CODECS
 * lists video and audio codecs, with RESOLUTION and FRAME-RATE. Without video,
 * each audio rendition is a variant of its own.
 *
 * Variants are listed by ascending BANDWIDTH: clients that start with the
 * first listed variant (Safari/AVPlayer; hls.js when its default 500 kb/s
 * estimate fits no level) then start on the cheapest one and climb, which
 * starts fast on any network. hls.js sorts levels itself, so order costs it
 * nothing.
 *
 * The master declares the version its media playlists need (so an old
 * client learns from the first file that it cannot play the stream), and at
 * least 4: EXT-X-MEDIA and the AUDIO attribute appeared in protocol version
 * 4, and older clients key on that.
 *
 * @example
 * renderMasterPlaylist({ version: 6, renditions: [
 *   { rendition: { id: 'v720p', type: 'video', codecs: 'avc1.64001f', bitrate: 2_800_000, width: 1280, height: 720, frameRate: 30 },
 *     uri: 'v720p/index.m3u8', bandwidth: { peak: 3_000_000, average: 2_700_000 } },
 *   { rendition: { id: 'a128k', type: 'audio', codecs: 'mp4a.40.2', bitrate: 128_000, channels: 2, language: 'en' },
 *     uri: 'a128k/index.m3u8', bandwidth: { peak: 131_000, average: 129_000 } },
 * ] });
 * // #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="a128k",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="a128k/index.m3u8"
 * // #EXT-X-STREAM-INF:BANDWIDTH=3131000,AVERAGE-BANDWIDTH=2829000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO="audio"
 * // v720p/index.m3u8
 */
export function renderMasterPlaylist(o: MasterPlaylistOptions): string {
  const group = o.audioGroup ?? 'audio';
  const video = o.renditions.filter((e) => e.rendition.type === 'video');
  const audio = o.renditions.filter((e) => e.rendition.type === 'audio');
  for (const e of o.renditions) checkUri(e.uri);
  const lines = ['#EXTM3U'];
  const version = Math.max(o.version ?? 1, video.length && audio.length ? 4 : 1);
  if (version > 1) lines.push(`#EXT-X-VERSION:${version}`);
  if (o.independentSegments ?? true) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');

  interface Variant { uri: string; peak: number; average: number; codecs: string[]; r: Rendition; withAudio: boolean }
  const variants: Variant[] = [];
  if (video.length) {
    // The worst case over the group: a player may pair any audio rendition with this video.
    const audioPeak = Math.max(0, ...audio.map((a) => a.bandwidth.peak));
    const audioAverage = Math.max(0, ...audio.map((a) => a.bandwidth.average));
    const audioCodecs = [...new Set(audio.map((a) => a.rendition.codecs).filter(Boolean))];
    audio.forEach((a, i) => {
      const r = a.rendition;
      const attrs = ['TYPE=AUDIO', `GROUP-ID=${quoted('GROUP-ID', group)}`, `NAME=${quoted('NAME', r.id)}`];
      if (r.language) attrs.push(`LANGUAGE=${quoted('LANGUAGE', r.language)}`);
      attrs.push(`DEFAULT=${i === 0 ? 'YES' : 'NO'}`, 'AUTOSELECT=YES');
      if (r.channels) attrs.push(`CHANNELS=${quoted('CHANNELS', String(r.channels))}`);
      attrs.push(`URI=${quoted('URI', a.uri)}`);
      lines.push(`#EXT-X-MEDIA:${attrs.join(',')}`);
    });
    for (const v of video)
      variants.push({
        uri: v.uri, r: v.rendition, withAudio: audio.length > 0,
        peak: v.bandwidth.peak + audioPeak, average: v.bandwidth.average + audioAverage,
        codecs: [v.rendition.codecs, ...audioCodecs].filter(Boolean),
      });
  } else {
    for (const a of audio)
      variants.push({ uri: a.uri, r: a.rendition, withAudio: false, peak: a.bandwidth.peak, average: a.bandwidth.average, codecs: [a.rendition.codecs].filter(Boolean) });
  }
  variants.sort((a, b) => a.peak - b.peak || (a.r.height ?? 0) - (b.r.height ?? 0) || (a.r.id < b.r.id ? -1 : 1));
  for (const v of variants) {
    checkCount('BANDWIDTH', v.peak);
    const attrs = [`BANDWIDTH=${Math.ceil(v.peak)}`, `AVERAGE-BANDWIDTH=${Math.ceil(v.average)}`];
    if (v.codecs.length) attrs.push(`CODECS=${quoted('CODECS', v.codecs.join(','))}`);
    if (v.r.width && v.r.height) attrs.push(`RESOLUTION=${Math.round(v.r.width)}x${Math.round(v.r.height)}`);
    if (v.r.type === 'video' && v.r.frameRate && v.r.frameRate > 0) attrs.push(`FRAME-RATE=${v.r.frameRate.toFixed(3)}`);
    if (v.withAudio) attrs.push(`AUDIO=${quoted('AUDIO', group)}`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, v.uri);
  }
  return lines.join('\n') + '\n';
}

// quoted-string (RFC 8216 §4.2): no double quote, CR or LF inside.
function quoted(name: string, value: string): string {
  if (/["\r\n]/.test(value)) throw new TypeError(`HLS: ${name} must not contain '"', CR or LF: ${JSON.stringify(value)}`);
  return `"${value}"`;
}

// A URI line must be one line and must not start with '#' (it would read as a tag or comment).
function checkUri(uri: string): void {
  if (typeof uri !== 'string' || uri === '' || /[\r\n"]/.test(uri) || uri.startsWith('#'))
    throw new TypeError(`HLS: invalid URI ${JSON.stringify(uri)}`);
}

function checkInteger(name: string, v: number): void {
  if (!(Number.isSafeInteger(v) && v >= 0)) throw new RangeError(`HLS: ${name} must be a non-negative integer, got ${v}`);
}

function checkCount(name: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`HLS: ${name} must be a finite non-negative number, got ${v}`);
}

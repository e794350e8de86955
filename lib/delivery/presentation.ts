/**
 * Presentation: takes renditions, init and media segments from the
 * pipeline, stores them, and keeps the HLS and DASH manifests true at every
 * instant a reader may look:
 *
 * - a segment (and the init segment) is stored before any manifest names it;
 * - manifests are replaced atomically (the store's put), media playlists
 *   first, then master.m3u8, then manifest.mpd;
 * - a live segment is deleted only after every stored manifest stopped
 *   naming it, plus a grace period for players that fetched an older one;
 * - operations run one at a time in call order, so two renditions' updates
 *   never interleave their manifest writes.
 */
import type { Bandwidth } from './bandwidth.js';
import { renderMpd } from './dash.js';
import { hlsTargetDuration, mediaPlaylistVersion, renderMasterPlaylist, renderMediaPlaylist } from './hls.js';
import { Track, type ListedSegment } from './track.js';
import type { MediaSegment, PresentationMode, PresentationOptions, Rendition, SegmentFormat, SegmentStore } from './types.js';
import { callerError, FFmpegError, STORE_FAILED } from '../errors.js';

/**
 * Store key of the HLS master playlist.
 *
 * @example
 * (await store.get(MASTER_KEY))?.toString(); // '#EXTM3U\n...'
 */
export const MASTER_KEY = 'master.m3u8';
/**
 * Store key of the DASH MPD.
 *
 * @example
 * (await store.get(MPD_KEY))?.toString(); // '<?xml ...'
 */
export const MPD_KEY = 'manifest.mpd';

// A rendition id is a folder name and appears literally in URLs, playlists and
// DASH templates: keep it to characters that need no escaping anywhere ('$' would break $Number$).
const RENDITION_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Packages renditions into HLS (master + media playlists) and DASH (one MPD)
 * over a SegmentStore.
 *
 * Modes:
 * - `'vod'`: nothing is published until `end()`, which writes
 *   `EXT-X-PLAYLIST-TYPE:VOD` playlists and a static MPD once (a VOD
 *   playlist must never change, so it cannot be written progressively).
 * - `'event'`: playlists (`EXT-X-PLAYLIST-TYPE:EVENT`) and a dynamic MPD
 *   grow with every segment; nothing is ever removed.
 * - `'live'`: manifests list a sliding window of `windowSize` segments;
 *   segments leaving it are deleted after `deleteGrace` seconds.
 *
 * Store layout: `<id>/init.mp4` (CMAF), `<id>/seg_<sequence>.m4s` (CMAF) or
 * `<id>/seg_<sequence>.ts` (MPEG-TS), `<id>/index.m3u8`, `master.m3u8`,
 * `manifest.mpd`. The master and the MPD first appear once every rendition
 * added so far has a segment, so a player never sees a partial ladder; a
 * rendition added later joins them when its first segment is stored.
 *
 * @example
 * const p = new Presentation({ store: new FileStore('out'), mode: 'vod', segmentFormat: 'cmaf', segmentDuration: 6 });
 * p.addRendition({ id: 'v720p', type: 'video', codecs: 'avc1.64001f', bitrate: 2_800_000, width: 1280, height: 720, frameRate: 30 });
 * await p.setInit('v720p', segmenter.init!);
 * for (const s of segments) await p.addSegment('v720p', { sequence: s.sequence, start: s.start, duration: s.duration, data: s.data, startsWithKeyframe: s.startsWithKeyframe });
 * await p.end();
 * p.manifestKeys; // ['master.m3u8', 'manifest.mpd', 'v720p/index.m3u8']
 */
export class Presentation {
  readonly mode: PresentationMode;
  readonly segmentFormat: SegmentFormat;
  readonly segmentDuration: number;
  readonly windowSize: number;
  readonly #store: SegmentStore;
  readonly #hls: boolean;
  readonly #dash: boolean;
  readonly #deleteGrace: number | undefined;
  readonly #tracks = new Map<string, Track>();
  readonly #written = new Map<string, string>(); // manifest key → last text stored
  readonly #timers = new Set<NodeJS.Timeout>();
  #tail: Promise<unknown> = Promise.resolve();
  #ending: Promise<void> | null = null;
  #ended = false;
  #endCalled = false;
  #final = false; // the end() publish is rendering: ENDLIST, MPD duration
  #closed = false;
  #published = false; // master/MPD were written once
  #origin: number | null = null; // media time of DASH Period time 0
  #availabilityStart: Date | null = null;
  #firstArrival: { wall: number; end: number } | null = null;

  constructor(opts: PresentationOptions) {
    if (opts === null || typeof opts !== 'object') throw new TypeError('Presentation: options must be an object');
    const s = opts.store;
    if (!s || typeof s.put !== 'function' || typeof s.get !== 'function' || typeof s.delete !== 'function' || typeof s.list !== 'function')
      throw new TypeError('Presentation: store must implement put/get/delete/list');
    if (!['vod', 'event', 'live'].includes(opts.mode)) throw new TypeError(`Presentation: mode must be 'vod', 'event' or 'live'`);
    if (opts.segmentFormat !== 'cmaf' && opts.segmentFormat !== 'ts') throw new TypeError(`Presentation: segmentFormat must be 'cmaf' or 'ts'`);
    if (!(Number.isFinite(opts.segmentDuration) && opts.segmentDuration > 0)) throw new RangeError('Presentation: segmentDuration must be > 0 seconds');
    if (opts.segmentFormat === 'ts' && opts.dash === true) throw new TypeError('Presentation: DASH needs CMAF segments (segmentFormat: cmaf)');
    const windowSize = opts.windowSize ?? 6;
    if (!(Number.isSafeInteger(windowSize) && windowSize >= 1)) throw new RangeError('Presentation: windowSize must be an integer ≥ 1');
    if (opts.deleteGrace !== undefined && !(Number.isFinite(opts.deleteGrace) && opts.deleteGrace >= 0))
      throw new RangeError('Presentation: deleteGrace must be ≥ 0 seconds');
    this.#store = s;
    this.mode = opts.mode;
    this.segmentFormat = opts.segmentFormat;
    this.segmentDuration = opts.segmentDuration;
    this.windowSize = windowSize;
    this.#hls = opts.hls ?? true;
    this.#dash = opts.segmentFormat === 'cmaf' && (opts.dash ?? true);
    if (!this.#hls && !this.#dash) throw new TypeError('Presentation: neither HLS nor DASH is enabled');
    this.#deleteGrace = opts.deleteGrace;
  }

  /**
   * The renditions added so far, in order (copies).
   *
   * @example
   * p.renditions.map((r) => r.id); // ['v720p', 'v360p', 'a128k']
   */
  get renditions(): Rendition[] {
    return [...this.#tracks.values()].map((t) => ({ ...t.rendition }));
  }

  /**
   * Keys of the manifests stored so far: master.m3u8, manifest.mpd, then the
   * media playlists in rendition order.
   *
   * @example
   * p.manifestKeys; // [] for VOD until end()
   */
  get manifestKeys(): string[] {
    const keys = [MASTER_KEY, MPD_KEY, ...[...this.#tracks.keys()].map(playlistKey)];
    return keys.filter((k) => this.#written.has(k));
  }

  /**
   * True once end() has written the final manifests.
   *
   * @example
   * await p.end(); p.ended; // true
   */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * The bandwidth manifests declare for a rendition: measured from its
   * stored segments (peak segment bitrate, average), or nominal + 10 % before
   * the first one.
   *
   * @example
   * p.bandwidth('v720p'); // { peak: 3012345, average: 2790000, measured: true }
   */
  bandwidth(renditionId: string): Bandwidth {
    const t = this.#track(renditionId);
    return t.meter.result(t.rendition.bitrate);
  }

  /**
   * Declares a rendition. Ids are folder names: 1–64 of [A-Za-z0-9_.-],
   * starting with a letter or digit, unique.
   *
   * @example
   * p.addRendition({ id: 'a128k', type: 'audio', codecs: 'mp4a.40.2', bitrate: 128_000, sampleRate: 48000, channels: 2, language: 'en' });
   */
  addRendition(r: Rendition): void {
    this.#checkOpen('addRendition');
    if (r === null || typeof r !== 'object') throw new TypeError('Presentation.addRendition: rendition must be an object');
    if (typeof r.id !== 'string' || !RENDITION_ID.test(r.id)) throw new RangeError(`Presentation.addRendition: invalid id ${JSON.stringify(r.id)} (1-64 of [A-Za-z0-9_.-])`);
    if (this.#tracks.has(r.id)) throw new RangeError(`Presentation.addRendition: duplicate id ${r.id}`);
    if (r.type !== 'video' && r.type !== 'audio') throw new TypeError(`Presentation.addRendition: type must be 'video' or 'audio'`);
    if (typeof r.codecs !== 'string') throw new TypeError('Presentation.addRendition: codecs must be a string');
    if (!(Number.isFinite(r.bitrate) && r.bitrate >= 0)) throw new RangeError('Presentation.addRendition: bitrate must be ≥ 0');
    this.#tracks.set(r.id, new Track({ ...r }));
  }

  /**
   * Stores the rendition's CMAF init segment as `<id>/init.mp4` (MPEG-TS
   * segments carry their own PAT/PMT and have none: TypeError). A rendition's
   * manifests wait for it.
   *
   * @example
   * await p.setInit('v720p', segmenter.init!);
   */
  setInit(renditionId: string, data: Buffer): Promise<void> {
    try {
      this.#checkOpen('setInit');
      if (this.segmentFormat === 'ts') throw new TypeError('Presentation.setInit: MPEG-TS renditions have no init segment');
      if (!Buffer.isBuffer(data) || data.length === 0) throw new TypeError('Presentation.setInit: data must be a non-empty Buffer');
      const track = this.#track(renditionId);
      return this.#enqueue(async () => {
        await this.#storePut(initKey(renditionId), data);
        track.hasInit = true;
        if (this.mode !== 'vod' && track.segments.length) await this.#publish([track]);
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Stores one media segment, then (event, live) rewrites the rendition's
   * media playlist, the master and the MPD; in live mode segments that left
   * the window are scheduled for deletion. Sequence numbers of a rendition
   * must be consecutive (HLS media sequence and DASH $Number$ count them).
   * Resolves once the segment and the manifests naming it are stored.
   *
   * @example
   * for (const s of await seg.write(packets))
   *   await p.addSegment('v720p', { sequence: s.sequence, start: s.start, duration: s.duration, data: s.data, startsWithKeyframe: s.startsWithKeyframe });
   */
  addSegment(renditionId: string, seg: MediaSegment): Promise<void> {
    try {
      this.#checkOpen('addSegment');
      const track = this.#track(renditionId);
      checkSegment(seg);
      return this.#enqueue(async () => {
        // Checked here, not at call time: a failed put leaves its number free for a retry.
        const next = track.nextSequence;
        if (next !== null && seg.sequence !== next)
          throw new RangeError(`Presentation.addSegment: ${renditionId}: expected segment ${next}, got ${seg.sequence}`);
        const key = segmentKey(renditionId, seg.sequence, this.segmentFormat);
        await this.#storePut(key, seg.data);
        this.#firstArrival ??= { wall: Date.now(), end: seg.start + seg.duration };
        const listed: ListedSegment = {
          sequence: seg.sequence, start: seg.start, duration: seg.duration, bytes: seg.data.length, key,
          uri: key.slice(renditionId.length + 1), discontinuity: seg.discontinuity === true,
          independent: track.rendition.type === 'audio' || seg.startsWithKeyframe,
          ...(seg.programDateTime ? { programDateTime: seg.programDateTime } : {}),
        };
        track.add(listed);
        if (this.mode === 'live') this.#slide(track);
        if (this.mode === 'vod') return;
        await this.#publish([track]);
        this.#retire(track);
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Ends the presentation: writes the final manifests (VOD: the only ones;
   * event/live: with EXT-X-ENDLIST, and the MPD gets its duration and no
   * further updates). Idempotent (a failed final write is retried by the
   * next call); add calls made after it throw.
   *
   * @example
   * await p.end();
   * p.manifestKeys; // ['master.m3u8', 'manifest.mpd', 'v720p/index.m3u8', ...]
   */
  end(): Promise<void> {
    if (this.#closed && !this.#ending) return Promise.reject(new FFmpegError('Presentation.end: the presentation is closed', 0, 'ECLOSED', 'Presentation.end'));
    this.#endCalled = true;
    if (!this.#ending) {
      const run = this.#enqueue(async () => {
        this.#final = true;
        const tracks = [...this.#tracks.values()];
        await this.#publish(tracks);
        for (const t of tracks) this.#retire(t);
        this.#ended = true;
      });
      // A failed final write (store error) may be retried by calling end() again.
      run.catch(() => {
        if (this.#ending === run) this.#ending = null;
      });
      this.#ending = run;
    }
    return this.#ending;
  }

  /**
   * Stops pending deletions (their segments stay stored, unreferenced) and
   * waits for queued operations. Does not end the presentation: call end()
   * first for final manifests.
   *
   * @example
   * await p.end();
   * await p.close(); // no timer left behind
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await this.#tail.catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #checkOpen(op: string): void {
    if (this.#closed) throw new FFmpegError(`Presentation.${op}: the presentation is closed`, 0, 'ECLOSED', `Presentation.${op}`);
    if (this.#endCalled) throw new FFmpegError(`Presentation.${op}: the presentation has ended`, 0, 'ECLOSED', `Presentation.${op}`);
  }

  #track(id: string): Track {
    const t = this.#tracks.get(id);
    if (!t) throw new RangeError(`Presentation: unknown rendition ${JSON.stringify(id)}`);
    return t;
  }

  // One queue per presentation: each operation starts after the previous one
  // settled; a failure rejects its own caller only.
  #enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(op);
    this.#tail = run.catch(() => {});
    return run;
  }

  #ready(t: Track): boolean {
    return t.segments.length > 0 && (this.segmentFormat === 'ts' || t.hasInit);
  }

  // Target duration floor for playlists that must keep it stable (event, live).
  #stableTarget(t: Track): number {
    return hlsTargetDuration([t.longest], Math.max(1, Math.round(this.segmentDuration)));
  }

  #slide(t: Track): void {
    const before = t.listedDuration;
    for (const s of t.slide(this.windowSize, this.#stableTarget(t))) {
      // RFC 8216 §6.2.2: a removed segment stays available for its duration plus
      // the longest playlist that listed it; never less than 2 segment durations.
      const grace = this.#deleteGrace ?? Math.max(2 * this.segmentDuration, s.duration + before);
      t.retired.push({ key: s.key, grace });
    }
  }

  // Schedules deletion of segments the stored manifests no longer name.
  #retire(t: Track): void {
    for (const r of t.retired.splice(0)) {
      if (this.#closed) return;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        // A failed delete leaves an unreferenced file; nothing to undo. A
        // store that throws synchronously must not become an uncaught exception.
        Promise.resolve()
          .then(() => this.#store.delete(r.key))
          .catch(() => {});
      }, r.grace * 1000);
      timer.unref();
      this.#timers.add(timer);
    }
  }

  // Writes the media playlists of `changed`, then master and MPD.
  async #publish(changed: Track[]): Promise<void> {
    const all = [...this.#tracks.values()];
    const ready = all.filter((t) => this.#ready(t));
    if (!ready.length) return;
    if (this.#hls) for (const t of changed) if (this.#ready(t)) await this.#put(playlistKey(t.rendition.id), this.#mediaPlaylist(t));
    // The top-level manifests wait for the whole ladder the first time.
    if (!this.#published && !this.#final && ready.length < all.length) return;
    if (this.#hls) await this.#put(MASTER_KEY, this.#masterPlaylist(ready));
    if (this.#dash) await this.#put(MPD_KEY, this.#mpd(ready));
    this.#published = true;
  }

  async #put(key: string, text: string): Promise<void> {
    if (this.#written.get(key) === text) return;
    await this.#storePut(key, text);
    this.#written.set(key, text);
  }

  // The store is the caller's: whatever it throws (even synchronously) comes
  // back as an FFmpegError 'ESTORE' whose cause is the store's error.
  async #storePut(key: string, data: Buffer | string): Promise<void> {
    try {
      await this.#store.put(key, data);
    } catch (e) {
      throw callerError(STORE_FAILED, 'Presentation (store)', `put ${key} failed`, e);
    }
  }

  #mediaPlaylist(t: Track): string {
    const live = this.mode !== 'vod';
    return renderMediaPlaylist({
      segments: t.segments.map((s) => ({
        uri: s.uri, duration: s.duration, discontinuity: s.discontinuity,
        ...(live && s.programDateTime ? { programDateTime: s.programDateTime } : {}),
      })),
      mediaSequence: t.segments[0]!.sequence,
      discontinuitySequence: t.discontinuitySequence,
      targetDuration: live ? this.#stableTarget(t) : 1,
      ...(this.mode === 'vod' ? { playlistType: 'VOD' as const } : this.mode === 'event' ? { playlistType: 'EVENT' as const } : {}),
      ended: this.#final,
      ...(this.segmentFormat === 'cmaf' ? { map: 'init.mp4' } : {}),
      independentSegments: t.segments.every((s) => s.independent),
    });
  }

  #masterPlaylist(ready: Track[]): string {
    return renderMasterPlaylist({
      renditions: ready.map((t) => ({ rendition: t.rendition, uri: playlistKey(t.rendition.id), bandwidth: t.meter.result(t.rendition.bitrate) })),
      independentSegments: ready.every((t) => t.segments.every((s) => s.independent)),
      version: mediaPlaylistVersion({ map: this.segmentFormat === 'cmaf' }),
    });
  }

  #mpd(ready: Track[]): string {
    // MPD times are unsigned: a rendition whose first segment starts below 0
    // (AAC priming) is shifted to start at 0, as the Segmenter shifts a
    // negative first dts in the fragments. The shift is fixed by the first
    // segment ever, so times never move between live MPD updates.
    const timed = ready.map((t) => {
      const shift = Math.max(0, -(t.firstStart ?? 0));
      return { t, segments: t.segments.map((s) => ({ sequence: s.sequence, start: s.start + shift, duration: s.duration })) };
    });
    // Period time 0 is one media time for every rendition, fixed once
    // published, so audio and video stay in sync and times never move.
    this.#origin ??= Math.max(0, Math.min(...timed.map((x) => x.segments[0]!.start)));
    const origin = this.#origin;
    const end = Math.max(...timed.map((x) => { const s = x.segments[x.segments.length - 1]!; return s.start + s.duration; }));
    const longest = Math.max(this.segmentDuration, ...ready.map((t) => t.longest));
    const representations = timed.map(({ t, segments }) => ({
      rendition: t.rendition,
      bandwidth: t.meter.result(t.rendition.bitrate).peak,
      segments,
      initialization: initKey(t.rendition.id),
      media: `${t.rendition.id}/seg_$Number$.m4s`,
    }));
    // minBufferTime ≥ the longest segment: with bandwidth = peak segment bitrate,
    // that is what makes DASH's bandwidth/minBufferTime promise hold.
    if (this.mode === 'vod') return renderMpd({ type: 'static', cmaf: true, representations, origin, minBufferTime: longest });
    if (!this.#availabilityStart) {
      // Wall time of Period time 0: when the first segment was stored, minus
      // how far its end lies from the origin. Segments then become "available"
      // about when they really are stored, not earlier.
      const first = this.#firstArrival!;
      this.#availabilityStart = new Date(first.wall - (first.end - origin) * 1000);
    }
    const window = Math.max(...ready.map((t) => t.listedDuration));
    return renderMpd({
      type: 'dynamic', cmaf: true, representations, origin, minBufferTime: longest,
      availabilityStartTime: this.#availabilityStart,
      publishTime: new Date(),
      ...(this.#final ? { mediaPresentationDuration: Math.max(0, end - origin) } : { minimumUpdatePeriod: this.segmentDuration }),
      ...(this.mode === 'live' ? { timeShiftBufferDepth: window } : {}),
      suggestedPresentationDelay: 3 * this.segmentDuration,
    });
  }
}

/**
 * Store key of a rendition's media playlist: `<id>/index.m3u8`.
 *
 * @example
 * playlistKey('v720p'); // 'v720p/index.m3u8'
 */
export function playlistKey(renditionId: string): string {
  return `${renditionId}/index.m3u8`;
}

/**
 * Store key of a rendition's CMAF init segment: `<id>/init.mp4`.
 *
 * @example
 * initKey('v720p'); // 'v720p/init.mp4'
 */
export function initKey(renditionId: string): string {
  return `${renditionId}/init.mp4`;
}

/**
 * Store key of a media segment: `<id>/seg_<sequence>.m4s` (CMAF) or `.ts`.
 *
 * @example
 * segmentKey('v720p', 12, 'cmaf'); // 'v720p/seg_12.m4s'
 */
export function segmentKey(renditionId: string, sequence: number, format: SegmentFormat): string {
  return `${renditionId}/seg_${sequence}.${format === 'ts' ? 'ts' : 'm4s'}`;
}

function checkSegment(seg: MediaSegment): void {
  if (seg === null || typeof seg !== 'object') throw new TypeError('Presentation.addSegment: segment must be an object');
  if (!Number.isSafeInteger(seg.sequence) || seg.sequence < 0) throw new RangeError(`Presentation.addSegment: invalid sequence ${seg.sequence}`);
  if (!Number.isFinite(seg.start)) throw new RangeError(`Presentation.addSegment: invalid start ${seg.start}`);
  if (!(Number.isFinite(seg.duration) && seg.duration > 0)) throw new RangeError(`Presentation.addSegment: duration must be > 0, got ${seg.duration}`);
  if (!Buffer.isBuffer(seg.data)) throw new TypeError('Presentation.addSegment: data must be a Buffer');
  if (seg.programDateTime !== undefined && !(seg.programDateTime instanceof Date && !Number.isNaN(seg.programDateTime.getTime())))
    throw new TypeError('Presentation.addSegment: programDateTime must be a valid Date');
}


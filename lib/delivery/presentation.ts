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
import { renderMpd, type MpdPeriod } from './dash.js';
import { formatExtinf, hlsTargetDuration, mediaPlaylistVersion, renderMasterPlaylist, renderMediaPlaylist } from './hls.js';
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
 * Store layout: `<id>/init.mp4` (CMAF; later versions `<id>/init_<n>.mp4`),
 * `<id>/seg_<sequence>.m4s` (CMAF) or `<id>/seg_<sequence>.ts` (MPEG-TS),
 * `<id>/index.m3u8`, `master.m3u8`, `manifest.mpd`.
 *
 * One live stream may be fed by several publisher sessions in turn: each
 * continues the numbering (`nextSequence`), marks its first segment
 * `discontinuity`, and may bring a new init segment (`setInit` again: a new
 * EXT-X-MAP in HLS, a new Period in DASH). `remove()` takes a live stream
 * down without keeping a recording.
 *
 * The master and the MPD first appear once every rendition added so far
 * has a segment, so a player never sees a partial ladder; a
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
  readonly #firstSequence: number;
  readonly #targetOption: number | undefined;
  readonly #utcTiming: { schemeIdUri: string; value: string } | undefined;
  readonly #onWarning: ((msg: string) => void) | undefined;
  #warnings = 0;
  #target: number | null = null; // event/live EXT-X-TARGETDURATION, fixed at the first publish
  readonly #deletions = new Map<string, Deletion>(); // key → its pending deletion
  readonly #stored = new Set<string>(); // segment and init keys stored and not deleted
  // DASH Periods: a new one begins where an init segment changes. start: media time (shifted timeline).
  readonly #periods: { id: string; start: number }[] = [{ id: '0', start: 0 }];
  #removing: Promise<void> | null = null;
  #removeDone: Promise<void> | null = null;
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
    const firstSequence = opts.firstSequence ?? 0;
    if (!(Number.isSafeInteger(firstSequence) && firstSequence >= 0)) throw new RangeError('Presentation: firstSequence must be a safe integer ≥ 0');
    if (opts.targetDuration !== undefined && !(Number.isSafeInteger(opts.targetDuration) && opts.targetDuration >= 1))
      throw new RangeError('Presentation: targetDuration must be an integer ≥ 1 (seconds)');
    const u = opts.utcTiming;
    if (u !== undefined && !(u !== null && typeof u === 'object' && typeof u.schemeIdUri === 'string' && u.schemeIdUri !== '' && typeof u.value === 'string'))
      throw new TypeError('Presentation: utcTiming must be { schemeIdUri: string, value: string }');
    if (opts.onWarning !== undefined && typeof opts.onWarning !== 'function') throw new TypeError('Presentation: onWarning must be a function');
    this.#firstSequence = firstSequence;
    this.#targetOption = opts.targetDuration;
    this.#utcTiming = u ? { schemeIdUri: u.schemeIdUri, value: u.value } : undefined;
    this.#onWarning = opts.onWarning;
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
   * The sequence number the rendition's next segment must have: its last
   * one + 1, or `firstSequence` (default 0) before its first. A new
   * publisher session continues from here.
   *
   * @example
   * const from = p.nextSequence('v720p'); // e.g. 42 after segments 0..41
   * for (const s of await seg.write(packets))
   *   await p.addSegment('v720p', { ...s, sequence: from + s.sequence, discontinuity: s.sequence === 0 });
   */
  nextSequence(renditionId: string): number {
    return this.#track(renditionId).nextSequence ?? this.#firstSequence;
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
    const track = new Track({ ...r });
    // Init numbers start at firstSequence: a Presentation that continues above an old one's
    // high-water mark never writes a key (init_<n>) the old one's pending deletions may remove.
    track.initVersion = this.#firstSequence;
    this.#tracks.set(r.id, track);
  }

  /**
   * Stores the rendition's CMAF init segment as `<id>/init.mp4` (MPEG-TS
   * segments carry their own PAT/PMT and have none: TypeError). A rendition's
   * manifests wait for it.
   *
   * Called again once the rendition has segments (a new publisher session):
   * the same bytes change nothing; different bytes are stored as a new
   * version `<id>/init_<n>.mp4` (n = 1, 2, …; counted from `firstSequence`
   * when that is set: init_<F>, init_<F+1>, …) that every later segment of
   * the rendition uses; set again before a segment used it, it is replaced. Its first segment gets EXT-X-DISCONTINUITY and a new
   * EXT-X-MAP in HLS, and starts a new Period in DASH. An init version no
   * manifest names any more is deleted after the grace period.
   *
   * @example
   * await p.setInit('v720p', segmenter.init!);
   * // after a reconnect at another resolution:
   * await p.setInit('v720p', newSegmenter.init!); // stored as v720p/init_1.mp4
   */
  setInit(renditionId: string, data: Buffer): Promise<void> {
    try {
      this.#checkOpen('setInit');
      if (this.segmentFormat === 'ts') throw new TypeError('Presentation.setInit: MPEG-TS renditions have no init segment');
      if (!Buffer.isBuffer(data) || data.length === 0) throw new TypeError('Presentation.setInit: data must be a non-empty Buffer');
      const track = this.#track(renditionId);
      return this.#enqueue(async () => {
        if (track.initData?.equals(data)) return;
        // A version no segment used yet was never named: it is replaced in place.
        const version = track.last === null ? track.initVersion : track.last.init! + 1;
        await this.#storePutKept(initKey(renditionId, version), data);
        track.inits.add(version);
        if (track.last !== null && track.initVersion !== version) {
          track.initVersion = version;
          this.#openPeriod(track);
        }
        track.initData = Buffer.from(data);
        track.hasInit = true;
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
   * Event and live segments always carry a program date time: one not
   * given is the previous segment's + its duration (the first: the wall
   * time it was stored minus its duration). A segment whose rounded
   * duration exceeds the fixed EXT-X-TARGETDURATION is listed anyway and
   * reported through `onWarning`.
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
        const next = this.nextSequence(renditionId);
        if (seg.sequence !== next)
          throw new RangeError(`Presentation.addSegment: ${renditionId}: expected segment ${next}, got ${seg.sequence}`);
        const key = segmentKey(renditionId, seg.sequence, this.segmentFormat);
        await this.#storePutKept(key, seg.data);
        const stored = Date.now();
        this.#firstArrival ??= { wall: stored, end: seg.start + seg.duration };
        const prev = track.last;
        // A new init version: the segment must start a discontinuity (HLS) and a Period (DASH).
        const newInit = prev !== null && prev.init !== track.initVersion;
        const listed: ListedSegment = {
          sequence: seg.sequence, start: seg.start, duration: seg.duration, bytes: seg.data.length, key,
          uri: key.slice(renditionId.length + 1), discontinuity: seg.discontinuity === true || newInit,
          independent: track.rendition.type === 'audio' || seg.startsWithKeyframe,
          init: track.initVersion, period: this.#periodOf(track, seg.start, newInit),
        };
        if (this.mode !== 'vod') listed.programDateTime = seg.programDateTime ?? derivedPdt(prev, stored, seg.duration);
        if (prev && listed.period === prev.period) {
          // Overlapping its predecessor (a session joined slightly early): DASH lists it from the predecessor's end.
          const prevEnd = (prev.dash?.start ?? prev.start) + (prev.dash?.duration ?? prev.duration);
          const end = seg.start + seg.duration;
          if (seg.start < prevEnd && end > prevEnd) listed.dash = { start: prevEnd, duration: end - prevEnd };
        }
        track.add(listed);
        track.period = listed.period!;
        if (this.#target !== null) this.#checkTarget(track, listed);
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
    if (this.#removing) return Promise.reject(new FFmpegError('Presentation.end: the presentation was removed', 0, 'ECLOSED', 'Presentation.end'));
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
   * Takes a live stream down without keeping it (no recording): stops
   * accepting segments, deletes the manifests it wrote (master, MPD, media
   * playlists), then deletes every segment and init segment it stored once
   * its grace period passed (the same rule as the live window's: players
   * holding the last manifests can still fetch what they name). Resolves
   * when the manifests (and init versions no segment used) are deleted; a
   * new Presentation on the same store path may start then, with
   * `firstSequence` = this one's highest `nextSequence`. `removeDone` resolves when every
   * deletion ran. `close()` does not cancel these deletions. Idempotent (a
   * failed manifest delete is retried by the next call).
   *
   * @example
   * await p.remove();    // manifests gone: no new player finds the stream
   * await p.removeDone;  // segments and inits gone too (after the grace)
   */
  remove(): Promise<void> {
    if (this.#closed && !this.#removing) return Promise.reject(new FFmpegError('Presentation.remove: the presentation is closed', 0, 'ECLOSED', 'Presentation.remove'));
    this.#endCalled = true;
    if (!this.#removing) {
      const run = this.#enqueue(async () => {
        for (const key of this.#manifestKeysByRemovalOrder()) {
          await this.#storeDelete(key);
          this.#written.delete(key);
        }
        // Init versions no segment used were never named: gone before remove() resolves, so
        // a new presentation starting at this one's high-water mark can reuse their numbers.
        for (const t of this.#tracks.values())
          for (const v of [...t.inits].filter((v) => t.last === null || v > t.last.init!)) {
            await this.#storeDelete(initKey(t.rendition.id, v));
            t.inits.delete(v);
            this.#stored.delete(initKey(t.rendition.id, v));
          }
        this.#scheduleRemoval();
      });
      run.catch(() => {
        if (this.#removing === run) {
          this.#removing = null;
          this.#removeDone = null;
        }
      });
      this.#removing = run;
      const done = run.then(() => Promise.all([...this.#deletions.values()].map((d) => d.done)).then(() => {}));
      done.catch(() => {}); // a failed remove() reports through its own promise
      this.#removeDone = done;
    }
    return this.#removing;
  }

  /**
   * After `remove()`: resolves once every segment and init segment it
   * stored has been deleted (after their grace periods); null before
   * `remove()` is called.
   *
   * @example
   * await p.remove();
   * await p.removeDone; // (await store.list()).length === 0
   */
  get removeDone(): Promise<void> | null {
    return this.#removeDone;
  }

  /**
   * Stops pending deletions of the live window (their segments stay stored,
   * unreferenced) and waits for queued operations. Does not end the
   * presentation: call end() first for final manifests. Deletions that
   * `remove()` scheduled keep running.
   *
   * @example
   * await p.end();
   * await p.close(); // no timer left behind
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [key, d] of this.#deletions) {
      if (d.kept) continue;
      clearTimeout(d.timer);
      d.resolve();
      this.#deletions.delete(key);
    }
    await this.#tail.catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #checkOpen(op: string): void {
    if (this.#closed) throw new FFmpegError(`Presentation.${op}: the presentation is closed`, 0, 'ECLOSED', `Presentation.${op}`);
    if (this.#removing) throw new FFmpegError(`Presentation.${op}: the presentation was removed`, 0, 'ECLOSED', `Presentation.${op}`);
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

  // EXT-X-TARGETDURATION of event/live playlists (RFC 8216 §6.2.1: it must
  // not change): the option, else round(segmentDuration), else — when a
  // segment listed before the first publish already rounds higher — that.
  #targetNow(): number {
    if (this.#target !== null) return this.#target;
    if (this.#targetOption !== undefined) return this.#targetOption;
    const nominal = Math.max(1, Math.round(this.segmentDuration));
    return hlsTargetDuration([...this.#tracks.values()].map((t) => t.longest), nominal);
  }

  #fixTarget(): number {
    if (this.#target === null) {
      this.#target = this.#targetNow();
      for (const t of this.#tracks.values()) for (const s of t.segments) this.#checkTarget(t, s);
    }
    return this.#target;
  }

  #checkTarget(t: Track, s: ListedSegment): void {
    const rounded = hlsTargetDuration([s.duration]);
    if (rounded > this.#target!)
      this.#warn(`${t.rendition.id}/${s.uri} lasts ${formatExtinf(s.duration)} s, above EXT-X-TARGETDURATION ${this.#target} (fixed for a live playlist): players may stall`);
  }

  #warn(msg: string): void {
    if (this.#warnings >= MAX_WARNINGS) return;
    this.#warnings++;
    try {
      this.#onWarning?.(msg);
    } catch {
      // a throwing listener must not break packaging
    }
  }

  // RFC 8216 §6.2.2: a removed segment stays available for its duration plus
  // the longest playlist that listed it; never less than 2 segment durations.
  #grace(s: ListedSegment, listed: number): number {
    return this.#deleteGrace ?? Math.max(2 * this.segmentDuration, s.duration + listed);
  }

  #slide(t: Track): void {
    const before = t.listedDuration;
    let longest = 0;
    for (const s of t.slide(this.windowSize, this.#targetNow())) {
      const grace = this.#grace(s, before);
      longest = Math.max(longest, grace);
      t.retired.push({ key: s.key, grace });
    }
    // An init version no listed segment needs any more (and that no later segment will use) leaves too.
    const named = new Set(t.segments.map((s) => s.init ?? 0));
    for (const v of t.inits) if (v !== t.initVersion && !named.has(v)) this.#forgetInit(t, v, longest);
  }

  #forgetInit(t: Track, version: number, grace: number): void {
    t.inits.delete(version);
    t.retired.push({ key: initKey(t.rendition.id, version), grace });
  }

  // Schedules deletion of segments the stored manifests no longer name.
  #retire(t: Track): void {
    for (const r of t.retired.splice(0)) {
      if (this.#closed) return;
      this.#scheduleDelete(r.key, r.grace);
    }
  }

  #scheduleDelete(key: string, grace: number): void {
    if (this.#deletions.has(key)) return;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const timer = setTimeout(() => {
      // A failed delete leaves an unreferenced file; nothing to undo. A
      // store that throws synchronously must not become an uncaught exception.
      Promise.resolve()
        .then(() => this.#store.delete(key))
        .then(() => this.#stored.delete(key))
        .catch(() => {})
        .finally(() => {
          this.#deletions.delete(key);
          resolve();
        });
    }, grace * 1000);
    timer.unref();
    this.#deletions.set(key, { timer, done, resolve, kept: this.#removing !== null });
  }

  // remove(): every stored segment and init, each after the grace its last manifest implies.
  #scheduleRemoval(): void {
    for (const d of this.#deletions.values()) d.kept = true;
    for (const t of this.#tracks.values()) {
      const listed = t.listedDuration;
      let longest = 0;
      for (const r of t.retired.splice(0)) {
        longest = Math.max(longest, r.grace);
        this.#scheduleDelete(r.key, r.grace);
      }
      for (const s of t.segments) {
        const grace = this.#grace(s, listed);
        longest = Math.max(longest, grace);
        this.#scheduleDelete(s.key, grace);
      }
      for (const v of t.inits) this.#scheduleDelete(initKey(t.rendition.id, v), longest);
      t.inits.clear();
    }
    // Anything else stored (nothing, unless a put succeeded whose bookkeeping did not) goes too.
    for (const key of this.#stored) this.#scheduleDelete(key, 0);
  }

  #manifestKeysByRemovalOrder(): string[] {
    // The entry points first, so no new player starts on a stream being taken down.
    return [MASTER_KEY, MPD_KEY, ...[...this.#tracks.keys()].map(playlistKey)].filter((k) => this.#written.has(k));
  }

  // DASH: a changed init opens a new Period at the media time where every
  // rendition's segments so far end, unless one is already open that this
  // rendition has not joined yet (another rendition's init changed first).
  #openPeriod(t: Track): void {
    const newest = this.#periods.length - 1;
    if (t.period < newest) return;
    let start = 0;
    for (const x of this.#tracks.values()) if (x.last) start = Math.max(start, x.last.start + shiftOf(x) + x.last.duration);
    this.#periods.push({ id: String(this.#periods.length), start });
  }

  // The Period a new segment of `t` belongs to: the newest for a new init
  // (or a rendition's first segment); otherwise the rendition's current one,
  // until its segments reach the newest Period's start.
  #periodOf(t: Track, start: number, newInit: boolean): number {
    const newest = this.#periods.length - 1;
    if (newInit || t.last === null) return newest;
    if (t.period < newest && start + shiftOf(t) >= this.#periods[newest]!.start - this.segmentDuration / 2) return newest;
    return t.period;
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
    // The MPD is compared without publishTime and a direct UTCTiming value (both are "now"):
    // rewritten only when what it says changes.
    if (this.#dash) await this.#put(MPD_KEY, () => this.#mpd(ready, false), this.#mpd(ready, true));
    this.#published = true;
  }

  // Stores a manifest unless its content (or `same`, what identifies it) is what was stored last.
  async #put(key: string, text: string | (() => string), same?: string): Promise<void> {
    const id = same ?? (text as string);
    if (this.#written.get(key) === id) return;
    await this.#storePut(key, typeof text === 'function' ? text() : text);
    this.#written.set(key, id);
  }

  async #storeDelete(key: string): Promise<void> {
    try {
      await this.#store.delete(key);
    } catch (e) {
      throw callerError(STORE_FAILED, 'Presentation (store)', `delete ${key} failed`, e);
    }
  }

  // A segment or init: remembered until deleted, so remove() can find it.
  async #storePutKept(key: string, data: Buffer): Promise<void> {
    await this.#storePut(key, data);
    this.#stored.add(key);
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
    const cmaf = this.segmentFormat === 'cmaf';
    return renderMediaPlaylist({
      segments: t.segments.map((s) => ({
        uri: s.uri, duration: s.duration, discontinuity: s.discontinuity,
        ...(live && s.programDateTime ? { programDateTime: s.programDateTime } : {}),
        ...(cmaf ? { map: initUri(s.init!) } : {}),
      })),
      mediaSequence: t.segments[0]!.sequence,
      discontinuitySequence: t.discontinuitySequence,
      ...(live ? { targetDuration: this.#fixTarget(), fixedTargetDuration: true } : { targetDuration: 1 }),
      ...(this.mode === 'vod' ? { playlistType: 'VOD' as const } : this.mode === 'event' ? { playlistType: 'EVENT' as const } : {}),
      ended: this.#final,
      ...(cmaf ? { map: initUri(t.segments[0]!.init!) } : {}),
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

  // `stable`: publishTime and a direct UTCTiming value left constant, to compare MPD contents.
  #mpd(ready: Track[], stable: boolean): string {
    // MPD times are unsigned: a rendition whose first segment starts below 0
    // (AAC priming) is shifted to start at 0, as the Segmenter shifts a
    // negative first dts in the fragments. The shift is fixed by the first
    // segment ever, so times never move between live MPD updates.
    const timed = ready.map((t) => {
      const shift = shiftOf(t);
      return {
        t,
        segments: t.segments.map((s) => ({
          sequence: s.sequence, start: (s.dash?.start ?? s.start) + shift, duration: s.dash?.duration ?? s.duration, period: s.period ?? 0, init: s.init ?? 0,
        })),
      };
    });
    // Period time 0 is one media time for every rendition, fixed once
    // published, so audio and video stay in sync and times never move.
    this.#origin ??= Math.max(0, Math.min(...timed.map((x) => x.segments[0]!.start)));
    const origin = this.#origin;
    this.#periods[0]!.start = origin;
    const end = Math.max(...timed.map((x) => { const s = x.segments[x.segments.length - 1]!; return s.start + s.duration; }));
    const longest = Math.max(this.segmentDuration, ...ready.map((t) => t.longest));
    // A new Period appears once every rendition has a segment in it, so its
    // AdaptationSets never change after it was first published (end() shows all).
    const shown = this.#final ? this.#periods.length : Math.min(...ready.map((t) => t.period)) + 1;
    const periods: MpdPeriod[] = this.#periods.slice(0, shown).map((p, i) => ({
      id: p.id,
      start: p.start,
      representations: timed.map(({ t, segments }) => {
        const mine = segments.filter((s) => s.period === i);
        return {
          rendition: t.rendition,
          bandwidth: t.meter.result(t.rendition.bitrate).peak,
          segments: mine,
          initialization: initKey(t.rendition.id, mine[0]?.init ?? 0),
          media: `${t.rendition.id}/seg_$Number$.m4s`,
        };
      }),
    }));
    // minBufferTime ≥ the longest segment: with bandwidth = peak segment bitrate,
    // that is what makes DASH's bandwidth/minBufferTime promise hold.
    // An ended EVENT presentation holds every segment: it becomes VOD, a static MPD
    // (ISO/IEC 23009-1 lets a dynamic MPD turn static); an ended live window stays dynamic.
    if (this.mode === 'vod' || (this.#final && this.mode === 'event')) return renderMpd({ type: 'static', cmaf: true, periods, origin, minBufferTime: longest });
    if (!this.#availabilityStart) {
      // Wall time of Period time 0: when the first segment was stored, minus
      // how far its end lies from the origin. Segments then become "available"
      // about when they really are stored, not earlier.
      const first = this.#firstArrival!;
      this.#availabilityStart = new Date(first.wall - (first.end - origin) * 1000);
    }
    const window = Math.max(...ready.map((t) => t.listedDuration));
    const utc = this.#utcTiming ?? { schemeIdUri: DIRECT_UTC, value: '' };
    const direct = utc.schemeIdUri.startsWith('urn:mpeg:dash:utc:direct:');
    return renderMpd({
      type: 'dynamic', cmaf: true, periods, origin, minBufferTime: longest,
      availabilityStartTime: this.#availabilityStart,
      publishTime: stable ? new Date(0) : new Date(),
      ...(this.#final ? { mediaPresentationDuration: Math.max(0, end - origin) } : { minimumUpdatePeriod: this.segmentDuration }),
      ...(this.mode === 'live' ? { timeShiftBufferDepth: window } : {}),
      suggestedPresentationDelay: 3 * this.segmentDuration,
      utcTiming: { schemeIdUri: utc.schemeIdUri, value: stable && direct ? '' : this.#utcTiming ? utc.value : new Date().toISOString() },
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
 * Store key of a rendition's CMAF init segment: `<id>/init.mp4`, or for a
 * later version (a new init after a reconnect) `<id>/init_<version>.mp4`.
 *
 * @example
 * initKey('v720p');    // 'v720p/init.mp4'
 * initKey('v720p', 2); // 'v720p/init_2.mp4'
 */
export function initKey(renditionId: string, version = 0): string {
  return `${renditionId}/${initUri(version)}`;
}

function initUri(version: number): string {
  return version === 0 ? 'init.mp4' : `init_${version}.mp4`;
}

// A pending deletion: `kept` ones (scheduled by or carried into remove()) survive close().
interface Deletion {
  timer: NodeJS.Timeout;
  done: Promise<void>;
  resolve: () => void;
  kept: boolean;
}

const MAX_WARNINGS = 10;
const DIRECT_UTC = 'urn:mpeg:dash:utc:direct:2014';

// MPD times are unsigned: the shift that moves a rendition's first segment to ≥ 0.
function shiftOf(t: Track): number {
  return Math.max(0, -(t.firstStart ?? 0));
}

// Program date time of a segment given none: the previous one's + its
// duration, or (the first) the wall time it was stored minus its duration.
function derivedPdt(prev: ListedSegment | null, stored: number, duration: number): Date {
  const pdt = prev?.programDateTime;
  return new Date(Math.round(pdt ? pdt.getTime() + prev!.duration * 1000 : stored - duration * 1000));
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


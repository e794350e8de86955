/**
 * LiveSession: one publisher connection → the ladder → an injected
 * Presentation (docs/transcoding/live-session.md). The session never ends or
 * closes the Presentation: the stream (registry) owns it across reconnects,
 * and a reconnect continues it from the previous session's
 * {@link LiveContinuation} — same rungs, sequence numbers and media time go
 * on, the first segment of every rendition is a discontinuity.
 *
 * @example
 * const session = LiveSession.start(socketBytes, { presentation, inputOptions: { format: 'flv' }, ladder: ['720p', '360p'] });
 * session.on('segment', (s) => console.log(s.rendition, s.sequence));
 * const first = await session.done;
 * // the publisher reconnects:
 * const next = LiveSession.start(newBytes, { presentation, inputOptions: { format: 'flv' }, previous: first.continuation });
 */
import { TypedEmitter } from '../typed-emitter.js';
import type { ByteSource, DecoderOptions, StreamInfo } from '../media/decoder.js';
import { Decoder } from '../media/decoder.js';
import type { EncoderOptions } from '../media/encoder.js';
import type { Frame, Packet } from '../media/frame.js';
import { LIMITS } from '../media/validate.js';
import type { Presentation } from '../delivery/presentation.js';
import type { MediaSegment, Rendition, SegmentFormat } from '../delivery/types.js';
import type { AudioOptions } from './audio-rendition.js';
import { KeyframeGrid } from './grid.js';
import { resolveLadder, type LadderSpec, type Variant } from './ladder.js';
import type { LatencySummary } from './latency.js';
import { unscannable } from './passthrough.js';
import { RenditionSet, type FeedPolicy } from './renditions.js';
import type { RenditionCounters, SegmentSink } from './sink.js';
import { ONE_THREAD_DECODE } from './threads.js';
import { threadBudget as processBudget, type ThreadBudget, type ThreadLease } from './thread-budget.js';
import { SourceTimeline, type Discontinuity } from './timeline.js';
import type { Progress } from './transcode.js';
import type { VideoVariant } from './video-variant.js';
import { withInput } from '../errors.js';
import type { Preset } from '../../types/binding.js';

/** What a reconnecting publisher's session continues from (the previous session's `result.continuation`). */
export interface LiveContinuation {
  /** the resolved rungs: the next session encodes exactly these (ids, sizes), whatever its source's size */
  variants: Variant[];
  /** whether the sessions carry an audio rendition */
  audio: boolean;
  /** the next sequence number of each rendition (by id) */
  sequences: Record<string, number>;
  /** seconds: the end of the media delivered so far (the next session starts after it) */
  mediaEnd: number;
}

/**
 * Who drops first when rungs fall behind: 'largest-first' (default: the most
 * expensive rung is shed while any rung is behind, the smallest drops last),
 * 'equal' (only a rung whose queue is full drops), or rung ids in drop order.
 */
/**
 * How a live session trades latency for compression: 'low' (x264 tune
 * zerolatency: no B-frames, no lookahead) or 'normal' (the preset's own).
 *
 * @example
 * const latency: LatencyMode = 'low';
 */
export type LatencyMode = 'low' | 'normal';

export type OverloadPriority = 'largest-first' | 'equal' | readonly string[];

export interface LiveSessionOptions {
  /** where segments go; mode 'live' or 'event'; never ended or closed by the session */
  presentation: Presentation;
  /** how to open the input (e.g. `{ format: 'flv' }`) */
  inputOptions?: Omit<DecoderOptions, 'signal'>;
  /** rung names or specs for a first session (default: derived from the source, never upscaled) */
  ladder?: LadderSpec;
  /** a reconnect: continue from the previous session's result (its rungs win over `ladder`) */
  previous?: LiveContinuation;
  /** seconds, 1–10 (default 2); must match the presentation's */
  segmentDuration?: number;
  /** default: the presentation's */
  segmentFormat?: SegmentFormat;
  /** x264 preset for rungs that don't set one (default 'veryfast') */
  preset?: Preset;
  /** 'low' (default): x264 tune zerolatency (no B-frames, no lookahead, sliced threads); 'normal': the preset's own */
  latency?: LatencyMode;
  audio?: AudioOptions | false;
  /** codec threads come from this budget (default: the process's) */
  threadBudget?: ThreadBudget;
  /** every source packet, for recording; the session frees it once the call resolves (ref() to keep it) */
  onPacket?: (p: Packet) => void | Promise<void>;
  /** the input's streams, once it is open and before its first packet (e.g. to open a recording) */
  onInput?: (streams: readonly StreamInfo[]) => void | Promise<void>;
  signal?: AbortSignal;
  /** who drops first under overload (docs/server/overload.md) */
  priority?: OverloadPriority;
  /** frames queued per rung (default 4) */
  queueSize?: number;
  /** ms between 'progress' events (default 1000) */
  progressInterval?: number;
}

export interface LiveSegmentEvent {
  rendition: string;
  sequence: number;
  /** seconds on the presentation's timeline */
  start: number;
  duration: number;
  bytes: number;
  programDateTime: Date;
}

export interface LiveStartedEvent {
  variants: Variant[];
  /** the encoder each video rung really runs (hardware selection), by rung id */
  encoders: Record<string, string>;
  source: { codec: string; width: number; height: number; fps: number; audioCodec: string | null; sampleRate: number | null; channels: number | null };
}

export interface LiveSessionStats {
  /** source video frames through the timeline */
  frames: number;
  /** true until every rung has returned packets and caught up with the opening burst (frames wait, never drop) */
  startup: boolean;
  /** frames dropped while starting up (the session waits instead: 0) */
  startupDropped: number;
  renditions: RenditionCounters[];
  /** frames dropped per rendition id (overload) */
  dropped: Record<string, number>;
  /** encode latency per video rung id: frame in → packet out, ms */
  latency: Record<string, LatencySummary>;
  /** frames waiting per video rung id */
  queued: Record<string, number>;
  /** encoder threads per video rung id (from the thread budget) */
  threads: Record<string, number>;
}

export interface LiveSessionResult {
  /** pass as `previous` to the next session of this stream */
  continuation: LiveContinuation;
  warnings: string[];
  discontinuities: Discontinuity[];
  decodeErrors: number;
  renditions: RenditionCounters[];
  frames: number;
  startupDropped: number;
  /** 'ended': the input ended; 'stopped': stop() or the signal; 'error': see `error` (the registry waits for the publisher to return, within its reconnect grace) */
  reason: 'ended' | 'stopped' | 'error';
  error?: unknown;
  stats: LiveSessionStats;
}

const seconds = (f: Frame): number => ((f.pts ?? 0) * f.timeBase[0]) / f.timeBase[1];
/** ms a stopping session lets the encoders flush into final segments before discarding. */
const STOP_FLUSH_MS = 1000;

/**
 * Low-latency x264: `tune: 'zerolatency'` (no B-frames, no lookahead or
 * mb-tree, sliced rather than frame threads). Measured at 360p veryfast, live
 * pacing (docs/transcoding/live-session.md): p50 4.3 / p95 11.2 ms per frame
 * on 1 thread, 3.2 / 17.9 ms on 2 (sliced); bFrames 0 + rc-lookahead 0 +
 * sync-lookahead 0 alone still held a frame (p50 40 / p95 53 ms).
 */
function lowLatencyX264(v: Variant): Partial<EncoderOptions> {
  return /264/.test(v.codec) ? { tune: 'zerolatency', bFrames: 0 } : {};
}

/** The drop order: rungs shed first come first. */
function dropOrder(encoded: readonly VideoVariant[], priority: OverloadPriority): VideoVariant[] {
  if (priority === 'equal') return [];
  if (priority === 'largest-first') return [...encoded].sort((a, b) => cost(b.variant) - cost(a.variant));
  return priority.map((id) => encoded.find((v) => v.variant.id === id)).filter((v): v is VideoVariant => v !== undefined);
}
const cost = (v: Variant): number => v.width * v.height * v.frameRate;

/**
 * The events of a {@link LiveSession} (listener arguments).
 *
 * @example
 * session.on('segment', (s) => console.log(s.rendition, s.sequence)); // s: LiveSegmentEvent
 */
export interface LiveSessionEvents {
  /** the first video frame went through: the rungs and encoders really used */
  started: [info: LiveStartedEvent];
  segment: [segment: LiveSegmentEvent];
  warning: [message: string];
  discontinuity: [discontinuity: Discontinuity];
  /** every `progressInterval` ms, with 'stats' */
  progress: [progress: Progress];
  stats: [stats: LiveSessionStats];
  /** frames dropped so far per rendition id (overload), at most once a second */
  dropped: [dropped: Record<string, number>];
}

/**
 * One live input through a ladder into a Presentation; events are
 * {@link LiveSessionEvents}.
 *
 * @example
 * const session = LiveSession.start('rtmp://…', { presentation, ladder: ['720p', '360p'] });
 * session.on('started', (i) => console.log(i.encoders));
 * const result = await session.done;
 */
export class LiveSession extends TypedEmitter<LiveSessionEvents> {
  /** resolves when the session is over (input ended, stopped, or failed: see `reason`); never rejects */
  readonly done: Promise<LiveSessionResult>;
  readonly #stop = new AbortController();
  #stopReason: string | null = null;
  #stats: () => LiveSessionStats = () => emptyStats();

  private constructor(input: string | ByteSource, opts: LiveSessionOptions) {
    super();
    this.done = this.#run(input, opts);
  }

  /** Starts a session; see {@link LiveSessionOptions}. Throws (TypeError/RangeError) only for bad options. */
  static start(input: string | ByteSource, opts: LiveSessionOptions): LiveSession {
    validate(opts);
    return new LiveSession(input, opts);
  }

  /** Ends the session promptly: the input closes, encoders flush for up to ~1 s, `done` resolves with reason 'stopped'. */
  stop(reason = 'stopped'): void {
    this.#stopReason ??= reason;
    this.#stop.abort(new Error(reason));
  }

  /** Counters now: frames, drops, queue depths, encode latency p50/p95 per rung. */
  get stats(): LiveSessionStats {
    return this.#stats();
  }

  async #run(input: string | ByteSource, o: LiveSessionOptions): Promise<LiveSessionResult> {
    const warnings: string[] = [];
    const note = (w: string): void => {
      warnings.push(w);
      this.emit('warning', w);
    };
    const presentation = o.presentation;
    const segmentDuration = o.segmentDuration ?? 2;
    const segmentFormat = o.segmentFormat ?? presentation.segmentFormat;
    const queueSize = o.queueSize ?? 4;
    const budget = o.threadBudget ?? processBudget;
    const started = performance.now();
    const onAbort = (): void => this.stop(String((o.signal?.reason as Error | undefined)?.message ?? 'aborted'));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) onAbort();

    let dec: Decoder | null = null;
    let set: RenditionSet | null = null;
    let lease: ThreadLease | null = null;
    let failure: unknown = null;
    let frames = 0;
    let startup = true;
    let timeline: SourceTimeline | null = null;
    const sink = new LiveSink(presentation, o.previous, (s) => this.emit('segment', s));
    const stats = (): LiveSessionStats => {
      if (!set) return { ...emptyStats(), frames };
      const by = <T>(f: (v: VideoVariant) => T): Record<string, T> => Object.fromEntries(set!.encoded.map((v) => [v.variant.id, f(v)]));
      return {
        frames, startup, startupDropped: 0, renditions: set.counters.map((c) => ({ ...c })),
        dropped: Object.fromEntries(set.counters.map((c) => [c.id, c.dropped])),
        latency: by((v) => v.latency.summary), queued: by((v) => v.queue.length), threads: by((v) => lease?.threads.get(v.variant) ?? 0),
      };
    };
    this.#stats = stats;
    const finish = (reason: LiveSessionResult['reason']): LiveSessionResult => ({
      continuation: sink.continuation(set ? set.variants.map((v) => v.variant) : (o.previous?.variants ?? []), (set?.audio ?? null) !== null || (o.previous?.audio ?? false)),
      warnings, discontinuities: timeline?.discontinuities ?? [], decodeErrors: dec?.decodeErrors ?? 0,
      renditions: set?.counters.map((c) => ({ ...c })) ?? [], frames, startupDropped: 0, reason,
      ...(reason === 'error' ? { error: withInput(failure, input) } : {}), stats: stats(),
    });

    try {
      if (this.#stop.signal.aborted) return finish('stopped');
      const software = !o.ladder?.some((v) => typeof v === 'object' && v.hwDevice) && !o.previous?.variants.some((v) => v.hwDevice);
      dec = await Decoder.open(input, { oneThreadUpTo: o.inputOptions?.threads === undefined && software ? ONE_THREAD_DECODE : 0, ...o.inputOptions, signal: this.#stop.signal });
      const src = dec.video;
      if (!src || !src.width || !src.height) throw new TypeError('LiveSession: the input has no video stream');
      await o.onInput?.(dec.streams);
      const fr = src.frameRate ?? [30, 1];
      const sourceFps = fr[0] / fr[1];
      let ladder: Variant[];
      if (o.previous) ladder = o.previous.variants.map((v) => ({ ...v }));
      else ladder = resolveLadder({ width: src.width, height: src.height, frameRate: sourceFps }, o.ladder, { preset: o.preset ?? 'veryfast', warn: note });
      if (ladder.some((v) => v.passthrough)) {
        // A live input is never scanned ahead for its keyframes (it may not end, and its bytes are ours).
        const why = unscannable(input, o.inputOptions?.format) ?? 'a live session never reads its input ahead to check its keyframes';
        const kept = ladder.filter((v) => !v.passthrough);
        if (!kept.length) throw new TypeError(`LiveSession: the ladder asked only for a 'source' (copied) rung, which cannot be used: ${why}`);
        note(`passthrough rung dropped: the ladder asked for a 'source' rung (the source video copied as is); only ${kept.map((v) => v.id).join(', ')} ${kept.length === 1 ? 'is' : 'are'} produced instead, because ${why}`);
        ladder = kept;
      }
      lease = budget.acquire(ladder);
      const threads = (v: Variant): number => lease?.threads.get(v) ?? 1;
      const grid = new KeyframeGrid(segmentDuration, sourceFps);
      const srcAudio = o.audio === false || (o.previous && !o.previous.audio) ? undefined : dec.audio;
      if (o.previous?.audio && !srcAudio?.decodable) note('the previous session had an audio rendition but this source has no decodable audio: the audio rendition gets no segments from this session');
      set = await RenditionSet.open(
        ladder,
        {
          source: src, sourceFps, segmentDuration, segmentFormat, sink, queueSize, encoderThreads: threads, gridTolerance: grid.tolerance, fallback: 'software',
          ...((o.latency ?? 'low') === 'low' ? { encoderOptions: lowLatencyX264 } : {}),
        },
        srcAudio?.decodable ? { options: o.audio || {}, ctx: { segmentDuration, segmentFormat, sink, queueSize: queueSize * 4 } } : null,
      );
      // Media time continues: this session's first frame lands right after the previous session's end.
      const base = o.previous ? Math.ceil(o.previous.mediaEnd * 1000 - 1e-6) / 1000 : 0;
      const timeOffset = base + set.startOffset;
      if (timeOffset > LIMITS.maxTimeOffset) throw new RangeError(`LiveSession: the stream's media time (${base} s) is beyond the segmenter's timeOffset limit (${LIMITS.maxTimeOffset} s)`);
      sink.timeOffset = timeOffset;
      await set.package(timeOffset);
      set.start((e) => {
        failure ??= e;
        void dec?.close().catch(() => {});
      });
      const renditions = set;

      timeline = new SourceTimeline(note, () => shift ?? 0, dec.info.format, (d) => this.emit('discontinuity', d));
      timeline.addStream(src.index, 'video', sourceFps);
      const audioIndex = renditions.audio && srcAudio ? srcAudio.index : -1;
      if (audioIndex >= 0) timeline.addStream(audioIndex, 'audio', null);

      // Overload: after startup a full queue drops the frame for that rung
      // only, and while any rung is behind the first rung in drop order is
      // shed too. A segment-opening frame is never dropped (the grid holds).
      const shed = dropOrder(renditions.encoded, o.priority ?? 'largest-first');
      const shedFirst = renditions.encoded.length > 1 ? shed[0] : undefined;
      let current: Frame | null = null;
      const policy: FeedPolicy = (v, anyBehind) => {
        if (startup || current?.keyRequested) return 'wait';
        if (anyBehind && v === shedFirst) return 'drop';
        return 'offer';
      };
      let shift: number | null = null; // seconds: the first video frame is media time 0 (+ timeOffset)
      let mediaTime = 0;
      let lastProgress = 0;
      let lastDropped = 0;
      let droppedTotal = 0;
      const interval = o.progressInterval ?? 1000;
      const report = (): void => {
        const now = performance.now();
        if (now - lastProgress < interval) return;
        lastProgress = now;
        const wall = (now - started) / 1000;
        this.emit('progress', {
          frames, fps: wall > 0 ? frames / wall : 0, speed: wall > 0 ? mediaTime / wall : 0, time: mediaTime,
          duration: null, percent: null, eta: null, renditions: renditions.counters,
        } satisfies Progress);
        this.emit('stats', stats());
      };
      const rebase = (f: Frame): void => {
        if (f.pts === null || shift === null) return;
        f.pts = Math.round(f.pts - (shift * f.timeBase[1]) / f.timeBase[0]);
      };

      const consume = async (f: Frame, stream: number): Promise<void> => {
        try {
          if (failure || this.#stop.signal.aborted) return;
          if (!timeline!.fix(f, stream)) return;
          if (stream === src.index) {
            if (shift === null) {
              shift = seconds(f);
              sink.firstFrameWall = Date.now();
              this.emit('started', {
                variants: renditions.variants.map((v) => v.variant),
                encoders: Object.fromEntries(renditions.variants.map((v) => [v.variant.id, v.encoderName])),
                source: { codec: src.codec, width: f.width, height: f.height, fps: sourceFps, audioCodec: srcAudio?.codec ?? null, sampleRate: srcAudio?.sampleRate ?? null, channels: srcAudio?.channels ?? null },
              } satisfies LiveStartedEvent);
            }
            rebase(f);
            const changed = renditions.geometryChange(f, 0);
            if (changed) note(changed);
            if (grid.isKey(seconds(f))) f.keyFrame = true;
            current = f;
            droppedTotal += await renditions.fanOut(f, policy);
            current = null;
            frames++;
            mediaTime = seconds(f);
            // Startup is over once every rung has returned packets and the
            // opening burst is through (what the probe buffered arrives at
            // once; publishers catch up after their own encoder's start):
            // after the first segment of media, the first read that had to
            // wait for the source — at the latest after two segments.
            if (startup && renditions.encoded.every((v) => v.packetsOut > 0) && mediaTime >= segmentDuration && (caughtUp || mediaTime >= 2 * segmentDuration)) startup = false;
            const now = performance.now();
            if (droppedTotal > 0 && now - lastDropped >= 1000) {
              lastDropped = now;
              this.emit('dropped', Object.fromEntries(renditions.counters.map((c) => [c.id, c.dropped])));
            }
          } else if (stream === audioIndex) {
            if (shift === null) return; // before the first picture: nothing to sync it to
            rebase(f);
            if (seconds(f) < 0) return;
            await renditions.audio!.queue.push(f.ref());
          }
        } finally {
          f.free();
        }
      };

      let caughtUp = false;
      const paced = 250 / sourceFps; // ms: a read that waits this long waited for the source
      try {
        // consume() frees the frame it is given; if it throws, the rest of the batch is freed here.
        const consumeAll = async (frames: Frame[], stream: number): Promise<void> => {
          let i = 0;
          try {
            for (; i < frames.length; i++) await consume(frames[i]!, stream);
          } finally {
            for (i++; i < frames.length; i++) frames[i]!.free();
          }
        };
        const packets = dec.packets();
        for (;;) {
          const asked = performance.now();
          const next = await packets.next();
          if (next.done) break;
          const p = next.value;
          if (mediaTime >= segmentDuration && performance.now() - asked >= paced) caughtUp = true;
          try {
            if (o.onPacket) await o.onPacket(p);
            if (p.streamIndex === src.index || p.streamIndex === audioIndex) await consumeAll(await dec.decodePacket(p), p.streamIndex);
          } finally {
            p.free();
          }
          report();
          if (failure || this.#stop.signal.aborted) {
            void packets.return(undefined).catch(() => {});
            break;
          }
        }
        if (!failure && !this.#stop.signal.aborted) {
          await consumeAll(await dec.flush(src.index), src.index);
          if (audioIndex >= 0) await consumeAll(await dec.flush(audioIndex), audioIndex);
        }
      } catch (e) {
        // A stop closes the input under a pending read: that is the stop, not a failure.
        if (!this.#stop.signal.aborted) throw e;
      }
      if (failure) throw failure;
      set.end();
      const stopping = this.#stop.signal.aborted;
      const flushed = set.finished().then(() => true, (e: unknown) => {
        failure ??= e;
        return true;
      });
      // A stop gives the encoders ~1 s to flush into final segments, then discards.
      const inTime = stopping ? await Promise.race([flushed, new Promise<false>((r) => setTimeout(r, STOP_FLUSH_MS, false).unref())]) : await flushed;
      if (!inTime) {
        note(`stop: the encoders did not flush within ${STOP_FLUSH_MS} ms; what they held was discarded`);
        set.discard();
        await set.settled();
      }
      if (failure && !stopping) throw failure;
      timeline.finish();
      return finish(stopping ? 'stopped' : 'ended');
    } catch (e) {
      failure ??= e;
      set?.discard();
      await set?.settled();
      if (this.#stop.signal.aborted && this.#stopReason !== null) return finish('stopped');
      return finish('error');
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      sink.closed = true;
      await set?.close().catch(() => {});
      lease?.release();
      await dec?.close().catch(() => {});
    }
  }
}

/**
 * The session's view of the Presentation: renditions declared once per
 * stream, sequence numbers continued, the first segment of a continued
 * rendition marked as a discontinuity, each segment stamped with its wall
 * clock (programDateTime).
 */
class LiveSink implements SegmentSink {
  readonly #p: Presentation;
  readonly #previous: LiveContinuation | undefined;
  readonly #onSegment: (s: LiveSegmentEvent) => void;
  readonly #next = new Map<string, number>();
  #mediaEnd: number;
  /** seconds: where the first frame lies on the presentation's timeline */
  timeOffset = 0;
  /** ms since the epoch: the wall clock of the first frame */
  firstFrameWall = Date.now();
  closed = false;

  constructor(p: Presentation, previous: LiveContinuation | undefined, onSegment: (s: LiveSegmentEvent) => void) {
    this.#p = p;
    this.#previous = previous;
    this.#onSegment = onSegment;
    this.#mediaEnd = previous?.mediaEnd ?? 0;
  }

  addRendition(r: Rendition): void {
    if (!this.#p.renditions.some((x) => x.id === r.id)) this.#p.addRendition(r);
  }

  setInit(id: string, data: Buffer): Promise<void> {
    return this.#p.setInit(id, data);
  }

  #base(id: string): number {
    const known = this.#previous?.sequences[id];
    if (known !== undefined) return known;
    const next = (this.#p as unknown as { nextSequence?: (id: string) => number }).nextSequence;
    return typeof next === 'function' ? next.call(this.#p, id) : 0;
  }

  async addSegment(id: string, seg: MediaSegment): Promise<void> {
    if (this.closed) return;
    const first = !this.#next.has(id);
    const base = first ? this.#base(id) : 0;
    const sequence = first ? base + seg.sequence : this.#next.get(id)!;
    const programDateTime = new Date(this.firstFrameWall + Math.round((seg.start - this.timeOffset) * 1000));
    const discontinuity = seg.discontinuity === true || (first && (this.#previous !== undefined || base > 0));
    await this.#p.addSegment(id, { ...seg, sequence, programDateTime, ...(discontinuity ? { discontinuity } : {}) });
    this.#next.set(id, sequence + 1);
    this.#mediaEnd = Math.max(this.#mediaEnd, seg.start + seg.duration);
    this.#onSegment({ rendition: id, sequence, start: seg.start, duration: seg.duration, bytes: seg.data.length, programDateTime });
  }

  continuation(variants: Variant[], audio: boolean): LiveContinuation {
    const sequences: Record<string, number> = { ...this.#previous?.sequences };
    for (const [id, n] of this.#next) sequences[id] = n;
    return { variants: variants.map((v) => ({ ...v })), audio, sequences, mediaEnd: this.#mediaEnd };
  }
}

function emptyStats(): LiveSessionStats {
  return { frames: 0, startup: true, startupDropped: 0, renditions: [], dropped: {}, latency: {}, queued: {}, threads: {} };
}

function validate(o: LiveSessionOptions): void {
  if (!o || typeof o !== 'object') throw new TypeError('LiveSession.start: options must be an object');
  const p = o.presentation as Partial<Presentation> | undefined;
  if (!p || typeof p.addSegment !== 'function' || typeof p.setInit !== 'function') throw new TypeError('LiveSession.start: presentation must be a Presentation');
  if (p.mode !== 'live' && p.mode !== 'event') throw new TypeError(`LiveSession.start: the presentation's mode must be 'live' or 'event', got ${String(p.mode)}`);
  const d = o.segmentDuration ?? 2;
  if (typeof d !== 'number' || !(d >= 1 && d <= 10)) throw new RangeError('LiveSession.start: segmentDuration must be 1..10 seconds');
  if (o.segmentFormat !== undefined && o.segmentFormat !== p.segmentFormat) throw new TypeError(`LiveSession.start: segmentFormat '${o.segmentFormat}' differs from the presentation's '${String(p.segmentFormat)}'`);
  if (o.latency !== undefined && o.latency !== 'low' && o.latency !== 'normal') throw new TypeError(`LiveSession.start: latency must be 'low' or 'normal'`);
  if (o.queueSize !== undefined && !(Number.isInteger(o.queueSize) && o.queueSize >= 1 && o.queueSize <= 256)) throw new RangeError('LiveSession.start: queueSize must be 1..256');
  if (o.onPacket !== undefined && typeof o.onPacket !== 'function') throw new TypeError('LiveSession.start: onPacket must be a function');
  if (o.onInput !== undefined && typeof o.onInput !== 'function') throw new TypeError('LiveSession.start: onInput must be a function');
  const pr = o.priority;
  if (pr !== undefined && pr !== 'largest-first' && pr !== 'equal' && !(Array.isArray(pr) && pr.every((x) => typeof x === 'string')))
    throw new TypeError(`LiveSession.start: priority must be 'largest-first', 'equal' or an array of rung ids`);
  const prev = o.previous;
  if (prev !== undefined) {
    if (!prev || !Array.isArray(prev.variants) || prev.variants.length === 0 || typeof prev.sequences !== 'object' || !(prev.mediaEnd >= 0))
      throw new TypeError('LiveSession.start: previous must be a LiveContinuation ({ variants, audio, sequences, mediaEnd })');
  }
}

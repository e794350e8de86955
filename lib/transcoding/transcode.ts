/**
 * The ABR pipeline: one input → a ladder of video variants plus one audio
 * rendition, packaged as CMAF (or MPEG-TS) segments with HLS and DASH
 * manifests. Each decoded video frame is shared by reference with every
 * variant and freed once; variants run in parallel; the segment grid forces
 * IDRs at the same source time in every variant.
 *
 * @example
 * const job = transcode('input.mp4', { out: 'public/vod', ladder: ['720p', '360p'], segmentDuration: 4 });
 * job.on('progress', (p) => console.log(`${p.percent?.toFixed(1)}% ${p.speed.toFixed(2)}x`));
 * const result = await job.done;
 * console.log(result.manifests); // ['master.m3u8', 'manifest.mpd', ...]
 */
import { TypedEmitter } from '../typed-emitter.js';
import type { ByteSource, DecoderOptions } from '../media/decoder.js';
import { Decoder } from '../media/decoder.js';
import type { Frame } from '../media/frame.js';
import { FileStore } from '../delivery/fs-store.js';
import { initKey, MASTER_KEY, MPD_KEY, Presentation } from '../delivery/presentation.js';
import { FFmpegError, withInput } from '../errors.js';
import { localPaths, realLocation } from '../media/same-file.js';
import * as path from 'node:path';
import type { PresentationMode, SegmentFormat, SegmentStore } from '../delivery/types.js';
import type { HwDeviceType, Preset } from '../../types/binding.js';
import type { AudioOptions } from './audio-rendition.js';
import { KeyframeGrid } from './grid.js';
import { checkPassthrough } from './passthrough.js';
import { resolveLadder, type LadderSpec, type Variant } from './ladder.js';
import { SourceTimeline, type Discontinuity } from './timeline.js';
import type { RenditionCounters } from './sink.js';
import { ONE_THREAD_DECODE } from './threads.js';
import { RenditionSet, sharedTimeOffset } from './renditions.js';
import { threadBudget, type ThreadLease } from './thread-budget.js';

export { sharedTimeOffset };

export interface TranscodeOptions {
  /** output directory (a FileStore) or any SegmentStore */
  out: string | SegmentStore;
  /** rung names ('1080p', '720p', ...) or specs; default: derived from the source */
  ladder?: LadderSpec;
  /** seconds, 1–10 (default 6) */
  segmentDuration?: number;
  segmentFormat?: SegmentFormat;
  /** write HLS playlists (default true) */
  hls?: boolean;
  /** write a DASH MPD (default true for cmaf) */
  dash?: boolean;
  /** 'vod' (default for files), 'event' or 'live' (sliding window) */
  mode?: PresentationMode;
  windowSize?: number;
  /** x264 preset for every rung that doesn't set its own (default 'veryfast') */
  preset?: Preset;
  hwDevice?: HwDeviceType | 'auto';
  fallback?: 'software' | 'error';
  /**
   * audio rendition settings, or false for none. Left out, the source's audio
   * (if any) gets a default rendition, and a source audio track that never
   * decodes is dropped with a warning (video only). Given as an object, audio
   * is required: such a track fails the job (FFmpegError 'INVALIDDATA').
   */
  audio?: AudioOptions | false;
  /** what a slow variant does to a live input: wait (backpressure) or drop frames for that variant */
  slowVariantPolicy?: 'wait' | 'drop';
  /** frames queued per variant (default 4; encoders buffer their own lookahead, so more only costs memory) */
  queueSize?: number;
  /**
   * Codec threads per rung. 'balanced' (default): each rung gets threads in
   * proportion to its share of the ladder's pixel rate times the CPU count,
   * rounded up (on 2 cores a 1080p/720p/480p/360p ladder gets 2/1/1/1) —
   * rungs already run in parallel, and every extra frame thread costs memory
   * and some CPU. The cores come from the process-wide thread budget
   * (thread-budget.ts): a job alone gets the whole machine, concurrent jobs
   * and live sessions share it. A number applies to every rung (0 = codec's choice).
   */
  encoderThreads?: 'balanced' | number;
  /**
   * input options (format, AVOptions, timeouts). `threads` defaults to 1 for
   * software ladders from sources up to 1080p60 (one core decodes those many
   * times faster than the ladder encodes), else to the codec's choice.
   * `input.allowPlaylists` lets an HLS playlist be the source: see
   * {@link DecoderOptions.allowPlaylists} for the risk (off by default).
   */
  input?: Omit<DecoderOptions, 'signal'>;
  signal?: AbortSignal;
  /** ms between progress events (default 500) */
  progressInterval?: number;
}

export interface Progress {
  /** decoded source video frames */
  frames: number;
  /** source frames per second, wall clock */
  fps: number;
  /** media seconds per wall second */
  speed: number;
  /** media seconds done */
  time: number;
  /** source duration when known */
  duration: number | null;
  percent: number | null;
  /** seconds left at the current speed, when the duration is known */
  eta: number | null;
  renditions: RenditionCounters[];
}

export type { Discontinuity };

export interface TranscodeResult {
  variants: (Variant & { encoder: string; reason: string })[];
  /**
   * things that changed the plan, each saying what was asked, what was done
   * instead and why: a passthrough rung dropped, a bitrate raised to the
   * minimum, the source changing size/format mid-stream, timestamps
   * synthesized or re-based after a jump, decode errors skipped
   */
  warnings: string[];
  /**
   * source timestamp jumps (encoder restart, wrap) that were re-based, with
   * their position in the output (seconds from its start); empty for a
   * continuous source. At most the first 100 (a warning counts the rest).
   */
  discontinuities: Discontinuity[];
  /** source packets the decoder rejected and skipped (corrupt data); the job carried on */
  decodeErrors: number;
  /**
   * the renditions the manifests list: an audio rendition dropped because its
   * source track never decoded is not here (see `warnings`)
   */
  renditions: RenditionCounters[];
  /** manifest keys written to the store */
  manifests: string[];
  /** seconds of video: from the first frame's start to the last frame's end */
  duration: number;
  wallSeconds: number;
}

/**
 * The events of a {@link Transcode} job (listener arguments).
 *
 * @example
 * job.on('warning', (w) => console.warn(w)); // w: string
 */
export interface TranscodeEvents {
  /** every `progressInterval` ms */
  progress: [progress: Progress];
  /** a change to the plan (also in `result.warnings`) */
  warning: [message: string];
  /** a source timestamp jump, as it is re-based (live outputs can mark it) */
  discontinuity: [discontinuity: Discontinuity];
}

/**
 * A running transcode; its events are {@link TranscodeEvents}.
 *
 * @example
 * const job = transcode('in.mp4', { out: 'public/vod' });
 * job.on('progress', (p) => console.log(p.percent));
 * await job.done;
 */
export class Transcode extends TypedEmitter<TranscodeEvents> {
  /** settles when everything is written (or the job failed/aborted, with outputs left consistent) */
  readonly done: Promise<TranscodeResult>;

  constructor(input: string | ByteSource, opts: TranscodeOptions) {
    super();
    this.done = run(input, validate(opts), (p) => this.emit('progress', p), (w) => this.emit('warning', w), (d) => this.emit('discontinuity', d)).catch((e: unknown) => {
      throw withInput(e, input); // errors name the job's input (README)
    });
    this.done.catch(() => {}); // rejections are for whoever awaits `done`
  }
}

/** Starts transcoding `input` into an ABR presentation; see {@link TranscodeOptions}. */
export function transcode(input: string | ByteSource, opts: TranscodeOptions): Transcode {
  return new Transcode(input, opts);
}

function validate(o: TranscodeOptions): TranscodeOptions {
  if (!o || typeof o !== 'object') throw new TypeError('transcode: options must be an object');
  if (typeof o.out !== 'string' && !(o.out && typeof o.out === 'object' && typeof o.out.put === 'function')) throw new TypeError('transcode: out must be a directory or a SegmentStore');
  const d = o.segmentDuration ?? 6;
  if (typeof d !== 'number' || !(d >= 1 && d <= 10)) throw new RangeError('transcode: segmentDuration must be 1..10 seconds');
  if (o.segmentFormat !== undefined && o.segmentFormat !== 'cmaf' && o.segmentFormat !== 'ts') throw new TypeError(`transcode: segmentFormat must be 'cmaf' or 'ts'`);
  if (o.segmentFormat === 'ts' && o.dash) throw new TypeError('transcode: DASH needs cmaf segments');
  if (o.slowVariantPolicy !== undefined && o.slowVariantPolicy !== 'wait' && o.slowVariantPolicy !== 'drop') throw new TypeError(`transcode: slowVariantPolicy must be 'wait' or 'drop'`);
  if (o.queueSize !== undefined && !(Number.isInteger(o.queueSize) && o.queueSize >= 1 && o.queueSize <= 256)) throw new RangeError('transcode: queueSize must be 1..256');
  if (o.encoderThreads !== undefined && o.encoderThreads !== 'balanced' && !(Number.isInteger(o.encoderThreads) && o.encoderThreads >= 0 && o.encoderThreads <= 64))
    throw new RangeError(`transcode: encoderThreads must be 'balanced' or 0..64`);
  return o;
}

/**
 * The presentation writes (by rename) and deletes files under the output
 * root: the manifests and one folder per rendition. An input stored under one
 * of those names would be replaced or deleted while it is read: refuse it
 * before anything is written (FFmpegError 'EINVAL', like remux's same-file check).
 */
async function refuseInputAmongOutputs(input: string, root: string, names: string[]): Promise<void> {
  const dir = await realLocation(root);
  for (const p of localPaths(input)) {
    const rel = path.relative(dir, await realLocation(p));
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    if (names.includes(rel.split(path.sep)[0]!)) {
      throw new FFmpegError(`transcode (${input}): Output same as Input: the output directory ${root} writes over it`, -22, 'EINVAL', 'transcode', { input });
    }
  }
}

const AVERROR_INVALIDDATA = -1094995529; // FFERRTAG('I','N','D','A')

const seconds = (f: Frame): number => ((f.pts ?? 0) * f.timeBase[0]) / f.timeBase[1];

async function run(
  input: string | ByteSource, o: TranscodeOptions, emit: (p: Progress) => void, warn: (w: string) => void, discontinuity: (d: Discontinuity) => void,
): Promise<TranscodeResult> {
  const warnings: string[] = [];
  const started = performance.now();
  const segmentDuration = o.segmentDuration ?? 6;
  const segmentFormat = o.segmentFormat ?? 'cmaf';
  const queueSize = o.queueSize ?? 4;
  // Software ladders from light sources decode on one thread (docs/performance/benchmark.md).
  const software = !o.hwDevice && !o.ladder?.some((v) => typeof v === 'object' && v.hwDevice);
  const oneThreadUpTo = o.input?.threads === undefined && software ? ONE_THREAD_DECODE : 0;
  const dec = await Decoder.open(input, { oneThreadUpTo, ...o.input, ...(o.signal ? { signal: o.signal } : {}) });
  let set: RenditionSet | null = null;
  let lease: ThreadLease | null = null;
  let presentation: Presentation | null = null;
  let failure: unknown = null;
  try {
    const src = dec.video;
    if (!src || !src.width || !src.height) throw new TypeError('transcode: the input has no video stream');
    const fr = src.frameRate ?? [30, 1];
    const sourceFps = fr[0] / fr[1];
    const live = o.mode === 'live' || o.mode === 'event' || (typeof input === 'string' && /^(rtmp|rtsp|srt|udp|rtp):/.test(input));
    const store = typeof o.out === 'string' ? new FileStore(o.out) : o.out;
    presentation = new Presentation({
      store, mode: o.mode ?? (live ? 'live' : 'vod'), segmentFormat, segmentDuration,
      hls: o.hls ?? true, dash: o.dash ?? segmentFormat === 'cmaf',
      ...(o.windowSize ? { windowSize: o.windowSize } : {}),
    });
    const note = (w: string): void => {
      warnings.push(w);
      warn(w);
    };
    let ladder = resolveLadder({ width: src.width, height: src.height, frameRate: sourceFps }, o.ladder, { ...(o.preset ? { preset: o.preset } : {}), warn: note });
    if (ladder.some((v) => v.passthrough)) {
      const check = await checkPassthrough(input, segmentDuration, o.input?.format, o.input?.allowPlaylists);
      if (!check.ok) {
        const kept = ladder.filter((v) => !v.passthrough);
        if (!kept.length) throw new TypeError(`transcode: the ladder asked only for a 'source' (copied) rung, which cannot be used: ${check.reason}`);
        // What was asked, what is done instead, and why.
        note(`passthrough rung dropped: the ladder asked for a 'source' rung (the source video copied as is); only ${kept.map((v) => v.id).join(', ')} ${kept.length === 1 ? 'is' : 'are'} produced instead, because ${check.reason}`);
        ladder = kept;
      }
    }
    if (o.encoderThreads === undefined || o.encoderThreads === 'balanced') lease = threadBudget.acquire(ladder);
    const encoderThreads = (v: Variant): number => (typeof o.encoderThreads === 'number' ? o.encoderThreads : (lease?.threads.get(v) ?? 0));
    const grid = new KeyframeGrid(segmentDuration, sourceFps);
    const ctx = {
      source: src, sourceFps, segmentDuration, segmentFormat, sink: presentation, queueSize, encoderThreads, gridTolerance: grid.tolerance,
      fallback: o.fallback ?? 'software', ...(o.hwDevice ? { hwDevice: o.hwDevice } : {}),
    } as const;
    const srcAudio = o.audio === false ? undefined : dec.audio;
    set = await RenditionSet.open(ladder, ctx, srcAudio?.decodable ? { options: o.audio || {}, ctx: { segmentDuration, segmentFormat, sink: presentation, queueSize: queueSize * 4 } } : null);
    const { variants, audio } = set;
    if (typeof input === 'string' && store instanceof FileStore) {
      await refuseInputAmongOutputs(input, store.root, [MASTER_KEY, MPD_KEY, ...set.counters.map((c) => c.id)]);
    }
    await set.package(set.startOffset);

    // A failing rung stops the whole job at once: the input closes and every
    // queue ends, so the decode loop can never wait on a rung that stopped taking.
    set.start((e) => {
      failure ??= e;
      void dec.close();
    });

    const drop = o.slowVariantPolicy === 'drop';
    const timeline = new SourceTimeline(note, () => grid.origin ?? 0, dec.info.format, discontinuity);
    timeline.addStream(src.index, 'video', sourceFps);
    if (audio && srcAudio) timeline.addStream(srcAudio.index, 'audio', null);
    const { passthrough, encoded } = set;
    const duration = dec.info.duration;
    let frames = 0;
    let audioFrames = 0; // decoded, before the timeline: tells "never decoded" from "trimmed"
    let mediaTime = 0;
    let lastEmit = 0;
    const interval = o.progressInterval ?? 500;
    const report = (force = false): void => {
      const now = performance.now();
      if (!force && now - lastEmit < interval) return;
      lastEmit = now;
      const wall = (now - started) / 1000;
      const speed = wall > 0 ? mediaTime / wall : 0;
      emit({
        frames, fps: wall > 0 ? frames / wall : 0, speed, time: mediaTime, duration,
        percent: duration ? Math.min(100, (mediaTime / duration) * 100) : null,
        eta: duration && speed > 0 ? Math.max(0, (duration - mediaTime) / speed) : null,
        renditions: set!.counters,
      });
    };

    const fanOut = async (frame: Frame): Promise<void> => {
      const changed = set!.geometryChange(frame, grid.origin);
      if (changed) note(changed);
      if (grid.isKey(seconds(frame))) frame.keyFrame = true; // before ref(): every variant gets the request
      await set!.fanOut(frame, () => (drop ? 'offer' : 'wait'));
      frames++;
      mediaTime = seconds(frame) - (grid.origin ?? 0);
    };

    if (passthrough.length) {
      // Packets are needed as well as frames: demux, copy, then decode.
      for await (const p of dec.packets()) {
        try {
          if (p.streamIndex === src.index) for (const v of passthrough) await v.copy(p);
          if (p.streamIndex === src.index && encoded.length) for (const f of await dec.decodePacket(p)) await consume(f, src.index);
          else if (p.streamIndex === srcAudio?.index && audio) for (const f of await dec.decodePacket(p)) await consume(f, p.streamIndex);
        } finally {
          p.free();
        }
        report();
      }
      if (encoded.length) for (const f of await dec.flush(src.index)) await consume(f, src.index);
      if (audio && srcAudio) for (const f of await dec.flush(srcAudio.index)) await consume(f, srcAudio.index);
    } else {
      for await (const batch of dec.batches()) {
        for (const f of batch.frames) await consume(f, batch.streamIndex);
        report();
      }
    }

    async function consume(f: Frame, stream: number): Promise<void> {
      try {
        if (failure) return;
        if (stream === srcAudio?.index) audioFrames++;
        if (!timeline.fix(f, stream)) return; // audio overlapping audio already sent, or video whose pts did not increase
        if (stream === src!.index) await fanOut(f);
        else if (audio && stream === srcAudio?.index) await audio.queue.push(f.ref());
      } finally {
        f.free();
      }
    }

    set.end();
    await set.finished();
    if (failure) throw failure;
    report(true);
    timeline.finish();
    if (timeline.trimmedAudio > 0) {
      note(`source audio overlapped itself by ${timeline.trimmedAudio.toFixed(3)} s (at a splice or a timestamp jump, the old part's sound ran on past its last picture): asked to encode all of it, dropped the overlapping audio frames so the audio stays in sync with the pictures after it`);
    }
    const decodeErrors = dec.decodeErrors;
    const videoErrors = dec.streamDecodeErrors(src.index);
    // Skipping bad packets must not turn an undecodable input into an empty "success".
    if (frames === 0 && encoded.length > 0 && videoErrors > 0) throw new FFmpegError(`transcode: no video frame could be decoded: the decoder rejected all ${videoErrors} packets of video stream #${src.index}`, AVERROR_INVALIDDATA, 'INVALIDDATA', 'transcode');
    // Nor a dead audio track into a silent presentation nobody was told about.
    const audioErrors = audio && srcAudio ? dec.streamDecodeErrors(srcAudio.index) : 0;
    const audioDead = audio !== null && srcAudio !== undefined && audioFrames === 0 && audioErrors > 0;
    if (audio && srcAudio && audioDead) {
      const what = `the source audio stream #${srcAudio.index} (${srcAudio.codec}) could not be decoded: every one of its ${audioErrors} packet${audioErrors === 1 ? '' : 's'} was rejected by the decoder (corrupt or unsupported data)`;
      if (typeof o.audio === 'object') throw new FFmpegError(`transcode: the options ask for an audio rendition (audio: {...}), but ${what}`, AVERROR_INVALIDDATA, 'INVALIDDATA', 'transcode');
      note(
        `audio rendition dropped: asked for an audio rendition (${audio.counters.id}, the default when \`audio\` is not set); produced none, the presentation is video only, because ${what}. ` +
          'Set `audio: false` to ask for video only, or pass `audio: {...}` to make this an error',
      );
      // Its init segment was stored when it was announced; no manifest names it now.
      if (segmentFormat === 'cmaf') await store.delete(initKey(audio.counters.id)).catch(() => {});
    }
    const otherErrors = decodeErrors - (audioDead ? audioErrors : 0);
    if (otherErrors > 0) {
      note(`the decoder rejected ${otherErrors} source packet${otherErrors === 1 ? '' : 's'} (corrupt or undecodable data): asked to decode the whole input, skipped ${otherErrors === 1 ? 'it' : 'them'} and carried on as the ffmpeg CLI does, so the output lacks those frames or shows their damage`);
    }
    await presentation.end();
    return {
      variants: variants.map((v) => ({ ...v.variant, encoder: v.encoderName, reason: v.encoderReason })),
      warnings,
      discontinuities: timeline.discontinuities,
      decodeErrors,
      renditions: [...variants.map((v) => v.counters), ...(audio && !audioDead ? [audio.counters] : [])],
      manifests: presentation.manifestKeys,
      // media time of the last frame's end (a one-frame video lasts one frame)
      duration: frames ? mediaTime + 1 / sourceFps : 0,
      wallSeconds: (performance.now() - started) / 1000,
    };
  } catch (e) {
    failure ??= e;
    // Stop the workers, then leave consistent outputs: what was stored is
    // named by the manifests, nothing else.
    set?.discard();
    await set?.settled();
    await presentation?.end().catch(() => {});
    throw o.signal?.aborted ? (o.signal.reason ?? failure) : failure;
  } finally {
    await set?.close();
    lease?.release();
    await dec.close();
    // Live windows keep delete timers; a finished job must not hold the loop.
    if (presentation && (o.mode ?? 'vod') === 'vod') await presentation.close();
  }
}

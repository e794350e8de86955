/**
 * One video rung: frames in (shared references from the decoder), then
 * Scaler → Encoder → Segmenter → sink, running as its own async loop so all
 * rungs work in parallel on the libuv pool. A passthrough rung takes the
 * source's packets instead and only segments them.
 */
import type { Rational, StreamInfo, HwDeviceType } from '../../types/binding.js';
import { Encoder, type EncoderOptions } from '../media/encoder.js';
import type { Frame, Packet } from '../media/frame.js';
import { Scaler } from '../media/scaler.js';
import { Segmenter } from '../media/segmenter.js';
import type { SegmentFormat } from '../delivery/types.js';
import { FrameQueue } from './frame-queue.js';
import { EncodeLatency } from './latency.js';
import type { Variant } from './ladder.js';
import { deliver, type RenditionCounters, type SegmentSink } from './sink.js';

export interface VariantContext {
  source: StreamInfo;
  sourceFps: number;
  segmentDuration: number;
  segmentFormat: SegmentFormat;
  sink: SegmentSink;
  queueSize: number;
  fallback: 'software' | 'error';
  hwDevice?: HwDeviceType | 'auto';
  /** codec threads for a rung (0 = the codec's own choice) */
  encoderThreads: (v: Variant) => number;
  /** the segment grid's tolerance (seconds, KeyframeGrid.tolerance): the Segmenter cuts by the same rule */
  gridTolerance: number;
  /** extra encoder options for a software rung (e.g. the live low-latency settings) */
  encoderOptions?: (v: Variant, threads: number) => Partial<EncoderOptions>;
}

export class VideoVariant {
  readonly variant: Variant;
  readonly counters: RenditionCounters;
  readonly queue: FrameQueue;
  /** which encoder really runs, and why (hardware selection) */
  encoderName = 'copy';
  encoderReason = 'passthrough: source packets are segmented as they are';
  /** frame in → packet out, ms (encoded rungs) */
  readonly latency = new EncodeLatency();
  /** packets the encoder has returned (0 until the first frame is through) */
  packetsOut = 0;
  readonly #ctx: VariantContext;
  #scaler: Scaler | null = null;
  #encoder: Encoder | null = null;
  #segmenter!: Segmenter;
  #output!: { parameters: StreamInfo; timeBase: Rational };
  #packets: Packet[] = [];
  #nextOut = -Infinity; // frame-rate decimation: next output time (s)

  private constructor(variant: Variant, ctx: VariantContext) {
    this.variant = variant;
    this.#ctx = ctx;
    this.queue = new FrameQueue(ctx.queueSize);
    this.counters = { id: variant.id, frames: 0, dropped: 0, segments: 0, bytes: 0 };
  }

  static async open(variant: Variant, ctx: VariantContext): Promise<VideoVariant> {
    const v = new VideoVariant(variant, ctx);
    try {
      await v.#open();
    } catch (e) {
      await v.close();
      throw e;
    }
    return v;
  }

  async #open(): Promise<void> {
    const { source, segmentDuration } = this.#ctx;
    const v = this.variant;
    let parameters = source as StreamInfo;
    let timeBase: Rational = source.timeBase;
    if (!v.passthrough) {
      if (v.width !== source.width || v.height !== source.height || source.pixelFormat !== 'yuv420p') this.#newScaler();
      const fps = toRational(v.frameRate);
      const hw = v.hwDevice ?? this.#ctx.hwDevice;
      this.#encoder = await Encoder.open({
        codec: v.codec, width: v.width, height: v.height, pixelFormat: 'yuv420p', frameRate: fps, timeBase: source.timeBase,
        ...(v.crf !== undefined ? { crf: v.crf, maxRate: v.maxrate, bufSize: v.bufsize } : { bitRate: v.bitrate, maxRate: v.maxrate, bufSize: v.bufsize }),
        preset: v.preset, ...(v.profile ? { profile: v.profile } : {}),
        // Natural GOP = one segment; the grid also forces IDRs, so both agree.
        gop: Math.max(1, Math.round(segmentDuration * v.frameRate)), sceneCut: false, threads: this.#ctx.encoderThreads(v),
        ...(hw ? { hwDevice: hw, fallback: this.#ctx.fallback } : (this.#ctx.encoderOptions?.(v, this.#ctx.encoderThreads(v)) ?? {})),
      });
      this.encoderName = this.#encoder.selection.encoder;
      this.encoderReason = this.#encoder.selection.reason;
      parameters = this.#encoder.parameters as StreamInfo;
      timeBase = this.#encoder.timeBase;
    }
    this.#output = { parameters, timeBase };
  }

  #newScaler(): Scaler {
    this.#scaler = new Scaler({ width: this.variant.width, height: this.variant.height, format: 'yuv420p' });
    return this.#scaler;
  }

  /**
   * Seconds the rung's first dts lies before its first picture: the codec's
   * reordering (B-frames) — the encoder's for encoded rungs, the source's for
   * passthrough.
   */
  get startDelay(): number {
    const frames = this.#output.parameters.videoDelay ?? 0;
    return frames / (this.variant.passthrough ? this.#ctx.sourceFps : this.variant.frameRate);
  }

  /**
   * Opens the segmenter, on the presentation's shared timeline (`timeOffset`
   * seconds added to every timestamp), and announces the rendition.
   */
  async package(timeOffset: number): Promise<void> {
    const { segmentDuration, segmentFormat, sink } = this.#ctx;
    const { parameters, timeBase } = this.#output;
    const v = this.variant;
    this.#segmenter = await Segmenter.open({ format: segmentFormat === 'ts' ? 'mpegts' : 'cmaf', segmentDuration, timeOffset, gridTolerance: this.#ctx.gridTolerance, streams: [{ parameters, timeBase }] });
    sink.addRendition({
      id: v.id, type: 'video', codecs: parameters.codecString ?? '', bitrate: v.bitrate,
      width: v.width, height: v.height, frameRate: v.frameRate,
    });
    if (this.#segmenter.init) await sink.setInit(v.id, this.#segmenter.init);
  }

  get passthrough(): boolean {
    return this.variant.passthrough;
  }

  /** Passthrough: segment one source packet (not consumed). */
  async copy(packet: Packet): Promise<void> {
    const p = packet.ref();
    p.streamIndex = 0;
    this.#packets.push(p);
    if (packet.keyFrame || this.#packets.length >= 32) await this.#flushPackets();
  }

  async #flushPackets(): Promise<void> {
    const batch = this.#packets;
    this.#packets = [];
    try {
      await deliver(this.#ctx.sink, this.counters, await this.#segmenter.write(batch));
      this.counters.frames += batch.length;
    } finally {
      for (const p of batch) p.free();
    }
  }

  /** The worker loop: runs until the queue ends, then flushes everything. */
  async run(): Promise<void> {
    if (this.passthrough) {
      await this.queue.take(); // nothing is queued for passthrough; wait for end()
      await this.#flushPackets();
    } else {
      for (let f = await this.queue.take(); f; f = await this.queue.take()) {
        try {
          await this.#encodeFrame(f);
        } finally {
          f.free();
        }
      }
      await this.#write(await this.#encoder!.encode(null));
    }
    await deliver(this.#ctx.sink, this.counters, await this.#segmenter.finish());
  }

  async #encodeFrame(f: Frame): Promise<void> {
    // Lower frame rate than the source: keep frames evenly; a keyframe
    // request (segment start) is always kept so the grid holds.
    const t = ((f.pts ?? 0) * f.timeBase[0]) / f.timeBase[1];
    const key = f.keyRequested;
    if (this.variant.frameRate < this.#ctx.sourceFps - 0.01) {
      const step = 1 / this.variant.frameRate;
      if (!key && t + step / 4 < this.#nextOut) return;
      this.#nextOut = (key ? t : Math.max(this.#nextOut, t)) + step;
    }
    // The rung keeps its size and format whatever the source does: a frame
    // that doesn't match the encoder is scaled, and a scaler is made the
    // first time one is needed (the source changed size or format mid-stream;
    // the Scaler itself follows any later input change).
    const v = this.variant;
    const fits = f.width === v.width && f.height === v.height && f.format === 'yuv420p';
    const scaler = fits ? null : (this.#scaler ?? this.#newScaler());
    const scaled = scaler ? await scaler.scale(f) : f;
    try {
      this.latency.frameIn(usOf(scaled.pts, scaled.timeBase));
      await this.#write(await this.#encoder!.encode(scaled));
    } finally {
      if (scaled !== f) scaled.free();
    }
    this.counters.frames++;
  }

  async #write(packets: Packet[]): Promise<void> {
    // Encoders with delay leave durations at 0. The segmenter takes the step
    // between dts instead, but a lone packet (a one-frame video, a still
    // image) has none: give every such packet one frame of the rung's rate,
    // so the last (or only) segment has a real duration.
    if (!this.passthrough) {
      const tb = this.#output.timeBase;
      const frame = Math.max(1, Math.round(tb[1] / (tb[0] * this.variant.frameRate)));
      for (const p of packets) {
        if (!(p.duration > 0)) p.duration = frame;
        this.latency.packetOut(usOf(p.pts, tb));
      }
      this.packetsOut += packets.length;
    }
    try {
      if (packets.length) await deliver(this.#ctx.sink, this.counters, await this.#segmenter.write(packets));
    } finally {
      for (const p of packets) p.free();
    }
  }

  async close(): Promise<void> {
    this.queue.discard();
    for (const p of this.#packets.splice(0)) p.free();
    this.#scaler?.close();
    await this.#encoder?.close();
    await this.#segmenter?.close();
  }
}

function toRational(fps: number): Rational {
  if (Number.isInteger(fps)) return [fps, 1];
  return [Math.round(fps * 1001), 1001];
}

/** A timestamp in µs (for matching a packet to its frame across time bases); NaN when absent. */
function usOf(pts: number | null, tb: Rational): number {
  return pts === null ? NaN : Math.round((pts * tb[0] * 1e6) / tb[1]);
}

/**
 * The audio rendition group: the source audio decoded once, resampled, encoded
 * once (AAC by default) and segmented on the same grid as the video. Every
 * video variant shares it (HLS EXT-X-MEDIA group, one DASH AdaptationSet).
 */
import type { SegmentFormat } from '../delivery/types.js';
import { Encoder } from '../media/encoder.js';
import type { Frame, Packet } from '../media/frame.js';
import { Resampler } from '../media/resampler.js';
import { Segmenter } from '../media/segmenter.js';
import { FrameQueue } from './frame-queue.js';
import { deliver, type RenditionCounters, type SegmentSink } from './sink.js';

export interface AudioOptions {
  /** encoder (default 'aac') */
  codec?: string;
  /** bits/s (default 128000) */
  bitrate?: number;
  /** default 48000 */
  sampleRate?: number;
  /** default 'stereo' */
  channelLayout?: string;
  language?: string;
}

export interface AudioContext {
  segmentDuration: number;
  segmentFormat: SegmentFormat;
  sink: SegmentSink;
  queueSize: number;
}

export class AudioRendition {
  readonly counters: RenditionCounters;
  readonly queue: FrameQueue;
  readonly #resampler: Resampler;
  readonly #encoder: Encoder;
  readonly #ctx: AudioContext;
  readonly #info: { bitrate: number; sampleRate: number; language: string };
  #segmenter: Segmenter | null = null;

  private constructor(id: string, ctx: AudioContext, r: Resampler, e: Encoder, info: { bitrate: number; sampleRate: number; language: string }) {
    this.counters = { id, frames: 0, dropped: 0, segments: 0, bytes: 0 };
    this.queue = new FrameQueue(ctx.queueSize);
    this.#ctx = ctx;
    this.#resampler = r;
    this.#encoder = e;
    this.#info = info;
  }

  /** Seconds the encoded audio starts before its source (encoder priming, e.g. AAC's 1024 samples). */
  get startDelay(): number {
    return (this.#encoder.parameters.initialPadding ?? 0) / this.#info.sampleRate;
  }

  static async open(o: AudioOptions, ctx: AudioContext): Promise<AudioRendition> {
    const bitrate = o.bitrate ?? 128_000;
    const sampleRate = o.sampleRate ?? 48_000;
    const channelLayout = o.channelLayout ?? 'stereo';
    const encoder = await Encoder.open({ codec: o.codec ?? 'aac', sampleRate, channelLayout, bitRate: bitrate });
    try {
      const resampler = new Resampler({ sampleRate, channelLayout, format: encoder.parameters.sampleFormat ?? 'fltp', frameSize: encoder.frameSize });
      return new AudioRendition(`a${Math.round(bitrate / 1000)}k`, ctx, resampler, encoder, { bitrate, sampleRate, language: o.language ?? 'und' });
    } catch (e) {
      await encoder.close();
      throw e;
    }
  }

  /**
   * Opens the segmenter, on the presentation's shared timeline (`timeOffset`
   * seconds added to every timestamp), and announces the rendition.
   */
  async package(timeOffset: number): Promise<void> {
    const { bitrate, sampleRate, language } = this.#info;
    const encoder = this.#encoder;
    this.#segmenter = await Segmenter.open({
      format: this.#ctx.segmentFormat === 'ts' ? 'mpegts' : 'cmaf', segmentDuration: this.#ctx.segmentDuration, timeOffset,
      streams: [{ parameters: encoder.parameters, timeBase: encoder.timeBase }],
    });
    const id = this.counters.id;
    this.#ctx.sink.addRendition({
      id, type: 'audio', codecs: encoder.parameters.codecString ?? '', bitrate, sampleRate,
      channels: encoder.parameters.channels ?? 2, language,
    });
    if (this.#segmenter.init) await this.#ctx.sink.setInit(id, this.#segmenter.init);
  }

  /** The worker loop: until the queue ends, then flush resampler, encoder, segmenter. */
  async run(): Promise<void> {
    for (let f = await this.queue.take(); f; f = await this.queue.take()) {
      try {
        await this.#convert(f);
      } finally {
        f.free();
      }
    }
    await this.#convert(null);
    await this.#write(await this.#encoder.encode(null));
    await deliver(this.#ctx.sink, this.counters, await this.#segmenter!.finish());
  }

  async #convert(f: Frame | null): Promise<void> {
    for (const chunk of await this.#resampler.convert(f)) {
      try {
        await this.#write(await this.#encoder.encode(chunk));
        this.counters.frames++;
      } finally {
        chunk.free();
      }
    }
  }

  async #write(packets: Packet[]): Promise<void> {
    try {
      if (packets.length) await deliver(this.#ctx.sink, this.counters, await this.#segmenter!.write(packets));
    } finally {
      for (const p of packets) p.free();
    }
  }

  async close(): Promise<void> {
    this.queue.discard();
    this.#resampler.close();
    await this.#encoder.close();
    await this.#segmenter?.close();
  }
}

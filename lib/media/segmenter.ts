/**
 * Segmenter: encoded packets of one or more streams in, media segments out —
 * CMAF fMP4 (an init segment + moof/mdat media segments) or MPEG-TS — as
 * Buffers with metadata. It cuts only at keyframes of the first video stream
 * (else stream 0), at the first keyframe at or after each multiple of
 * `segmentDuration` less `gridTolerance` (the one grid rule of
 * lib/transcoding/grid.ts; default half a frame when the stream's parameters
 * carry a `frameRate`, as a Decoder's StreamInfo does), and writes no files.
 *
 * @example
 * const seg = await Segmenter.open({ format: 'cmaf', segmentDuration: 6,
 *   streams: [{ parameters: video.parameters, timeBase: video.timeBase }, { parameters: audio.parameters, timeBase: audio.timeBase }] });
 * writeFileSync('init.mp4', seg.init!);
 * for (const s of await seg.write(packets)) writeFileSync(`seg${s.sequence}.m4s`, s.data);
 * for (const s of await seg.finish()) writeFileSync(`seg${s.sequence}.m4s`, s.data);
 */
import type { SegmentInfo, SegmenterOptions, Segmenter as NativeSegmenter } from '../../types/binding.js';
import { native } from '../native/binding.js';
import { Serial } from '../serial.js';
import type { Packet } from './frame.js';
import { ENUMS, LIMITS, checkEnum, checkNumber, checkObject, checkRational } from './validate.js';
import { gridTolerance } from '../transcoding/grid.js';

export type { SegmentInfo, SegmenterOptions };

export class Segmenter {
  readonly #native: NativeSegmenter;
  readonly #serial = new Serial();
  /** the CMAF init segment (ftyp + moov); null for MPEG-TS */
  readonly init: Buffer | null;

  private constructor(n: NativeSegmenter, init: Buffer | null) {
    this.#native = n;
    this.init = init;
  }

  static async open(opts: SegmenterOptions): Promise<Segmenter> {
    const at = 'Segmenter.open';
    if (opts === null || opts === undefined) throw new TypeError(`${at}: options must be an object, got ${String(opts)}`);
    checkObject(at, 'options', opts);
    if (opts.format === undefined) throw new TypeError(`${at}: format must be 'cmaf' | 'mpegts', got undefined`);
    checkEnum(at, 'format', opts.format, ENUMS.segmentFormat);
    if (!Array.isArray(opts.streams) || opts.streams.length === 0) throw new TypeError(`${at}: streams must be a non-empty array`);
    opts.streams.forEach((s, i) => {
      if (s === null || typeof s !== 'object') throw new TypeError(`${at}: streams[${i}] must be an object`);
      if (s.timeBase === undefined || s.timeBase === null) throw new TypeError(`${at}: streams[${i}].timeBase must be [num, den], got ${String(s.timeBase)}`);
      checkRational(at, `streams[${i}].timeBase`, s.timeBase);
    });
    if (opts.segmentDuration === undefined) throw new TypeError(`${at}: segmentDuration must be a number 0.1..60, got undefined`);
    checkNumber(at, 'segmentDuration', opts.segmentDuration, 0.1, 60);
    checkNumber(at, 'timeOffset', opts.timeOffset, 0, LIMITS.maxTimeOffset);
    checkNumber(at, 'gridTolerance', opts.gridTolerance, 0, opts.segmentDuration / 2);
    const n = new native.Segmenter();
    try {
      const { init } = await n.open({ ...opts, gridTolerance: opts.gridTolerance ?? defaultTolerance(opts) });
      return new Segmenter(n, init);
    } catch (e) {
      await n.close();
      throw e;
    }
  }

  /** Writes packets (in dts order; `streamIndex` picks the stream); returns segments they completed. Packets are not consumed. */
  write(packets: Packet[]): Promise<SegmentInfo[]> {
    if (!Array.isArray(packets)) throw new TypeError('Segmenter.write: expected an array of packets');
    return this.#serial.run('Segmenter.write', packets, (p) => this.#native.write(p as Packet[]));
  }

  /** Ends the stream: returns the last (possibly short) segment. */
  finish(): Promise<SegmentInfo[]> {
    return this.#serial.run<Packet, SegmentInfo[]>('Segmenter.finish', [], () => this.#native.finish());
  }

  get closed(): boolean {
    return this.#serial.closed;
  }
  /** Later calls throw ECLOSED; calls made before complete, then the muxer is freed. */
  close(): Promise<void> {
    // Every caller waits for the same close, so "closed" means freed for all.
    return this.#serial.close('Segmenter', () => this.#native.close());
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Half a frame of the cut stream (first video, else stream 0) when its parameters say its frame rate; else 0. */
function defaultTolerance(opts: SegmenterOptions): number {
  const streams = opts.streams;
  const cut = streams.find((s) => (s.parameters as { mediaType?: string })?.mediaType === 'video') ?? streams[0];
  const fr = (cut?.parameters as { frameRate?: unknown } | undefined)?.frameRate;
  if (!Array.isArray(fr) || !(fr[0] > 0 && fr[1] > 0)) return 0;
  return Math.min(gridTolerance(fr[0] / fr[1]), opts.segmentDuration / 2);
}

/**
 * Resampler: swresample (rate, channel layout, sample format) plus a FIFO
 * that emits frames of exactly `frameSize` samples — what an AAC (1024) or
 * Opus (960) encoder needs. Output pts count samples at the output rate,
 * starting from the first input frame's pts.
 *
 * @example
 * const rs = new Resampler({ sampleRate: 48000, channelLayout: 'stereo', format: 'fltp', frameSize: 1024 });
 * for (const out of await rs.convert(frame)) { await encoder.encode(out); out.free(); }
 * for (const out of await rs.convert(null)) { ... } // flush: the last frame may be short
 */
import type { ResamplerOptions, Resampler as NativeResampler } from '../../types/binding.js';
import { native } from '../native/binding.js';
import { Serial } from '../serial.js';
import type { Frame } from './frame.js';
import { LIMITS, checkInt, checkObject, checkOptionalInt, checkString } from './validate.js';

export type { ResamplerOptions };

export class Resampler {
  readonly #native: NativeResampler;
  readonly #serial = new Serial();
  readonly sampleRate: number;
  readonly frameSize: number;

  constructor(opts: ResamplerOptions) {
    if (opts === null || opts === undefined) throw new TypeError('Resampler: options must be an object, got ' + String(opts));
    checkObject('Resampler', 'options', opts);
    checkInt('Resampler', 'sampleRate', opts.sampleRate, 1, LIMITS.maxSampleRate);
    checkOptionalInt('Resampler', 'frameSize', opts.frameSize, 0, LIMITS.maxNbSamples);
    checkString('Resampler', 'channelLayout', opts.channelLayout);
    checkString('Resampler', 'format', opts.format);
    this.#native = new native.Resampler(opts);
    this.sampleRate = opts.sampleRate;
    this.frameSize = opts.frameSize ?? 0;
  }

  /** Converts `frame` (not consumed); `null` flushes. Returns 0..n frames you own. */
  convert(frame: Frame | null): Promise<Frame[]> {
    return this.#serial.run('Resampler.convert', [frame], ([f]) => this.#native.convert(f ?? null));
  }

  /** Later calls throw ECLOSED; calls made before complete, then the context is freed. */
  close(): void {
    void this.#serial.close('Resampler', () => this.#native.close());
  }
  get closed(): boolean {
    return this.#serial.closed;
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Scaler: resizes and converts video frames to one output size and pixel
 * format, on the libuv pool, into pooled frames (steady state allocates
 * nothing). Input geometry may change mid-stream. Same-format resizes run on
 * zimg when the addon was built with it (about half swscale's CPU for a
 * ladder's downscales), everything else on swscale; `backend` forces one.
 *
 * @example
 * using scaler = new Scaler({ width: 640, height: 360 });
 * const small = await scaler.scale(frame); // pts, timeBase, keyFrame carried over
 * small.free();
 */
import type { ScalerOptions, Scaler as NativeScaler } from '../../types/binding.js';
import { native } from '../native/binding.js';
import { Serial } from '../serial.js';
import type { Frame } from './frame.js';
import { ENUMS, checkDimension, checkEnum, checkObject, checkOptionalInt, checkString } from './validate.js';

export type { ScalerOptions };

export class Scaler {
  readonly #native: NativeScaler;
  readonly #serial = new Serial();
  /** output width, height and pixel format */
  readonly width: number;
  readonly height: number;
  readonly format: string;

  constructor(opts: ScalerOptions) {
    if (opts === null || opts === undefined) throw new TypeError('Scaler: options must be an object, got ' + String(opts));
    checkObject('Scaler', 'options', opts);
    checkDimension('Scaler', 'width', opts.width);
    checkDimension('Scaler', 'height', opts.height);
    checkString('Scaler', 'format', opts.format);
    checkEnum('Scaler', 'algorithm', opts.algorithm, ENUMS.scalerAlgorithm);
    checkEnum('Scaler', 'backend', opts.backend, ENUMS.scalerBackend);
    checkOptionalInt('Scaler', 'poolSize', opts.poolSize, 1, 1024);
    this.#native = new native.Scaler(opts);
    this.width = opts.width;
    this.height = opts.height;
    this.format = opts.format ?? 'yuv420p';
  }

  /** Scales `frame` (not consumed: free it yourself) into a new pooled frame you own. */
  scale(frame: Frame): Promise<Frame> {
    return this.#serial.run('Scaler.scale', [frame], ([f]) => this.#native.scale(f!));
  }

  /** Later calls throw ECLOSED; calls made before complete, then the context is freed. */
  close(): void {
    void this.#serial.close('Scaler', () => this.#native.close());
  }
  get closed(): boolean {
    return this.#serial.closed;
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

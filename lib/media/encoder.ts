/**
 * Encoder: any libavcodec encoder by name with typed common options, hardware
 * device selection (probed by really opening the device and the encoder), and
 * full send/receive draining: `encode()` returns every packet that is ready,
 * and `encode(null)` flushes the tail.
 *
 * @example
 * const enc = await Encoder.open({ codec: 'libx264', width: 1280, height: 720, frameRate: [30, 1],
 *   bitRate: 2_800_000, maxRate: 3_000_000, bufSize: 5_600_000, preset: 'veryfast', gop: 60, sceneCut: false });
 * console.log(enc.parameters?.codecString); // e.g. 'avc1.64001f'
 * frame.keyFrame = true;                  // force an IDR here (segment boundary)
 * for (const pkt of await enc.encode(frame)) { ...; pkt.free(); }
 * for (const pkt of await enc.encode(null)) { ...; pkt.free(); }
 * await enc.close();
 *
 * @example Hardware with fallback
 * const enc = await Encoder.open({ codec: 'h264', hwDevice: 'auto', fallback: 'software', width: 1920, height: 1080, frameRate: [30, 1] });
 * console.log(enc.selection); // { encoder: 'libx264', hardware: null, reason: 'auto: no device opened (...); using libx264' }
 */
import type { CodecParameters, EncoderOptions, EncoderSelection, HwDeviceType, Rational, Encoder as NativeEncoder } from '../../types/binding.js';
import { native } from '../native/binding.js';
import { Serial } from '../serial.js';
import type { Frame, Packet } from './frame.js';
import { checkInt, checkNumber, checkRational, checkString } from './validate.js';

export type { CodecParameters, EncoderOptions, EncoderSelection, HwDeviceType };

export class Encoder {
  readonly #native: NativeEncoder;
  readonly #serial = new Serial();
  // Fixed once open: cached so they stay readable after close().
  readonly #selection: EncoderSelection;
  readonly #parameters: CodecParameters;
  readonly #timeBase: Rational;
  readonly #frameSize: number;

  private constructor(n: NativeEncoder) {
    this.#native = n;
    this.#selection = n.selection!;
    this.#parameters = n.parameters!;
    this.#timeBase = n.timeBase!;
    this.#frameSize = n.frameSize;
  }

  /** Opens an encoder. @throws FFmpegError (ENCODER_NOT_FOUND, OPTION_NOT_FOUND, EINVAL, ...) */
  static async open(opts: EncoderOptions): Promise<Encoder> {
    validate(opts);
    const n = new native.Encoder();
    try {
      await n.open(opts);
    } catch (e) {
      await n.close();
      throw e;
    }
    return new Encoder(n);
  }

  /** Device types whose device really opens on this machine (e.g. `['cuda']`). */
  static hardware(): Promise<HwDeviceType[]> {
    return native.Encoder.hardware();
  }

  /**
   * Sends `frame` (not consumed; `null` = end of stream) and returns every
   * packet now ready, in decode order, timestamps in `timeBase`.
   */
  encode(frame: Frame | null): Promise<Packet[]> {
    return this.#serial.run('Encoder.encode', [frame], ([f]) => this.#native.encode(f ?? null));
  }

  /** what was opened and why (hardware or software, and the fallback reason) */
  get selection(): EncoderSelection {
    return this.#selection;
  }
  /** codec parameters incl. extradata and the RFC 6381 codec string */
  get parameters(): CodecParameters {
    return this.#parameters;
  }
  get timeBase(): Rational {
    return this.#timeBase;
  }
  /** samples per frame an audio encoder expects (0 for video / variable) */
  get frameSize(): number {
    return this.#frameSize;
  }
  get closed(): boolean {
    return this.#serial.closed;
  }
  /** Later calls throw ECLOSED; calls made before complete, then the encoder is freed. */
  close(): Promise<void> {
    // Every caller waits for the same close, so "closed" means freed for all.
    return this.#serial.close('Encoder', () => this.#native.close());
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function validate(o: EncoderOptions): void {
  if (o === null || typeof o !== 'object') throw new TypeError('Encoder.open: options must be an object');
  if (typeof o.codec !== 'string' || !o.codec) throw new TypeError('Encoder.open: codec must be a non-empty string');
  for (const k of ['width', 'height'] as const) if (o[k] !== undefined) checkInt('Encoder.open', k, o[k], 1, 16384);
  for (const k of ['bitRate', 'maxRate', 'bufSize'] as const) checkNumber('Encoder.open', k, o[k], 1, 2 ** 40);
  checkNumber('Encoder.open', 'crf', o.crf, 0, 63);
  for (const k of ['gop', 'minKeyint'] as const) if (o[k] !== undefined) checkInt('Encoder.open', k, o[k], 0, 100000);
  if (o.bFrames !== undefined) checkInt('Encoder.open', 'bFrames', o.bFrames, 0, 16);
  if (o.threads !== undefined) checkInt('Encoder.open', 'threads', o.threads, 0, 256);
  if (o.sampleRate !== undefined) checkInt('Encoder.open', 'sampleRate', o.sampleRate, 1, 768000);
  for (const k of ['pixelFormat', 'channelLayout', 'sampleFormat', 'preset', 'tune', 'profile', 'level'] as const) checkString('Encoder.open', k, o[k]);
  checkRational('Encoder.open', 'frameRate', o.frameRate);
  checkRational('Encoder.open', 'timeBase', o.timeBase);
  if (o.hwDevice !== undefined && !['cuda', 'vaapi', 'qsv', 'videotoolbox', 'auto'].includes(o.hwDevice))
    throw new TypeError(`Encoder.open: hwDevice must be 'cuda' | 'vaapi' | 'qsv' | 'videotoolbox' | 'auto'`);
  if (o.fallback !== undefined && o.fallback !== 'software' && o.fallback !== 'error')
    throw new TypeError(`Encoder.open: fallback must be 'software' | 'error'`);
  if (o.device !== undefined && typeof o.device !== 'string' && !(Number.isInteger(o.device) && o.device >= 0))
    throw new TypeError('Encoder.open: device must be a path string or a device index');
}

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
import { ENUMS, LIMITS, checkBoolean, checkEnum, checkInt, checkNumber, checkObject, checkOptionalInt, checkRational, checkString } from './validate.js';

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

// Mirrors native/encoder_options.cc, so a bad option fails before any work starts.
function validate(o: EncoderOptions): void {
  const at = 'Encoder.open';
  if (o === null || o === undefined) throw new TypeError(`${at}: options must be an object, got ${String(o)}`);
  checkObject(at, 'options', o);
  if (typeof o.codec !== 'string' || !o.codec) throw new TypeError(`${at}: codec must be a non-empty string, got ${o.codec === '' ? "''" : typeof o.codec}`);
  for (const k of ['width', 'height'] as const) checkOptionalInt(at, k, o[k], 1, LIMITS.maxDimension);
  for (const k of ['bitRate', 'maxRate'] as const) checkOptionalInt(at, k, o[k], 0, 2 ** 40);
  checkOptionalInt(at, 'bufSize', o.bufSize, 0, LIMITS.maxRationalTerm);
  checkNumber(at, 'crf', o.crf, 0, 63);
  for (const k of ['gop', 'minKeyint'] as const) checkOptionalInt(at, k, o[k], 0, 100000);
  checkOptionalInt(at, 'bFrames', o.bFrames, 0, 16);
  checkOptionalInt(at, 'threads', o.threads, 0, 256);
  checkOptionalInt(at, 'sampleRate', o.sampleRate, 1, LIMITS.maxSampleRate);
  for (const k of ['pixelFormat', 'channelLayout', 'sampleFormat', 'preset', 'tune', 'profile', 'level'] as const) checkString(at, k, o[k]);
  checkRational(at, 'frameRate', o.frameRate);
  checkRational(at, 'timeBase', o.timeBase);
  checkBoolean(at, 'sceneCut', o.sceneCut);
  checkBoolean(at, 'globalHeader', o.globalHeader);
  checkObject(at, 'options', o.options);
  checkEnum(at, 'hwDevice', o.hwDevice, ENUMS.hwDevice);
  checkEnum(at, 'fallback', o.fallback, ENUMS.fallback);
  if (o.device !== undefined && typeof o.device !== 'string') checkInt(at, 'device', o.device, 0, 1024);
}

/**
 * Remuxer: stream copy (no re-encoding) from any input to mp4/mov/mkv/mpegts/
 * flv or fragmented mp4. Timestamps are rescaled between time bases, and the
 * bitstream filters the target needs (annexb ↔ avcc, ADTS → ASC) are inserted
 * automatically. Runs on its own native thread (inputs may be network URLs).
 *
 * @example
 * const result = await remux('input.ts', 'output.mp4');
 * console.log(result.streams.map((s) => s.bsf)); // e.g. [null, 'aac_adtstoasc']
 */
import type { RemuxOptions, RemuxResult, RemuxerOpenOptions, RemuxerResult, RemuxerStream, RemuxWriter as NativeRemuxWriter } from '../../types/binding.js';
import { FFmpegError, withInput } from '../errors.js';
import { native } from '../native/binding.js';
import { sameFile } from './same-file.js';
import type { Packet } from './frame.js';
import { LIMITS, checkBoolean, checkInt, checkNumber, checkObject, checkRational, checkString } from './validate.js';

export type { RemuxOptions, RemuxResult, RemuxerOpenOptions, RemuxerResult, RemuxerStream };

export interface RemuxCallOptions extends RemuxOptions {
  /** aborting interrupts the copy; the promise rejects and the output is left unfinished */
  signal?: AbortSignal;
  /**
   * aborting ends the copy early but cleanly, as `q` does in the ffmpeg CLI:
   * reading stops (a blocked network read is cut short), the output gets its
   * trailer, and the promise resolves with `stopped: true`. Use it to end a
   * recording of a live input. Before the input is open it rejects like `signal`.
   */
  stop?: AbortSignal;
}

/** AVERROR(EINVAL) */
const EINVAL = -22;

/**
 * Copies `input` into `output`.
 * @throws FFmpegError naming the failing step and path; errorName 'EINVAL'
 *   ("Output same as Input") when `output` is the input file itself — the same
 *   path, a symlink or a hard link to it — checked before anything is opened.
 */
export async function remux(input: string, output: string, opts: RemuxCallOptions = {}): Promise<RemuxResult> {
  if (typeof input !== 'string' || !input) throw new TypeError('remux: input must be a non-empty string');
  if (typeof output !== 'string' || !output) throw new TypeError('remux: output must be a non-empty string');
  if (opts === null) throw new TypeError('remux: options must be an object, got null');
  checkObject('remux', 'options', opts);
  if (opts.streams !== undefined) {
    if (!Array.isArray(opts.streams)) throw new TypeError('remux: streams must be an array of stream indices');
    opts.streams.forEach((i, k) => checkInt('remux', `streams[${k}]`, i, 0, LIMITS.maxStreamIndex));
  }
  checkString('remux', 'format', opts.format);
  checkString('remux', 'inputFormat', opts.inputFormat);
  checkNumber('remux', 'timeoutMs', opts.timeoutMs, 0, 2 ** 31);
  checkBoolean('remux', 'copyTs', opts.copyTs);
  checkBoolean('remux', 'allowPlaylists', opts.allowPlaylists);
  const { signal, stop, ...rest } = opts;
  if (stop !== undefined && !(stop instanceof AbortSignal)) throw new TypeError('remux: stop must be an AbortSignal');
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  if (stop?.aborted) throw stop.reason ?? new Error('stopped');
  // Opening the output truncates it: writing over the input would destroy it.
  if (await sameFile(input, output)) throw new FFmpegError(`remux (${output}): Output same as Input (${input})`, EINVAL, 'EINVAL', 'remux', { input });
  const r = new native.Remuxer();
  const onAbort = (): void => r.interrupt();
  const onStop = (): void => r.stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  stop?.addEventListener('abort', onStop, { once: true });
  try {
    return await r.run(input, output, rest).catch((e: unknown) => {
      throw withInput(e, input);
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stop?.removeEventListener('abort', onStop);
    await r.close();
  }
}

/**
 * Remuxer: a packet-writing muxer object — `Remuxer.open(output, { streams })`,
 * then `write(packet)` per packet, then `close()`. The same stream-copy path
 * as {@link remux}: bitstream filters inserted automatically (Annex B ↔
 * avcC/hvcC, ADTS → ASC), timestamps rescaled from each packet's time base
 * and kept monotonic, output starting at 0 unless `copyTs`. Every call runs
 * on the object's own native thread, in call order (file or network output
 * may block). Use it to record a live stream's source packets: mp4/mov and
 * Matroska output is crash-safe by default (`fragmented`), so a process killed
 * mid-recording leaves a playable file.
 *
 * @example
 * const dec = await Decoder.open('rtmp://127.0.0.1/live/cam1', { decode: false });
 * const rec = await Remuxer.open('cam1.mp4', {
 *   streams: dec.streams.map((s) => ({ parameters: s, timeBase: s.timeBase, frameRate: s.frameRate })),
 * });
 * for (let p; (p = await dec.readPacket()); ) {
 *   const written = rec.write(p); // packet.streamIndex picks the output stream
 *   p.free();                      // the remuxer holds its own reference
 *   await written;
 * }
 * const { packets, bytes } = await rec.close(); // trailer
 * await dec.close();
 */
export class Remuxer {
  readonly #native: NativeRemuxWriter;
  readonly #streams: number;
  #closing: Promise<RemuxerResult> | null = null;
  #onAbort: (() => void) | null = null;
  #signal: AbortSignal | undefined;

  private constructor(n: NativeRemuxWriter, streams: number, signal?: AbortSignal) {
    this.#native = n;
    this.#streams = streams;
    if (signal) {
      this.#signal = signal;
      this.#onAbort = () => n.interrupt();
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /**
   * Opens `output` (a path or URL) with one output stream per `streams` entry
   * and writes the header.
   * @throws TypeError/RangeError for bad arguments (at call time);
   *   FFmpegError (MUXER_NOT_FOUND, OPTION_NOT_FOUND, ENOENT, ...) from the open.
   */
  static async open(output: string, opts: RemuxerOpenOptions & { signal?: AbortSignal }): Promise<Remuxer> {
    const at = 'Remuxer.open';
    if (typeof output !== 'string' || !output) throw new TypeError(`${at}: output must be a non-empty string`);
    if (opts === null || opts === undefined) throw new TypeError(`${at}: options must be an object, got ${String(opts)}`);
    checkObject(at, 'options', opts);
    checkString(at, 'format', opts.format);
    if (!Array.isArray(opts.streams) || opts.streams.length === 0) throw new TypeError(`${at}: streams must be a non-empty array`);
    opts.streams.forEach((s, i) => {
      if (s === null || typeof s !== 'object') throw new TypeError(`${at}: streams[${i}] must be an object`);
      if (s.parameters === null || typeof s.parameters !== 'object') throw new TypeError(`${at}: streams[${i}].parameters must be codec parameters (a Decoder StreamInfo), got ${String(s.parameters)}`);
      if (s.timeBase === undefined || s.timeBase === null) throw new TypeError(`${at}: streams[${i}].timeBase must be [num, den], got ${String(s.timeBase)}`);
      checkRational(at, `streams[${i}].timeBase`, s.timeBase);
      if (s.frameRate !== undefined && s.frameRate !== null) checkRational(at, `streams[${i}].frameRate`, s.frameRate);
    });
    checkBoolean(at, 'fragmented', opts.fragmented);
    checkBoolean(at, 'copyTs', opts.copyTs);
    checkNumber(at, 'timeoutMs', opts.timeoutMs, 0, 2 ** 31);
    const { signal, ...rest } = opts;
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    const n = new native.RemuxWriter();
    const onAbort = (): void => n.interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await n.open(output, rest);
    } catch (e) {
      await n.close().catch(() => undefined);
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return new Remuxer(n, opts.streams.length, signal);
  }

  /**
   * Writes one packet; `packet.streamIndex` selects the output stream.
   * The packet is not consumed (free it whenever you like).
   * @throws RangeError (at call time) for a streamIndex with no output stream;
   *   FFmpegError ECLOSED after close(); FFmpegError from the muxer (the
   *   remuxer is then broken: later writes fail, close() frees it).
   */
  write(packet: Packet): Promise<void> {
    if (this.#closing) throw new FFmpegError('Remuxer.write: object is closed', 0, 'ECLOSED', 'Remuxer.write');
    const si = (packet as { streamIndex?: unknown } | null)?.streamIndex;
    if (typeof si === 'number' && (si < 0 || si >= this.#streams)) {
      throw new RangeError(`Remuxer.write: packet has streamIndex ${si}, expected 0..${this.#streams - 1}`);
    }
    return this.#native.write(packet);
  }

  /** Aborts a blocked write and every later one; close() then frees without a trailer. */
  interrupt(): void {
    this.#native.interrupt();
  }

  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Waits for the writes already made, writes the trailer and frees
   * everything. Idempotent: every call returns the same promise.
   */
  close(): Promise<RemuxerResult> {
    if (!this.#closing) {
      if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
      this.#closing = this.#native.close();
    }
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close().catch(() => undefined);
  }
}

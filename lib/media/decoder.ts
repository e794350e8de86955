/**
 * Decoder: demuxes and decodes one input — a file, a URL (http(s), rtmp, rtsp,
 * srt, udp, ...), a lavfi graph, or a Node Readable / async iterable of bytes.
 * All work runs on the decoder's own native thread, so a stalled network read
 * never occupies a libuv pool thread, and `close()` interrupts it at once.
 *
 * @example
 * await using dec = await Decoder.open('input.mp4');
 * for await (using frame of dec.frames('video')) {
 *   console.log(frame.pts, frame.width, frame.height);
 * }
 */
import type { Readable } from 'node:stream';
import type { AVOptions, DecodedBatch, InputInfo, StreamInfo, Decoder as NativeDecoder } from '../../types/binding.js';
import { callerError, SOURCE_FAILED, withInput } from '../errors.js';
import { native } from '../native/binding.js';
import type { Frame, Packet } from './frame.js';
import { LIMITS, checkBoolean, checkInt, checkNumber, checkObject, checkOptionalInt, checkString } from './validate.js';

export type { DecodedBatch, InputInfo, StreamInfo };

/** Byte sources a Decoder can read through custom I/O. */
export type ByteSource = Readable | AsyncIterable<Uint8Array>;

export interface DecoderOptions {
  /** demuxer name: required for lavfi ('lavfi') and raw streams; a hint for byte sources ('mpegts', 'flv', ...) */
  format?: string;
  /** demuxer and protocol AVOptions, e.g. `{ rtsp_transport: 'tcp' }`; unknown names are an error */
  options?: AVOptions;
  /**
   * ms any single blocking open/read may take (0 = no limit); for a byte
   * source, ms without new bytes (the demuxer's own work never counts).
   * Default: 15000 for network URLs, 30000 for byte sources, none for files
   */
  timeoutMs?: number;
  /**
   * ms the open (connect + probing the streams) may take, when it must differ
   * from `timeoutMs` (0 = no limit); reads keep `timeoutMs`. E.g. a listener
   * (`udp://0.0.0.0:9000`, `srt://…?mode=listener`) waits for its publisher
   * without limit, yet a publisher that stalls once connected is detected:
   * `{ openTimeoutMs: 0, timeoutMs: 10_000 }`. Default: `timeoutMs`.
   */
  openTimeoutMs?: number;
  /** open decoders for audio/video streams (default true); false = packets only */
  decode?: boolean;
  /** decoder threads per stream (0 = auto) */
  threads?: number;
  /**
   * Pixel rate (width × height × fps) up to which a video stream decodes on
   * one thread whatever `threads` says (0 = off). Frame threads cost CPU and
   * memory that a light stream doesn't need when decode isn't the bottleneck.
   */
  oneThreadUpTo?: number;
  /**
   * Let content probing pick the HLS demuxer (default false). A playlist
   * opens every URL it lists — segments, keys, variant playlists — so an
   * upload or stream that is secretly a playlist could make the decoder read
   * other local files or reach internal hosts. Off, a playlist input is
   * refused with errorName 'EPERM' before anything it names is opened. On,
   * its nested opens are still held to the input's protocols (a network
   * playlist never reaches `file:`) and to TLS verification. Set it only for
   * sources you trust (e.g. `https://…/live.m3u8`). An explicit `format`
   * ('hls', 'dash', 'concat', ...) also allows that demuxer; dash, concat
   * and imf open what they list without TLS options in FFmpeg 5.1, so while
   * TLS verification is on they may not reach TLS at all (docs/ingest/network-inputs.md).
   */
  allowPlaylists?: boolean;
  /** aborting closes the decoder; a pending read rejects */
  signal?: AbortSignal;
}

/** Which stream `frames()`/`packets()` follow: an index, or the first of a kind. */
export type StreamSelector = number | 'video' | 'audio';

export class Decoder {
  readonly #native: NativeDecoder;
  #info!: InputInfo;
  #inputError: unknown = null;
  // the path/URL/graph, named on the errors of later reads too (null: a byte source)
  #input: string | null = null;
  #source: AsyncIterator<unknown> | null = null;
  #stream: { destroy?: () => void } | null = null;
  #closing: Promise<void> | null = null;
  #onAbort: (() => void) | null = null;
  #signal: AbortSignal | undefined;

  private constructor() {
    this.#native = new native.Decoder();
  }

  /**
   * Opens `input` and probes its streams.
   * @throws FFmpegError (e.g. ENOENT, INVALIDDATA, DEMUXER_NOT_FOUND, ETIMEDOUT) — the decoder is closed again.
   */
  static async open(input: string | ByteSource, opts: DecoderOptions = {}): Promise<Decoder> {
    const isUrl = typeof input === 'string';
    if (!isUrl && !(input && typeof (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function')) {
      throw new TypeError('Decoder.open: input must be a path/URL string, a Readable or an async iterable of bytes');
    }
    validateOptions(opts);
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    const dec = new Decoder();
    if (isUrl) dec.#input = input;
    if (opts.signal) {
      // Attached before open: an abort interrupts a slow or silent open too.
      dec.#signal = opts.signal;
      dec.#onAbort = () => void dec.close();
      opts.signal.addEventListener('abort', dec.#onAbort, { once: true });
    }
    try {
      if (!isUrl) void dec.#feed(input as ByteSource);
      dec.#info = await dec.#native.open(isUrl ? input : '', {
        format: opts.format,
        options: opts.options,
        timeoutMs: opts.timeoutMs,
        openTimeoutMs: opts.openTimeoutMs,
        decode: opts.decode,
        threads: opts.threads,
        oneThreadUpTo: opts.oneThreadUpTo,
        customIO: !isUrl,
        allowPlaylists: opts.allowPlaylists === true,
      });
    } catch (e) {
      await dec.close();
      throw opts.signal?.aborted ? (opts.signal.reason ?? e) : withInput(dec.#inputError ?? e, input);
    }
    return dec;
  }

  // Copies bytes from the source into the native input buffer, pausing while
  // it is above its high-water mark (bounded memory for any peer). Never
  // rejects: whatever the source throws — even synchronously, from
  // [Symbol.asyncIterator]() or next() — ends the input and is what the
  // pending open/read rejects with, as an FFmpegError 'EINPUT' (cause: it).
  async #feed(src: ByteSource): Promise<void> {
    try {
      this.#stream = src as { destroy?: () => void };
      const it = (src as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
      this.#source = it;
      for (;;) {
        const { value: chunk, done } = await it.next();
        if (done || this.#native.closed) break;
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (!this.#native.pushInput(buf)) await this.#native.inputDrained();
      }
    } catch (e) {
      if (!this.#native.closed) {
        this.#inputError = callerError(SOURCE_FAILED, 'Decoder (byte source)', 'the source failed', e);
        this.#native.interrupt();
      }
    } finally {
      if (!this.#native.closed) this.#native.endInput();
    }
  }

  /** container-level facts and every stream */
  get info(): InputInfo {
    return this.#info;
  }
  get streams(): StreamInfo[] {
    return this.#info.streams;
  }
  /** first video stream, if any */
  get video(): StreamInfo | undefined {
    return this.#info.streams.find((s) => s.mediaType === 'video');
  }
  /** first audio stream, if any */
  get audio(): StreamInfo | undefined {
    return this.#info.streams.find((s) => s.mediaType === 'audio');
  }
  get closed(): boolean {
    return this.#native.closed;
  }
  /**
   * Packets (or frames) a decoder rejected so far — corrupt data, a broken
   * bitstream, an unsupported feature — and skipped: decoding goes on with the
   * next packet, as in the ffmpeg CLI. Only out-of-memory and close/interrupt
   * end a read.
   */
  get decodeErrors(): number {
    return this.#native.decodeErrors;
  }
  /** {@link decodeErrors} of one stream: tells a track that never decodes from a few bad packets elsewhere. */
  streamDecodeErrors(streamIndex: number): number {
    checkInt('Decoder.streamDecodeErrors', 'streamIndex', streamIndex, 0, LIMITS.maxStreamIndex);
    return this.#native.streamDecodeErrors(streamIndex);
  }

  /** Resolves a selector to a stream index. @throws RangeError when there is no such stream */
  streamIndex(sel: StreamSelector): number {
    if (typeof sel === 'number') checkInt('Decoder', 'stream', sel, 0, LIMITS.maxStreamIndex);
    else if (typeof sel !== 'string') throw new TypeError(`Decoder: stream must be an index or a media type, got ${typeof sel}`);
    const s = typeof sel === 'number' ? this.#info.streams[sel] : this.#info.streams.find((x) => x.mediaType === sel);
    if (!s) throw new RangeError(`Decoder: no ${typeof sel === 'number' ? `stream #${sel}` : `${sel} stream`} in this input`);
    return s.index;
  }

  async #wrap<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      throw withInput(this.#inputError ?? e, this.#input);
    }
  }

  /**
   * Reads and decodes until one stream yields frames; returns them all (the
   * caller owns and frees them). At end of input every decoder is flushed, so
   * no tail frame is lost; then `null`.
   */
  read(): Promise<DecodedBatch | null> {
    return this.#wrap(this.#native.read());
  }

  /** Next demuxed packet (timeBase = its stream's), or `null` at the end. */
  readPacket(): Promise<Packet | null> {
    return this.#wrap(this.#native.readPacket());
  }

  /** Decodes one packet of stream `packet.streamIndex`; returns every frame it yielded. */
  decodePacket(packet: Packet): Promise<Frame[]> {
    return this.#wrap(this.#native.decodePacket(packet));
  }

  /** Flushes one stream's decoder (after its last packet) and returns the frames it held. */
  flush(streamIndex: number): Promise<Frame[]> {
    checkInt('Decoder.flush', 'streamIndex', streamIndex, 0, LIMITS.maxStreamIndex);
    return this.#wrap(this.#native.flushStream(streamIndex));
  }

  /**
   * Decoded frames of one stream (default: the first video stream, else the
   * first audio one), in presentation order; frames of other streams are freed.
   * Each yielded frame is the caller's to free (`using` does it).
   */
  async *frames(sel?: StreamSelector): AsyncGenerator<Frame, void, undefined> {
    const want = this.streamIndex(sel ?? (this.video ? 'video' : 'audio'));
    let pending: Frame[] = [];
    try {
      for (;;) {
        const batch = await this.read();
        if (!batch) return;
        if (batch.streamIndex !== want) {
          for (const f of batch.frames) f.free();
          continue;
        }
        pending = batch.frames;
        while (pending.length) yield pending.shift()!;
      }
    } finally {
      for (const f of pending) f.free();
    }
  }

  /** Every decoded batch of every stream, until the end of input. */
  async *batches(): AsyncGenerator<DecodedBatch, void, undefined> {
    for (;;) {
      const batch = await this.read();
      if (!batch) return;
      yield batch;
    }
  }

  /** Demuxed packets (all streams, or the selected one), without decoding. */
  async *packets(sel?: StreamSelector): AsyncGenerator<Packet, void, undefined> {
    const want = sel === undefined ? -1 : this.streamIndex(sel);
    for (;;) {
      const p = await this.readPacket();
      if (!p) return;
      if (want >= 0 && p.streamIndex !== want) {
        p.free();
        continue;
      }
      yield p;
    }
  }

  /** Seeks to the keyframe at or before `seconds`; decoders are flushed. */
  seek(seconds: number, stream?: StreamSelector): Promise<void> {
    if (seconds === undefined) throw new TypeError('Decoder.seek: seconds must be a number, got undefined');
    checkNumber('Decoder.seek', 'seconds', seconds, 0, LIMITS.maxTimestamp);
    return this.#wrap(this.#native.seek(seconds, stream === undefined ? undefined : this.streamIndex(stream)));
  }

  /**
   * Closes the input: a blocked open/read is interrupted at once (it rejects
   * with errorName 'EXIT'), then every context is freed. Idempotent.
   */
  close(): Promise<void> {
    // Every caller waits for the same close, so "closed" means freed for all.
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#onAbort = null;
    const closing = this.#native.close();
    // Stop reading the source (a Readable is destroyed); never wait on it: a
    // silent peer must not keep close() pending.
    // (An async generator suspended in next() defers return(), so a Readable
    // is destroyed directly.)
    const src = this.#source;
    this.#source = null;
    if (src) {
      // The caller's code: a throwing destroy()/return() must not fail close().
      try {
        if (this.#stream && typeof this.#stream.destroy === 'function') this.#stream.destroy();
        else Promise.resolve(src.return?.()).catch(() => {});
      } catch {
        // the input is closed either way
      }
    }
    await closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function validateOptions(o: DecoderOptions): void {
  const at = 'Decoder.open';
  if (o === null) throw new TypeError(`${at}: options must be an object, got null`);
  checkObject(at, 'options', o);
  checkString(at, 'format', o.format);
  checkNumber(at, 'timeoutMs', o.timeoutMs, 0, 2 ** 31);
  checkNumber(at, 'openTimeoutMs', o.openTimeoutMs, 0, 2 ** 31);
  checkOptionalInt(at, 'threads', o.threads, 0, 64);
  checkNumber(at, 'oneThreadUpTo', o.oneThreadUpTo, 0, Number.MAX_SAFE_INTEGER);
  checkBoolean(at, 'decode', o.decode);
  if (o.options === null) throw new TypeError(`${at}: options.options must be an object, got null`);
  checkObject(at, 'options.options', o.options);
  checkBoolean(at, 'allowPlaylists', o.allowPlaylists);
}

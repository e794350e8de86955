/**
 * PushBody: an HTTP request body as a bounded Readable for a Decoder — the
 * request is paused while this is full (nothing is buffered beyond
 * `maxBufferedBytes` plus one chunk), an idle body ends it, an aborted request
 * ends it cleanly (a live EOF, like an RTMP publisher that vanished).
 */
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';

export type PushBodyEnd = 'complete' | 'aborted' | 'idle' | 'closed' | 'overflow';

export interface PushBodyOptions {
  /** bytes held for the consumer at most (default 8 MiB); the request is paused above the high-water mark */
  maxBufferedBytes?: number;
  /** ms without a byte from the client (while we are not the slow side) that end the body (default 10,000) */
  idleTimeoutMs?: number;
  /** bytes gathered for {@link PushBody.head} (default 377: three MPEG-TS sync bytes) */
  headBytes?: number;
}

/**
 * The body of one push. `head` resolves with its first bytes (to probe the
 * format); `done` with how it ended.
 *
 * @example
 * const body = new PushBody(req, { idleTimeoutMs: 5000 });
 * const dec = await Decoder.open(body, { format: 'mpegts' });
 */
export class PushBody extends Readable {
  readonly head: Promise<Buffer>;
  readonly done: Promise<PushBodyEnd>;
  /** bytes received from the client */
  bytesIn = 0;
  #req: IncomingMessage;
  #held = false;
  #timer: NodeJS.Timeout | null = null;
  #idleMs: number;
  #max: number;
  #headParts: Buffer[] = [];
  #headLen = 0;
  #headWant: number;
  #resolveHead!: (b: Buffer) => void;
  #resolveDone!: (e: PushBodyEnd) => void;
  #ended: PushBodyEnd | null = null;

  constructor(req: IncomingMessage, opts: PushBodyOptions = {}) {
    const max = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
    super({ highWaterMark: Math.min(max, 1024 * 1024) });
    this.#req = req;
    this.#max = max;
    this.#idleMs = opts.idleTimeoutMs ?? 10_000;
    this.#headWant = opts.headBytes ?? 377;
    this.head = new Promise((r) => (this.#resolveHead = r));
    this.done = new Promise((r) => (this.#resolveDone = r));
    req.on('error', () => this.#end('aborted'));
    req.on('data', (d: Buffer) => this.#onData(d));
    req.on('end', () => this.#end('complete'));
    req.on('close', () => {
      if (!req.complete) this.#end('aborted');
    });
    this.#arm();
  }

  /** how the body ended, or null while it flows */
  get endedBy(): PushBodyEnd | null {
    return this.#ended;
  }

  /** Ends the body now (a kick, a refusal): no more bytes are read from the client. */
  stop(why: PushBodyEnd = 'closed'): void {
    this.#end(why);
  }

  override _read(): void {
    if (this.#held && !this.#ended) {
      this.#held = false;
      this.#req.resume();
      this.#arm(); // the idle clock restarts when we read again
    }
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.#end('closed');
    cb(err);
  }

  #onData(d: Buffer): void {
    if (this.#ended) return;
    this.bytesIn += d.length;
    if (this.#headLen < this.#headWant) {
      this.#headParts.push(d);
      this.#headLen += d.length;
      if (this.#headLen >= this.#headWant) this.#resolveHead(Buffer.concat(this.#headParts));
    }
    this.#arm();
    if (!this.push(d)) {
      this.#held = true;
      this.#req.pause();
    }
    // 'data' may still arrive after pause() (already parsed); the hard cap holds anyway
    if (this.readableLength > this.#max) this.#end('overflow');
  }

  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#ended || this.#idleMs <= 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      // Decided after this turn's reads: after a stall of the event loop the
      // timer runs before the poll phase reads what the client sent meanwhile
      // (a byte read re-arms the clock in #onData).
      setImmediate(() => {
        if (this.#timer || this.#held || this.#ended) return; // bytes came, or paused by us (_read re-arms)
        this.#end('idle');
      });
    }, this.#idleMs);
    this.#timer.unref?.();
  }

  #end(why: PushBodyEnd): void {
    if (this.#ended) return;
    this.#ended = why;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#resolveHead(Buffer.concat(this.#headParts));
    this.#req.pause();
    this.#headParts = [];
    if (!this.destroyed) this.push(null);
    this.#resolveDone(why);
  }
}

/**
 * Tells MPEG-TS from FLV by the first bytes: 0x47 at 0, 188 and 376 (as many
 * as there are) → 'mpegts'; 'FLV' → 'flv'; else undefined.
 *
 * @example
 * probePushFormat(Buffer.from('FLV\x01\x05')); // 'flv'
 */
export function probePushFormat(head: Uint8Array): 'mpegts' | 'flv' | undefined {
  if (head.length >= 3 && head[0] === 0x46 && head[1] === 0x4c && head[2] === 0x56) return 'flv';
  if (head.length >= 1 && head[0] === 0x47) {
    for (let i = 188; i < head.length && i <= 376; i += 188) if (head[i] !== 0x47) return undefined;
    return 'mpegts';
  }
  return undefined;
}

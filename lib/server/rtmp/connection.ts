import { TypedEmitter } from '../../typed-emitter.js';
import { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import { RtmpError } from './errors.js';
import { Handshake } from './handshake.js';
import { ChunkParser, ChunkWriter, MSG, control, type ChunkLimits, type RtmpMessage } from './chunk-stream.js';
import { decodeAmf0, encodeAmf0, type AmfObject, type AmfValue } from './amf0.js';
import { FlvWriter } from './flv.js';

/** Options of one RTMP connection (RtmpServer passes its own). */
export interface RtmpConnectionOptions {
  /** the handshake and connect must finish within this (default 10,000 ms) */
  handshakeTimeoutMs?: number;
  /** a connection with no bytes in for this long is closed (default 30,000 ms); not while our consumer is slow */
  idleTimeoutMs?: number;
  /** chunk-stream bounds (chunk size, message length, chunk stream ids, buffered bytes) */
  limits?: ChunkLimits;
  /** the FLV Readable's buffer: above it the socket is paused (default 1 MiB) */
  highWaterMark?: number;
  /** FLV bytes queued beyond this (a consumer that never reads) end the connection (default 32 MiB) */
  maxQueuedBytes?: number;
}

/** What a publisher asked for. */
export interface PublishRequest {
  app: string;
  name: string;
  /** `<app>/<name>` */
  path: string;
  /** the connect command's tcUrl, flashVer etc. */
  connect: AmfObject;
  /** publish type: 'live', 'record', 'append' */
  type: string;
  remoteAddress: string | undefined;
  /**
   * the query the publisher sent, without the '?': the stream name's
   * (`mine?exp=…&sig=…`), after the app's (`rtmp://host/live?k=v/mine`)
   * joined with '&'; '' when none (at most {@link MAX_QUERY_LENGTH} characters)
   */
  query?: string;
}

/**
 * Longest query (app's and stream name's together) a publish may carry; a longer one is refused.
 *
 * @example
 * `live/cam1?${'x'.repeat(MAX_QUERY_LENGTH)}`; // refused: NetStream.Publish.BadName
 */
export const MAX_QUERY_LENGTH = 2048;

/** `text` split at its first '?': the part before, and the query after ('' when none). */
const splitQuery = (text: string): [string, string] => {
  const q = text.indexOf('?');
  return q < 0 ? [text, ''] : [text.slice(0, q), text.slice(q + 1)];
};

/** A publish that started: read FLV bytes from `stream` (e.g. `Decoder.open(stream, { format: 'flv' })`). */
export interface PublishEvent extends PublishRequest {
  stream: Readable;
}

/** Decides whether a publish may start: return/resolve a reason string to refuse. */
export type PublishGate = (req: PublishRequest) => string | void | undefined | Promise<string | void | undefined>;

const STREAM_ID = 1;

/**
 * The events of an {@link RtmpConnection} (listener arguments).
 *
 * @example
 * conn.on('publish', ({ path, stream }) => stream.pipe(process.stdout));
 */
export interface RtmpConnectionEvents {
  publish: [event: PublishEvent];
  unpublish: [request: PublishRequest];
  error: [error: RtmpError];
  close: [];
}

/**
 * One publisher connection: handshake → connect → (releaseStream, FCPublish) →
 * createStream → publish → media, until FCUnpublish/deleteStream/closeStream
 * or the socket ends. Every failure ends only this connection and is emitted
 * as an RtmpError on 'error' (the owner must listen). Events: 'publish'
 * (PublishEvent), 'unpublish' (PublishRequest), 'error', 'close'.
 */
export class RtmpConnection extends TypedEmitter<RtmpConnectionEvents> {
  private readonly hs = new Handshake();
  private readonly parser: ChunkParser;
  private readonly writer = new ChunkWriter();
  private readonly flv = new FlvWriter();
  private app = '';
  private appQuery = '';
  private connectObj: AmfObject = {};
  private request: PublishRequest | null = null;
  private out: Readable | null = null;
  private publishing = false;
  private closed = false;
  private hsTimer: NodeJS.Timeout | null;
  private ackWindow = 0;
  private ackedAt = 0;
  private backpressure = false;
  private gating = false;
  private readonly opts: Required<Omit<RtmpConnectionOptions, 'limits'>> & { limits: ChunkLimits };

  constructor(readonly socket: Socket, private readonly gate: PublishGate, options: RtmpConnectionOptions = {}) {
    super();
    this.opts = {
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      highWaterMark: options.highWaterMark ?? 1024 * 1024,
      maxQueuedBytes: options.maxQueuedBytes ?? 32 * 1024 * 1024,
      limits: options.limits ?? {},
    };
    this.parser = new ChunkParser((m) => this.onMessage(m), this.opts.limits);
    // A fixed deadline (never extended, so a trickling peer is cut), checked
    // after this turn's reads: a connect that waited out a stall of the event
    // loop in the socket buffer still counts (see the idle timeout below).
    this.hsTimer = setTimeout(() => setImmediate(() => {
      if (this.hsTimer) this.fail(new RtmpError(`no connect within ${this.opts.handshakeTimeoutMs} ms`, 'ETIMEDOUT', 'rtmp.handshake'));
    }), this.opts.handshakeTimeoutMs);
    socket.setNoDelay(true);
    // 'on', not setTimeout's callback (a once-listener): the timeout must keep working after
    // it fired while we held the publisher
    socket.on('timeout', () => {
      // silence we caused (paused for a slow consumer or a slow gate) is not idleness; re-arm,
      // since a fired socket timeout restarts only on new activity, which a paused socket has none of
      if (this.backpressure || this.gating) {
        socket.setTimeout(this.opts.idleTimeoutMs);
        return;
      }
      // After a stall of the event loop (GC, synchronous work in the host app)
      // timers run before the poll phase reads what peers sent meanwhile, so
      // every publisher would look idle at once. Decide in the check phase,
      // after this turn's reads: any byte read means the peer was not idle
      // (and the read re-armed the timeout).
      const seen = socket.bytesRead;
      setImmediate(() => {
        if (!this.closed && socket.bytesRead === seen && !this.backpressure && !this.gating) {
          this.fail(new RtmpError(`idle for ${this.opts.idleTimeoutMs} ms`, 'ETIMEDOUT', 'rtmp.connection'));
        }
      });
    });
    socket.setTimeout(this.opts.idleTimeoutMs);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.fail(new RtmpError(`socket: ${e.message}`, 'EIO', 'rtmp.connection', { cause: e })));
    socket.on('close', () => this.finish());
  }

  /** The publish this connection carries, once started. */
  get publish(): PublishRequest | null {
    return this.publishing ? this.request : null;
  }

  /** Closes the connection (ends its FLV stream). */
  close(): void {
    this.finish();
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    if (this.closed) return;
    // one place catches everything: a broken peer never throws out of the socket handler
    try {
      if (!this.hs.done) {
        const reply = this.hs.push(d);
        if (reply) this.socket.write(reply);
        if (!this.hs.done) return;
        d = this.hs.rest;
        if (d.length === 0) return;
      }
      this.parser.push(d);
      if (this.ackWindow > 0 && this.parser.bytesIn - this.ackedAt >= this.ackWindow) {
        this.ackedAt = this.parser.bytesIn;
        this.send(2, MSG.ack, 0, control.u32(this.parser.bytesIn));
      }
    } catch (e) {
      this.fail(e instanceof RtmpError ? e : new RtmpError(`internal: ${(e as Error)?.message}`, 'EBUG', 'rtmp.connection', { cause: e }));
    }
  }

  private send(csid: number, type: number, streamId: number, payload: Buffer): void {
    if (!this.closed) this.socket.write(this.writer.write({ csid, type, streamId, timestamp: 0, payload }));
  }

  private command(streamId: number, ...values: AmfValue[]): void {
    this.send(3, MSG.commandAmf0, streamId, encodeAmf0(...values));
  }

  private status(level: string, code: string, description: string): void {
    this.command(STREAM_ID, 'onStatus', 0, null, { level, code, description });
  }

  private onMessage(m: RtmpMessage): void {
    switch (m.type) {
      case MSG.windowAckSize:
        if (m.payload.length >= 4) this.ackWindow = m.payload.readUInt32BE(0);
        return;
      case MSG.userControl:
        // PingRequest → PingResponse with the same timestamp
        if (m.payload.length >= 6 && m.payload.readUInt16BE(0) === 6) this.send(2, MSG.userControl, 0, control.userControl(7, m.payload.readUInt32BE(2)));
        return;
      case MSG.commandAmf3:
        return this.onCommand(m.payload.subarray(1)); // AMF3 command messages start with a 0 byte, then AMF0
      case MSG.commandAmf0:
        return this.onCommand(m.payload);
      case MSG.dataAmf3:
        return this.onData0(m.payload.subarray(1));
      case MSG.dataAmf0:
        return this.onData0(m.payload);
      case MSG.audio:
      case MSG.video:
        if (!this.publishing || m.payload.length === 0) return;
        try {
          this.emitFlv(this.flv.media(m.type, m.timestamp, m.payload));
        } catch (e) {
          if (e instanceof RtmpError && e.errorName === 'EUNSUPPORTED') this.status('error', 'NetStream.Publish.Rejected', e.message);
          throw e;
        }
        return;
      default:
        return; // set chunk size/abort acted on by the parser; ack, peer bandwidth: nothing to do
    }
  }

  private onData0(payload: Buffer): void {
    if (!this.publishing) return;
    const v = decodeAmf0(payload);
    const i = v[0] === '@setDataFrame' ? 1 : 0;
    if (v[i] === 'onMetaData' && v[i + 1] && typeof v[i + 1] === 'object' && !(v[i + 1] instanceof Date)) {
      const meta = Array.isArray(v[i + 1]) ? {} : (v[i + 1] as AmfObject);
      this.emitFlv(this.flv.metadata(meta));
    }
  }

  private onCommand(payload: Buffer): void {
    const [name, txId, cmdObj, ...args] = decodeAmf0(payload);
    if (typeof name !== 'string') throw new RtmpError('command without a name', 'INVALIDDATA', 'rtmp.command');
    const tx = typeof txId === 'number' ? txId : 0;
    switch (name) {
      case 'connect': {
        const obj = cmdObj && typeof cmdObj === 'object' && !Array.isArray(cmdObj) && !(cmdObj instanceof Date) ? (cmdObj as AmfObject) : {};
        this.connectObj = obj;
        // an app may carry a query (rtmp://host/live?k=v/mine): kept for the publish, not part of the path
        [this.app, this.appQuery] = splitQuery(typeof obj.app === 'string' ? obj.app : '');
        this.app = this.app.replace(/^\/+|\/+$/g, '');
        this.send(2, MSG.windowAckSize, 0, control.u32(5_000_000));
        this.send(2, MSG.setPeerBandwidth, 0, control.peerBandwidth(5_000_000, 2));
        this.send(2, MSG.setChunkSize, 0, control.u32(4096));
        this.writer.chunkSize = 4096;
        this.command(0, '_result', tx, { fmsVer: 'FMS/3,0,1,123', capabilities: 31 },
          { level: 'status', code: 'NetConnection.Connect.Success', description: 'Connection succeeded.', objectEncoding: 0 });
        return;
      }
      case 'releaseStream':
      case 'FCPublish':
        if (tx > 0) this.command(0, '_result', tx, null, undefined);
        return;
      case 'createStream':
        this.command(0, '_result', tx, null, STREAM_ID);
        return;
      case 'publish':
        void this.onPublish(typeof args[0] === 'string' ? args[0] : '', typeof args[1] === 'string' ? args[1] : 'live');
        return;
      case 'FCUnpublish':
      case 'deleteStream':
      case 'closeStream':
        this.endPublish();
        return;
      case 'play':
        // a player on a publish-only server: say so instead of leaving it to time out
        this.status('error', 'NetStream.Play.Failed', 'this server accepts publishers only');
        this.fail(new RtmpError('play is not served (publish only)', 'EREFUSED', 'rtmp.command'), true);
        return;
      default:
        return; // _checkbw, getStreamLength, ...: a publisher needs no answer
    }
  }

  private async onPublish(rawName: string, type: string): Promise<void> {
    if (this.request) return; // one publish per connection
    if (this.hsTimer) clearTimeout(this.hsTimer);
    this.hsTimer = null;
    // the query (a signed name: mine?exp=…&sig=…) is the gate's to read, never part of the path
    const [bare, nameQuery] = splitQuery(rawName);
    const name = bare.replace(/^\/+|\/+$/g, '');
    const query = [this.appQuery, nameQuery].filter(Boolean).join('&');
    const req: PublishRequest = { app: this.app, name, path: `${this.app}/${name}`, connect: this.connectObj, type, remoteAddress: this.socket.remoteAddress, query };
    this.request = req;
    let reason: string | void | undefined;
    if (!this.app || !name || /[^\w.\-/]/.test(req.path) || req.path.includes('..')) reason = `bad stream path '${req.path}'`;
    else if (query.length > MAX_QUERY_LENGTH) reason = `the stream name's query is longer than ${MAX_QUERY_LENGTH} characters`;
    else {
      this.socket.pause(); // no media before the gate answers
      this.gating = true;
      try {
        reason = await this.gate(req);
      } catch (e) {
        reason = `refused: ${(e as Error)?.message ?? e}`;
      }
      this.gating = false;
      if (!this.closed) {
        this.socket.setTimeout(this.opts.idleTimeoutMs);
        this.socket.resume();
      }
    }
    if (this.closed) return;
    if (reason) {
      this.status('error', 'NetStream.Publish.BadName', reason);
      this.fail(new RtmpError(`publish ${req.path} refused: ${reason}`, 'EREFUSED', 'rtmp.publish'), true);
      return;
    }
    this.send(2, MSG.userControl, 0, control.userControl(0, STREAM_ID)); // Stream Begin
    this.status('status', 'NetStream.Publish.Start', `${req.path} is now published.`);
    this.out = new Readable({
      highWaterMark: this.opts.highWaterMark,
      read: () => {
        if (this.backpressure && !this.closed) {
          this.backpressure = false;
          this.socket.setTimeout(this.opts.idleTimeoutMs); // the idle clock restarts when we read again
          this.socket.resume();
        }
      },
    });
    // a consumer that attached no 'error' listener must not crash the process when a
    // publisher breaks the protocol: the error is also emitted on the connection
    this.out.on('error', () => {});
    this.publishing = true;
    this.emit('publish', { ...req, stream: this.out } satisfies PublishEvent);
  }

  private emitFlv(parts: Buffer[]): void {
    const out = this.out;
    if (!out) return;
    for (const p of parts) {
      if (!out.push(p)) {
        if (!this.backpressure) {
          this.backpressure = true;
          this.socket.pause();
        }
      }
    }
    if (out.readableLength > this.opts.maxQueuedBytes) {
      throw new RtmpError(`consumer is ${out.readableLength} bytes behind (limit ${this.opts.maxQueuedBytes})`, 'ELIMIT', 'rtmp.connection');
    }
  }

  private endPublish(): void {
    if (!this.publishing) return;
    this.publishing = false;
    this.out?.push(null);
    this.emit('unpublish', this.request!); // set while publishing
  }

  /** Ends this connection for a reason: emitted as 'error', the socket closed once our last reply is out. */
  private fail(err: RtmpError, graceful = false): void {
    if (this.closed) return;
    this.emit('error', err);
    this.finish(err, !graceful);
    // the refusal onStatus goes out before the FIN; destroy anyway if the peer never reads it
    if (graceful) this.socket.end(() => this.socket.destroy());
  }

  private finish(err?: RtmpError, destroy = true): void {
    if (this.hsTimer) clearTimeout(this.hsTimer);
    this.hsTimer = null;
    if (this.closed) return;
    this.closed = true;
    if (this.publishing) {
      this.publishing = false;
      // a publisher that vanishes ends the FLV stream cleanly (live EOF); a protocol error fails it
      if (err && err.errorName !== 'ETIMEDOUT') this.out?.destroy(err);
      else this.out?.push(null);
      this.emit('unpublish', this.request!); // set while publishing
    }
    if (destroy) this.socket.destroy();
    else setTimeout(() => this.socket.destroy(), 1000).unref();
    this.emit('close');
  }
}

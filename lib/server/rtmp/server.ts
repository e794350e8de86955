import { TypedEmitter } from '../../typed-emitter.js';
import net from 'node:net';
import { RtmpConnection, type PublishEvent, type PublishGate, type PublishRequest, type RtmpConnectionOptions } from './connection.js';
import { RtmpError } from './errors.js';

/**
 * A server-side publish gate: like {@link PublishGate}, and told which
 * connection asks (to close it later). Return/resolve a reason to refuse.
 */
export type ServerPublishGate = (req: PublishRequest, conn: RtmpConnection) => string | void | undefined | Promise<string | void | undefined>;

/** RtmpServer options: the per-connection bounds plus server-wide ones. */
export interface RtmpServerOptions extends RtmpConnectionOptions {
  /** connections at once (default 256); beyond it new sockets are closed at once */
  maxConnections?: number;
  /**
   * Decides each publish: return (or resolve) a reason string to refuse it —
   * sent to the publisher as NetStream.Publish.BadName. A path already live is
   * refused before this is asked.
   */
  onPublish?: PublishGate;
}

/**
 * The events of an {@link RtmpServer} (listener arguments).
 *
 * @example
 * server.on('clientError', (e, conn) => console.warn(e.errorName, e.message, conn?.remoteAddress));
 */
export interface RtmpServerEvents {
  publish: [event: PublishEvent, connection: RtmpConnection];
  unpublish: [request: PublishRequest];
  /** a connection failed (it is already closed); null: refused before it became one */
  clientError: [error: RtmpError, connection: RtmpConnection | null];
  /** the listening socket failed */
  error: [error: Error];
}

/**
 * An RTMP publish server: many publishers on one port, each one's media as an
 * FLV Readable. Events: 'publish' (PublishEvent, RtmpConnection), 'unpublish' (PublishRequest),
 * 'clientError' (RtmpError, connection; that connection is already closed —
 * like http.Server's, so a hostile peer never throws an unhandled 'error'),
 * 'error' (the listening socket failed).
 *
 * @example
 * const server = new RtmpServer({ idleTimeoutMs: 10_000 });
 * server.on('publish', async ({ path, stream }) => {
 *   const dec = await Decoder.open(stream, { format: 'flv' });
 *   for await (const f of dec.frames('video')) f.free();
 *   await dec.close();
 * });
 * await server.listen(1935, '127.0.0.1'); // ffmpeg ... -f flv rtmp://127.0.0.1/live/cam1
 */
export class RtmpServer extends TypedEmitter<RtmpServerEvents> {
  private readonly server: net.Server;
  private readonly connections = new Set<RtmpConnection>();
  private readonly live = new Map<string, RtmpConnection>();
  private readonly opts: RtmpServerOptions;
  private readonly gates: ServerPublishGate[] = [];

  constructor(options: RtmpServerOptions = {}) {
    super();
    this.opts = options;
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.on('error', (e) => this.emit('error', e));
  }

  /** Paths live now (`<app>/<name>`). */
  get paths(): string[] {
    return [...this.live.keys()];
  }

  /** Open connections (handshaking, connected or publishing). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Adds a publish gate, asked after `onPublish` and earlier gates (the first
   * reason refuses; later gates are not asked). Returns a function removing it.
   *
   * @example
   * const remove = server.addPublishGate(async (req, conn) => (await allowed(req.path)) ? undefined : 'not allowed');
   */
  addPublishGate(gate: ServerPublishGate): () => void {
    this.gates.push(gate);
    return () => {
      const i = this.gates.indexOf(gate);
      if (i >= 0) this.gates.splice(i, 1);
    };
  }

  /** Starts listening; resolves with the bound port (pass 0 for any free port). */
  listen(port = 1935, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      const onErr = (e: Error) => reject(e);
      this.server.once('error', onErr);
      this.server.listen(port, host, () => {
        this.server.off('error', onErr);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stops listening and closes every connection (their FLV streams end). */
  close(): Promise<void> {
    for (const c of this.connections) c.close();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    if (this.connections.size >= (this.opts.maxConnections ?? 256)) {
      this.emit('clientError', new RtmpError(`more than ${this.opts.maxConnections ?? 256} connections`, 'ELIMIT', 'rtmp.server'), null);
      socket.destroy();
      return;
    }
    const conn: RtmpConnection = new RtmpConnection(socket, (req): Promise<string | undefined> => this.gate(conn, req), this.opts);
    this.connections.add(conn);
    conn.on('error', (e: RtmpError) => this.emit('clientError', e, conn));
    conn.on('publish', (ev: PublishEvent) => this.emit('publish', ev, conn));
    conn.on('unpublish', (req: PublishRequest) => {
      if (this.live.get(req.path) === conn) this.live.delete(req.path);
      this.emit('unpublish', req);
    });
    conn.on('close', () => {
      this.connections.delete(conn);
      for (const [p, c] of this.live) if (c === conn) this.live.delete(p);
    });
  }

  private async gate(conn: RtmpConnection, req: PublishRequest): Promise<string | undefined> {
    // With publish gates (a registry attached), the gate decides about a live
    // path — refuse or take over (its onConflict); alone, the server refuses.
    if (!this.gates.length && this.live.has(req.path)) return `${req.path} is already being published`;
    this.live.set(req.path, conn); // reserve while the caller's gate decides
    let reason: string | void | undefined;
    try {
      reason = await this.opts.onPublish?.(req);
      for (const gate of [...this.gates]) {
        if (reason || this.live.get(req.path) !== conn) break;
        reason = await gate(req, conn);
      }
    } catch (e) {
      reason = `refused: ${(e as Error)?.message ?? e}`;
    }
    if (reason && this.live.get(req.path) === conn) this.live.delete(req.path);
    return reason || undefined;
  }
}

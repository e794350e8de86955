/**
 * RTMP ingest: every publish on an {@link RtmpServer} becomes
 * `target.publish()`. The target decides inside the server's publish gate, so
 * a refusal reaches the publisher as `NetStream.Publish.BadName` (with the
 * refusal's reason as description) before NetStream.Publish.Start, i.e.
 * before any media is sent.
 */
import { PassThrough, pipeline } from 'node:stream';
import type { RtmpConnection, PublishEvent, PublishRequest } from '../rtmp/index.js';
import type { RtmpServer } from '../rtmp/server.js';
import { StreamRefused } from '../errors.js';
import type { Publication, PublishTarget } from '../types.js';

export interface AttachRtmpOptions {
  /** bytes of FLV buffered between the connection and the target (default 1 MiB); above it the socket is paused */
  highWaterMark?: number;
  /** told of a publish that failed after it was admitted (the connection is closed) */
  onError?: (err: Error, path: string) => void;
}

interface Pending {
  input: PassThrough;
  publication: Promise<Publication>;
}

/**
 * Connects an RtmpServer to a publish target (the registry). The decision is
 * taken when the target settles `publish()`, or as soon as it starts reading
 * the input (it admitted the publisher and is opening a Decoder, which needs
 * the media that only flows after NetStream.Publish.Start), whichever comes
 * first. A refusal afterwards, or the end of the publication, closes that
 * RTMP connection. `close(reason)` on the source closes the connection.
 * Returns a function that detaches (publishes already admitted go on).
 * Attach it after any other gate (`onPublish` runs first anyway): a gate
 * added later is asked after the target has already admitted the publish.
 *
 * @example
 * const rtmp = new RtmpServer();
 * const detach = attachRtmp(rtmp, registry);
 * await rtmp.listen(1935, '0.0.0.0'); // ffmpeg -re -i in.mp4 -c copy -f flv rtmp://host/live/cam1
 */
export function attachRtmp(server: RtmpServer, target: PublishTarget, options: AttachRtmpOptions = {}): () => void {
  const pending = new Map<RtmpConnection, Pending>();
  const hwm = options.highWaterMark ?? 1024 * 1024;

  const gate = async (req: PublishRequest, conn: RtmpConnection): Promise<string | undefined> => {
    const input = new PassThrough({ highWaterMark: hwm });
    input.on('error', () => {}); // the target sees it through its own read
    let closed = false;
    const source = {
      path: req.path,
      protocol: 'rtmp' as const,
      remoteAddress: req.remoteAddress ? `${req.remoteAddress}:${conn.socket.remotePort ?? 0}` : undefined,
      input,
      query: req.query ?? '', // publish auth reads it (a signed name); never logged
      inputOptions: { format: 'flv' },
      close: (_reason?: string) => {
        if (closed) return;
        closed = true;
        conn.close();
      },
    };
    // The target reading the input means it admitted this publisher (installed
    // first: a Decoder opened inside publish() reads at once).
    const reading = new Promise<'reading'>((resolve) => {
      const origRead = input._read.bind(input);
      input._read = (n: number) => {
        resolve('reading');
        input._read = origRead;
        origRead(n);
      };
    });
    let publication: Promise<Publication>;
    try {
      publication = Promise.resolve(target.publish(source));
    } catch (e) {
      publication = Promise.reject(e);
    }
    try {
      await Promise.race([publication, reading]);
    } catch (e) {
      input.destroy();
      if (e instanceof StreamRefused) return e.reason;
      return `publish failed: ${(e as Error)?.message ?? e}`;
    }
    pending.set(conn, { input, publication });
    // closed between the gate and the publish event (or while the target decided): the input ends
    const orphaned = (): void => {
      if (pending.get(conn)?.input !== input) return;
      pending.delete(conn);
      input.end();
    };
    if (conn.socket.destroyed) orphaned();
    else conn.once('close', orphaned);
    publication.then(
      (pub) => {
        void pub.ended.then(() => source.close('session ended'));
      },
      (e: Error) => {
        options.onError?.(e, req.path);
        source.close(e instanceof StreamRefused ? e.reason : e?.message);
      },
    );
    return undefined;
  };

  const onPublish = (ev: PublishEvent, conn: RtmpConnection): void => {
    const p = pending.get(conn);
    if (!p) return; // admitted by another gate chain (attached later) or detached
    pending.delete(conn);
    pipeline(ev.stream, p.input, () => {});
  };

  const removeGate = server.addPublishGate(gate);
  server.on('publish', onPublish);
  return () => {
    removeGate();
    server.off('publish', onPublish);
  };
}

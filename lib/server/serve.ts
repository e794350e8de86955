/**
 * `serve()`: the whole live server in one call — what `ffnode serve` runs.
 * RTMP (and HTTP PUT/POST) publishers go into the stream registry, which
 * transcodes each stream into a ladder of HLS/DASH renditions in the store;
 * the HTTP server hands those to players and reports the streams.
 */
import { createPushHandler } from './ingest/http-push.js';
import { attachRtmp } from './ingest/rtmp.js';
import { StreamRegistry } from './registry.js';
import type { ServeOptions } from './config.js';
import { startLiveServer, type LiveServerOf } from './live-server.js';

export type { ServeOptions } from './config.js';

/** A running live server (see {@link serve}). */
export type LiveServer = LiveServerOf<StreamRegistry>;

/**
 * Starts the live server: a store (`'memory'`, the default, or a directory),
 * a {@link StreamRegistry}, an RTMP server on `rtmpPort` (default 1935) and an
 * HTTP server on `httpPort` (default 8080), both on `host` (default
 * '127.0.0.1'). Port 0 picks a free port: the bound ones are in the result.
 * `close()` shuts it all down gracefully within 5 s.
 *
 * @example
 * const server = await serve({ httpPort: 8080, rtmpPort: 1935, ladder: ['720p', '480p'] });
 * // ffmpeg -re -i in.mp4 -c copy -f flv rtmp://127.0.0.1/live/mine
 * // → http://127.0.0.1:8080/live/mine/master.m3u8
 * server.registry.on('publish', (path, who) => console.log('publish', path, who.protocol));
 * process.once('SIGINT', () => server.close());
 */
export function serve(options: ServeOptions = {}): Promise<LiveServer> {
  return startLiveServer<StreamRegistry>(options, {
    createRegistry: (o) => new StreamRegistry(o),
    attachRtmp,
    createPushHandler: (registry) => createPushHandler(registry, {}),
  });
}

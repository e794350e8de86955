// The live server the embedding examples mount in their web framework:
// serve() (see live-rtmp-abr.mjs for serve() itself) with its own HTTP
// listener on a free loopback port, out of the way of the app's.
import { serve } from 'ffnode';

/** Starts serve() with RTMP on `rtmpPort` and a one-rung ladder; logs publishes and stream errors. */
export async function startEmbeddedServer(rtmpPort) {
  const server = await serve({ httpPort: 0, rtmpPort, ladder: ['240p'], preset: 'veryfast', segmentDuration: 2, reconnectGrace: 5 });
  server.registry.on('publish', (path) => console.log(`publish ${path}`));
  server.registry.on('error', (path, e) => console.warn(`error ${path}: ${e.message}`));
  return server;
}

// Embedding the live server's HTTP face in a Fastify app: createHandler() as
// one raw catch-all route. Fastify's own routes still win; everything else
// (manifests, segments, player page, JSON API, /metrics) goes to ffnode.
// Fastify is not a dependency of ffnode: `npm install fastify` in your app.
// Run: node examples/embed-fastify.mjs [--port 3000] [--rtmp-port 1935]
// then publish:  ffmpeg -re -i input.mp4 -c copy -f flv rtmp://127.0.0.1:1935/live/mine
// and watch:     http://127.0.0.1:3000/live/mine/master.m3u8 (player page: /)
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { createHandler } from 'ffnode';
import { closeOnSignal } from './support/lifecycle.mjs';
import { startEmbeddedServer } from './support/embedded-server.mjs';

const { values: args } = parseArgs({
  options: { port: { type: 'string', default: '3000' }, 'rtmp-port': { type: 'string', default: '1935' } },
});

// serve() with its own HTTP listener on a free loopback port (support/embedded-server.mjs)
const server = await startEmbeddedServer(Number(args['rtmp-port']));

const app = Fastify();
const handler = createHandler(server);
app.get('/hello', async () => ({ app: 'mine' })); // your own route
app.all('/*', (req, reply) => {
  reply.hijack();                // ffnode writes the response itself (streams, ranges, 304s)
  handler(req.raw, reply.raw);
});
await app.listen({ port: Number(args.port), host: '127.0.0.1' });
const base = `http://127.0.0.1:${app.server.address().port}`;

console.log(`publish: ${server.rtmpUrl}/<app>/<name>   e.g. ffmpeg -re -i input.mp4 -c copy -f flv ${server.rtmpUrl}/live/mine`);
console.log(`watch:   ${base}/<app>/<name>/master.m3u8   (player page: ${base}/, streams: ${base}/api/streams)`);

closeOnSignal(async () => {
  app.server.closeAllConnections(); // players keep connections alive; don't wait for them
  await app.close();
  await server.close();
});

// Embedding the live server's HTTP face in your Express app: createHandler()
// is one request handler (manifests, segments, player page, JSON API,
// /metrics, HTTP push) mounted under /tv; your own routes stay yours, and
// paths the handler does not own fall through to next().
// Express is not a dependency of ffnode: `npm install express` in your app.
// Run: node examples/embed-express.mjs [--port 3000] [--rtmp-port 1935]
// then publish:  ffmpeg -re -i input.mp4 -c copy -f flv rtmp://127.0.0.1:1935/live/mine
// and watch:     http://127.0.0.1:3000/tv/live/mine/master.m3u8 (player page: /tv/)
import { parseArgs } from 'node:util';
import express from 'express';
import { createHandler } from 'ffnode';
import { closeOnSignal } from './support/lifecycle.mjs';
import { startEmbeddedServer } from './support/embedded-server.mjs';

const { values: args } = parseArgs({
  options: { port: { type: 'string', default: '3000' }, 'rtmp-port': { type: 'string', default: '1935' } },
});

// serve() with its own HTTP listener on a free loopback port (support/embedded-server.mjs)
const server = await startEmbeddedServer(Number(args['rtmp-port']));

const app = express();
app.get('/', (_req, res) => res.send('my app; the streams are under /tv/'));      // your own route
app.use('/tv', createHandler(server));                                           // /tv/live/mine/master.m3u8, /tv/api/streams, /tv/metrics
const listener = app.listen(Number(args.port), '127.0.0.1');
await new Promise((resolve, reject) => listener.once('listening', resolve).once('error', reject));
const base = `http://127.0.0.1:${listener.address().port}`;

console.log(`publish: ${server.rtmpUrl}/<app>/<name>   e.g. ffmpeg -re -i input.mp4 -c copy -f flv ${server.rtmpUrl}/live/mine`);
console.log(`watch:   ${base}/tv/<app>/<name>/master.m3u8   (player page: ${base}/tv/, streams: ${base}/tv/api/streams)`);

closeOnSignal(async () => {
  listener.closeAllConnections(); // players keep connections alive; don't wait for them
  await new Promise((resolve) => listener.close(resolve));
  await server.close();
});

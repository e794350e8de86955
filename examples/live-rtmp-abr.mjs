// Live RTMP → ABR: `ffnode serve` as a library. serve() starts an RTMP server
// and an HTTP server; every publish to rtmp://host/<app>/<name> is transcoded
// live into the ladder and served as HLS and DASH. Ctrl-C stops it cleanly.
// Run: node examples/live-rtmp-abr.mjs [--http-port 8080] [--rtmp-port 1935] [--ladder 480p,240p]
// then publish:  ffmpeg -re -i input.mp4 -c copy -f flv rtmp://127.0.0.1:1935/live/mine
// and watch:     http://127.0.0.1:8080/live/mine/master.m3u8 (or the player page at /)
import { parseArgs } from 'node:util';
import { serve } from 'ffnode';
import { closeOnSignal } from './support/lifecycle.mjs';

const { values: args } = parseArgs({
  options: {
    'http-port': { type: 'string', default: '8080' }, // 0: any free port (printed below)
    'rtmp-port': { type: 'string', default: '1935' },
    ladder: { type: 'string', default: '480p,240p' },
  },
});

const server = await serve({
  httpPort: Number(args['http-port']),
  rtmpPort: Number(args['rtmp-port']),
  ladder: args.ladder.split(','),
  preset: 'veryfast',
  segmentDuration: 2,  // short segments: lower latency, more requests
  windowSize: 6,       // segments listed in the live playlists
  reconnectGrace: 5,   // a publisher back within 5 s continues the same stream
});
const { registry } = server;
registry.on('publish', (path, who) => console.log(`publish ${path} over ${who.protocol} from ${who.remoteAddress}`));
registry.on('segment', (path, s) => console.log(`segment ${path} ${s.rendition} #${s.sequence} ${s.duration.toFixed(2)} s ${s.bytes} bytes`));
registry.on('unpublish', (path, { reason }) => console.log(`unpublish ${path}: ${reason}`));
registry.on('end', (path) => console.log(`end ${path}`));
registry.on('warning', (path, w) => console.warn(`warning ${path}: ${w}`));
registry.on('error', (path, e) => console.warn(`error ${path}: ${e.message}`)); // one stream failed; the server goes on

console.log(`publish: ${server.rtmpUrl}/<app>/<name>   e.g. ffmpeg -re -i input.mp4 -c copy -f flv ${server.rtmpUrl}/live/mine`);
console.log(`watch:   ${server.url}/<app>/<name>/master.m3u8   (DASH: .../manifest.mpd, player page: ${server.url}/)`);
console.log(`streams: ${server.url}/api/streams`);

// Ctrl-C (or a SIGTERM from a process manager): end every stream, close the
// listeners, then check that every native object was freed.
closeOnSignal(async () => {
  await server.close();
});

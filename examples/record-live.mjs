// Recording a live stream: serve({ record: { dir } }) copies each publisher's
// source packets, without re-encoding, into <dir>/<app>/<name>/<start time>.mp4
// while the stream is also transcoded and served live. The file is
// fragmented MP4, flushed as it grows: a crash mid-stream leaves a playable file.
// Run: node examples/record-live.mjs [recordDir] [--http-port 8080] [--rtmp-port 1935]
// then publish:  ffmpeg -re -i input.mp4 -c copy -f flv rtmp://127.0.0.1:1935/live/mine
// Stop the publisher: the recording is closed when the stream ends (after the
// reconnect grace) or on Ctrl-C.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from 'ffnode';
import { closeOnSignal } from './support/lifecycle.mjs';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'http-port': { type: 'string', default: '8080' }, 'rtmp-port': { type: 'string', default: '1935' } },
});
const dir = path.resolve(positionals[0] ?? 'out/recordings');

const server = await serve({
  httpPort: Number(args['http-port']),
  rtmpPort: Number(args['rtmp-port']),
  ladder: ['240p'],
  preset: 'veryfast',
  segmentDuration: 2,
  reconnectGrace: 2,
  record: { dir, format: 'mp4' }, // or 'mkv'
});
server.registry.on('publish', (p) => console.log(`publish ${p}: recording into ${path.join(dir, p)}/`));
server.registry.on('recorded', (p, r) => {
  // r: { file, packets, bytes, dropped, error }; dropped > 0 means the disk fell behind
  console.log(`recorded ${p}: ${r.file} (${r.packets} packets, ${r.bytes} bytes, ${r.dropped} dropped${r.error ? `, stopped early: ${r.error.message}` : ''})`);
});
server.registry.on('end', (p) => console.log(`end ${p}; its presentation stays in the store as VOD: ${server.url}/${p}/master.m3u8`));
server.registry.on('error', (p, e) => console.warn(`error ${p}: ${e.message}`));

console.log(`publish: ${server.rtmpUrl}/<app>/<name>   e.g. ffmpeg -re -i input.mp4 -c copy -f flv ${server.rtmpUrl}/live/mine`);
console.log(`watch:   ${server.url}/<app>/<name>/master.m3u8; recordings in ${dir}`);

// Ctrl-C: server.close() ends every stream, which finalises its recording.
closeOnSignal(async () => {
  await server.close();
});

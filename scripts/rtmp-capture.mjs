// Captures the client→server bytes of a real ffmpeg RTMP publish (handshake,
// commands, media) through a recording TCP proxy in front of RtmpServer.
// Used as the seed of scripts/fuzz-rtmp.mjs and by the chunk-parser tests.
import net from 'node:net';
import { spawn } from 'node:child_process';

/** Resolves a Buffer with everything ffmpeg sent, or null when ffmpeg is missing or fails. */
export async function captureFfmpegPublish({ seconds = 1, RtmpServer } = {}) {
  const server = new RtmpServer({ idleTimeoutMs: 5000 });
  server.on('clientError', () => {});
  server.on('publish', (ev) => ev.stream.resume());
  const port = await server.listen(0);
  const chunks = [];
  const proxy = net.createServer((c) => {
    const up = net.connect(port, '127.0.0.1');
    c.on('data', (d) => { chunks.push(Buffer.from(d)); up.write(d); });
    up.pipe(c);
    c.on('close', () => up.end());
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  const code = await new Promise((resolve) => {
    const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25',
      '-f', 'lavfi', '-i', 'sine', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-t', String(seconds),
      '-f', 'flv', `rtmp://127.0.0.1:${proxy.address().port}/live/capture`], { stdio: 'ignore' });
    p.on('error', () => resolve(-1));
    p.on('close', resolve);
  });
  await new Promise((r) => setTimeout(r, 100));
  proxy.close();
  await server.close();
  return code === 0 ? Buffer.concat(chunks) : null;
}

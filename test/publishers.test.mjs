// Live inputs fed by a real publisher (the ffmpeg CLI) over udp, rtmp and srt:
// ffnode listens, ffmpeg pushes, and every frame the publisher sent arrives.
import t from 'tap';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Decoder } from 'ffnode';
import { endsWithZeroLive } from './helpers/leaks.mjs';

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function publish(args) {
  const p = spawn('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-bf', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  const done = new Promise((resolve) => p.on('exit', (code) => resolve({ code, err })));
  return { proc: p, done };
}

async function receive(t, url, opts, pushArgs, { minFrames, endsWith }) {
  const opening = Decoder.open(url, { timeoutMs: 10000, ...opts });
  await new Promise((r) => setTimeout(r, 300)); // let the listener bind
  const pub = publish(pushArgs);
  t.teardown(() => pub.proc.kill('SIGKILL'));
  const dec = await opening;
  t.equal(dec.video.codec, 'h264');
  t.equal(dec.video.width, 320);
  let n = 0;
  let last = -Infinity;
  let monotonic = true;
  let ended = 'EOF';
  try {
    for await (const f of dec.frames('video')) {
      if (!(f.pts > last)) monotonic = false;
      last = f.pts;
      n++;
      f.free();
    }
  } catch (e) {
    // a live input ends when the publisher hangs up; libav may say EOF or EIO
    t.comment(`stream ended with ${e.errorName}: ${e.message}`);
    ended = e.errorName;
  }
  t.match(ended, endsWith, `the input ends with ${ended}, after every frame was delivered`);
  await dec.close();
  const { code, err } = await pub.done;
  t.equal(code, 0, `publisher exited cleanly ${err}`);
  t.ok(n >= minFrames, `received ${n} of 50 frames`);
  t.ok(monotonic, 'pts increase');
}

t.test('rtmp: ffnode listens, ffmpeg publishes', async (t) => {
  const port = await freePort();
  const url = `rtmp://127.0.0.1:${port}/live/stream`;
  await receive(t, url, { options: { listen: 1 } }, ['-f', 'flv', url], { minFrames: 50, endsWith: /^(EOF|EIO)$/ });
});

t.test('srt: ffnode listens, ffmpeg calls', async (t) => {
  const port = await freePort();
  await receive(t, `srt://127.0.0.1:${port}?mode=listener`, {}, ['-f', 'mpegts', `srt://127.0.0.1:${port}?mode=caller&linger=2`], { minFrames: 50, endsWith: /^(EOF|EIO)$/ });
});

t.test('udp: mpegts over loopback', async (t) => {
  const port = await freePort();
  // udp has no hang-up: the read ends by timeout after the publisher stops
  await receive(t, `udp://127.0.0.1:${port}`, { timeoutMs: 3000, options: { fifo_size: 100000, overrun_nonfatal: 1 } },
    ['-f', 'mpegts', `udp://127.0.0.1:${port}?pkt_size=1316`], { minFrames: 50, endsWith: /^ETIMEDOUT$/ });
});

endsWithZeroLive(t);

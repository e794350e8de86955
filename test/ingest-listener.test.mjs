// Listener ingests (UDP, SRT through libavformat) and the Decoder's openTimeoutMs
// they rely on: real ffmpeg CLI publishers, a real decoding target.
import t from 'tap';
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import { Decoder, ListenerSource, checkListenerUrl } from 'ffnode';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { IngestTarget, until } from './helpers/ingest-target.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free UDP port (bound then released). */
async function freeUdpPort() {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** ffmpeg pushing `seconds` of H.264/AAC MPEG-TS to `url` in real time. */
function ffmpegTo(url, seconds = 2) {
  const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-t', String(seconds), '-f', 'mpegts', url], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, stderr })));
}

t.test('Decoder openTimeoutMs: a listener waits past timeoutMs for its publisher; once connected, timeoutMs bounds each read', async (t) => {
  const port = await freeUdpPort();
  const url = `udp://127.0.0.1:${port}`;
  // without openTimeoutMs the open itself times out
  const t0 = Date.now();
  await t.rejects(Decoder.open(url, { format: 'mpegts', timeoutMs: 400 }), { errorName: 'ETIMEDOUT' });
  t.ok(Date.now() - t0 < 3000, 'timeoutMs bounds the open');
  // openTimeoutMs 0: still waiting well after timeoutMs
  let opened = null;
  const openP = Decoder.open(url, { format: 'mpegts', openTimeoutMs: 0, timeoutMs: 800 }).then((d) => { opened = d; return d; });
  openP.catch(() => {});
  await sleep(1500);
  t.equal(opened, null, 'still waiting after 1.5 s (timeoutMs 800)');
  const pub = ffmpegTo(url, 2);
  const dec = await openP;
  let frames = 0;
  let err = null;
  try {
    for (;;) {
      const b = await dec.read();
      if (!b) break;
      frames += b.frames.length;
      for (const f of b.frames) f.free();
    }
  } catch (e) {
    err = e;
  }
  const tEnd = Date.now();
  const r = await pub;
  t.equal(r.code, 0, r.stderr);
  t.ok(frames > 40, `decoded ${frames} frames`);
  t.equal(err?.errorName, 'ETIMEDOUT', 'the silence after the publisher left is a read timeout');
  t.ok(tEnd - t0 < 1500 + 2000 + 5000, 'detected promptly');
  await dec.close();
  await t.rejects(Decoder.open(url, { openTimeoutMs: -1 }), RangeError);
});

t.test('checkListenerUrl', async (t) => {
  t.equal(checkListenerUrl('udp://0.0.0.0:9000'), 'udp');
  t.equal(checkListenerUrl('srt://0.0.0.0:9000?mode=listener'), 'srt');
  t.throws(() => checkListenerUrl('srt://0.0.0.0:9000'), /add \?mode=listener/);
  t.throws(() => checkListenerUrl('rtmp://0.0.0.0:1935/live?listen=1'), /unsupported scheme 'rtmp'.*RtmpServer/);
  t.throws(() => checkListenerUrl('udp://0.0.0.0'), /no port/);
});

t.test('UDP listener: two publishers one after the other → two sessions on the same path (re-armed)', async (t) => {
  const port = await freeUdpPort();
  const target = new IngestTarget();
  const src = new ListenerSource(target, { path: 'live/udp1', url: `udp://127.0.0.1:${port}`, stallTimeoutMs: 1000, reconnect: { initialDelayMs: 100, maxDelayMs: 500 } });
  src.on('error', () => {});
  src.start();
  t.teardown(() => src.stop());
  const s0 = await target.session(0);
  t.equal(s0.protocol, 'udp');
  t.same(s0.source.inputOptions, { format: 'mpegts', openTimeoutMs: 0, timeoutMs: 1000 });
  await sleep(1200); // waiting longer than the stall timeout before the publisher comes is fine
  t.equal(s0.endedAt, null, 'the listener is still waiting');
  const a = await ffmpegTo(`udp://127.0.0.1:${port}?pkt_size=1316`, 2);
  t.equal(a.code, 0, a.stderr);
  await s0.ended;
  t.ok(s0.video > 40, `first publisher: ${s0.video} frames`);
  const s1 = await target.session(1);
  await sleep(300);
  const b = await ffmpegTo(`udp://127.0.0.1:${port}?pkt_size=1316`, 2);
  t.equal(b.code, 0, b.stderr);
  await until(() => s1.endedAt !== null, 10000, 'second session ends');
  t.ok(s1.video > 40, `second publisher, new session: ${s1.video} frames`);
  const s2 = await target.session(2);
  t.equal(s2.endedAt, null, 're-armed again: waiting for the next publisher');
  src.stop();
  await target.closeAll();
});

t.test('SRT listener (libavformat built with libsrt): a caller publishes, the session decodes', async (t) => {
  const port = await freeUdpPort();
  const target = new IngestTarget();
  const src = new ListenerSource(target, { path: 'live/srt1', url: `srt://127.0.0.1:${port}?mode=listener`, stallTimeoutMs: 2000 });
  src.on('error', () => {});
  src.start();
  const s0 = await target.session(0);
  t.equal(s0.protocol, 'srt');
  await sleep(300);
  const a = await ffmpegTo(`srt://127.0.0.1:${port}?mode=caller`, 2);
  t.equal(a.code, 0, a.stderr);
  await until(() => s0.endedAt !== null, 10000, 'the SRT session ends when the caller leaves');
  t.ok(s0.video > 40, `SRT publisher: ${s0.video} frames (${s0.error?.message ?? 'no error'})`);
  await target.session(1);
  src.stop();
  await target.closeAll();
});

endsWithZeroLive(t);

// `ffnode serve` end to end: the CLI on free ports, ffmpeg publishing over
// RTMP, the HLS and DASH manifests and a segment fetched from the printed
// URLs, /api/streams listing the stream, the stream's warning printed as
// 'ffnode: warning: <path> …', then SIGINT → exit 0 within 5 s.
import t from 'tap';
import path from 'node:path';
import { spawn } from 'node:child_process';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startServe(args) {
  const p = spawn(process.execPath, [cli, 'serve', '--http-port', '0', '--rtmp-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FFNODE_HOST: '', FFNODE_HTTP_PORT: '', FFNODE_RTMP_PORT: '' },
  });
  const out = { stdout: '', stderr: '' };
  p.stdout.on('data', (d) => { out.stdout += d; });
  p.stderr.on('data', (d) => { out.stderr += d; });
  const exited = new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  const ready = (async () => {
    for (let i = 0; i < 300; i++) {
      const rtmp = /publish: +rtmp:\/\/[^\s/]+:(\d+)/.exec(out.stdout);
      const http = /watch: +http:\/\/[^\s/]+:(\d+)/.exec(out.stdout);
      if (rtmp && http) return { rtmpPort: Number(rtmp[1]), httpPort: Number(http[1]) };
      if (p.exitCode !== null) throw new Error(`serve exited ${p.exitCode}: ${out.stderr}`);
      await sleep(100);
    }
    throw new Error(`serve printed no ports: ${out.stdout} ${out.stderr}`);
  })();
  ready.catch(() => {}); // awaited by the tests that need it
  return { process: p, out, exited, ready };
}

function publish(port, streamPath, seconds) {
  const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-t', String(seconds),
    '-f', 'flv', `rtmp://127.0.0.1:${port}/${streamPath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d) => { stderr += d; });
  return { process: p, done: new Promise((resolve) => p.on('close', (code) => resolve({ code, stderr }))) };
}

async function poll(url, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const r = await fetch(url).catch(() => null);
    if (r?.status === 200) return r;
    await r?.arrayBuffer();
    if (Date.now() > end) throw new Error(`${url}: no 200 within ${ms} ms (last: ${r?.status})`);
    await sleep(250);
  }
}

t.test('publish over RTMP, watch HLS and DASH, list it, its warnings on stderr, SIGINT exits 0', async (t) => {
  // 480p is taller than the 320x240 publisher: the stream drops it, with a warning
  const serve = startServe(['--ladder', '480p,240p', '--preset', 'ultrafast', '--segment-duration', '1', '--reconnect-grace', '2']);
  t.teardown(() => serve.process.exitCode === null && serve.process.kill('SIGKILL'));
  const { rtmpPort, httpPort } = await serve.ready;
  t.match(serve.out.stdout, new RegExp(`publish: +rtmp://127\\.0\\.0\\.1:${rtmpPort}/<app>/<name>`), 'prints where to publish');
  t.match(serve.out.stdout, new RegExp(`watch: +http://127\\.0\\.0\\.1:${httpPort}/<app>/<name>/master\\.m3u8`), 'prints where to watch');
  const base = `http://127.0.0.1:${httpPort}`;

  const pub = publish(rtmpPort, 'live/e2e', 20);
  t.teardown(() => pub.process.exitCode === null && pub.process.kill('SIGKILL'));
  const master = await poll(`${base}/live/e2e/master.m3u8`, 60_000);
  t.equal(master.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  t.equal(master.headers.get('cache-control'), 'no-cache');
  const masterText = await master.text();
  t.match(masterText, /^#EXTM3U/);
  const mpd = await poll(`${base}/live/e2e/manifest.mpd`, 30_000);
  t.equal(mpd.headers.get('content-type'), 'application/dash+xml');
  t.match(await mpd.text(), /<MPD[^>]+type="dynamic"/);

  const mediaUri = masterText.split('\n').find((l) => l && !l.startsWith('#') && l.endsWith('.m3u8'));
  t.ok(mediaUri, 'the master playlist names a media playlist');
  let media = '';
  for (let i = 0; i < 40 && !/\.(m4s|ts)\s*$/m.test(media); i++) {
    media = await (await poll(new URL(mediaUri, `${base}/live/e2e/`).href, 10_000)).text();
    await sleep(250);
  }
  const seg = media.split('\n').find((l) => l && !l.startsWith('#'));
  t.ok(seg, 'the media playlist lists a segment');
  const segUrl = new URL(seg, new URL(mediaUri, `${base}/live/e2e/`)).href;
  const s = await fetch(segUrl);
  t.equal(s.status, 200, segUrl);
  t.match(s.headers.get('content-type'), /^video\/(iso\.segment|mp2t)$/);
  t.equal(s.headers.get('cache-control'), 'max-age=31536000, immutable');
  t.ok((await s.arrayBuffer()).byteLength > 0);

  const { streams } = await (await fetch(`${base}/api/streams`)).json();
  const stream = streams.find((x) => x.path === 'live/e2e');
  t.ok(stream, '/api/streams lists it');
  t.match(stream, { app: 'live', name: 'e2e', state: 'live' });
  t.equal((await fetch(`${base}/api/streams/live/e2e`)).status, 200);
  t.match(await (await fetch(`${base}/api/health`)).json(), { ok: true, streams: 1 });
  t.match(serve.out.stdout, /publish live\/e2e/, 'the publish is logged');
  t.match(serve.out.stderr, /^ffnode: warning: live\/e2e .*rung 480p dropped: asked for, but taller than the 320x240 source and rungs are never upscaled; the ladder is 240p$/m,
    'the stream\'s warning is printed as it happens, naming the stream');
  t.same(stream.renditions.filter((r) => r.type === 'video').map((r) => [r.id, r.height]), [['v240p', 240]], 'the one video rendition left');

  pub.process.kill('SIGINT');
  await pub.done;
  const t0 = Date.now();
  serve.process.kill('SIGINT');
  const { code, at } = await serve.exited;
  t.equal(code, 0, `exit 0 (${serve.out.stderr})`);
  t.ok(at - t0 < 5000, `closed within 5 s (${at - t0} ms)`);
  t.match(serve.out.stdout, /SIGINT: closing/);
});

t.test('SIGTERM with nothing published: exit 0 at once', async (t) => {
  const serve = startServe([]);
  t.teardown(() => serve.process.exitCode === null && serve.process.kill('SIGKILL'));
  const { httpPort } = await serve.ready;
  t.same(await (await fetch(`http://127.0.0.1:${httpPort}/api/streams`)).json(), { streams: [], recordings: [] });
  const t0 = Date.now();
  serve.process.kill('SIGTERM');
  const { code, at } = await serve.exited;
  t.equal(code, 0, serve.out.stderr);
  t.ok(at - t0 < 2000, `${at - t0} ms`);
});

t.test('a busy port: one line on stderr, exit 1', async (t) => {
  const first = startServe([]);
  t.teardown(() => first.process.exitCode === null && first.process.kill('SIGKILL'));
  const { httpPort } = await first.ready;
  const clash = startServe(['--http-port', String(httpPort)]); // the later --http-port wins
  const { code } = await clash.exited;
  t.equal(code, 1);
  t.match(clash.out.stderr, /^ffnode: .*EADDRINUSE.*\n$/);
  first.process.kill('SIGTERM');
  t.equal((await first.exited).code, 0);
});

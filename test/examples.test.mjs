// Every script in examples/ runs here as a user would run it (`node
// examples/x.mjs args`), on short inputs, and its real outputs are checked
// with ffprobe and HTTP: frame counts, durations, keyframes at segment
// starts, segment counts, served manifests, and "native objects left: 0".
// An example file without a case below fails the first test, so the list
// stays complete. Live examples are published to with the ffmpeg CLI and
// stopped with SIGINT, like Ctrl-C. Independent examples run concurrently.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fixture, ffprobe, countFrames, keyframeTimes } from './helpers/media.mjs';
import { getText, getBytes, waitFor, waitPlayable, parseMaster, parseMedia, mediaPlaylistUrls } from './helpers/live.mjs';

const root = path.resolve(import.meta.dirname, '..');
const examplesDir = path.join(root, 'examples');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-examples-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

// 4 s of 320x240 25 fps H.264 (a keyframe every second) + AAC, made by the CLI.
const LAVFI = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=4', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=4',
  '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'];
const mp4 = fixture('examples-av4s.mp4', LAVFI);
const ts = fixture('examples-av4s.ts', LAVFI);
const INPUT_FRAMES = 100;
const CLEAN = /native objects left: frames=0 packets=0 objects=0/;

// File examples are CPU-bound: two at a time, after the server examples
// (whose live transcodes must keep up with real time, so they run first, together).
let running = 0;
const queue = [];
let serversDone = Promise.resolve();
async function slot(fn) {
  await serversDone;
  if (running >= 2) await new Promise((r) => queue.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    queue.shift()?.();
  }
}

/** Runs an example to its end: { code, stdout, stderr, result (its `result:` JSON line) }. */
function run(name, args, { timeoutMs = 60_000 } = {}) {
  return slot(() => new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(examplesDir, name), ...args], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').findLast((l) => l.startsWith('result: '));
      resolve({ code, signal, stdout, stderr, result: line ? JSON.parse(line.slice(8)) : null });
    });
  }));
}

/** Starts a server example; resolves once it printed its publish and watch URLs. */
async function start(t, name, args) {
  const p = spawn(process.execPath, [path.join(examplesDir, name), ...args], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL'));
  const out = { stdout: '', stderr: '' };
  p.stdout.on('data', (d) => (out.stdout += d));
  p.stderr.on('data', (d) => (out.stderr += d));
  const exited = new Promise((resolve) => p.on('close', (code, signal) => resolve({ code, signal })));
  const urls = await waitFor(() => {
    if (p.exitCode !== null) throw new Error(`${name} exited ${p.exitCode}: ${out.stderr}`);
    const rtmp = /publish: +(rtmp:\/\/\S+?)\/<app>/.exec(out.stdout);
    const http = /watch: +(http:\/\/\S+?)\/<app>/.exec(out.stdout);
    return rtmp && http && { rtmp: rtmp[1], http: http[1] };
  }, { timeout: 45_000, what: `${name} to print its URLs` });
  return { process: p, out, exited, ...urls };
}

/**
 * Publishes 5 s to `<srv.rtmp>/live/ex` and waits until `<base>/live/ex/master.m3u8`
 * is playable; fails with what the example and the publisher printed.
 */
async function publishUntilPlayable(t, srv, base = srv.http) {
  const pub = publish(t, `${srv.rtmp}/live/ex`);
  const masterUrl = `${base}/live/ex/master.m3u8`;
  try {
    return { pub, masterUrl, ready: await waitPlayable(masterUrl, { timeout: 30_000, interval: 200 }) };
  } catch (e) {
    throw new Error(`${e.message}\nexample stdout:\n${srv.out.stdout}\nexample stderr:\n${srv.out.stderr}\npublisher: ${pub.stderr()}`);
  }
}

/** Publishes `seconds` of a 25 fps test pattern + tone at real-time pace with the ffmpeg CLI. */
function publish(t, url, seconds = 5) {
  const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=25:duration=${seconds}`, '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-shortest', '-f', 'flv', url], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL'));
  let stderr = '';
  p.stderr.on('data', (d) => (stderr += d));
  return { process: p, stderr: () => stderr, done: new Promise((resolve) => p.on('close', (code) => resolve({ code, stderr }))) };
}

/** Init segment + media segment → one file ffprobe can read. */
function joined(file, ...parts) {
  fs.writeFileSync(file, Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : fs.readFileSync(p)))));
  return file;
}

const near = (t, got, want, tol, msg) => t.ok(Math.abs(got - want) <= tol, `${msg}: ${got} ≈ ${want} ± ${tol}`);
const probeDuration = (file) => Number(ffprobe(file).format.duration);

/** Stops a server example like Ctrl-C and checks it exits 0 with nothing native left. */
async function stop(t, srv) {
  srv.process.kill('SIGINT');
  const { code } = await Promise.race([srv.exited, new Promise((r) => setTimeout(() => r({ code: 'no exit within 10 s' }), 10_000))]);
  if (code !== 0) srv.process.kill('SIGKILL');
  t.equal(code, 0, `exits 0 after SIGINT${code === 0 ? '' : `: ${srv.out.stderr}`}`);
  t.match(srv.out.stdout, CLEAN, 'frees every native object');
}

/**
 * One case per example: `run(t)` starts the example and asserts on what it
 * made. Started all at once below (the live ones mostly wait on real time).
 */
const cases = {
  'decode-inspect.mjs': async (t) => {
    const r = await run('decode-inspect.mjs', [mp4, '5']);
    t.equal(r.code, 0, r.stderr);
    const { video, audio } = r.result.streams;
    t.equal(video.frames, countFrames(mp4, 'v:0'), 'every video frame ffprobe decodes');
    t.equal(audio.frames, countFrames(mp4, 'a:0'), 'every audio frame ffprobe decodes');
    t.same(video.keyframeTimes, keyframeTimes(mp4).map((x) => Number(x.toFixed(3))), 'keyframes where ffprobe sees them');
    t.equal((r.stdout.match(/^ {2}video frame /gm) ?? []).length, 5, 'lists the asked number of frames');
    t.match(r.stdout, CLEAN);
  },

  'thumbnails.mjs': async (t) => {
    const out = path.join(tmp, 'thumbs');
    const r = await run('thumbnails.mjs', [mp4, out, '1', '160']);
    t.equal(r.code, 0, r.stderr);
    const pngs = fs.readdirSync(out).filter((f) => f.endsWith('.png')).sort();
    t.equal(pngs.length, 4, 'one per second of a 4 s input (0, 1, 2, 3 s)');
    t.same(r.result.thumbnails.map((x) => Math.floor(x.at)), [0, 1, 2, 3], 'taken at each multiple of 1 s');
    for (const f of pngs) {
      const s = ffprobe(path.join(out, f)).streams[0];
      t.same([s.codec_name, s.width, s.height], ['png', 160, 120], `${f} is a 160x120 PNG`);
    }
    t.match(r.stdout, CLEAN);
  },

  'scale-encode.mjs': async (t) => {
    const out = path.join(tmp, 'scaled.mp4');
    const r = await run('scale-encode.mjs', [mp4, out, '120']);
    t.equal(r.code, 0, r.stderr);
    const info = ffprobe(out);
    const v = info.streams.find((s) => s.codec_type === 'video');
    t.same([v.codec_name, v.width, v.height], ['h264', 160, 120], 'H.264 scaled to 160x120');
    t.ok(info.streams.some((s) => s.codec_type === 'audio' && s.codec_name === 'aac'), 'audio re-encoded to AAC');
    t.equal(countFrames(out), INPUT_FRAMES, 'every input frame encoded');
    near(t, probeDuration(out), 4, 0.15, 'duration');
    t.same(keyframeTimes(out).length, 2, 'a keyframe every 2 s');
    t.match(r.stdout, CLEAN);
  },

  'remux-ts-to-mp4.mjs': async (t) => {
    const out = path.join(tmp, 'remuxed.mp4');
    const r = await run('remux-ts-to-mp4.mjs', [ts, out]);
    t.equal(r.code, 0, r.stderr);
    const info = ffprobe(out);
    t.match(info.format.format_name, /mp4/, 'an MP4');
    t.same(info.streams.map((s) => s.codec_name).sort(), ['aac', 'h264'], 'both streams copied');
    t.equal(countFrames(out), countFrames(ts), 'every video frame copied');
    t.equal(keyframeTimes(out).length, keyframeTimes(ts).length, 'keyframes kept (no re-encode)');
    near(t, probeDuration(out), 4, 0.15, 'duration');
    t.ok(r.result.streams.some((s) => s.bsf === 'aac_adtstoasc'), 'ADTS → ASC for MP4');
    t.match(r.stdout, CLEAN);
  },

  'abr-ladder.mjs': async (t) => {
    const out = path.join(tmp, 'ladder');
    const r = await run('abr-ladder.mjs', [mp4, out]);
    t.equal(r.code, 0, r.stderr);
    const master = parseMaster(fs.readFileSync(path.join(out, 'master.m3u8'), 'utf8'));
    t.same(master.variants.map((v) => v.resolution).sort(), ['192x144', '320x240'], 'two rungs');
    t.ok(fs.existsSync(path.join(out, 'manifest.mpd')), 'DASH too');
    for (const v of master.variants) {
      const dir = path.join(out, path.dirname(v.uri));
      const pl = parseMedia(fs.readFileSync(path.join(out, v.uri), 'utf8'));
      t.ok(pl.endList, `${v.uri}: VOD`);
      t.equal(pl.segments.length, 2, `${v.uri}: 2 segments of 2 s`);
      near(t, pl.totalDuration, 4, 0.1, `${v.uri}: duration`);
      let frames = 0;
      for (const s of pl.segments) {
        const file = joined(path.join(tmp, `ladder-${path.basename(dir)}-${s.sequence}.mp4`), path.join(dir, pl.segments[0].map ?? 'init.mp4'), path.join(dir, s.uri));
        const keys = keyframeTimes(file);
        const first = Number(ffprobe(file, ['-select_streams', 'v:0', '-show_packets']).packets[0].pts_time);
        t.ok(keys.length && Math.abs(keys[0] - first) < 1e-3, `${v.uri} ${s.uri} starts with a keyframe`);
        frames += countFrames(file);
      }
      t.equal(frames, INPUT_FRAMES, `${v.uri}: every frame`);
    }
    t.match(r.stdout, CLEAN);
  },

  'custom-segment-store.mjs': async (t) => {
    const out = path.join(tmp, 'origin');
    const r = await run('custom-segment-store.mjs', [mp4, out]);
    t.equal(r.code, 0, r.stderr);
    const dir = path.join(out, 'vod', 'clip');
    const onDisk = [];
    const walk = (d, rel = '') => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name), `${rel}${e.name}/`) : onDisk.push(rel + e.name)));
    walk(dir);
    t.same(r.result.keys.sort(), onDisk.sort(), "the store's list() is what the origin holds");
    t.equal(r.result.uploads, onDisk.length, 'one upload per object');
    t.ok(onDisk.includes('master.m3u8') && onDisk.includes('manifest.mpd'), 'manifests uploaded');
    const pl = parseMedia(fs.readFileSync(path.join(dir, 'v240p', 'index.m3u8'), 'utf8'));
    const frames = pl.segments.reduce((n, s) => n + countFrames(joined(path.join(tmp, `store-${s.sequence}.mp4`), path.join(dir, 'v240p', 'init.mp4'), path.join(dir, 'v240p', s.uri))), 0);
    t.equal(frames, INPUT_FRAMES, 'the uploaded segments hold every frame');
    t.match(r.stdout, CLEAN);
  },

  'hw-encoder-fallback.mjs': async (t) => {
    const r = await run('hw-encoder-fallback.mjs', ['auto', '2']);
    t.equal(r.code, 0, r.stderr);
    const { devices, selection, packets, strict } = r.result;
    t.equal(packets, 50, '2 s at 25 fps encoded');
    t.ok(selection.reason.length > 0, 'says why it chose');
    if (devices.length === 0) {
      // This machine has no GPU: it must fall back, and say so.
      t.same([selection.encoder, selection.hardware], ['libx264', null], 'falls back to libx264');
      t.match(r.stdout, /fell back to software libx264 because: auto: cuda: /, 'prints the fallback and its reason');
      t.equal(strict.error, 'ENCODER_NOT_FOUND', "fallback: 'error' rejects with a typed error");
    } else {
      t.ok(selection.hardware || /using libx264/.test(selection.reason), 'a device opened: hardware, or a reason it could not encode on it');
    }
    t.match(r.stdout, CLEAN);
  },

  'transcode-synthetic.mjs': async (t) => {
    const out = path.join(tmp, 'synthetic');
    const r = await run('transcode-synthetic.mjs', [out, '2']);
    t.equal(r.code, 0, r.stderr);
    const segs = fs.readdirSync(out).filter((f) => f.endsWith('.m4s')).sort();
    t.equal(segs.length, 1, 'one 2 s segment');
    const file = joined(path.join(tmp, 'synthetic.mp4'), path.join(out, 'init.mp4'), ...segs.map((s) => path.join(out, s)));
    t.equal(countFrames(file, 'v:0'), 60, '2 s at 30 fps');
    const v = ffprobe(file).streams.find((s) => s.codec_type === 'video');
    t.same([v.width, v.height], [640, 360]);
    t.match(r.stdout, CLEAN);
  },

  'live-rtmp-abr.mjs': async (t) => {
    const srv = await start(t, 'live-rtmp-abr.mjs', ['--http-port', '0', '--rtmp-port', '0', '--ladder', '240p']);
    const { pub, masterUrl, ready } = await publishUntilPlayable(t, srv);
    const urls = mediaPlaylistUrls(masterUrl, ready.master);
    t.equal(urls.length, 2, 'one video rung and the audio rendition');
    const mpd = await getText(`${srv.http}/live/ex/manifest.mpd`);
    t.equal(mpd.status, 200, 'DASH manifest served');
    t.match(mpd.text, /type="dynamic"/, 'a live MPD');
    // The first video segment: init + segment decode, starting with a keyframe.
    const video = urls.find((u) => u.includes('/v240p/'));
    const pl = ready.playlists[video];
    const init = await getBytes(new URL(pl.segments[0].map, video).href);
    const seg = await getBytes(new URL(pl.segments[0].uri, video).href);
    t.same([init.status, seg.status], [200, 200], 'init and segment served');
    const file = joined(path.join(tmp, 'live-seg.mp4'), init.body, seg.body);
    t.ok(countFrames(file) > 0, 'the segment decodes');
    t.equal(ffprobe(file, ['-select_streams', 'v:0', '-show_packets']).packets[0].flags[0], 'K', 'and starts with a keyframe');
    t.equal((await pub.done).code, 0, 'the publisher ran to its end');
    t.match(srv.out.stdout, /publish live\/ex over rtmp/, 'printed the publish');
    await stop(t, srv);
  },

  'embed-express.mjs': async (t) => {
    const srv = await start(t, 'embed-express.mjs', ['--port', '0', '--rtmp-port', '0']);
    t.match(srv.http, /\/tv$/, 'the handler is mounted under /tv');
    const app = srv.http.replace(/\/tv$/, '');
    const own = await getText(`${app}/`);
    t.same([own.status, own.text], [200, 'my app; the streams are under /tv/'], "the app's own route");
    const { pub, masterUrl } = await publishUntilPlayable(t, srv);
    const master = await getText(masterUrl);
    t.equal(master.status, 200, 'master playlist through Express');
    t.equal(master.type, 'application/vnd.apple.mpegurl');
    const api = await getText(`${srv.http}/api/streams`);
    t.equal(api.status, 200, 'the JSON API through Express');
    t.ok(JSON.parse(api.text).streams.some((s) => s.path === 'live/ex'), 'lists the stream');
    t.equal((await getText(`${app}/nothing`)).status, 404, 'other paths: Express 404');
    await pub.done;
    await stop(t, srv);
  },

  'embed-fastify.mjs': async (t) => {
    const srv = await start(t, 'embed-fastify.mjs', ['--port', '0', '--rtmp-port', '0']);
    const own = await getText(`${srv.http}/hello`);
    t.same([own.status, JSON.parse(own.text)], [200, { app: 'mine' }], "Fastify's own route wins");
    const { pub, masterUrl } = await publishUntilPlayable(t, srv);
    const master = await getText(masterUrl);
    t.equal(master.status, 200, 'master playlist through Fastify');
    t.equal(master.type, 'application/vnd.apple.mpegurl');
    const mpd = await getText(`${srv.http}/live/ex/manifest.mpd`);
    t.equal(mpd.status, 200, 'DASH manifest through Fastify');
    t.equal((await getText(`${srv.http}/api/streams/live/ex`)).status, 200, 'the JSON API through Fastify');
    await pub.done;
    await stop(t, srv);
  },

  'record-live.mjs': async (t) => {
    const dir = path.join(tmp, 'recordings');
    const srv = await start(t, 'record-live.mjs', [dir, '--http-port', '0', '--rtmp-port', '0']);
    const pub = publish(t, `${srv.rtmp}/live/rec`, 4);
    t.equal((await pub.done).code, 0, 'published 4 s');
    // The stream ends after the reconnect grace (2 s); the recording is then closed.
    const line = await waitFor(() => /recorded live\/rec: (\S+\.mp4)/.exec(srv.out.stdout), { timeout: 20_000, what: 'the recorded line' });
    const file = line[1];
    // 'end' comes once the presentation is finalised as VOD.
    await waitFor(() => /^end live\/rec;/m.test(srv.out.stdout), { timeout: 10_000, what: 'the end line' });
    t.equal(path.dirname(file), path.join(dir, 'live', 'rec'), 'under <dir>/<app>/<name>/');
    const info = ffprobe(file);
    t.same(info.streams.map((s) => s.codec_name).sort(), ['aac', 'h264'], 'the source streams, copied');
    near(t, countFrames(file), 100, 5, 'every published frame recorded');
    near(t, Number(info.format.duration), 4, 0.3, 'duration of the publish');
    const vod = await getText(`${srv.http}/live/rec/v240p/index.m3u8`);
    t.equal(vod.status, 200, 'the ended stream is still served');
    t.ok(parseMedia(vod.text).endList, 'as VOD');
    await stop(t, srv);
  },
};

t.test('every example has a test case', async (t) => {
  const files = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.mjs')).sort();
  t.same(files, Object.keys(cases).sort(), 'examples/*.mjs and the cases here are the same list');
});

t.test('every example is listed in the README', async (t) => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  for (const f of Object.keys(cases)) t.match(readme, `examples/${f}`, f);
});

// All cases at once: each is a subtest with its own assertions.
t.jobs = Object.keys(cases).length;
const isServer = (name) => /^(live|embed|record)-/.test(name);
const only = process.env.FFNODE_EXAMPLES?.split(','); // e.g. FFNODE_EXAMPLES=record-live.mjs: one while debugging it
const servers = [];
for (const [name, fn] of Object.entries(cases).filter(([n]) => !only || only.includes(n)).sort(([a], [b]) => isServer(b) - isServer(a))) {
  const done = t.test(name, { buffered: true }, fn);
  if (isServer(name)) servers.push(done);
}
serversDone = Promise.allSettled(servers);

// Hostile inputs: playlists that name other files or internal hosts, and TLS
// peers that must be verified on every connection (redirects, HLS segments,
// cache:/async:/hls+ wrappers). Every attack is shown to be refused with a
// typed error while the victim file stays unread (its atime, the output's
// bytes) and the internal server sees no request; each has a control that
// shows the same setup does reach the victim when the caller allows it.
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { execFileSync, spawnSync } from 'node:child_process';
import { Decoder, remux, transcode, FFmpegError, MemoryStore } from 'ffnode';
import { ffmpeg, fixtures, countFrames } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-insec-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

/**
 * Serves files of `dir` (or `routes[path]` strings / { redirect }) and counts
 * requests. TLS when `tls` ({ key, cert }) is given.
 */
async function serve(t, { dir, routes = {}, tls } = {}) {
  const state = { requests: 0, paths: [] };
  const handler = (req, res) => {
    state.requests++;
    state.paths.push(req.url);
    const r = routes[req.url];
    if (r && r.redirect) {
      res.writeHead(302, { location: r.redirect });
      return res.end();
    }
    if (typeof r === 'string') return res.end(r);
    const file = dir && path.join(dir, path.basename(req.url));
    if (!file || !fs.existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200);
    fs.createReadStream(file).pipe(res);
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  // A failed handshake must not keep sockets (and the test) alive.
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  if (tls) server.on('tlsClientError', () => {});
  const port = await listen(server);
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  state.port = port;
  state.origin = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return state;
}

// A self-signed certificate made now, for 127.0.0.1 (SAN IP) or another name.
function selfSigned(name, san) {
  const dir = fs.mkdtempSync(path.join(tmp, `cert-${name}-`));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`,
    '-addext', `subjectAltName=${san}`, '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  return { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')), certFile: path.join(dir, 'cert.pem') };
}

// ---- the victim: another user's private file next to the upload -------------
const victim = path.join(tmp, 'private.ts');
const userDir = path.join(tmp, 'user');
fs.mkdirSync(userDir);
// Noisy frames: the stream's bytes are unique, so finding them elsewhere means a leak.
await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25:duration=1', '-vf', 'noise=alls=80:allf=t',
  '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-f', 'mpegts', victim]);
const VICTIM_FRAMES = 25;

// 32-byte windows of the victim's video payload (TS packets that continue a PES).
function victimWindows() {
  const b = fs.readFileSync(victim);
  const out = [];
  for (let o = 0; o + 188 <= b.length && out.length < 24; o += 188) {
    if (b[o] === 0x47 && !(b[o + 1] & 0x40) && ((b[o + 3] >> 4) & 3) === 1) out.push(b.subarray(o + 60, o + 92));
  }
  return out;
}
const windows = victimWindows();
function leakedWindows(file) {
  if (!fs.existsSync(file)) return 0;
  const b = fs.readFileSync(file);
  return windows.filter((w) => b.includes(w)).length;
}

// Reads show up in atime (relatime updates an atime older than a day).
function ageVictim() {
  const old = new Date(Date.now() - 3 * 86400_000);
  fs.utimesSync(victim, old, fs.statSync(victim).mtime);
  return fs.statSync(victim).atimeMs;
}
const victimRead = (since) => fs.statSync(victim).atimeMs !== since;

function playlist(segment) {
  return `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\n${segment}\n#EXT-X-ENDLIST\n`;
}
const uploadRel = path.join(userDir, 'upload.mp4');
fs.writeFileSync(uploadRel, playlist('../private.ts'));
const uploadAbs = path.join(userDir, 'upload2.mp4');
fs.writeFileSync(uploadAbs, playlist(`file://${victim}`));

async function rejectsTyped(t, p, name, re, what) {
  try {
    const v = await p;
    if (v && typeof v.close === 'function') await v.close();
    t.fail(`${what}: expected a refusal`);
  } catch (e) {
    t.ok(e instanceof FFmpegError, `${what}: an FFmpegError (${e && e.message})`);
    if (name) t.equal(e.errorName, name, `${what}: errorName ${name}`);
    if (re) t.match(e.message, re, `${what}: the message says why`);
  }
}

async function decodeAll(input, opts) {
  const dec = await Decoder.open(input, opts);
  let n = 0;
  try {
    for await (const f of dec.frames('video')) {
      n++;
      f.free();
    }
  } finally {
    await dec.close();
  }
  return n;
}

t.test('(a) an upload that is an HLS playlist naming another file is refused everywhere', async (t) => {
  for (const [label, upload] of [['../private.ts', uploadRel], ['file:///abs', uploadAbs]]) {
    const since = ageVictim();
    const hint = /playlist demuxer 'hls' is not allowed.*allowPlaylists: true/;
    await rejectsTyped(t, Decoder.open(upload), 'EPERM', hint, `${label}: Decoder.open(path)`);
    await rejectsTyped(t, Decoder.open(fs.createReadStream(upload)), 'EPERM', hint, `${label}: Decoder.open(Readable)`);
    const out = path.join(tmp, `remux-${path.basename(upload)}.mp4`);
    await rejectsTyped(t, remux(upload, out), 'EPERM', hint, `${label}: remux`);
    t.equal(leakedWindows(out), 0, `${label}: the remux output holds none of the victim's bytes`);
    const store = new MemoryStore();
    await rejectsTyped(t, transcode(upload, { out: store, ladder: [{ width: 160, height: 120, bitrate: 100_000 }], audio: false, segmentDuration: 1 }).done,
      'EPERM', hint, `${label}: transcode`);
    t.equal(store.size, 0, `${label}: transcode wrote nothing`);
    t.notOk(victimRead(since), `${label}: the victim file was not read at all (atime unchanged)`);
  }
});

t.test('(a) control: the same playlist with allowPlaylists reads the victim (the checks above can fail)', async (t) => {
  const since = ageVictim();
  t.equal(await decodeAll(uploadRel, { allowPlaylists: true }), VICTIM_FRAMES, 'every victim frame decoded');
  t.ok(victimRead(since), 'atime moved: a read is visible');
  const out = path.join(tmp, 'control.mp4');
  await remux(uploadAbs, out, { allowPlaylists: true });
  t.ok(leakedWindows(out) > windows.length / 2, 'the remux output holds the victim bytes');
  t.equal(await decodeAll(uploadRel, { format: 'hls' }), VICTIM_FRAMES, "an explicit format: 'hls' allows it too");
  const store = new MemoryStore();
  const r = await transcode(uploadRel, { out: store, input: { allowPlaylists: true }, ladder: [{ width: 160, height: 120, bitrate: 100_000 }], audio: false, segmentDuration: 1 }).done;
  t.equal(r.variants.length, 1, 'transcode with input.allowPlaylists runs');
  t.ok((await store.list()).some((k) => k.endsWith('.m4s')), 'and writes segments');
});

t.test('concat: names its parts in the caller\'s string (allowed); concatf: reads them from a file (needs allowPlaylists)', async (t) => {
  t.equal(await decodeAll(`concat:${victim}|${victim}`), 2 * VICTIM_FRAMES, 'concat: of two local files decodes both');
  const list = path.join(userDir, 'parts.txt');
  fs.writeFileSync(list, `${victim}\n`);
  await rejectsTyped(t, Decoder.open(`concatf:${list}`), 'EPERM', /'concatf' protocol .*allowPlaylists/, 'concatf: without allowPlaylists');
  t.equal(await decodeAll(`concatf:${list}`, { allowPlaylists: true }), VICTIM_FRAMES, 'concatf: with allowPlaylists');
});

const MPD = (base) => `<?xml version="1.0" encoding="utf-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" mediaPresentationDuration="PT2S" minBufferTime="PT1S">
  <BaseURL>${base}/</BaseURL>
  <Period id="0" start="PT0S">
    <AdaptationSet contentType="video" mimeType="video/mp4" segmentAlignment="true">
      <Representation id="v0" bandwidth="100000" codecs="avc1.64000d" width="160" height="120">
        <SegmentTemplate timescale="1000" duration="1000" initialization="init-$RepresentationID$.mp4" media="chunk-$RepresentationID$-$Number$.m4s" startNumber="1"/>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
`;

t.test('(b) a byte stream that is a DASH manifest pointing at an internal host is refused, no request made', async (t) => {
  const internal = await serve(t, { routes: {} });
  const mpd = MPD(internal.origin);
  await rejectsTyped(t, Decoder.open(Readable.from([Buffer.from(mpd)])), 'EPERM', /playlist demuxer 'dash' is not allowed/, 'Decoder.open(Readable)');
  await rejectsTyped(t, Decoder.open(Readable.from([Buffer.from(mpd)]), { allowPlaylists: true }), 'EPERM', /'dash'.*format: 'dash'/,
    'allowPlaylists does not cover dash (its segment opens bypass io_open in 5.1)');
  const file = path.join(userDir, 'manifest-upload.mp4');
  fs.writeFileSync(file, mpd);
  await rejectsTyped(t, remux(file, path.join(tmp, 'dash-out.mp4')), 'EPERM', /'dash'/, 'remux(file)');
  const store = new MemoryStore();
  await rejectsTyped(t, transcode(Readable.from([Buffer.from(mpd)]), { out: store, audio: false }).done, 'EPERM', /'dash'/, 'transcode(Readable)');
  // Named explicitly, dash runs; a byte source still has no protocol to open.
  await rejectsTyped(t, Decoder.open(Readable.from([Buffer.from(mpd)]), { format: 'dash', timeoutMs: 5000 }), null, null, "format: 'dash' on a byte source");
  t.equal(internal.requests, 0, 'the internal server saw no request');
});

t.test('(c) an allowed HLS playlist over http cannot reach file: through a segment', async (t) => {
  const since = ageVictim();
  const srv = await serve(t, { routes: { '/list.m3u8': playlist(`file://${victim}`), '/other.m3u8': playlist(`file://${victim}`) } });
  await rejectsTyped(t, decodeAll(`${srv.origin}/list.m3u8`, { allowPlaylists: true }), 'EPERM', /nested open of 'file:\/\/.*private\.ts' refused: protocol 'file' is not allowed/,
    'Decoder (allowPlaylists)');
  await rejectsTyped(t, decodeAll(`${srv.origin}/other.m3u8`, { format: 'hls' }), 'EPERM', /protocol 'file' is not allowed/, "Decoder (format: 'hls')");
  const out = path.join(tmp, 'c-out.mp4');
  await rejectsTyped(t, remux(`${srv.origin}/list.m3u8`, out, { allowPlaylists: true }), 'EPERM', /protocol 'file' is not allowed/, 'remux (allowPlaylists)');
  t.equal(leakedWindows(out), 0, 'no victim bytes in the remux output');
  t.notOk(victimRead(since), 'the victim file was not read');
  t.ok(srv.requests >= 3, 'the playlists themselves were fetched');
});

t.test('honest inputs: HLS over http with allowPlaylists plays every frame; without it, a typed refusal', async (t) => {
  const src = await fixtures.mpegts10s();
  const dir = fs.mkdtempSync(path.join(tmp, 'hls-'));
  await ffmpeg(['-i', src, '-map', '0:v:0', '-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_list_size', '0',
    '-hls_segment_filename', path.join(dir, 'seg%d.ts'), path.join(dir, 'live.m3u8')]);
  const srv = await serve(t, { dir });
  const want = await countFrames(src, 'v:0');
  t.equal(await decodeAll(`${srv.origin}/live.m3u8`, { allowPlaylists: true }), want, 'allowPlaylists: all frames');
  t.equal(await decodeAll(`${srv.origin}/live.m3u8`, { format: 'hls' }), want, "format: 'hls': all frames");
  const before = srv.requests;
  await rejectsTyped(t, Decoder.open(`${srv.origin}/live.m3u8`), 'EPERM', /playlist demuxer 'hls'/, 'no allowPlaylists');
  t.equal(srv.requests - before, 1, 'only the playlist itself was fetched (no segment)');
  t.equal(await decodeAll(src), want, 'a plain file path still works');
  t.equal(await decodeAll('testsrc2=size=64x48:rate=10:duration=1', { format: 'lavfi' }), 10, "lavfi with format 'lavfi'");
  const out = path.join(tmp, 'honest.mp4');
  const r = await remux(`${srv.origin}/live.m3u8`, out, { allowPlaylists: true });
  t.equal(r.streams[0].packets, want, 'remux of the allowed playlist copies every packet');
});

t.test('CLI: probe refuses a playlist upload unless --allow-playlists', async (t) => {
  const cli = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist', 'cli.js');
  const run = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  const since = ageVictim();
  const refused = run('probe', uploadRel);
  t.not(refused.status, 0, 'exits non-zero');
  t.match(refused.stderr, /playlist demuxer 'hls' is not allowed/, 'and says why');
  t.notOk(victimRead(since), 'the victim was not read');
  const allowed = run('probe', uploadRel, '--allow-playlists');
  t.equal(allowed.status, 0, `--allow-playlists probes it (${allowed.stderr.trim()})`);
  t.match(allowed.stdout, /hls/, 'as hls');
  const out = path.join(tmp, 'cli-remux.mp4');
  t.not(run('remux', uploadRel, out).status, 0, 'remux refuses it too');
  t.notOk(fs.existsSync(out) && leakedWindows(out), 'and copied nothing');
  t.equal(run('remux', uploadRel, out, '--allow-playlists').status, 0, 'remux --allow-playlists copies it');
  t.ok(leakedWindows(out) > 0, '(the victim bytes: allowed means allowed)');
});

// ---- TLS ----------------------------------------------------------------------
const cert = selfSigned('127.0.0.1', 'IP:127.0.0.1');
const wrongName = selfSigned('localhost', 'DNS:localhost');

t.test('(d) https with a self-signed certificate: refused, unless ca_file trusts it; hostname checked', async (t) => {
  const src = await fixtures.mpegts10s();
  const want = await countFrames(src, 'v:0');
  const dir = path.dirname(src);
  const srv = await serve(t, { dir, tls: cert });
  const url = `${srv.origin}/${path.basename(src)}`;
  const tlsHint = /TLS certificates are verified/;
  await rejectsTyped(t, Decoder.open(url, { timeoutMs: 5000 }), 'EIO', tlsHint, 'Decoder.open');
  await rejectsTyped(t, remux(url, path.join(tmp, 'd-out.mp4'), { timeoutMs: 5000 }), 'EIO', tlsHint, 'remux');
  t.equal(srv.requests, 0, 'no HTTP request got through the handshake');
  t.equal(await decodeAll(url, { options: { ca_file: cert.certFile } }), want, 'with ca_file: every frame');
  const r = await remux(url, path.join(tmp, 'd-ok.mp4'), { inputOptions: { ca_file: cert.certFile } });
  t.ok(r.packets > want, 'remux with ca_file copies the streams');
  const other = await serve(t, { dir, tls: wrongName });
  await rejectsTyped(t, Decoder.open(`${other.origin}/${path.basename(src)}`, { options: { ca_file: wrongName.certFile }, timeoutMs: 5000 }), null, null,
    'trusted certificate for another name (hostname check)');
  t.equal(other.requests, 0, 'the wrong-name server saw no request');
});

t.test('(e) http → 302 → https self-signed: verified after the redirect', async (t) => {
  const src = await fixtures.mpegts10s();
  const secure = await serve(t, { dir: path.dirname(src), tls: cert });
  const target = `${secure.origin}/${path.basename(src)}`;
  const front = await serve(t, { routes: { '/a.ts': { redirect: target } } });
  await rejectsTyped(t, Decoder.open(`${front.origin}/a.ts`, { timeoutMs: 5000 }), null, null, 'Decoder.open');
  await rejectsTyped(t, remux(`${front.origin}/a.ts`, path.join(tmp, 'e-out.mp4'), { timeoutMs: 5000 }), null, null, 'remux');
  t.ok(front.requests >= 2, 'the redirect was followed');
  t.equal(secure.requests, 0, 'the unverified https server saw no request');
  t.equal(await decodeAll(`${front.origin}/a.ts`, { options: { ca_file: cert.certFile } }), await countFrames(src, 'v:0'), 'ca_file reaches the redirected connection');
});

t.test('(f) allowed HLS whose segments are on an unverified https server: refused', async (t) => {
  const src = await fixtures.mpegts10s();
  const dir = fs.mkdtempSync(path.join(tmp, 'hls-tls-'));
  await ffmpeg(['-i', src, '-map', '0:v:0', '-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_list_size', '0',
    '-hls_segment_filename', path.join(dir, 'seg%d.ts'), path.join(dir, 'live.m3u8')]);
  const secure = await serve(t, { dir, tls: cert });
  const list = fs.readFileSync(path.join(dir, 'live.m3u8'), 'utf8').replace(/^(seg\d+\.ts)$/gm, `${secure.origin}/$1`);
  const front = await serve(t, { routes: { '/live.m3u8': list } });
  await rejectsTyped(t, decodeAll(`${front.origin}/live.m3u8`, { allowPlaylists: true, timeoutMs: 5000 }), null, null, 'Decoder');
  await rejectsTyped(t, remux(`${front.origin}/live.m3u8`, path.join(tmp, 'f-out.mp4'), { allowPlaylists: true, timeoutMs: 5000 }), null, null, 'remux');
  t.equal(secure.requests, 0, 'no segment request reached the unverified server');
  t.equal(await decodeAll(`${front.origin}/live.m3u8`, { allowPlaylists: true, options: { ca_file: cert.certFile } }), await countFrames(src, 'v:0'),
    'with ca_file the segments are verified and play');
  t.ok(secure.requests > 0, 'and then the segment server was used');
  t.equal(await decodeAll(`${front.origin}/live.m3u8`, { allowPlaylists: true, options: { tls_verify: false } }), await countFrames(src, 'v:0'),
    "the caller's explicit tls_verify: false reaches the segments too");
});

t.test('(g) cache:, async: and hls+ prefixes verify TLS too', async (t) => {
  const src = await fixtures.mpegts10s();
  const srv = await serve(t, { dir: path.dirname(src), tls: cert });
  const url = `${srv.origin}/${path.basename(src)}`;
  for (const prefix of ['cache:', 'async:']) {
    await rejectsTyped(t, Decoder.open(prefix + url, { timeoutMs: 5000 }), null, null, `${prefix} Decoder.open`);
    await rejectsTyped(t, remux(prefix + url, path.join(tmp, 'g-out.mp4'), { timeoutMs: 5000 }), null, null, `${prefix} remux`);
  }
  t.equal(srv.requests, 0, 'cache:/async: made no request to the unverified server');
  t.equal(await decodeAll(`cache:${url}`, { options: { ca_file: cert.certFile } }), await countFrames(src, 'v:0'), 'cache: with ca_file works');
  const hlsDir = fs.mkdtempSync(path.join(tmp, 'hlsproto-'));
  await ffmpeg(['-i', src, '-map', '0:v:0', '-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_list_size', '0',
    '-hls_segment_filename', path.join(hlsDir, 'seg%d.ts'), path.join(hlsDir, 'live.m3u8')]);
  const hsrv = await serve(t, { dir: hlsDir, tls: cert });
  const hls = `hls+${hsrv.origin}/live.m3u8`;
  await rejectsTyped(t, Decoder.open(hls), 'EPERM', /allowPlaylists/, 'hls+https without allowPlaylists');
  await rejectsTyped(t, Decoder.open(hls, { allowPlaylists: true, options: { ca_file: cert.certFile } }), 'EPERM', /cannot verify TLS/,
    'hls+https: the hls protocol drops TLS options, so it is refused under verification');
  await rejectsTyped(t, remux(hls, path.join(tmp, 'g2.mp4'), { allowPlaylists: true }), 'EPERM', /cannot verify TLS/, 'remux hls+https');
  t.equal(hsrv.requests, 0, 'the hls+https server saw no request');
});

// A raw TLS server: counts application bytes it receives, sends `payload`.
async function tlsServer(t, payload) {
  const state = { bytes: 0, connections: 0 };
  const server = tls.createServer({ key: cert.key, cert: cert.cert }, (sock) => {
    state.connections++;
    sock.on('data', (d) => (state.bytes += d.length));
    sock.on('error', () => {});
    if (payload) fs.createReadStream(payload).pipe(sock);
  });
  server.on('tlsClientError', () => {});
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  state.port = await listen(server);
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return state;
}

t.test('(i) tls:// and rtmps:// verify the peer too', async (t) => {
  const src = await fixtures.mpegts10s();
  const raw = await tlsServer(t, src);
  await rejectsTyped(t, Decoder.open(`tls://127.0.0.1:${raw.port}`, { format: 'mpegts', timeoutMs: 5000 }), 'EIO', /TLS certificates are verified/, 'tls:// self-signed');
  t.equal(raw.bytes, 0, 'nothing was sent to the unverified peer');
  t.equal(await decodeAll(`tls://127.0.0.1:${raw.port}`, { format: 'mpegts', options: { ca_file: cert.certFile } }), await countFrames(src, 'v:0'), 'tls:// with ca_file: every frame');
  const rtmp = await tlsServer(t, null);
  await rejectsTyped(t, Decoder.open(`rtmps://127.0.0.1:${rtmp.port}/live/x`, { timeoutMs: 3000 }), null, null, 'rtmps:// self-signed');
  t.equal(rtmp.bytes, 0, 'no RTMP handshake byte reached the unverified peer');
  await rejectsTyped(t, Decoder.open(`rtmps://127.0.0.1:${rtmp.port}/live/x`, { timeoutMs: 1500, options: { ca_file: cert.certFile } }), null, null,
    'rtmps:// with ca_file: the handshake starts (the fake server never answers)');
  t.ok(rtmp.bytes >= 1537, `control: with ca_file the RTMP handshake (C0+C1) was sent (${rtmp.bytes} bytes)`);
});

t.test("(h) an explicit format: 'dash' cannot fetch segments over unverified TLS", async (t) => {
  const dir = fs.mkdtempSync(path.join(tmp, 'dash-'));
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10:duration=3', '-c:v', 'libx264', '-g', '10', '-f', 'dash',
    '-seg_duration', '1', '-use_template', '1', '-use_timeline', '0', path.join(dir, 'manifest.mpd')]);
  const secure = await serve(t, { dir, tls: cert });
  const mpd = fs.readFileSync(path.join(dir, 'manifest.mpd'), 'utf8').replace('<Period', `<BaseURL>${secure.origin}/</BaseURL>\n<Period`);
  const front = await serve(t, { routes: { '/m.mpd': mpd } });
  // dash opens its segments without io_open: our TLS options cannot reach them.
  await rejectsTyped(t, decodeAll(`${front.origin}/m.mpd`, { format: 'dash', timeoutMs: 5000 }), null, null, 'manifest over http, segments on https');
  t.equal(secure.requests, 0, 'no segment request reached the unverified server');
  await rejectsTyped(t, Decoder.open(`${secure.origin}/manifest.mpd`, { format: 'dash', options: { ca_file: cert.certFile } }), 'EPERM',
    /cannot verify TLS certificates.*'dash' demuxer/, 'manifest over https: refused up front');
  t.equal(secure.requests, 0, 'not even the manifest was fetched');
  t.equal(await decodeAll(`${front.origin}/m.mpd`, { format: 'dash', options: { tls_verify: 0 } }), 30, 'control: with tls_verify: 0 the segments are fetched');
  t.ok(secure.requests > 0, 'from the https server');
});

t.test('(j) gophers:// and rtmpts:// open TLS without options in FFmpeg 5.1: refused under verification', async (t) => {
  const raw = await tlsServer(t, null);
  for (const url of [`gophers://127.0.0.1:${raw.port}/9/a.ts`, `rtmpts://127.0.0.1:${raw.port}/live/x`]) {
    await rejectsTyped(t, Decoder.open(url, { timeoutMs: 3000 }), 'EPERM', /cannot verify TLS certificates/, url);
    await rejectsTyped(t, remux(url, path.join(tmp, 'j.ts'), { format: 'mpegts', timeoutMs: 3000 }), 'EPERM', /cannot verify TLS/, `remux ${url}`);
  }
  t.equal(raw.connections, 0, 'the unverified peer got no connection');
  await rejectsTyped(t, Decoder.open(`gophers://127.0.0.1:${raw.port}/9/a.ts`, { timeoutMs: 1500, options: { tls_verify: 0 } }), null, null,
    'control: with tls_verify: 0 it connects (the fake server sends nothing)');
  t.ok(raw.connections > 0, `control: the peer was reached (${raw.connections})`);
});

t.test('(k) remux uploads verify their TLS peer (https output)', async (t) => {
  const src = await fixtures.mpegts10s();
  const sink = await serve(t, { tls: cert, routes: {} });
  await rejectsTyped(t, remux(src, `${sink.origin}/upload.ts`, { format: 'mpegts', timeoutMs: 5000 }), 'EIO', null, 'self-signed upload target');
  t.equal(sink.requests, 0, 'no request (and no media byte) reached the unverified server');
});

t.test('(l) tls_verify takes the words libav does not: false/off mean 0 on every connection', async (t) => {
  const src = await fixtures.mpegts10s();
  const srv = await serve(t, { dir: path.dirname(src), tls: cert });
  const url = `${srv.origin}/${path.basename(src)}`;
  for (const v of [0, '0', 'false', 'off', false]) {
    const dec = await Decoder.open(url, { options: { tls_verify: v }, timeoutMs: 5000 });
    t.ok(dec.streams.length > 0, `tls_verify ${JSON.stringify(v)}: opened without verification, as asked`);
    await dec.close();
  }
  await rejectsTyped(t, Decoder.open(url, { options: { tls_verify: 'true' }, timeoutMs: 5000 }), 'EIO', null, "tls_verify 'true' verifies");
});

t.test("(m) a caller's protocol_blacklist still applies", async (t) => {
  const src = await fixtures.mpegts10s();
  await rejectsTyped(t, Decoder.open(src, { options: { protocol_blacklist: 'file' } }), null, null, 'file blacklisted: the path is not opened');
  t.equal(await decodeAll(src, { options: { protocol_blacklist: 'http' } }), await countFrames(src, 'v:0'), 'control: another blacklist leaves the file readable');
});

endsWithZeroLive(t);

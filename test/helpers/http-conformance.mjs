// The HTTP delivery check-list, run against every way the handler is embedded
// (node:http, Express at / and under a prefix, Fastify): real media made by the
// library, fetched with node:http (no decompression, no URL normalisation) or
// raw request lines over a socket, compared byte for byte with the store.
//
//   import { buildMedia, checkConformance, ESCAPES } from './helpers/http-conformance.mjs';
//   const media = await buildMedia(dir);          // MemoryStore + FileStore with the same objects
//   await checkConformance(t, { name: 'node:http', port, prefix: '', store: media.memory, exact: true });
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { transcode, Presentation, MemoryStore, FileStore, PrefixStore } from 'ffnode';
import { fixture, ffprobe } from './media.mjs';

/** 4 s 320x240 H.264 (keyframe every second) + AAC: the source of every object served. */
export const av4s = () => fixture('av4s.mp4', ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30:duration=4', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=4',
  '-map', '0:v:0', '-map', '1:a:0', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-c:a', 'aac', '-b:a', '64k']);

/** Text lines a response must never contain when it refused something. */
export const SECRET = 'TOP-SECRET-do-not-serve';

const attrs = (s) => Object.fromEntries([...s.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));

// A live presentation (no ENDLIST, dynamic MPD, target duration 4) made by a
// real Presentation from the VOD's real init and media segments.
async function liveFrom(vod, live) {
  const mpd = (await vod.get('manifest.mpd')).toString();
  const reps = [...mpd.matchAll(/<Representation ([^>]*)>/g)].map((m) => attrs(m[1]));
  const p = new Presentation({ store: live, mode: 'live', segmentFormat: 'cmaf', segmentDuration: 1, targetDuration: 4, windowSize: 6 });
  for (const r of reps) {
    p.addRendition(r.audioSamplingRate
      ? { id: r.id, type: 'audio', codecs: r.codecs, bitrate: Number(r.bandwidth), sampleRate: Number(r.audioSamplingRate), channels: 2, language: 'und' }
      : { id: r.id, type: 'video', codecs: r.codecs, bitrate: Number(r.bandwidth), width: Number(r.width), height: Number(r.height), frameRate: Number(r.frameRate) });
  }
  const t0 = Date.now() - 10_000;
  for (const r of reps) {
    await p.setInit(r.id, await vod.get(`${r.id}/init.mp4`));
    const durations = [...(await vod.get(`${r.id}/index.m3u8`)).toString().matchAll(/#EXTINF:([\d.]+),/g)].map((m) => Number(m[1]));
    let start = 0;
    for (let i = 0; i < 3; i++) {
      await p.addSegment(r.id, { sequence: i, start, duration: durations[i], data: await vod.get(`${r.id}/seg_${i}.m4s`), startsWithKeyframe: true, programDateTime: new Date(t0 + start * 1000) });
      start += durations[i];
    }
  }
  await p.close(); // live: no end(), so no ENDLIST; close() only stops deletion timers
}

/**
 * Real media in a MemoryStore and, the same objects, in a FileStore rooted at
 * `<dir>/root` (a secret file lies next to the root, `<dir>/secret.txt`):
 * `vod/clip/…` (CMAF VOD: v240p + a128k), `vod/ts/…` (MPEG-TS VOD),
 * `live/cam1/…` (a live window over the same segments).
 */
export async function buildMedia(dir) {
  const memory = new MemoryStore();
  const src = av4s();
  await transcode(src, { out: new PrefixStore(memory, 'vod/clip'), ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast' }).done;
  await transcode(src, { out: new PrefixStore(memory, 'vod/ts'), ladder: ['240p'], segmentDuration: 1, segmentFormat: 'ts', preset: 'ultrafast', audio: false }).done;
  await liveFrom(new PrefixStore(memory, 'vod/clip'), new PrefixStore(memory, 'live/cam1'));
  const root = path.join(dir, 'root');
  const files = new FileStore(root);
  for (const key of await memory.list()) await files.put(key, await memory.get(key));
  fs.writeFileSync(path.join(dir, 'secret.txt'), `${SECRET}\n`);
  fs.mkdirSync(path.join(dir, 'root-sibling'));
  fs.writeFileSync(path.join(dir, 'root-sibling', 'secret.txt'), `${SECRET}\n`);
  return { memory, files, root };
}

/**
 * GET (or `method`) `target` over node:http: nothing decoded, nothing
 * normalised. Resolves { status, headers, body: Buffer }.
 */
export function request(port, target, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: target, method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends `METHOD target HTTP/1.1` as is (fetch and http.request would normalise or refuse some). Resolves { status, text }. */
export function rawRequest(port, target, method = 'GET') {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    const chunks = [];
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(text.split(' ')[1]), text });
    });
    s.on('error', reject);
  });
}

/**
 * Escape attempts, each with the status node:http answers (400: refused by
 * resolveRequestPath, 404: a hidden name or not a path the handler owns).
 * `P` stands for the mount prefix. Frameworks may refuse some first (Fastify
 * answers malformed escapes 400 itself, Express 404s what is not under its
 * prefix): any 4xx without a served body counts there.
 */
export const ESCAPES = [
  ['P/vod/clip/../../../secret.txt', 400],
  ['P/vod/clip/v240p/../../../../secret.txt', 400],
  ['P/../secret.txt', 400],
  ['P/vod/./clip/master.m3u8', 400],
  ['P/vod/clip/%2e%2e/%2e%2e/%2e%2e/secret.txt', 400],
  ['P/vod/clip/%2E%2E/master.m3u8', 400],
  ['P/vod/clip/.%2e/.%2e/secret.txt', 400],
  ['P/vod%2fclip/master.m3u8', 400],
  ['P/vod/clip%2F..%2F..%2F..%2Fsecret.txt', 400],
  ['P/vod/clip/%5c..%5c..%5csecret.txt', 400],
  ['P/vod/clip/..%5C..%5C..%5Csecret.txt', 400],
  ['P/vod/clip/master.m3u8%00.ts', 400],
  ['P/vod/clip/%00', 400],
  ['P/vod/clip/%252e%252e/%252e%252e/secret.txt', 400],
  ['P/vod/clip/%25', 400],
  ['P/vod/clip/%zz', 400],
  ['P/vod/clip/%', 400],
  ['P/vod/clip/%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt', 400],
  ['P/vod/clip/%e0%80%ae%e0%80%ae/secret.txt', 400],
  ['P/vod/clip/%c0%af..%c0%afsecret.txt', 400],
  ['P//vod/clip/master.m3u8', 400],
  ['P/vod//clip/master.m3u8', 400],
  ['P/vod/clip/v240p//seg_1.m4s', 400],
  ['P/vod/clip/\\..\\..\\..\\secret.txt', 400],
  ['P/vod/clip/%0a/master.m3u8', 400],
  ['P/vod/clip/%7f/x.ts', 400],
  [`P/vod/clip/${'a'.repeat(1100)}.ts`, 400],
  [`P/${'a/'.repeat(20)}x.ts`, 400],
  ['P/vod/clip/.v240p/init.mp4', 404],
  ['P/vod/clip/..;/..;/secret.txt', 404],
  ['P/vod/clip/v240p/seg_1.m4s;/../../../../secret.txt', 400],
  ['P/api/../vod/clip/master.m3u8', 400],
  ['http://evil.example/P/../secret.txt', 400],
  ['http://evil.example/P/vod/clip/%2e%2e/%2e%2e/secret.txt', 400],
  ['*', 400],
];

const isServed = (text) => /#EXTM3U|<MPD|ftyp|moof|TOP-SECRET/.test(text);
const decode = (r) => {
  const enc = r.headers['content-encoding'];
  if (enc === 'br') return zlib.brotliDecompressSync(r.body);
  if (enc === 'gzip') return zlib.gunzipSync(r.body);
  return r.body;
};

/**
 * The check-list. `srv`: { name, port, prefix ('' or '/tv'), store (the store
 * served, for byte comparisons), exact (escape statuses exactly as node:http
 * answers them), tmp (a folder for ffprobe inputs) }.
 */
export async function checkConformance(t, srv) {
  const { port, prefix, store } = srv;
  const url = (key) => `${prefix}/${key}`;
  const get = (key, headers = {}, method = 'GET') => request(port, url(key), { method, headers });
  const stored = async (key) => await store.get(key);

  await t.test(`${srv.name}: content types and cache rules by kind`, async (t) => {
    const cases = [
      ['vod/clip/master.m3u8', 'application/vnd.apple.mpegurl', 'no-cache'],
      ['vod/clip/v240p/index.m3u8', 'application/vnd.apple.mpegurl', 'max-age=86400'],
      ['vod/clip/a128k/index.m3u8', 'application/vnd.apple.mpegurl', 'max-age=86400'],
      ['vod/clip/manifest.mpd', 'application/dash+xml', 'max-age=60'],
      ['vod/clip/v240p/init.mp4', 'video/mp4', 'max-age=31536000, immutable'],
      ['vod/clip/a128k/init.mp4', 'audio/mp4', 'max-age=31536000, immutable'],
      ['vod/clip/v240p/seg_1.m4s', 'video/iso.segment', 'max-age=31536000, immutable'],
      ['vod/clip/a128k/seg_1.m4s', 'audio/mp4', 'max-age=31536000, immutable'],
      ['vod/ts/v240p/seg_0.ts', 'video/mp2t', 'max-age=31536000, immutable'],
      ['live/cam1/master.m3u8', 'application/vnd.apple.mpegurl', 'no-cache'],
      ['live/cam1/v240p/index.m3u8', 'application/vnd.apple.mpegurl', 'max-age=2'], // target duration 4: half of it
      ['live/cam1/manifest.mpd', 'application/dash+xml', 'no-cache'],
    ];
    for (const [key, type, cache] of cases) {
      const r = await get(key);
      t.equal(r.status, 200, key);
      t.equal(r.headers['content-type'], type, `${key}: Content-Type`);
      t.equal(r.headers['cache-control'], cache, `${key}: Cache-Control`);
      t.equal(r.headers['accept-ranges'], 'bytes', `${key}: Accept-Ranges`);
      t.equal(r.headers['x-content-type-options'], 'nosniff');
      t.match(r.headers.etag, /^"[^"]+"$/, `${key}: a strong ETag`);
      t.ok(r.body.equals(await stored(key)), `${key}: the stored bytes`);
      t.equal(Number(r.headers['content-length']), r.body.length, `${key}: Content-Length`);
    }
    const live = (await get('live/cam1/v240p/index.m3u8')).body.toString();
    t.notMatch(live, /#EXT-X-ENDLIST/, 'the live playlist is live');
    t.match((await get('live/cam1/manifest.mpd')).body.toString(), /type="dynamic"/);
  });

  await t.test(`${srv.name}: byte ranges`, async (t) => {
    const key = 'vod/clip/v240p/seg_1.m4s';
    const data = await stored(key);
    const size = data.length;
    t.ok(size > 1000, `a real segment (${size} bytes)`);
    const etag = (await get(key)).headers.etag;
    const cases = [
      ['bytes=0-99', 0, 99],
      ['bytes=100-', 100, size - 1],
      ['bytes=-50', size - 50, size - 1],
      [`bytes=${size - 10}-${size + 1000}`, size - 10, size - 1],
      ['bytes=0-9,5-19', 0, 19], // overlapping ranges merge into one
      ['bytes=20-29,10-19', 10, 29], // adjacent too
    ];
    for (const [range, start, end] of cases) {
      const r = await get(key, { range });
      t.equal(r.status, 206, range);
      t.equal(r.headers['content-range'], `bytes ${start}-${end}/${size}`, `${range}: Content-Range`);
      t.equal(Number(r.headers['content-length']), end - start + 1);
      t.ok(r.body.equals(data.subarray(start, end + 1)), `${range}: the stored bytes ${start}..${end}`);
      t.equal(r.headers.etag, etag, 'the same ETag as the whole');
    }
    for (const range of ['bytes=0-9,50-59', 'bytes=abc', 'items=0-5', 'bytes=5-2']) {
      const r = await get(key, { range });
      t.equal(r.status, 200, `${range}: the whole body`);
      t.ok(r.body.equals(data), `${range}: all of it`);
    }
    for (const range of [`bytes=${size}-`, `bytes=${size + 5}-${size + 9}`, 'bytes=-0']) {
      const r = await get(key, { range });
      t.equal(r.status, 416, `${range}: unsatisfiable`);
      t.equal(r.headers['content-range'], `bytes */${size}`);
      t.notOk(isServed(r.body.toString('latin1')));
    }
    const ok = await get(key, { range: 'bytes=10-19', 'if-range': etag });
    t.equal(ok.status, 206, 'If-Range with the current ETag: the range');
    t.ok(ok.body.equals(data.subarray(10, 20)));
    for (const ifRange of ['"stale"', `W/${etag}`, 'Tue, 01 Jan 2002 00:00:00 GMT']) {
      const stale = await get(key, { range: 'bytes=10-19', 'if-range': ifRange });
      t.equal(stale.status, 200, `If-Range ${ifRange}: the whole body`);
      t.ok(stale.body.equals(data));
    }
    const head = await get(key, { range: 'bytes=0-9' }, 'HEAD');
    t.equal(head.status, 200, 'HEAD ignores Range (only GET has ranges)');
    t.equal(Number(head.headers['content-length']), size);
    const m = await get('vod/clip/manifest.mpd', { range: 'bytes=0-4', 'accept-encoding': 'br' });
    t.equal(m.status, 206, 'a manifest range');
    t.equal(m.headers['content-encoding'], undefined, 'a range is of the stored bytes, never compressed');
    t.equal(m.body.toString(), '<?xml');
  });

  await t.test(`${srv.name}: validators and 304`, async (t) => {
    const key = 'vod/clip/a128k/seg_2.m4s';
    const first = await get(key);
    const etag = first.headers.etag;
    t.equal((await get(key)).headers.etag, etag, 'stable across requests');
    t.not((await get('vod/clip/a128k/seg_1.m4s')).headers.etag, etag, 'another object, another tag');
    for (const inm of [etag, `W/${etag}`, `"x", ${etag}`, `W/"x",W/${etag}`, '*']) {
      const r = await get(key, { 'if-none-match': inm });
      t.equal(r.status, 304, `If-None-Match: ${inm}`);
      t.equal(r.body.length, 0, 'no body');
      t.equal(r.headers.etag, etag);
      t.equal(r.headers['cache-control'], 'max-age=31536000, immutable', '304 keeps Cache-Control');
    }
    t.equal((await get(key, { 'if-none-match': '"other"' })).status, 200);
    t.equal((await get(key, { 'if-none-match': etag }, 'HEAD')).status, 304, 'HEAD too');
    t.equal((await get(key, { 'if-match': '"other"' })).status, 412, 'If-Match that fails');
    t.equal((await get(key, { 'if-match': etag })).status, 200);
    const lm = first.headers['last-modified'];
    if (lm) {
      t.equal((await get(key, { 'if-modified-since': lm })).status, 304, 'If-Modified-Since = Last-Modified');
      t.equal((await get(key, { 'if-modified-since': new Date(Date.parse(lm) - 60_000).toUTCString() })).status, 200, 'older date: the body');
      t.equal((await get(key, { 'if-none-match': '"other"', 'if-modified-since': lm })).status, 200, 'If-None-Match wins over If-Modified-Since');
    } else {
      t.equal(srv.lastModified, false, 'Last-Modified is sent whenever the store knows the mtime');
    }
  });

  await t.test(`${srv.name}: compression of manifests only`, async (t) => {
    const key = 'vod/clip/manifest.mpd';
    const data = await stored(key);
    t.ok(data.length >= 1024, `the MPD is worth compressing (${data.length} bytes)`);
    const plain = await get(key);
    t.equal(plain.headers['content-encoding'], undefined, 'no Accept-Encoding: identity');
    t.match(plain.headers.vary, /Accept-Encoding/);
    const tags = new Set([plain.headers.etag]);
    for (const [ae, coding] of [['br', 'br'], ['gzip', 'gzip'], ['gzip, deflate, br', 'br'], ['gzip;q=1, br;q=0.5', 'gzip'], ['br;q=0, gzip;q=0.1', 'gzip'], ['identity', undefined], ['deflate', undefined], ['*', 'br']]) {
      const r = await get(key, { 'accept-encoding': ae });
      t.equal(r.status, 200);
      t.equal(r.headers['content-encoding'], coding, `Accept-Encoding: ${ae}`);
      t.match(r.headers.vary, /Accept-Encoding/);
      t.ok(decode(r).equals(data), `${ae}: decodes to the stored bytes`);
      t.equal(Number(r.headers['content-length']), r.body.length);
      if (coding) {
        t.ok(r.body.length < data.length / 2, `${coding}: ${data.length} → ${r.body.length} bytes`);
        t.ok(r.headers.etag.endsWith(`-${coding}"`), `${coding}: its own ETag ${r.headers.etag}`);
        tags.add(r.headers.etag);
        const again = await get(key, { 'accept-encoding': ae, 'if-none-match': r.headers.etag });
        t.equal(again.status, 304, `${coding}: revalidates`);
        const head = await get(key, { 'accept-encoding': ae }, 'HEAD');
        t.equal(head.headers['content-length'], r.headers['content-length'], `${coding}: HEAD has the same Content-Length`);
        t.equal(head.body.length, 0);
      }
    }
    t.equal(tags.size, 3, 'identity, br and gzip: three tags');
    t.equal((await get(key, { 'accept-encoding': 'br', 'if-none-match': plain.headers.etag })).status, 200, "identity's tag does not validate br");
    for (const k of ['vod/clip/v240p/seg_1.m4s', 'vod/clip/v240p/init.mp4', 'vod/ts/v240p/seg_0.ts']) {
      const r = await get(k, { 'accept-encoding': 'br, gzip' });
      t.equal(r.headers['content-encoding'], undefined, `${k}: never compressed`);
      t.equal(r.headers.vary, undefined, `${k}: no Vary`);
    }
    const tiny = await get('vod/clip/master.m3u8', { 'accept-encoding': 'br' });
    t.ok(tiny.body.length < 1024 && tiny.headers['content-encoding'] === undefined, `a ${tiny.body.length}-byte playlist is sent as it is`);
  });

  await t.test(`${srv.name}: HEAD`, async (t) => {
    for (const key of ['vod/clip/v240p/seg_2.m4s', 'vod/clip/v240p/index.m3u8', 'live/cam1/manifest.mpd']) {
      const g = await get(key);
      const h = await get(key, {}, 'HEAD');
      t.equal(h.status, 200, key);
      t.equal(h.body.length, 0, `${key}: no body`);
      for (const name of ['content-type', 'content-length', 'cache-control', 'etag', 'accept-ranges']) t.equal(h.headers[name], g.headers[name], `${key}: ${name}`);
    }
  });

  await t.test(`${srv.name}: CORS`, async (t) => {
    const r = await get('vod/clip/v240p/seg_1.m4s', { origin: 'https://player.example' });
    t.equal(r.headers['access-control-allow-origin'], '*');
    t.match(r.headers['access-control-expose-headers'], /Content-Range/);
    t.equal(r.headers['access-control-allow-credentials'], undefined);
    const pre = await get('vod/clip/v240p/seg_1.m4s', { origin: 'https://player.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' }, 'OPTIONS');
    t.equal(pre.status, 204, 'preflight');
    t.equal(pre.headers['access-control-allow-origin'], '*');
    t.match(pre.headers['access-control-allow-methods'], /GET/);
    t.match(pre.headers['access-control-allow-headers'], /Range/);
    t.equal(pre.body.length, 0);
    const notFound = await get('vod/clip/v240p/seg_99.m4s', { origin: 'https://player.example' });
    t.equal(notFound.headers['access-control-allow-origin'], '*', 'a 404 is readable too (players report it)');
  });

  await t.test(`${srv.name}: 404 and 405`, async (t) => {
    for (const key of ['vod/clip/v240p/seg_99.m4s', 'vod/nope/master.m3u8', 'vod/clip/v240p/seg_1.mp3', 'vod/clip/v240p', 'vod/clip/a128k/index.m3u8x']) {
      const r = await get(key);
      t.equal(r.status, 404, key);
      t.notOk(isServed(r.body.toString('latin1')));
    }
    for (const method of ['DELETE', 'PATCH', 'PUT', 'POST']) {
      const r = await get('vod/clip/master.m3u8', {}, method);
      t.equal(r.status, 405, method);
      t.equal(r.headers.allow, 'GET, HEAD, OPTIONS');
    }
  });

  await t.test(`${srv.name}: ${ESCAPES.length} escape attempts refused`, async (t) => {
    t.ok(ESCAPES.length >= 20);
    for (const [pattern, status] of ESCAPES) {
      const target = pattern.replace('P', prefix);
      const r = await rawRequest(port, target);
      if (srv.exact) t.equal(r.status, status, `${target.slice(0, 70)} → ${status}`);
      else t.ok(r.status >= 400 && r.status < 500, `${target.slice(0, 70)} → ${r.status}`);
      t.notOk(isServed(r.text), 'nothing served');
    }
    const fine = await rawRequest(port, `http://any.example${prefix}/vod/clip/v240p/index.m3u8`);
    t.equal(fine.status, 200, 'absolute-form: served by its path (RFC 9112 §3.2.2)');
  });

  await t.test(`${srv.name}: ffprobe reads what HTTP served`, async (t) => {
    for (const [rendition, codec] of [['v240p', 'h264'], ['a128k', 'aac']]) {
      const init = (await get(`vod/clip/${rendition}/init.mp4`)).body;
      const seg = (await get(`vod/clip/${rendition}/seg_1.m4s`)).body;
      const file = path.join(srv.tmp, `${srv.name.replace(/\W+/g, '_')}-${rendition}.mp4`);
      fs.writeFileSync(file, Buffer.concat([init, seg]));
      const probe = ffprobe(file, ['-show_packets']);
      t.equal(probe.streams[0].codec_name, codec, `${rendition}: ${codec}`);
      t.ok(probe.packets.length > 10, `${rendition}: ${probe.packets.length} packets`);
    }
  });
}

// The live server's HTTP face (createHandler) over a real MemoryStore and a tiny
// StreamDirectory: routing, content types, cache headers by manifest content,
// 404/405, HEAD, CORS lists and preflights, viewers, carried-token manifests,
// the API, path escapes refused, and the pieces (ranges, tags, compression
// cache, store read side) on their own. Real media over node:http, Express and
// Fastify: http-conformance.test.mjs. (Imports dist modules directly: they need
// neither the native addon nor the registry.)
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { createHandler } from '../dist/server/http/handler.js';
import { resolveRequestPath } from '../dist/server/http/request-path.js';
import zlib from 'node:zlib';
import { MemoryStore } from '../dist/delivery/memory-store.js';
import { PrefixStore } from '../dist/delivery/prefix-store.js';
import { ViewerTracker } from '../dist/server/viewers.js';
import { createMediaRoute } from '../dist/server/http/media.js';
import { mediaTypeOf } from '../dist/server/http/media-types.js';
import { cacheControlFor } from '../dist/server/http/cache-policy.js';
import { CompressionCache } from '../dist/server/http/compress.js';
import { weakMatch, strongMatch, codedEtag, bufferEtag } from '../dist/server/http/etag.js';
import { lastModifiedOf } from '../dist/server/http/conditional.js';
import { sendCompressible } from '../dist/server/http/respond.js';

const snapshot = (path) => {
  const [app, name] = path.split('/');
  return { path, app, name, state: 'live', startedAt: '2026-01-01T00:00:00.000Z', uptime: 5, publisher: { protocol: 'rtmp', remoteAddress: '127.0.0.1:5000' },
    source: null, ingestBitrate: 0, speed: 1, renditions: [], reconnects: 0, manifests: { hls: `/${path}/master.m3u8`, dash: `/${path}/manifest.mpd` }, recording: null };
};
const streams = [snapshot('live/cam1'), snapshot('live/cam2')];
const directory = Object.assign(new EventEmitter(), { list: () => streams, get: (p) => streams.find((s) => s.path === p), kick: async () => false, publish: async () => { throw new Error('no publishing here'); } });

const store = new MemoryStore();
const files = {
  'live/cam1/master.m3u8': '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv720p/index.m3u8\n',
  'live/cam1/manifest.mpd': '<MPD type="dynamic" minimumUpdatePeriod="PT4S"/>',
  'live/cam1/v720p/index.m3u8': '#EXTM3U\n#EXT-X-TARGETDURATION:2\n',
  'live/cam1/v720p/init.mp4': Buffer.from('init-bytes'),
  'live/cam1/v720p/seg_3.m4s': Buffer.from('segment-bytes'),
  'live/cam1/v720p/seg_4.ts': Buffer.from('ts-bytes'),
  'live/cam1/notes.txt': 'not media',
};
for (const [k, v] of Object.entries(files)) await store.put(k, v);

const pushed = [];
const push = (req, res) => {
  if (!/^\/ingest\//.test(req.url)) return false;
  pushed.push(`${req.method} ${req.url}`);
  res.writeHead(201).end();
  return true;
};
const viewers = new ViewerTracker();
const server = http.createServer(createHandler({ store, registry: directory, push, viewers }, { playerPage: false }));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
t.teardown(() => new Promise((r) => server.close(r)));

// Sends the raw request line (fetch would normalise '..' and '//' away).
function raw(target, method = 'GET') {
  return new Promise((resolve, reject) => {
    // write, not end: a half-closed socket may lose the answer of an asynchronous handler
    const s = net.connect(server.address().port, '127.0.0.1', () => s.write(`${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let data = '';
    s.on('data', (d) => { data += d; });
    s.on('end', () => resolve({ status: Number(data.split(' ')[1]), text: data }));
    s.on('error', reject);
  });
}

t.test('media: content type, cache control, CORS, body', async (t) => {
  const cases = [
    ['live/cam1/master.m3u8', 'application/vnd.apple.mpegurl', 'no-cache'],
    ['live/cam1/manifest.mpd', 'application/dash+xml', 'max-age=2'],
    ['live/cam1/v720p/index.m3u8', 'application/vnd.apple.mpegurl', 'max-age=1'],
    ['live/cam1/v720p/init.mp4', 'video/mp4', 'max-age=31536000, immutable'],
    ['live/cam1/v720p/seg_3.m4s', 'video/iso.segment', 'max-age=31536000, immutable'],
    ['live/cam1/v720p/seg_4.ts', 'video/mp2t', 'max-age=31536000, immutable'],
  ];
  for (const [key, type, cache] of cases) {
    const r = await fetch(`${base}/${key}?t=1`);
    t.equal(r.status, 200, key);
    t.equal(r.headers.get('content-type'), type, `${key} content type`);
    t.equal(r.headers.get('cache-control'), cache, `${key} cache control`);
    t.equal(r.headers.get('access-control-allow-origin'), '*');
    const body = Buffer.from(await r.arrayBuffer());
    t.same(body, Buffer.from(files[key]), `${key} body`);
    t.equal(Number(r.headers.get('content-length')), body.length);
  }
});

t.test('HEAD: headers without a body', async (t) => {
  const r = await fetch(`${base}/live/cam1/v720p/seg_3.m4s`, { method: 'HEAD' });
  t.equal(r.status, 200);
  t.equal(r.headers.get('content-type'), 'video/iso.segment');
  t.equal(Number(r.headers.get('content-length')), files['live/cam1/v720p/seg_3.m4s'].length);
  t.equal((await r.arrayBuffer()).byteLength, 0);
  t.equal((await fetch(`${base}/live/cam1/v720p/seg_99.m4s`, { method: 'HEAD' })).status, 404);
});

t.test('404: absent keys, unknown paths and types', async (t) => {
  for (const p of ['/live/cam1/v720p/seg_99.m4s', '/live/nope/master.m3u8', '/live/cam1/notes.txt', '/', '/favicon.ico', '/live/cam1',
    '/live/cam1/master', '/api/nope', '/api/streams/live/cam1/extra', '/-bad/cam1/master.m3u8', '/live/.hidden/master.m3u8']) {
    const r = await fetch(base + p);
    t.equal(r.status, 404, p);
    await r.arrayBuffer();
  }
});

t.test('methods: 405 with Allow; PUT/POST go to push first', async (t) => {
  for (const method of ['DELETE', 'PATCH', 'PUT', 'POST']) {
    const r = await fetch(`${base}/live/cam1/master.m3u8`, { method, ...(method === 'PUT' || method === 'POST' ? { body: 'x' } : {}) });
    t.equal(r.status, 405, method);
    t.equal(r.headers.get('allow'), 'GET, HEAD, OPTIONS');
    await r.arrayBuffer();
  }
  const r = await fetch(`${base}/ingest/live/cam9`, { method: 'PUT', body: 'ts' });
  t.equal(r.status, 201, 'push handled its own request');
  t.same(pushed, ['PUT /ingest/live/cam9']);
  const none = http.createServer(createHandler({ store, registry: directory }, { playerPage: false, push: false }));
  await new Promise((res) => none.listen(0, '127.0.0.1', res));
  const n = await fetch(`http://127.0.0.1:${none.address().port}/live/cam1`, { method: 'POST', body: 'x' });
  t.equal(n.status, 404, 'no push handler: not a path it owns');
  await new Promise((res) => none.close(res));
});

t.test('api', async (t) => {
  const list = await fetch(`${base}/api/streams`);
  t.equal(list.status, 200);
  t.match(list.headers.get('content-type'), /^application\/json/);
  // the earlier subtests fetched live/cam1's media from this process: one viewer
  t.same(await list.json(), { streams: streams.map((s) => ({ ...s, viewers: s.path === 'live/cam1' ? 1 : 0 })), recordings: [] });
  const one = await fetch(`${base}/api/streams/live/cam2`);
  t.same(await one.json(), { ...streams[1], viewers: 0 });
  const missing = await fetch(`${base}/api/streams/live/nope`);
  t.equal(missing.status, 404);
  t.match(await missing.json(), { error: /live\/nope/ });
  t.match(await (await fetch(`${base}/api/health`)).json(), { ok: true, streams: 2 });
  const time = await fetch(`${base}/api/time`);
  t.match(time.headers.get('content-type'), /^text\/plain/);
  const iso = await time.text();
  t.match(iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.ok(Math.abs(Date.parse(iso) - Date.now()) < 5000, 'the current time');
});

const ESCAPES = [
  ['/live/cam1/../../../etc/passwd', 400],
  ['/live/cam1/v720p/../../cam2/master.m3u8', 400],
  ['/../live/cam1/master.m3u8', 400],
  ['/live/./cam1/master.m3u8', 400],
  ['/live/cam1/%2e%2e/%2e%2e/etc/passwd', 400],
  ['/live/cam1/%2E%2E/master.m3u8', 400],
  ['/live/cam1/.%2e/master.m3u8', 400],
  ['/live%2fcam1/master.m3u8', 400],
  ['/live/cam1%2F..%2F..%2Fetc/passwd', 400],
  ['/live/cam1/%5c..%5cmaster.m3u8', 400],
  ['/live/cam1/..%5C..%5Cetc%5Cpasswd', 400],
  ['/live/cam1/master.m3u8%00.ts', 400],
  ['/live/cam1/%00', 400],
  ['/live/cam1/%252e%252e/master.m3u8', 400],
  ['/live/cam1/%25', 400],
  ['/live/cam1/%zz', 400],
  ['/live/cam1/%', 400],
  ['/live/cam1/%c0%ae%c0%ae/master.m3u8', 400],
  ['//live/cam1/master.m3u8', 400],
  ['/live//cam1/master.m3u8', 400],
  ['/live/cam1/v720p//seg_3.m4s', 400],
  ['/live/cam1/\\..\\master.m3u8', 400],
  ['/live/cam1/%0a/master.m3u8', 400],
  ['/live/cam1/%7f/x.ts', 400],
  [`/live/cam1/${'a'.repeat(1100)}.ts`, 400],
  [`/${'a/'.repeat(20)}x.ts`, 400],
  ['/live/cam1/.v720p/init.mp4', 404],
  ['/api/../live/cam1/master.m3u8', 400],
  ['/api/streams/..%2f..%2f', 400],
  ['http://evil.example/live/cam1/../master.m3u8', 400],
  ['http://evil.example/live/cam1/%2e%2e/x.ts', 400],
  ['*', 400],
];

t.test(`${ESCAPES.length} path escapes are refused`, async (t) => {
  t.ok(ESCAPES.length >= 20);
  for (const [target, status] of ESCAPES) {
    const r = await raw(target);
    t.equal(r.status, status, `${target.slice(0, 60)} → ${status}`);
    t.notMatch(r.text, /#EXTM3U|<MPD|segment-bytes|root:/, 'nothing served');
  }
});

t.test('resolveRequestPath', async (t) => {
  t.same(resolveRequestPath('/live/cam1/master.m3u8?x=/../#y'), { ok: true, path: '/live/cam1/master.m3u8', segments: ['live', 'cam1', 'master.m3u8'] });
  t.same(resolveRequestPath('/live/cam%201/a.ts'), { ok: true, path: '/live/cam 1/a.ts', segments: ['live', 'cam 1', 'a.ts'] }, 'decoded once');
  t.same(resolveRequestPath('/'), { ok: true, path: '/', segments: [] });
  t.match(resolveRequestPath(undefined), { ok: false, status: 400 });
  t.match(resolveRequestPath('/a/%2e%2e/b'), { ok: false, status: 400, reason: /encoded dot/ });
  t.match(resolveRequestPath('/a/../b'), { ok: false, status: 400, reason: /'\.\.' segment/ });
  t.match(resolveRequestPath('/a/.git/config'), { ok: false, status: 404 });
});

t.test('absolute-form targets are routed by their path', async (t) => {
  const r = await raw('http://any.example/live/cam1/master.m3u8');
  t.equal(r.status, 200);
  t.match(r.text, /#EXTM3U/);
  t.same(resolveRequestPath('HTTPS://h:8080/live/cam1/a.ts?x'), { ok: true, path: '/live/cam1/a.ts', segments: ['live', 'cam1', 'a.ts'] });
  t.same(resolveRequestPath('http://h'), { ok: true, path: '/', segments: [] });
  t.same(resolveRequestPath('http://h?x=1'), { ok: true, path: '/', segments: [] });
  t.match(resolveRequestPath('ftp://h/live/cam1/a.ts'), { ok: false, status: 400 }, 'other schemes are not ours');
  t.match(resolveRequestPath('h:80'), { ok: false, status: 400 }, 'authority-form');
});

t.test('viewers: every media fetch of an existing object counts its client', async (t) => {
  const before = viewers.count('live/cam1');
  await (await fetch(`${base}/live/cam1/v720p/seg_3.m4s`, { headers: { 'user-agent': 'viewer-A' } })).arrayBuffer();
  await (await fetch(`${base}/live/cam1/master.m3u8`, { headers: { 'user-agent': 'viewer-B' } })).arrayBuffer();
  await (await fetch(`${base}/live/cam1/master.m3u8`, { headers: { 'user-agent': 'viewer-B' } })).arrayBuffer();
  t.equal(viewers.count('live/cam1') - before, 2, 'two clients (address + User-Agent)');
  await (await fetch(`${base}/live/cam2/master.m3u8`, { headers: { 'user-agent': 'viewer-C' } })).arrayBuffer();
  t.equal(viewers.count('live/cam2'), 0, 'a 404 is no viewer');
});

t.test('CORS: an origin list, preflights', async (t) => {
  const listed = http.createServer(createHandler(store, { cors: { media: ['https://ok.example'] } }));
  await new Promise((r) => listed.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => listed.close(r)));
  const at = `http://127.0.0.1:${listed.address().port}/live/cam1/v720p/seg_3.m4s`;
  const ok = await fetch(at, { headers: { origin: 'https://ok.example' } });
  t.equal(ok.headers.get('access-control-allow-origin'), 'https://ok.example', 'a listed origin is echoed');
  t.match(ok.headers.get('vary'), /Origin/);
  const other = await fetch(at, { headers: { origin: 'https://evil.example' } });
  t.equal(other.status, 200, 'the response itself is the same…');
  t.equal(other.headers.get('access-control-allow-origin'), null, '…but no browser may read it cross-origin');
  t.match(other.headers.get('vary'), /Origin/, 'Vary: Origin whatever the origin');
  const pre = await fetch(at, { method: 'OPTIONS', headers: { origin: 'https://ok.example', 'access-control-request-method': 'GET' } });
  t.equal(pre.status, 204);
  t.equal(pre.headers.get('access-control-allow-methods'), 'GET, HEAD, OPTIONS');
  t.equal(pre.headers.get('access-control-max-age'), '600');
  const denied = await fetch(at, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
  t.equal(denied.status, 204);
  t.equal(denied.headers.get('access-control-allow-origin'), null, 'a refused origin gets no CORS headers');
  t.equal(denied.headers.get('access-control-allow-methods'), null);
  const plain = await fetch(at, { method: 'OPTIONS' });
  t.equal(plain.status, 204, 'OPTIONS without CORS: 204');
  t.equal(plain.headers.get('allow'), 'GET, HEAD, OPTIONS');
  const closed = http.createServer(createHandler(store, { cors: { media: false } }));
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => closed.close(r)));
  const none = await fetch(`http://127.0.0.1:${closed.address().port}/live/cam1/master.m3u8`, { headers: { origin: 'https://ok.example' } });
  t.equal(none.headers.get('access-control-allow-origin'), null, 'cors.media false: none');
  await none.arrayBuffer();
});

t.test('a manifest rewritten for one viewer (a carried token) stays private', async (t) => {
  const media = createMediaRoute({ store, cors: '*', compression: true });
  const served = http.createServer((req, res) => {
    const p = resolveRequestPath(req.url);
    void media(req, res, p, new URLSearchParams(), req.headers['x-carry'] ?? '');
  });
  await new Promise((r) => served.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => served.close(r)));
  const at = `http://127.0.0.1:${served.address().port}`;
  const shared = await fetch(`${at}/live/cam1/v720p/index.m3u8`);
  t.equal(shared.headers.get('cache-control'), 'max-age=1');
  const carried = await fetch(`${at}/live/cam1/v720p/index.m3u8`, { headers: { 'x-carry': 'exp=1&sig=x' } });
  t.equal(carried.status, 200);
  t.equal(carried.headers.get('cache-control'), 'private, no-cache', 'never in a shared cache');
  t.equal(carried.headers.get('last-modified'), null);
  t.match(carried.headers.get('etag'), /^"/);
  const seg = await fetch(`${at}/live/cam1/v720p/seg_3.m4s`, { headers: { 'x-carry': 'exp=1&sig=x' } });
  t.equal(seg.headers.get('cache-control'), 'max-age=31536000, immutable', 'segments are not rewritten: shared as ever');
  await Promise.all([shared.arrayBuffer(), carried.arrayBuffer(), seg.arrayBuffer()]);
});

t.test('cache policy from manifest content', async (t) => {
  const cases = [
    ['playlist', '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\na.ts\n', 'max-age=3'],
    ['playlist', '#EXTM3U\n#EXT-X-TARGETDURATION:1\n', 'no-cache'],
    ['playlist', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:EVENT\n', 'max-age=1'],
    ['playlist', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXTINF:2,\na.ts\n#EXT-X-ENDLIST\n', 'max-age=60'],
    ['playlist', '#EXTM3U\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:2\n#EXT-X-ENDLIST\n', 'max-age=86400'],
    ['playlist', '#EXTM3U\r\n#EXT-X-PLAYLIST-TYPE:VOD\r\n', 'max-age=86400'],
    ['playlist', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n', 'no-cache'],
    ['playlist', '#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="i.m3u8"\n', 'no-cache'],
    ['playlist', 'garbage', 'no-cache'],
    ['mpd', '<MPD type="static"/>', 'max-age=60'],
    ['mpd', '<?xml?><MPD xmlns="x" profiles="p">', 'max-age=60'],
    ['mpd', '<MPD type="dynamic">', 'no-cache'],
    ['mpd', "<MPD type='dynamic' minimumUpdatePeriod='PT10S'>", 'max-age=5'],
    ['mpd', '<MPD type="dynamic" minimumUpdatePeriod="PT1M0.5S">', 'max-age=30'],
    ['mpd', '<MPD type="dynamic" minimumUpdatePeriod="PT1S">', 'no-cache'],
    ['mpd', 'not xml', 'no-cache'],
    ['segment', '', 'max-age=31536000, immutable'],
    ['init', '', 'max-age=31536000, immutable'],
  ];
  for (const [kind, text, want] of cases) t.equal(cacheControlFor(kind, text), want, `${kind}: ${JSON.stringify(text).slice(0, 60)}`);
});

t.test('media types: audio renditions are audio/mp4', async (t) => {
  t.same(mediaTypeOf('live/cam1/a128k/init.mp4'), { contentType: 'audio/mp4', kind: 'init' });
  t.same(mediaTypeOf('live/cam1/a64k/init_2.mp4'), { contentType: 'audio/mp4', kind: 'init' });
  t.same(mediaTypeOf('live/cam1/a128k/seg_9.m4s'), { contentType: 'audio/mp4', kind: 'segment' });
  t.same(mediaTypeOf('live/cam1/v720p/seg_9.m4s'), { contentType: 'video/iso.segment', kind: 'segment' });
  t.same(mediaTypeOf('live/cam1/source/init.mp4'), { contentType: 'video/mp4', kind: 'init' });
  t.same(mediaTypeOf('live/cam1/a128k/seg_9.ts'), { contentType: 'video/mp2t', kind: 'segment' });
  t.same(mediaTypeOf('live/cam1/a128k/index.m3u8'), { contentType: 'application/vnd.apple.mpegurl', kind: 'playlist' });
  t.equal(mediaTypeOf('live/cam1/a128k.m4s/x'), undefined);
  t.equal(mediaTypeOf('live/cam1/notes.txt'), undefined);
});

t.test('entity tags and dates', async (t) => {
  const buf = Buffer.from('#EXTM3U\n');
  const tag = bufferEtag(buf);
  t.match(tag, /^"8-[\w-]{22}"$/);
  t.equal(bufferEtag(buf), tag, 'remembered per Buffer');
  t.equal(bufferEtag(Buffer.from('#EXTM3U\n')), tag, 'same bytes, same tag');
  t.not(bufferEtag(Buffer.from('#EXTM3U\r')), tag);
  t.equal(codedEtag('"a"', 'br'), '"a-br"');
  t.equal(codedEtag('"a"', 'identity'), '"a"');
  t.ok(weakMatch('W/"a"', '"a"'));
  t.ok(weakMatch(' "b" ,W/"a"', '"a"'));
  t.ok(weakMatch('*', '"a"'));
  t.notOk(weakMatch('"a-br"', '"a"'));
  t.notOk(weakMatch('a', '"a"'), 'an unquoted tag is none');
  t.ok(strongMatch('"a"', '"a"'));
  t.notOk(strongMatch('W/"a"', '"a"'), 'a weak tag never matches strongly');
  const now = Date.parse('2026-01-01T00:00:10.500Z');
  t.equal(lastModifiedOf(now - 2000, now), Date.parse('2026-01-01T00:00:08.000Z'));
  t.equal(lastModifiedOf(now - 400, now), undefined, 'not a validator within its own second');
  t.equal(lastModifiedOf(Number.NaN, now), undefined);
});

t.test('CompressionCache: one compression per version, bounded', async (t) => {
  const cache = new CompressionCache(4, 1 << 20);
  const body = Buffer.from('#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z\n#EXTINF:2.000,\nseg_1.m4s\n'.repeat(50));
  const tag = bufferEtag(body);
  const first = cache.get(tag, 'br', body);
  const many = Array.from({ length: 500 }, () => cache.get(tag, 'br', body));
  t.ok(many.every((p) => p === first), '500 concurrent requests share one compression');
  t.ok(zlib.brotliDecompressSync(await first).equals(body));
  t.equal(cache.size, 1);
  for (let i = 0; i < 10; i++) await cache.get(`"v${i}"`, 'gzip', body);
  t.equal(cache.size, 4, 'at most maxEntries');
  t.ok(cache.bytes <= 1 << 20);
  const small = new CompressionCache(100, 1000);
  for (let i = 0; i < 20; i++) await small.get(`"w${i}"`, 'gzip', body);
  t.ok(small.bytes <= 1000, `at most maxBytes (${small.bytes})`);
});

t.test('store read side: MemoryStore hands out its Buffer, PrefixStore forwards', async (t) => {
  const obj = await store.open('live/cam1/v720p/seg_3.m4s');
  t.equal(obj.buffer, await store.get('live/cam1/v720p/seg_3.m4s'), 'the stored Buffer itself: zero-copy');
  t.equal(obj.size, 13);
  t.ok(Math.abs(obj.mtimeMs - Date.now()) < 60_000);
  const chunks = [];
  for await (const c of obj.stream({ start: 8, end: 12 })) chunks.push(c);
  t.equal(Buffer.concat(chunks).toString(), 'bytes');
  t.equal(await store.open('live/cam1/none.ts'), null);
  await t.rejects(store.open('../x'), RangeError);
  const cam = new PrefixStore(store, 'live/cam1');
  t.equal((await cam.open('v720p/seg_3.m4s')).buffer, obj.buffer);
  const getOnly = new PrefixStore({ get: (k) => store.get(k), put: async () => {}, delete: async () => {}, list: async () => [] }, 'live/cam1');
  const wrapped = await getOnly.open('v720p/init.mp4');
  t.equal(wrapped.buffer.toString(), 'init-bytes', 'a store without open(): get() wrapped');
  t.ok(Number.isNaN(wrapped.mtimeMs), 'mtime unknown');
});

t.test('sendCompressible: JSON compressed when asked, small bodies not', async (t) => {
  const big = { streams: Array.from({ length: 50 }, (_, i) => ({ path: `live/cam${i}`, state: 'live' })) };
  const s = http.createServer((req, res) => void sendCompressible(req, res, 200, 'application/json; charset=utf-8', JSON.stringify(req.url === '/big' ? big : { ok: true }), { 'Cache-Control': 'no-cache' }));
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => s.close(r)));
  const get = (p, ae) => new Promise((resolve) => http.get({ host: '127.0.0.1', port: s.address().port, path: p, headers: ae ? { 'accept-encoding': ae } : {} }, (res) => {
    const c = [];
    res.on('data', (d) => c.push(d));
    res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(c) }));
  }));
  const gz = await get('/big', 'gzip');
  t.equal(gz.headers['content-encoding'], 'gzip');
  t.same(JSON.parse(zlib.gunzipSync(gz.body)), big);
  t.equal(Number(gz.headers['content-length']), gz.body.length);
  t.match(gz.headers.vary, /Accept-Encoding/);
  const br = await get('/big', 'br;q=0.9, gzip;q=0.8');
  t.equal(br.headers['content-encoding'], 'br');
  t.same(JSON.parse(zlib.brotliDecompressSync(br.body)), big);
  const plain = await get('/big');
  t.equal(plain.headers['content-encoding'], undefined);
  const small = await get('/small', 'br');
  t.equal(small.headers['content-encoding'], undefined, 'under 1 KiB: as it is');
  t.same(JSON.parse(small.body), { ok: true });
});

t.test('conditional and range requests over the handler', async (t) => {
  const key = `${base}/live/cam1/v720p/seg_3.m4s`;
  const whole = await fetch(key);
  const etag = whole.headers.get('etag');
  await whole.arrayBuffer();
  t.equal((await fetch(key, { headers: { 'if-none-match': etag } })).status, 304);
  const part = await fetch(key, { headers: { range: 'bytes=8-' } });
  t.equal(part.status, 206);
  t.equal(await part.text(), 'bytes');
  t.equal(part.headers.get('content-range'), 'bytes 8-12/13');
  const none = await fetch(key, { headers: { range: 'bytes=13-' } });
  t.equal(none.status, 416);
  t.equal(none.headers.get('content-range'), 'bytes */13');
  await none.arrayBuffer();
  const pre = await fetch(key, { headers: { 'if-match': '"nope"' } });
  t.equal(pre.status, 412);
  await pre.arrayBuffer();
});

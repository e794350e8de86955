// The live server's HTTP face (createHandler) over a real MemoryStore and a tiny
// StreamDirectory: content types, cache headers, 404/405, HEAD, the API, and
// path escapes refused. (Imports dist modules directly: they need neither the
// native addon nor the registry.)
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { createHandler } from '../dist/server/http/handler.js';
import { resolveRequestPath } from '../dist/server/http/request-path.js';
import { MemoryStore } from '../dist/delivery/memory-store.js';

const snapshot = (path) => {
  const [app, name] = path.split('/');
  return { path, app, name, state: 'live', startedAt: '2026-01-01T00:00:00.000Z', uptime: 5, publisher: { protocol: 'rtmp', remoteAddress: '127.0.0.1:5000' },
    source: null, ingestBitrate: 0, speed: 1, renditions: [], reconnects: 0, manifests: { hls: `/${path}/master.m3u8`, dash: `/${path}/manifest.mpd` }, recording: null };
};
const streams = [snapshot('live/cam1'), snapshot('live/cam2')];
const directory = Object.assign(new EventEmitter(), { list: () => streams, get: (p) => streams.find((s) => s.path === p), kick: async () => false, publish: async () => { throw new Error('no publishing here'); } });

const store = new MemoryStore();
const files = {
  'live/cam1/master.m3u8': '#EXTM3U\n',
  'live/cam1/manifest.mpd': '<MPD/>',
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
const server = http.createServer(createHandler({ store, registry: directory, push }, { playerPage: false }));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
t.teardown(() => new Promise((r) => server.close(r)));

// Sends the raw request line (fetch would normalise '..' and '//' away).
function raw(target, method = 'GET') {
  return new Promise((resolve, reject) => {
    const s = net.connect(server.address().port, '127.0.0.1', () => s.end(`${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let data = '';
    s.on('data', (d) => { data += d; });
    s.on('end', () => resolve({ status: Number(data.split(' ')[1]), text: data }));
    s.on('error', reject);
  });
}

t.test('media: content type, cache control, CORS, body', async (t) => {
  const cases = [
    ['live/cam1/master.m3u8', 'application/vnd.apple.mpegurl', 'no-cache'],
    ['live/cam1/manifest.mpd', 'application/dash+xml', 'no-cache'],
    ['live/cam1/v720p/index.m3u8', 'application/vnd.apple.mpegurl', 'no-cache'],
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
  t.same(await list.json(), { streams });
  const one = await fetch(`${base}/api/streams/live/cam2`);
  t.same(await one.json(), streams[1]);
  const missing = await fetch(`${base}/api/streams/live/nope`);
  t.equal(missing.status, 404);
  t.match(await missing.json(), { error: /live\/nope/ });
  t.same(await (await fetch(`${base}/api/health`)).json(), { ok: true, streams: 2 });
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
  ['http://evil.example/live/cam1/master.m3u8', 400],
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

// HTTP delivery semantics of createHandler() over real media (a CMAF and a TS
// VOD and a live window, made by transcode() and Presentation), embedded in
// node:http (MemoryStore and FileStore), Express 5 (at / and under /tv, next to
// the app's own routes) and Fastify 5 (a raw route): the same check-list
// (test/helpers/http-conformance.mjs) against each. Then what only FileStore
// has: streaming from the descriptor (a 5 GiB sparse file), links and FIFOs
// planted in the root, a file replaced while being served.
import t from 'tap';
import http from 'node:http';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import express from 'express';
import Fastify from 'fastify';
import { createHandler, FileStore } from 'ffnode';
import { buildMedia, checkConformance, request, rawRequest, SECRET } from './helpers/http-conformance.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-http-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const media = await buildMedia(tmp);
// Last-Modified is a validator only once its second is over (conditional.ts): let every object's pass.
await new Promise((r) => setTimeout(r, 1100));

const listen = async (server) => {
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server.address().port;
};
const closeServer = (server) => new Promise((r) => server.close(r));

t.test('node:http over a MemoryStore', async (t) => {
  const server = http.createServer(createHandler(media.memory));
  const port = await listen(server);
  t.teardown(() => closeServer(server));
  await checkConformance(t, { name: 'node:http memory', port, prefix: '', store: media.memory, exact: true, tmp });
});

t.test('node:http over a FileStore', async (t) => {
  const server = http.createServer(createHandler(media.files));
  const port = await listen(server);
  t.teardown(() => closeServer(server));
  await checkConformance(t, { name: 'node:http files', port, prefix: '', store: media.files, exact: true, tmp });
});

t.test('Express 5: mounted at / and under /tv, next() for the rest', async (t) => {
  const app = express();
  app.get('/hello', (_req, res) => res.type('text/plain').send('hello from the app'));
  app.use('/tv', createHandler(media.memory));
  app.get('/tv-guide', (_req, res) => res.type('text/plain').send('guide'));
  const root = express();
  root.use(createHandler(media.files));
  root.get('/after', (_req, res) => res.type('text/plain').send('after the handler'));
  const server = http.createServer(app);
  const rootServer = http.createServer(root);
  const port = await listen(server);
  const rootPort = await listen(rootServer);
  t.teardown(() => Promise.all([closeServer(server), closeServer(rootServer)]));

  await checkConformance(t, { name: 'Express /tv', port, prefix: '/tv', store: media.memory, exact: false, tmp });
  await checkConformance(t, { name: 'Express /', port: rootPort, prefix: '', store: media.files, exact: false, tmp });

  const own = await request(port, '/hello');
  t.equal(own.status, 200, "the app's own route still answers");
  t.equal(own.body.toString(), 'hello from the app');
  t.equal((await request(port, '/tv-guide')).body.toString(), 'guide', 'a route starting like the mount is not the handler');
  const after = await request(rootPort, '/after');
  t.equal(after.status, 200, 'a path the handler does not own goes on with next()');
  t.equal(after.body.toString(), 'after the handler');
  const none = await request(port, '/tv/nothing-here');
  t.equal(none.status, 404, "not the handler's, not the app's: Express's own 404");
  t.match(none.body.toString(), /Cannot GET/);
  const escaped = await rawRequest(port, '/tv/../tv/vod/clip/master.m3u8');
  t.equal(escaped.status, 400, 'Express hands /tv/.. on un-normalised: the handler refuses it');
});

t.test('Fastify 5: a raw route (hijacked reply)', async (t) => {
  const app = Fastify();
  const handler = createHandler(media.files);
  app.get('/own', async () => ({ own: true }));
  app.all('/*', (req, reply) => {
    reply.hijack();
    handler(req.raw, reply.raw);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const port = app.server.address().port;
  await checkConformance(t, { name: 'Fastify', port, prefix: '', store: media.files, exact: false, tmp });
  t.same(JSON.parse((await request(port, '/own')).body.toString()), { own: true }, "Fastify's own route wins over /*");
  // Fastify hands the raw URL on: the handler (not Fastify) refuses these.
  for (const target of ['/vod/clip/../../secret.txt', '/vod/clip/%2e%2e/%2e%2e/secret.txt', '//vod/clip/master.m3u8', '*']) {
    const r = await rawRequest(port, target);
    t.equal(r.status, 400, `${target}: refused by the handler`);
    t.match(r.text, /bad request/, "the handler's message");
  }
});

t.test('FileStore: streamed from the descriptor, never loaded whole', async (t) => {
  const server = http.createServer(createHandler(media.files));
  const port = await listen(server);
  t.teardown(() => closeServer(server));
  // 5 GiB, sparse: more than a Buffer can hold, so only a streamed read can serve a range of it
  const big = path.join(media.root, 'vod', 'clip', 'big.ts');
  const size = 5 * 1024 ** 3;
  const fd = fs.openSync(big, 'w');
  fs.ftruncateSync(fd, size);
  const marker = Buffer.from('the bytes at 4.5 GiB');
  const at = 4.5 * 1024 ** 3;
  fs.writeSync(fd, marker, 0, marker.length, at);
  fs.closeSync(fd);
  t.teardown(() => fs.rmSync(big, { force: true }));
  const head = await request(port, '/vod/clip/big.ts', { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(Number(head.headers['content-length']), size, 'HEAD: the size from fstat');
  const r = await request(port, '/vod/clip/big.ts', { headers: { range: `bytes=${at}-${at + marker.length - 1}` } });
  t.equal(r.status, 206);
  t.equal(r.headers['content-range'], `bytes ${at}-${at + marker.length - 1}/${size}`);
  t.equal(r.body.toString(), marker.toString(), 'the range read from the file');
  const obj = await media.files.open('vod/clip/big.ts');
  t.equal(obj.buffer, undefined, 'FileStore.open holds no Buffer');
  t.equal(obj.size, size);
  await obj.close();
});

t.test('FileStore: links, FIFOs and swapped files', async (t) => {
  const server = http.createServer(createHandler(media.files));
  const port = await listen(server);
  t.teardown(() => closeServer(server));
  const dir = path.join(media.root, 'vod', 'clip');
  fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(dir, 'link.m3u8'));
  fs.symlinkSync(tmp, path.join(media.root, 'vod', 'up'));
  fs.symlinkSync(path.join(dir, 'master.m3u8'), path.join(dir, 'inside.m3u8'));
  const fifo = path.join(dir, 'fifo.ts');
  const mk = (await import('node:child_process')).spawnSync('mkfifo', [fifo]);
  t.equal(mk.status, 0, 'mkfifo');
  t.teardown(() => ['link.m3u8', 'inside.m3u8', 'fifo.ts'].map((f) => fs.rmSync(path.join(dir, f), { force: true })) && fs.rmSync(path.join(media.root, 'vod', 'up'), { force: true }));
  for (const target of ['/vod/clip/link.m3u8', '/vod/up/secret.txt.ts', '/vod/up/root-sibling/x.m3u8', '/vod/clip/inside.m3u8', '/vod/clip/fifo.ts']) {
    const started = Date.now();
    const r = await request(port, target);
    t.equal(r.status, 404, `${target}: a link or a FIFO is no object`);
    t.notMatch(r.body.toString(), new RegExp(SECRET));
    t.ok(Date.now() - started < 2000, `${target}: answered at once (a FIFO never blocks the open)`);
  }

  // The descriptor is opened before the response starts: a put that replaces
  // the file meanwhile (rename) does not change what this response sends.
  const key = 'vod/clip/v240p/seg_2.m4s';
  const original = await media.files.get(key);
  const obj = await media.files.open(key);
  await media.files.put(key, Buffer.alloc(original.length, 0x55));
  const chunks = [];
  for await (const c of obj.stream()) chunks.push(c);
  t.ok(Buffer.concat(chunks).equals(original), 'the opened version is read, not the new file');
  const now = await request(port, `/${key}`);
  t.ok(now.body.equals(Buffer.alloc(original.length, 0x55)), 'a new request gets the new version');
  await media.files.put(key, original);
  t.not(now.headers.etag, (await request(port, `/${key}`)).headers.etag, 'each version its own ETag');
});

t.test('a custom store without open() is served through get()', async (t) => {
  const store = { get: (k) => media.memory.get(k), put: async () => {}, delete: async () => {}, list: async () => [] };
  const server = http.createServer(createHandler(store));
  const port = await listen(server);
  t.teardown(() => closeServer(server));
  const key = 'vod/clip/v240p/seg_1.m4s';
  const data = await media.memory.get(key);
  const r = await request(port, `/${key}`, { headers: { range: 'bytes=5-9' } });
  t.equal(r.status, 206);
  t.ok(r.body.equals(data.subarray(5, 10)));
  t.equal(r.headers['last-modified'], undefined, 'no mtime known: no Last-Modified');
  t.equal((await request(port, `/${key}`, { headers: { 'if-none-match': r.headers.etag } })).status, 304, 'hash ETag');
});

endsWithZeroLive(t);

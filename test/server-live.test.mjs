// serve()'s wiring and shutdown (startLiveServer), with a stand-in registry:
// ports, URLs, the store choice, what the registry is given, push delegation,
// graceful close (stop accepting, end publishers, await registry.close()),
// the close deadline and a failed listen.
import t from 'tap';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startLiveServer, CLOSE_TIMEOUT_MS, describeEvent, urlHost } from '../dist/server/live-server.js';
import { MemoryStore } from '../dist/delivery/memory-store.js';
import { FileStore } from '../dist/delivery/fs-store.js';
import { CachedStore } from '../dist/delivery/cached-store.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-live-server-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

class FakeRegistry extends EventEmitter {
  constructor(options) {
    super();
    this.options = options;
    this.closed = 0;
    this.closeDelay = 0;
  }
  async publish() { throw new Error('not here'); }
  list() { return []; }
  get() { return undefined; }
  async kick() { return false; }
  async close() {
    this.closed++;
    if (this.closeDelay === Infinity) return new Promise(() => {});
    await new Promise((r) => setTimeout(r, this.closeDelay));
  }
}

function parts(log = []) {
  return {
    createRegistry: (o) => { const r = new FakeRegistry(o); log.push(['registry', r]); return r; },
    attachRtmp: (rtmp, registry) => log.push(['attach', rtmp, registry]),
    createPushHandler: (registry) => (req, res) => {
      if (req.url !== '/live/pushed') return false;
      log.push(['push', registry]);
      res.writeHead(204).end();
      return true;
    },
  };
}

const connected = (port) => new Promise((resolve, reject) => {
  const s = net.connect(port, '127.0.0.1', () => resolve(s));
  s.on('error', reject);
});
const closedWithin = (socket, ms) => new Promise((resolve) => {
  const timer = setTimeout(() => resolve(false), ms);
  socket.once('close', () => { clearTimeout(timer); resolve(true); });
  socket.on('error', () => {});
});

t.test('ports 0, URLs, the registry options and the parts wired together', async (t) => {
  const log = [];
  const server = await startLiveServer({ httpPort: 0, rtmpPort: 0, ladder: ['480p'], maxStreams: 3, rtmp: { idleTimeoutMs: 5000 } }, parts(log));
  t.ok(server.httpPort > 0 && server.rtmpPort > 0, 'bound ports reported');
  t.equal(server.url, `http://127.0.0.1:${server.httpPort}`);
  t.equal(server.rtmpUrl, `rtmp://127.0.0.1:${server.rtmpPort}`);
  t.ok(server.store instanceof MemoryStore, "default store: 'memory'");
  const reg = log.find(([k]) => k === 'registry')[1];
  t.equal(server.registry, reg);
  t.same(Object.keys(reg.options).sort(), ['ladder', 'maxStreams', 'store'], 'registry gets its options, without host/ports/rtmp');
  t.equal(reg.options.store.inner, server.store, "the registry writes through a TimedStore around the server's store");
  t.ok(log.some(([k, rtmp, r]) => k === 'attach' && rtmp === server.rtmp && r === reg), 'attachRtmp(rtmp, registry)');
  t.match(await (await fetch(`${server.url}/api/health`)).json(), { ok: true });
  t.equal(server.http.requestTimeout, 0, 'a push request body may last as long as its stream');
  t.equal((await fetch(`${server.url}/live/pushed`, { method: 'PUT', body: 'x' })).status, 204, 'PUT goes to the push handler');
  t.equal((await fetch(`${server.url}/live/other`, { method: 'PUT', body: 'x' })).status, 404, 'a PUT the push handler declines is not the handler\'s');
  await server.close();
  t.equal(reg.closed, 1);
});

t.test('a directory store is a FileStore, read through a memory cache of what the server wrote', async (t) => {
  const server = await startLiveServer({ httpPort: 0, rtmpPort: 0, store: tmp }, parts());
  t.ok(server.store instanceof CachedStore);
  t.ok(server.store.inner instanceof FileStore);
  t.equal(server.store.inner.root, tmp);
  await server.store.put('live/cam/master.m3u8', '#EXTM3U\n');
  t.equal(fs.readFileSync(path.join(tmp, 'live/cam/master.m3u8'), 'utf8'), '#EXTM3U\n', 'written through to the disk');
  const r = await fetch(`${server.url}/live/cam/master.m3u8`);
  t.equal(await r.text(), '#EXTM3U\n');
  await server.close();
});

t.test('close: stops accepting, ends RTMP connections, awaits the registry; idempotent', async (t) => {
  const server = await startLiveServer({ httpPort: 0, rtmpPort: 0 }, parts());
  server.registry.closeDelay = 300;
  const publisher = await connected(server.rtmpPort);
  const keepAlive = await fetch(`${server.url}/api/health`); // leaves an idle keep-alive socket
  await keepAlive.json();
  const t0 = Date.now();
  const a = server.close();
  t.equal(server.close(), a, 'the same promise');
  t.ok(await closedWithin(publisher, 2000), 'the RTMP connection is closed');
  await a;
  t.ok(Date.now() - t0 >= 250, 'waited for registry.close()');
  t.equal(server.registry.closed, 1);
  t.notOk(server.http.listening, 'HTTP no longer listening');
  await t.rejects(connected(server.rtmpPort), 'RTMP no longer listening');
  await t.rejects(fetch(`${server.url}/api/health`), 'HTTP refuses new connections');
});

t.test(`close rejects when the registry takes longer than ${CLOSE_TIMEOUT_MS} ms`, async (t) => {
  const server = await startLiveServer({ httpPort: 0, rtmpPort: 0 }, parts());
  server.registry.closeDelay = Infinity;
  const t0 = Date.now();
  await t.rejects(server.close(), /did not end within 4\.5 s/);
  const took = Date.now() - t0;
  t.ok(took >= CLOSE_TIMEOUT_MS - 50 && took < 5000, `gave up after ${took} ms, under 5 s`);
  t.notOk(server.http.listening);
});

t.test('a port in use: rejects, and what was started is closed', async (t) => {
  const busy = net.createServer();
  await new Promise((r) => busy.listen(0, '127.0.0.1', r));
  const log = [];
  await t.rejects(startLiveServer({ httpPort: busy.address().port, rtmpPort: 0 }, parts(log)), { code: 'EADDRINUSE' });
  t.equal(log.find(([k]) => k === 'registry')[1].closed, 1, 'registry closed');
  busy.close();
});

t.test('a registry error with no listener does not crash the server', async (t) => {
  const server = await startLiveServer({ httpPort: 0, rtmpPort: 0 }, parts());
  const warned = new Promise((r) => process.once('warning', r));
  server.registry.emit('error', 'live/x', new Error('decoder failed')); // the registry's (path, error)
  t.equal((await warned).message, 'ffnode serve: live/x: decoder failed');
  await server.close();
});

t.test('describeEvent and urlHost', async (t) => {
  t.equal(describeEvent([{ path: 'live/cam1', protocol: 'rtmp', remoteAddress: '10.0.0.7:50122' }]), 'live/cam1 rtmp from 10.0.0.7:50122');
  t.equal(describeEvent([{ path: 'live/cam1', publisher: { protocol: 'http', remoteAddress: null }, reason: 'ended' }]), 'live/cam1 http (ended)');
  t.equal(describeEvent([{ path: 'live/cam1', error: new Error('boom') }]), 'live/cam1 error: boom');
  t.equal(describeEvent(['live/cam1', new Error('decoder failed')]), 'live/cam1 decoder failed');
  t.equal(describeEvent([undefined, 3]), '3');
  t.equal(urlHost('0.0.0.0'), '127.0.0.1');
  t.equal(urlHost('::'), '[::1]');
  t.equal(urlHost('::1'), '[::1]');
  t.equal(urlHost('example.org'), 'example.org');
});

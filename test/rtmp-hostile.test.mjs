// Hostile and slow peers cost only their own connection: a real publisher keeps
// decoding every frame meanwhile, server memory stays bounded, and every bad
// socket is closed within the (short, configured) timeouts.
import t from 'tap';
import { ChunkWriter, ChunkParser, decodeAmf0, encodeAmf0 } from 'ffnode';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { publishWithFfmpeg, decodeFlv, rawSocket, closed, rtmpClient, serveRtmp } from './helpers/rtmp.mjs';

const lib = { ChunkWriter, ChunkParser, decodeAmf0, encodeAmf0 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Short timeouts: hostile peers must be cut off quickly here.
const serve = (t, opts = {}) => serveRtmp(t, { idleTimeoutMs: 800, handshakeTimeoutMs: 500, ...opts });

t.test('garbage, truncated handshake, 16 MiB header, broken AMF and 50 idle sockets beside a real publisher', async (t) => {
  const { server, errors } = serve(t);
  const port = await server.listen(0);
  const rss0 = process.memoryUsage().rss;
  const good = new Promise((resolve, reject) => server.on('publish', (ev) => { if (ev.path === 'live/good') decodeFlv(ev.stream).then(resolve, reject); }));
  const pub = publishWithFfmpeg(port, 'live/good', { seconds: 4 });
  await sleep(500);

  const garbage = await rawSocket(port);
  garbage.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  const truncated = await rawSocket(port);
  truncated.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(500, 9)]));
  const idle = await Promise.all(Array.from({ length: 50 }, () => rawSocket(port)));

  const huge = await rtmpClient(port, lib);
  huge.socket.write(Buffer.from([0x04, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0])); // 16 MiB announced, nothing more
  const brokenAmf = await rtmpClient(port, lib);
  brokenAmf.send(3, 20, 0, Buffer.from([2, 0, 7, 0x63, 0x6f, 0x6e, 3, 0, 1])); // a string that claims 7 bytes, then junk

  const t0 = Date.now();
  t.ok(await closed(garbage, 1000), 'garbage: closed');
  t.ok(await closed(huge.socket, 1000), '16 MiB header: closed before buffering');
  t.ok(await closed(brokenAmf.socket, 1000), 'broken AMF: closed');
  t.ok(await closed(truncated, 2000), 'truncated handshake: closed by the handshake timeout');
  const idleClosed = await Promise.all(idle.map((s) => closed(s, 2000)));
  t.equal(idleClosed.filter(Boolean).length, 50, '50 idle sockets: all closed by the handshake timeout');
  t.ok(Date.now() - t0 < 2500, `within the timeouts (${Date.now() - t0} ms)`);

  const r = await good;
  const { code } = await pub.done;
  t.equal(code, 0);
  t.ok(Math.abs(r.video - 100) <= 2, `the real publisher decoded ${r.video} ≈ 100 video frames meanwhile`);
  const names = errors.map((e) => `${e.errorName}: ${e.message}`).join('\n');
  t.match(names, /INVALIDDATA: handshake: version 71/, 'garbage: a typed reason');
  t.match(names, /ELIMIT: RTMP chunk stream: message of 16777215 bytes announced/);
  t.match(names, /INVALIDDATA: AMF0: truncated/);
  t.ok(errors.filter((e) => e.errorName === 'ETIMEDOUT').length >= 51, 'timeouts are typed');
  t.ok(errors.every((e) => e.name === 'RtmpError'), 'every error is an RtmpError');
  const grew = (process.memoryUsage().rss - rss0) / 1048576;
  t.ok(grew < 150, `server RSS grew ${grew.toFixed(0)} MiB (bounded)`);
  await sleep(50);
  t.equal(server.connectionCount, 0, 'no connection left');
});

t.test('idle after publish: closed after idleTimeoutMs, unpublish fires, the FLV stream ends', async (t) => {
  const { server } = serve(t);
  const port = await server.listen(0);
  const ev = new Promise((r) => server.once('publish', r));
  const un = new Promise((r) => server.once('unpublish', r));
  const c = await rtmpClient(port, lib);
  const status = await c.publish('live', 'quiet');
  t.equal(status.amf[3].code, 'NetStream.Publish.Start');
  const { stream } = await ev;
  stream.resume();
  const ended = new Promise((r) => stream.once('end', r));
  const t0 = Date.now();
  t.ok(await closed(c.socket, 3000), 'closed');
  await un;
  await ended;
  t.ok(Date.now() - t0 >= 600, `after the idle timeout (${Date.now() - t0} ms)`);
});

t.test('enhanced-RTMP (FourCC) video is refused with an onStatus error, not a hang', async (t) => {
  const { server, errors } = serve(t);
  const port = await server.listen(0);
  const ev = new Promise((r) => server.once('publish', r));
  const c = await rtmpClient(port, lib);
  await c.publish('live', 'hevc');
  const { stream } = await ev;
  const streamErr = new Promise((r) => stream.once('error', r));
  c.send(6, 9, 1, Buffer.from([0x90, 0x68, 0x76, 0x63, 0x31, 1, 2, 3])); // ExVideoTagHeader 'hvc1' sequence start
  const st = await c.waitFor((m) => m.amf?.[0] === 'onStatus' && m.amf[3]?.level === 'error');
  t.equal(st?.amf[3].code, 'NetStream.Publish.Rejected');
  t.match(st?.amf[3].description, /enhanced-RTMP video \(FourCC 'hvc1'\)/);
  t.ok(await closed(c.socket, 1000));
  t.match((await streamErr).message, /FourCC/, 'the FLV consumer gets the reason');
  t.ok(errors.some((e) => e.errorName === 'EUNSUPPORTED'));
});

t.test('a slow consumer pauses the publisher (bounded buffer), then every frame arrives', async (t) => {
  const hwm = 64 * 1024;
  const { server } = serve(t, { highWaterMark: hwm, idleTimeoutMs: 800 });
  const port = await server.listen(0);
  const ev = new Promise((r) => server.once('publish', r));
  const pub = publishWithFfmpeg(port, 'live/slow', { seconds: 4, realtime: false });
  const { stream } = await ev;
  await sleep(1500); // nobody reads: longer than the idle timeout, which must not fire while we hold the publisher
  t.ok(stream.readableLength <= hwm + 256 * 1024, `buffered ${stream.readableLength} bytes while paused (hwm ${hwm})`);
  const r = await decodeFlv(stream);
  t.ok(Math.abs(r.video - 100) <= 2, `${r.video} ≈ 100 frames after the pause`);
  t.equal((await pub.done).code, 0);
});

t.test('a player (play command) is told this server only accepts publishers', async (t) => {
  const { server, errors } = serve(t, { handshakeTimeoutMs: 5000 });
  const port = await server.listen(0);
  const c = await rtmpClient(port, lib);
  c.command(0, 'connect', 1, { app: 'live' });
  await c.waitFor((m) => m.amf?.[0] === '_result');
  c.command(0, 'createStream', 2, null);
  await c.waitFor((m) => m.amf?.[1] === 2);
  c.command(1, 'play', 3, null, 'cam1');
  const st = await c.waitFor((m) => m.amf?.[0] === 'onStatus');
  t.equal(st?.amf[3].code, 'NetStream.Play.Failed');
  t.ok(await closed(c.socket, 2000), 'closed at once, not after the timeout');
  t.ok(errors.some((e) => e.errorName === 'EREFUSED'));
});

t.test('after a long consumer pause the idle timeout still ends a publisher that went silent', async (t) => {
  const { server } = serve(t, { highWaterMark: 1024, idleTimeoutMs: 400 });
  const port = await server.listen(0);
  const ev = new Promise((r) => server.once('publish', r));
  const c = await rtmpClient(port, lib);
  await c.publish('live', 'pause');
  const { stream } = await ev;
  for (let i = 0; i < 50; i++) c.send(6, 9, 1, Buffer.concat([Buffer.from([0x27, 1, 0, 0, 0]), Buffer.alloc(2000, i)]), i * 40);
  await sleep(1200); // three idle periods while we hold the publisher: must survive
  t.notOk(c.socket.destroyed, 'not closed while paused by us');
  let bytes = 0;
  stream.on('data', (d) => { bytes += d.length; });
  const t0 = Date.now();
  t.ok(await closed(c.socket, 3000), 'closed once silent');
  t.ok(bytes > 50 * 2000, `all media delivered (${bytes} bytes)`);
  t.ok(Date.now() - t0 >= 300, `by the idle timeout (${Date.now() - t0} ms)`);
});

t.test('maxConnections refuses sockets beyond it', async (t) => {
  const { server, errors } = serve(t, { maxConnections: 2, handshakeTimeoutMs: 2000 });
  const port = await server.listen(0);
  const a = await rawSocket(port);
  const b = await rawSocket(port);
  await sleep(50);
  const c = await rawSocket(port);
  t.ok(await closed(c, 1000), 'the third is closed at once');
  t.match(errors.map((e) => e.message).join(), /more than 2 connections/);
  a.destroy();
  b.destroy();
});

endsWithZeroLive(t);

// serve() with configured sources: a pulled http:// MPEG-TS URL and a UDP
// listener fed by the ffmpeg CLI each become a live stream in the registry,
// served at /<app>/<name>/master.m3u8 and listed by /api/streams.
import t from 'tap';
import http from 'node:http';
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import { serve, validateServeOptions, StreamRegistry, PullSource, MemoryStore } from 'ffnode';
import { makeTs, until } from './helpers/ingest-target.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const get = async (url) => {
  const r = await fetch(url);
  return { status: r.status, text: r.status === 200 ? await r.text() : null };
};

/** An http origin sending `ts` in real time: `parts` parts, one every 500 ms, then the end. */
const liveOrigin = (ts, parts) => http.createServer(async (req, res) => {
  res.writeHead(200, { 'content-type': 'video/mp2t' });
  const part = Math.ceil(ts.length / 188 / parts) * 188;
  for (let i = 0; i < ts.length && !res.destroyed; i += part) {
    res.write(ts.subarray(i, i + part));
    await new Promise((r) => setTimeout(r, 500));
  }
  res.end();
});

/** A free UDP port (bound and released). */
const freeUdpPort = () => new Promise((resolve) => {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

t.test('config: pull and listen entries are checked, URLs included', async (t) => {
  t.throws(() => validateServeOptions({ pull: [{ path: 'live/a' }] }), /pull\[0\]\.url is required/);
  t.throws(() => validateServeOptions({ pull: [{ path: 'live/a', url: 'file:///etc/passwd' }] }), /pull\[0\]\.url is not usable: .*unsupported scheme 'file'/);
  t.throws(() => validateServeOptions({ listen: [{ path: 'live/a', url: 'srt://0.0.0.0:9000' }] }), /listen\[0\]\.url is not usable: .*mode=listener/);
  t.throws(() => validateServeOptions({ pull: [{ path: 'live/a', url: 'http://h/a.ts', colour: 1 }] }), /pull\[0\]\.colour is not a known key/);
  t.same(validateServeOptions({ pull: [{ path: 'live/a', url: 'http://h/a.m3u8', hls: true, stallTimeoutMs: 5000 }] }).pull, [{ path: 'live/a', url: 'http://h/a.m3u8', hls: true, stallTimeoutMs: 5000 }]);
});

t.test('a pulled http:// source and a UDP listener go live', async (t) => {
  const ts = await makeTs(6);
  const origin = liveOrigin(ts, 12);
  await new Promise((r) => origin.listen(0, '127.0.0.1', r));
  t.teardown(() => { origin.closeAllConnections(); origin.close(); });
  const udpPort = await freeUdpPort();

  const server = await serve({
    httpPort: 0, rtmpPort: 0, ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast', reconnectGrace: 30,
    pull: [{ path: 'live/pulled', url: `http://127.0.0.1:${origin.address().port}/cam.ts`, reconnect: { initialDelayMs: 5000, maxDelayMs: 5000 } }],
    listen: [{ path: 'live/udp', url: `udp://127.0.0.1:${udpPort}`, stallTimeoutMs: 3000 }],
  });
  t.teardown(() => server.close());

  await until(() => server.registry.get('live/pulled')?.manifests.hls, 30000, 'the pulled stream has a master playlist');
  const master = await get(`${server.url}/live/pulled/master.m3u8`);
  t.equal(master.status, 200);
  t.match(master.text, /v240p\/index\.m3u8/);
  t.equal(server.registry.get('live/pulled').publisher?.protocol, 'pull', 'listed as pulled');

  const pusher = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-t', '6', '-f', 'mpegts', `udp://127.0.0.1:${udpPort}?pkt_size=1316`], { stdio: 'ignore' });
  t.teardown(() => pusher.kill('SIGKILL'));
  await until(() => server.registry.get('live/udp')?.manifests.hls, 30000, 'the UDP stream has a master playlist');
  const api = JSON.parse((await get(`${server.url}/api/streams`)).text);
  const udp = api.streams.find((s) => s.path === 'live/udp');
  t.equal(udp.publisher.protocol, 'udp', 'listed with its protocol');
  t.equal(udp.source.width, 320, 'source size reported');
  const lat = udp.renditions.find((r) => r.type === 'video')?.encodeLatency;
  t.ok(lat && lat.p50 >= 0 && lat.p95 >= lat.p50, `encode latency reported (${JSON.stringify(lat)})`);
  const pl = await get(`${server.url}/live/udp/v240p/index.m3u8`);
  t.match(pl.text, /#EXTINF:/, 'the UDP stream has segments');
  await server.close();
});

t.test('a pulled source whose origin ends is pulled again and continues the stream', async (t) => {
  const ts = await makeTs(2);
  const origin = liveOrigin(ts, 4);
  await new Promise((r) => origin.listen(0, '127.0.0.1', r));
  t.teardown(() => { origin.closeAllConnections(); origin.close(); });
  const reg = new StreamRegistry({ store: new MemoryStore(), ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast', reconnectGrace: 10 });
  const pull = new PullSource(reg, { path: 'live/again', url: `http://127.0.0.1:${origin.address().port}/cam.ts`, reconnect: { initialDelayMs: 200, maxDelayMs: 400 } });
  const reconnected = new Promise((resolve) => reg.once('reconnect', (path, info) => resolve(info)));
  pull.start();
  let timer;
  const info = await Promise.race([reconnected, new Promise((r) => { timer = setTimeout(() => r(null), 20000); })]);
  clearTimeout(timer);
  t.ok(info, 'the registry saw the pulled source come back');
  t.equal(info?.protocol, 'pull');
  t.ok(pull.attempts >= 2, `${pull.attempts} attempts`);
  pull.stop();
  await reg.close();
});

endsWithZeroLive(t);

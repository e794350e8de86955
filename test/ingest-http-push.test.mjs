// HTTP push ingest: the ffmpeg CLI PUTs/POSTs MPEG-TS and FLV; a real target decodes it.
import t from 'tap';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { createPushHandler, probePushFormat, PushBody, StreamRefused } from 'ffnode';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { IngestTarget, makeTs, until } from './helpers/ingest-target.mjs';

/** An http server with the push handler; `statuses` records each push's response. */
async function servePush(t, target, opts) {
  const push = createPushHandler(target, opts);
  const statuses = [];
  const server = http.createServer((req, res) => {
    res.on('finish', () => statuses.push({ url: req.url, status: res.statusCode }));
    if (!push(req, res)) {
      res.writeHead(404);
      res.end('not a push');
    }
  });
  server.requestTimeout = 0;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  return { port: server.address().port, statuses, server };
}

function ffmpegPush(url, { method = 'PUT', format = 'mpegts', seconds = 2, extra = [], onSpawn } = {}) {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-t', String(seconds),
    '-f', format, '-method', method, ...extra, url];
  const p = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  onSpawn?.(p);
  let stderr = '';
  p.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, stderr })));
}

/** A raw request: sends `chunks` (each after `gapMs`), resolves with { status, body } or { closed }. */
function rawPush(port, path, { headers = {}, chunks = [], gapMs = 0, end = true } = {}) {
  return new Promise((resolve) => {
    const req = http.request({ port, host: '127.0.0.1', method: 'PUT', path, headers });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', (e) => resolve({ closed: e.code }));
    (async () => {
      for (const c of chunks) {
        if (req.destroyed) return;
        req.write(c);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
      if (end && !req.destroyed) req.end();
    })();
  });
}

const settle = (ms) => new Promise((r) => setTimeout(r, ms));
/** Blocks this thread (the event loop) for `ms`, as a long GC or synchronous work would. */
const stallLoop = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

t.test('ffmpeg PUTs chunked MPEG-TS: the target decodes it; 204 after the body ended', async (t) => {
  const target = new IngestTarget();
  const { port, statuses } = await servePush(t, target);
  const r = await ffmpegPush(`http://127.0.0.1:${port}/live/push1`);
  t.equal(r.code, 0, r.stderr);
  const s = await target.session(0);
  t.same(await s.ended, { reason: 'ended' });
  t.equal(s.path, 'live/push1');
  t.equal(s.protocol, 'http');
  t.same(s.source.inputOptions, { format: 'mpegts' });
  t.same(s.codecs, { video: 'h264', audio: 'aac' });
  t.ok(Math.abs(s.video - 50) <= 2, `video frames ${s.video} ≈ 50`);
  t.ok(s.audio >= 80, `audio frames ${s.audio}`);
  await settle(100);
  // ffmpeg closes right after its last chunk, without reading an answer
  t.ok(statuses.every((x) => x.status === 204), `no error answer: ${JSON.stringify(statuses)}`);
});

t.test('a Content-Length body of MPEG-TS (client waits for the answer): 204 after the body ended', async (t) => {
  const target = new IngestTarget();
  const { port } = await servePush(t, target);
  const ts = await makeTs(1);
  const parts = [];
  for (let i = 0; i < ts.length; i += 32 * 1024) parts.push(ts.subarray(i, i + 32 * 1024));
  const r = await rawPush(port, '/live/cl.ts', { headers: { 'content-length': String(ts.length) }, chunks: parts });
  t.same(r, { status: 204, body: '' });
  const s = await target.session(0);
  t.equal(s.source.inputOptions.format, 'mpegts', 'by extension');
  t.ok(Math.abs(s.video - 25) <= 2, `video frames ${s.video} ≈ 25`);
});

t.test('POST FLV: by extension, and by probing the first bytes', async (t) => {
  const target = new IngestTarget();
  const { port, statuses } = await servePush(t, target);
  const [a, b] = await Promise.all([
    ffmpegPush(`http://127.0.0.1:${port}/live/flv1.flv`, { method: 'POST', format: 'flv' }),
    ffmpegPush(`http://127.0.0.1:${port}/live/flv2`, { method: 'POST', format: 'flv' }),
  ]);
  t.equal(a.code, 0, a.stderr);
  t.equal(b.code, 0, b.stderr);
  await Promise.all(target.sessions.map((s) => s.ended));
  for (const s of target.sessions) {
    t.equal(s.source.inputOptions.format, 'flv', `${s.path}: flv`);
    t.ok(Math.abs(s.video - 50) <= 2, `${s.path}: video frames ${s.video} ≈ 50`);
  }
  t.same(target.sessions.map((s) => s.path).sort(), ['live/flv1', 'live/flv2']);
  await settle(100);
  t.ok(statuses.every((x) => x.status === 204), `no error answer: ${JSON.stringify(statuses)}`);
});

t.test('a refused push gets 409 with the reason; ffmpeg exits non-zero', async (t) => {
  const target = new IngestTarget({ refuse: (s) => (s.path === 'live/taken' ? new StreamRefused('live/taken is already being published', 'EBUSY') : undefined) });
  const { port, statuses } = await servePush(t, target);
  const r = await ffmpegPush(`http://127.0.0.1:${port}/live/taken`, { seconds: 3 });
  t.not(r.code, 0, 'ffmpeg fails');
  t.equal(target.sessions.length, 0);
  t.same(statuses, [{ url: '/live/taken', status: 409 }]);
  const raw = await rawPush(port, '/live/taken', { headers: { 'content-type': 'video/mp2t' }, chunks: [Buffer.alloc(188, 0x47)] });
  t.same(raw, { status: 409, body: 'live/taken is already being published\n' });
  const codes = { ELIMIT: 503, EAUTH: 403, EINVAL: 400 };
  for (const [code, status] of Object.entries(codes)) {
    target.refuse = () => new StreamRefused(`no (${code})`, code);
    t.same(await rawPush(port, '/live/x', { headers: { 'content-type': 'video/mp2t' }, chunks: [Buffer.alloc(188, 0x47)] }), { status, body: `no (${code})\n` }, `${code} → ${status}`);
  }
});

t.test('a pusher killed mid-stream: its source ends cleanly (EOF), the frames so far decoded', async (t) => {
  const target = new IngestTarget();
  const { port } = await servePush(t, target);
  let proc;
  const done = ffmpegPush(`http://127.0.0.1:${port}/live/killed`, { seconds: 10, onSpawn: (p) => { proc = p; } });
  const s = await target.session(0);
  await until(() => s.video >= 20, 15000, 'frames before the kill');
  proc.kill('SIGKILL');
  await done;
  t.same(await s.ended, { reason: 'ended' }, 'an aborted request is the end of the input, not an error');
  t.ok(s.video >= 20 && s.video < 250, `decoded ${s.video} frames`);
});

t.test('a stall of the event loop longer than the idle timeout does not end a pusher that kept sending', async (t) => {
  // Timers run before the poll phase reads what came during the stall; the
  // idle decision must wait for those reads (push-body.ts).
  const target = new IngestTarget();
  const { port, statuses } = await servePush(t, target, { idleTimeoutMs: 500 });
  let stalled = 0;
  const done = ffmpegPush(`http://127.0.0.1:${port}/live/stall`, { seconds: 3 });
  const s = await target.session(0);
  await settle(800);
  // from the check phase, as after an I/O callback: the next turn starts with timers
  await new Promise((r) => setImmediate(() => { const t0 = Date.now(); stallLoop(1500); stalled = Date.now() - t0; r(); }));
  const r = await done;
  t.ok(stalled >= 1500, `the loop stalled ${stalled} ms (idle timeout 500 ms)`);
  t.equal(r.code, 0, `ffmpeg pushed to the end ${r.stderr}`);
  t.same(await s.ended, { reason: 'ended' }, 'the body ended as sent, not as idle');
  t.ok(Math.abs(s.video - 75) <= 2, `video frames ${s.video} ≈ 75`);
  await settle(100);
  t.ok(statuses.every((x) => x.status === 204), `no error answer: ${JSON.stringify(statuses)}`);
});

t.test('not a push: the handler returns false and leaves the request alone', async (t) => {
  const { port } = await servePush(t, new IngestTarget());
  for (const [method, path] of [['GET', '/live/a'], ['PUT', '/live'], ['PUT', '/a/b/c'], ['POST', '/live/..'], ['DELETE', '/live/a']]) {
    const r = await new Promise((resolve) => {
      const req = http.request({ port, host: '127.0.0.1', method, path }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
      req.end();
    });
    t.equal(r, 404, `${method} ${path}`);
  }
});

t.test('hostile pushers cost only their own request', async (t) => {
  const target = new IngestTarget();
  const { port } = await servePush(t, target, { idleTimeoutMs: 600 });
  const good = ffmpegPush(`http://127.0.0.1:${port}/live/good`, { seconds: 3 });
  await settle(300);
  // garbage declared as MPEG-TS: the consumer's decoder fails → 4xx (or the connection closes)
  const junk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
  const garbage = await rawPush(port, '/live/garbage', { headers: { 'content-type': 'video/mp2t' }, chunks: [junk, junk, junk] });
  t.ok(garbage.closed || (garbage.status >= 400 && garbage.status < 600), `garbage: ${JSON.stringify(garbage)}`);
  // garbage without a declared format: neither MPEG-TS nor FLV → 415 before any publish
  const unknown = await rawPush(port, '/live/unknown', { chunks: [junk] });
  t.equal(unknown.status, 415);
  t.notOk(target.sessions.some((s) => s.path === 'live/unknown'));
  // an idle body (a few bytes, then nothing) → 408 and its source ends
  const idle = await rawPush(port, '/live/idle', { headers: { 'content-type': 'video/mp2t' }, chunks: [Buffer.alloc(188, 0x47)], end: false });
  t.equal(idle.status, 408, `idle: ${JSON.stringify(idle)}`);
  const si = target.sessions.find((s) => s.path === 'live/idle');
  if (si) await si.ended;
  // 20 idle connections at once: each gets its own 408
  const many = await Promise.all(Array.from({ length: 20 }, (_, i) => rawPush(port, `/live/idle${i}`, { headers: { 'content-type': 'video/mp2t' }, chunks: [Buffer.alloc(188, 0x47)], end: false })));
  t.same(many.map((r) => r.status), many.map(() => 408), '20 idle pushers: 408 each');
  await Promise.all(target.sessions.map((s) => s.ended));
  const g = await good;
  t.equal(g.code, 0, `the good publisher is unaffected ${g.stderr}`);
  const sg = target.sessions.find((s) => s.path === 'live/good');
  t.ok(Math.abs(sg.video - 75) <= 2, `good: ${sg.video} frames ≈ 75`);
});

t.test('a body nobody reads holds at most its bound: the request is paused (back-pressure to the client)', async (t) => {
  let body;
  const server = http.createServer((req) => { body = new PushBody(req, { maxBufferedBytes: 256 * 1024, idleTimeoutMs: 0 }); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  const req = http.request({ port: server.address().port, host: '127.0.0.1', method: 'PUT', path: '/live/slow' });
  req.on('error', () => {});
  const chunk = Buffer.alloc(64 * 1024, 0x47);
  let written = 0;
  for (let i = 0; i < 320 && req.write(chunk); i++) written += chunk.length; // 20 MiB unless back-pressured
  await settle(500);
  for (let i = 0; i < 20; i++) { req.write(chunk); written += chunk.length; }
  await settle(500);
  t.ok(body.readableLength <= 256 * 1024 + 64 * 1024, `held ${body.readableLength} bytes`);
  t.ok(body.bytesIn < 8 * 1024 * 1024, `read ${body.bytesIn} of ${written} bytes written`);
  req.destroy();
  body.resume(); // a paused socket notices the client's close only once it is read again
  t.equal(await body.done, 'aborted');
});

t.test('probePushFormat', async (t) => {
  const ts = Buffer.alloc(377);
  ts[0] = ts[188] = ts[376] = 0x47;
  t.equal(probePushFormat(ts), 'mpegts');
  t.equal(probePushFormat(Buffer.from('FLV\x01\x05')), 'flv');
  ts[188] = 0;
  t.equal(probePushFormat(ts), undefined);
  t.equal(probePushFormat(Buffer.alloc(0)), undefined);
});

endsWithZeroLive(t);

// PullSource: backoff policy (pure), URL checks, and an end-to-end pull of a
// real http:// MPEG-TS source that goes away and comes back.
import t from 'tap';
import http from 'node:http';
import { PullSource, backoffDelay, checkPullUrl, StreamRefused } from 'ffnode';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { IngestTarget, makeTs, until } from './helpers/ingest-target.mjs';

t.test('backoffDelay: exponential, capped, jitter within [cap·(1−jitter), cap]', async (t) => {
  const o = { initialDelayMs: 500, maxDelayMs: 30000, factor: 2, jitter: 0.3 };
  t.equal(backoffDelay(1, o, () => 0), 500, 'first retry: initialDelayMs');
  t.equal(backoffDelay(2, o, () => 0), 1000);
  t.equal(backoffDelay(3, o, () => 0), 2000);
  t.equal(backoffDelay(7, o, () => 0), 30000, 'capped at 7 (500·64 > 30000)');
  t.equal(backoffDelay(1e9, o, () => 0), 30000, 'no overflow for huge attempts');
  t.equal(backoffDelay(0, o, () => 0), 500, 'attempt < 1 counts as 1');
  t.equal(backoffDelay(3, o, () => 1), 2000 * 0.7, 'random 1: the lowest');
  t.equal(backoffDelay(3, { ...o, jitter: 1 }, () => 0.999999).toFixed(2), '0.00', 'jitter 1: full jitter down to 0');
  t.equal(backoffDelay(3, { ...o, jitter: 0 }, Math.random), 2000, 'jitter 0: exact');
  t.equal(backoffDelay(2, {}, () => 0), 1000, 'defaults 500/2/30000');
  for (let a = 1; a <= 20; a++) {
    const cap = Math.min(30000, 500 * 2 ** (a - 1));
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(a, o);
      if (!(d >= cap * 0.7 && d <= cap)) t.fail(`attempt ${a}: ${d} outside [${cap * 0.7}, ${cap}]`);
    }
  }
  t.throws(() => backoffDelay(1, { jitter: 2 }), RangeError);
  t.throws(() => backoffDelay(1, { factor: 0.5 }), RangeError);
  t.throws(() => backoffDelay(1, { initialDelayMs: 100, maxDelayMs: 50 }), RangeError);
});

t.test('URL schemes are checked up front', async (t) => {
  for (const u of ['rtsp://h/s', 'rtmp://h/app/s', 'srt://h:9000', 'http://h/a.ts', 'https://h/a.m3u8', 'udp://0.0.0.0:9000']) t.doesNotThrow(() => checkPullUrl(u), u);
  t.throws(() => checkPullUrl('file:///etc/passwd'), /unsupported scheme 'file'.*supported: rtsp/);
  t.throws(() => checkPullUrl('gopher://x'), /unsupported scheme 'gopher'/);
  t.throws(() => checkPullUrl('not a url'), /not a URL/);
  t.throws(() => checkPullUrl('rtsp://h/s', true), /hls needs an http\(s\)/);
  const target = new IngestTarget();
  t.throws(() => new PullSource(target, { path: 'live/a', url: 'file:///x.ts' }), TypeError);
  t.throws(() => new PullSource(target, { path: 'bad', url: 'http://h/a.ts' }), RangeError);
});

t.test('publish options: protocol pull, timeoutMs = stallTimeoutMs, hls → allowPlaylists; a permanent refusal stops it', async (t) => {
  const target = new IngestTarget({ refuse: () => new StreamRefused('not allowed', 'EAUTH') });
  let seen;
  const spy = { publish: (s) => { seen = s; return target.publish(s); } };
  const pull = new PullSource(spy, { path: 'live/hls', url: 'https://example.invalid/live.m3u8', hls: true, inputOptions: { options: { user_agent: 'x' } }, stallTimeoutMs: 4000 });
  const errors = [];
  pull.on('error', (e) => errors.push(e));
  const stopped = new Promise((r) => pull.once('stopped', r));
  pull.start();
  t.equal(await stopped, 'refused');
  t.same({ protocol: seen.protocol, input: seen.input, inputOptions: seen.inputOptions }, {
    protocol: 'pull', input: 'https://example.invalid/live.m3u8', inputOptions: { options: { user_agent: 'x' }, allowPlaylists: true, timeoutMs: 4000 },
  });
  t.equal(errors[0]?.errorName, 'EAUTH');
  t.equal(pull.attempts, 1);
});

t.test('an http:// MPEG-TS source stopped and restarted: PullSource reconnects with bounded delays, frames from both connections', async (t) => {
  const ts = await makeTs(4);
  const chunk = 188 * 64;
  // a "live" source: paces the file over ~4 s per connection
  const handler = (req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    let off = 0;
    const step = Math.ceil(ts.length / 80);
    const tick = setInterval(() => {
      if (res.destroyed) return clearInterval(tick);
      const end = Math.min(ts.length, off + Math.ceil(step / chunk) * chunk);
      res.write(ts.subarray(off, end));
      off = end;
      if (off >= ts.length) { clearInterval(tick); res.end(); }
    }, 50);
    res.on('close', () => clearInterval(tick));
  };
  let srv = http.createServer(handler);
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const port = srv.address().port;
  t.teardown(() => { srv.closeAllConnections(); srv.close(); });

  const target = new IngestTarget();
  const reconnect = { initialDelayMs: 200, maxDelayMs: 800, factor: 2, jitter: 0.3 };
  const pull = new PullSource(target, { path: 'live/pulled', url: `http://127.0.0.1:${port}/cam.ts`, reconnect, stallTimeoutMs: 2000, healthyAfterMs: 1000 });
  const attempts = [];
  const disconnects = [];
  let connected = 0;
  pull.on('attempt', (a) => attempts.push({ ...a, at: Date.now() }));
  pull.on('connected', () => connected++);
  pull.on('disconnected', (d) => disconnects.push(d));
  pull.on('error', () => {});
  pull.start();

  const s0 = await target.session(0);
  await until(() => s0.video >= 15, 15000, 'first connection decodes');
  // the source goes away...
  srv.closeAllConnections();
  await new Promise((r) => srv.close(r));
  await s0.ended;
  await new Promise((r) => setTimeout(r, 1200)); // refused connections meanwhile: the backoff grows to its cap
  const whileDown = attempts.length;
  // ...and comes back on the same port
  srv = http.createServer(handler);
  await new Promise((r) => srv.listen(port, '127.0.0.1', r));
  await until(() => target.sessions.some((s, i) => i > 0 && s.video >= 15), 15000, 'a later connection decodes');
  pull.stop();
  await Promise.all(target.sessions.map((s) => s.ended));

  t.equal(target.sessions[0].path, 'live/pulled');
  t.ok(whileDown >= 3, `attempts while the source was down: ${whileDown}`);
  t.equal(attempts[0].delayMs, 0, 'the first publish is immediate');
  for (const a of attempts.slice(1)) t.ok(a.delayMs >= 200 * 0.7 && a.delayMs <= 800, `attempt ${a.attempt}: delay ${a.delayMs.toFixed(0)} ms within [140, 800]`);
  t.ok(attempts.slice(1).some((a) => a.delayMs > 400), 'the delay grew while the source failed');
  const good = target.sessions.filter((s) => s.video >= 15);
  t.ok(good.length >= 2, `frames from two connections: ${target.sessions.map((s) => s.video).join(', ')}`);
  t.ok(connected >= 2 && disconnects.length >= 2, `connected ${connected}, disconnected ${disconnects.length}`);
  t.notOk(pull.running, 'stopped');
});

endsWithZeroLive(t);

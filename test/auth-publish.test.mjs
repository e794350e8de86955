// Publish authorisation end to end: a real serve() with a publish secret,
// the ffmpeg CLI publishing over RTMP and pushing over HTTP. Unsigned,
// expired, other-stream and tampered publishers are refused before any
// stream exists; signed ones (name query or app query) are admitted; the
// authorizePublish hook replaces the signature; operator sources are not
// asked; nothing logged carries a signature.
import t from 'tap';
import { spawn } from 'node:child_process';
import { serve, signUrl, stats, StreamRegistry, MemoryStore } from '../dist/index.js';
import { createPublishCheck, MAX_PUBLISH_QUERY } from '../dist/server/auth/publish.js';
import { MAX_PUSH_QUERY } from '../dist/server/ingest/http-push.js';
import { publishWithFfmpeg, rtmpClient, serveRtmp } from './helpers/rtmp.mjs';
import * as rtmpParts from '../dist/server/rtmp/index.js';
import { makeTs } from './helpers/ingest-target.mjs';
import { waitFor } from './helpers/live.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const PUBLISH = 'publish-secret-0123456789abcdef';
const PLAYBACK = 'playback-secret-0123456789abcdef';
const LIVE = { host: '127.0.0.1', httpPort: 0, rtmpPort: 0, store: 'memory', ladder: ['240p'], preset: 'ultrafast', segmentDuration: 1, reconnectGrace: 0 };

// Everything the process and the registry report, to check that no signature leaks into logs.
const reported = [];
process.on('warning', (w) => reported.push(String(w?.message ?? w)));

async function start(auth) {
  const server = await serve({ ...LIVE, auth });
  const events = [];
  for (const e of ['publish', 'unpublish', 'end', 'warning', 'error']) server.registry.on(e, (path, v) => {
    events.push({ e, path, v });
    reported.push(`${e} ${path} ${v instanceof Error ? v.message : JSON.stringify(v)}`);
  });
  return { server, events, published: (path) => events.filter((x) => x.e === 'publish' && x.path === path) };
}

/** `ffmpeg … -f mpegts -method PUT <url>`: resolves { code, stderr }. */
function ffmpegPush(url, seconds = 2) {
  const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac',
    '-t', String(seconds), '-f', 'mpegts', '-method', 'PUT', url], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, stderr })));
}

const query = (u) => u.slice(u.indexOf('?'));
const now = () => Math.floor(Date.now() / 1000);

const { server, published } = await start({ publishSecret: PUBLISH, playbackSecret: PLAYBACK });
const rtmp = (path) => `rtmp://127.0.0.1:${server.rtmpPort}/${path}`;

t.test('RTMP: unsigned, expired, other-stream, tampered and wrongly keyed publishers are refused', async (t) => {
  const signedOther = signUrl(rtmp('live/other'), PUBLISH, { expiresIn: 60 });
  const good = signUrl(rtmp('live/mine'), PUBLISH, { expiresIn: 60 });
  const sig = new URL(good).searchParams.get('sig');
  const tampered = good.replace(`sig=${sig}`, `sig=${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`);
  const cases = [
    ['unsigned', 'live/mine', /missing token/],
    ['expired', `live/mine${query(signUrl(rtmp('live/mine'), PUBLISH, { exp: now() - 5 }))}`, /expired/],
    ['signed for another stream', `live/mine${query(signedOther)}`, /bad signature/],
    ['tampered signature', `live/mine${query(tampered)}`, /bad signature/],
    ['signed with the playback secret', `live/mine${query(signUrl(rtmp('live/mine'), PLAYBACK, { expiresIn: 60 }))}`, /bad signature/],
    ['exp without sig', 'live/mine?exp=9999999999', /malformed token/],
  ];
  const runs = await Promise.all(cases.map(([, path]) => publishWithFfmpeg(server.rtmpPort, path, { seconds: 2 }).done));
  cases.forEach(([what, , reason], i) => {
    t.not(runs[i].code, 0, `${what}: ffmpeg exits non-zero (${runs[i].code})`);
    t.match(runs[i].stderr, reason, `${what}: ffmpeg was told why (${runs[i].stderr.trim().split('\n')[0]})`);
  });
  t.same(published('live/mine'), [], 'no publish event for live/mine');
  t.equal(server.registry.get('live/mine'), undefined, 'the stream never appeared');
  t.equal(server.registry.size, 0, 'no stream was created for any of them');
  const master = await fetch(signUrl(`${server.url}/live/mine/master.m3u8`, PLAYBACK, { expiresIn: 60 }));
  t.equal(master.status, 404, 'nothing to play');
});

t.test('RTMP: a signed stream name is admitted; so is a signed app query', async (t) => {
  const signed = signUrl(rtmp('live/mine'), PUBLISH, { expiresIn: 60 });
  t.match(signed, /^rtmp:\/\/127\.0\.0\.1:\d+\/live\/mine\?exp=\d+&sig=[\w-]{43}$/, 'the query rides on the stream name');
  const pub = publishWithFfmpeg(server.rtmpPort, signed.replace(/^rtmp:\/\/[^/]+\//, ''), { seconds: 4 });
  const masterUrl = signUrl(`${server.url}/live/mine/master.m3u8`, PLAYBACK, { expiresIn: 60 });
  await waitFor(async () => (await fetch(masterUrl)).status === 200, { timeout: 30_000, what: 'a playable live/mine' });
  t.equal(published('live/mine').length, 1, 'published');
  t.equal(published('live/mine')[0].v.protocol, 'rtmp');
  const r = await pub.done;
  t.equal(r.code, 0, `the signed publisher ran to its end (${r.stderr.trim()})`);

  // rtmp://host/live?exp=…&sig=…/app2: the query on the app (what some encoders' "server URL" field holds)
  const q = query(signUrl(rtmp('live/app2'), PUBLISH, { expiresIn: 60 }));
  const viaApp = publishWithFfmpeg(server.rtmpPort, `live${q}/app2`, { seconds: 2 });
  await waitFor(() => published('live/app2').length === 1, { timeout: 30_000, what: 'live/app2 published' });
  t.equal((await viaApp.done).code, 0, 'admitted with the query on the app');
});

t.test('RTMP: the query of the stream name and of the app reach the publish gate; a long one is refused', async (t) => {
  const { server: bare, errors } = serveRtmp(t);
  const asked = [];
  bare.addPublishGate((req) => {
    asked.push({ path: req.path, query: req.query });
  });
  const port = await bare.listen(0, '127.0.0.1');
  const cases = [
    ['live', 'mine?exp=1&sig=2', 'live/mine', 'exp=1&sig=2'],
    ['live?a=1', 'app?b=2', 'live/app', 'a=1&b=2'],
    ['live?a=1', 'only', 'live/only', 'a=1'],
    ['/live/', '/plain/', 'live/plain', ''],
  ];
  for (const [app, name, path, q] of cases) {
    const c = await rtmpClient(port, rtmpParts);
    const status = await c.publish(app, name);
    t.equal(status?.amf?.[3]?.code, 'NetStream.Publish.Start', `${app} + ${name}: started`);
    t.same(asked.at(-1), { path, query: q }, `${app} + ${name}: path ${path}, query ${JSON.stringify(q)}`);
    c.socket.destroy();
  }
  const n = asked.length;
  const c = await rtmpClient(port, rtmpParts);
  const status = await c.publish('live?a=1', `mine?sig=${'x'.repeat(MAX_PUBLISH_QUERY)}`);
  t.equal(status?.amf?.[3]?.code, 'NetStream.Publish.BadName', 'an over-long query is refused');
  t.match(status?.amf?.[3]?.description, /query is longer than 2048 characters/);
  t.equal(asked.length, n, 'before the gate is asked');
  c.socket.destroy();
  await waitFor(() => errors.length > 0, { what: 'the refusal reported' });
  t.notOk(errors.some((e) => /sig=|xxxx/.test(e.message)), `the reported error carries no query (${errors.map((e) => e.message).join('; ')})`);
});

t.test('HTTP push: unsigned → 403, signed → admitted', async (t) => {
  const url = `${server.url}/live/pushed`;
  const ts = await makeTs(1);
  const put = (u) => fetch(u, { method: 'PUT', body: ts, headers: { 'content-type': 'video/mp2t' } });
  const unsigned = await put(url);
  t.equal(unsigned.status, 403, 'unsigned PUT: 403');
  t.match(await unsigned.text(), /live\/pushed needs a signed stream name \(\?exp=…&sig=…\): missing token/);
  const expired = await put(signUrl(url, PUBLISH, { exp: now() - 1 }));
  t.equal(expired.status, 403, 'expired: 403');
  t.match(await expired.text(), /expired/);
  const other = await put(`${url}${query(signUrl(`${server.url}/live/other`, PUBLISH, { expiresIn: 60 }))}`);
  t.equal(other.status, 403, 'signed for another stream: 403');
  const long = await put(`${url}?x=${'y'.repeat(MAX_PUSH_QUERY + 1)}`);
  t.equal(long.status, 414, 'an over-long query: 414 before the body is read');
  const ff = await ffmpegPush(url, 2);
  // ffmpeg does not read the response of a PUT it is still writing: it sees the connection closed after the 403
  t.not(ff.code, 0, `ffmpeg -method PUT unsigned exits non-zero (${ff.stderr.trim().split('\n')[0]})`);
  t.same(published('live/pushed'), [], 'never published');

  const signed = signUrl(url, PUBLISH, { expiresIn: 60 });
  t.match(signed, /\/live\/pushed\?exp=\d+&sig=/);
  const ok = await ffmpegPush(signed, 3);
  t.equal(ok.code, 0, `ffmpeg -method PUT signed exits 0 (${ok.stderr.trim()})`);
  t.equal(published('live/pushed').length, 1, 'published');
  t.equal(published('live/pushed')[0].v.protocol, 'http');
  const dotTs = await put(signUrl(`${server.url}/live/pushed2.ts`, PUBLISH, { expiresIn: 60 }));
  t.equal(dotTs.status, 204, 'a .ts push URL signs the name without the extension');
});

t.test('operator-configured sources are not asked; peer-facing ones are', async (t) => {
  const check = createPublishCheck({ publishSecret: PUBLISH });
  const p = { app: 'live', name: 'op', path: 'live/op' };
  for (const protocol of ['pull', 'srt', 'udp', 'demo']) await t.resolves(check({ path: 'live/op', protocol, input: 'x', close() {} }, p), `${protocol}: admitted without a token`);
  for (const protocol of ['rtmp', 'http']) await t.rejects(check({ path: 'live/op', protocol, input: 'x', close() {} }, p), { name: 'StreamRefused', errorName: 'EAUTH' }, `${protocol}: refused without a token`);
  t.equal(createPublishCheck(undefined), null, 'no auth: no check');
  t.equal(createPublishCheck({}), null, 'an empty auth: no check');
  // a real pulled-source publish into the secured registry: admitted, the stream runs
  const ts = await makeTs(1);
  const pub = await server.registry.publish({ path: 'live/pulled', protocol: 'pull', input: (async function* () { yield ts; })(), inputOptions: { format: 'mpegts' }, close() {} });
  t.equal((await pub.ended).reason, 'ended', 'a pulled source needs no signature');
  t.equal(published('live/pulled').length, 1);
});

t.test('nothing logged carries a signature or a secret', async (t) => {
  t.ok(reported.length > 0, `${reported.length} reports collected`);
  const leaks = reported.filter((r) => /sig=|exp=/.test(r) || r.includes(PUBLISH) || r.includes(PLAYBACK));
  t.same(leaks, [], 'no sig=, exp= or secret in warnings or registry events');
});

t.test('authorizePublish replaces the signature check', async (t) => {
  const seen = [];
  const hooked = await start({
    publishSecret: PUBLISH,
    async authorizePublish(ctx) {
      seen.push({ ...ctx, query: ctx.query.toString() });
      await new Promise((r) => setTimeout(r, 20)); // an async decision
      if (ctx.query.get('key') === 'banned') throw new Error('this key is banned');
      return ctx.query.get('key') === 'letmein';
    },
  });
  t.teardown(() => hooked.server.close());
  const port = hooked.server.rtmpPort;
  const [signedNoKey, keyed, banned] = await Promise.all([
    publishWithFfmpeg(port, `live/h1${query(signUrl(rtmp('live/h1'), PUBLISH, { expiresIn: 60 }))}`, { seconds: 2 }).done,
    publishWithFfmpeg(port, 'live/h2?key=letmein', { seconds: 2 }).done,
    publishWithFfmpeg(port, 'live/h3?key=banned', { seconds: 2 }).done,
  ]);
  t.not(signedNoKey.code, 0, 'a valid signature alone is not enough: the hook decides');
  t.match(signedNoKey.stderr, /not authorized to publish live\/h1/);
  t.equal(keyed.code, 0, `the hook admitted key=letmein without a signature (${keyed.stderr.trim()})`);
  t.not(banned.code, 0, 'a throwing hook refuses');
  t.match(banned.stderr, /this key is banned/, 'with its message');
  t.same(hooked.published('live/h1'), []);
  t.equal(hooked.published('live/h2').length, 1);
  t.same(hooked.published('live/h3'), []);
  const h2 = seen.find((c) => c.path === 'live/h2');
  t.match(h2, { path: 'live/h2', app: 'live', name: 'h2', protocol: 'rtmp', query: 'key=letmein' }, 'the context');
  t.match(h2.remoteAddress, /^127\.0\.0\.1:\d+$/, 'with the remote address');
  // HTTP push through the same hook
  const ts = await makeTs(1);
  const put = (path) => fetch(`${hooked.server.url}/${path}`, { method: 'PUT', body: ts, headers: { 'content-type': 'video/mp2t' } });
  t.equal((await put('live/h4?key=nope')).status, 403, 'HTTP push refused by the hook: 403');
  t.equal((await put('live/h5?key=letmein')).status, 204, 'HTTP push admitted by the hook');
  t.equal(seen.find((c) => c.path === 'live/h5')?.protocol, 'http');
  t.equal(hooked.server.registry.get('live/h4'), undefined);
});

t.test('a hook that is not a function, and secrets that are too short, are refused at construction', async (t) => {
  t.throws(() => new StreamRegistry({ store: new MemoryStore(), auth: { authorizePublish: true } }), { name: 'TypeError', message: /authorizePublish must be a function/ });
  t.throws(() => new StreamRegistry({ store: new MemoryStore(), auth: { publishSecret: 'short' } }), { name: 'TypeError', message: /at least 16 characters/ });
  t.throws(() => new StreamRegistry({ store: new MemoryStore(), auth: { publishSecret: [PUBLISH, PUBLISH, PUBLISH] } }), { name: 'TypeError', message: /a list of two/ });
});

t.test('close', async (t) => {
  await server.close();
  await waitFor(() => stats().objects === 0, { timeout: 10_000, what: 'native objects released' });
  t.pass('closed');
});

endsWithZeroLive(t);

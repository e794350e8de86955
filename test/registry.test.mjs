// The stream registry with real publishers (the ffmpeg CLI writing FLV, as an
// RTMP publisher would hand it over): streams start, continue across a
// reconnect inside the grace period, end after it, refuse a second publisher
// or let it take over, admit no more than maxStreams, and one stream's broken
// bitstream ends only that stream. Takeover over RTMP, numbering marks and
// recording: test/registry-lifecycle.test.mjs.
import t from 'tap';
import { StreamRegistry, StreamRefused, MemoryStore, stats } from 'ffnode';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { ffmpegSource, once, text } from './helpers/registry.mjs';

t.test('publish → live presentation in the stream namespace; reconnect continues it; grace ends it', async (t) => {
  const store = new MemoryStore();
  const reg = new StreamRegistry({ store, ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast', reconnectGrace: 3 });
  const events = [];
  for (const e of ['publish', 'reconnect', 'unpublish', 'end']) reg.on(e, (path, info) => events.push([e, path, info?.reason]));
  let segments = 0;
  reg.on('segment', () => segments++);

  const a = ffmpegSource('live/cam1', { seconds: 4 });
  const pub = await reg.publish(a.source);
  t.equal(pub.path, 'live/cam1');
  t.equal(reg.get('live/cam1').state === 'starting' || reg.get('live/cam1').state === 'live', true, 'listed while starting');
  t.same((await pub.ended).reason, 'ended', 'the first publisher ended normally');
  const hls1 = await text(store, 'live/cam1/v240p/index.m3u8');
  t.ok(hls1, 'media playlist stored under live/cam1/');
  t.ok(await text(store, 'live/cam1/master.m3u8'), 'master playlist under the namespace');
  t.ok(await text(store, 'live/cam1/manifest.mpd'), 'MPD under the namespace');
  t.equal(reg.get('live/cam1').state, 'reconnecting', 'waiting for the publisher within the grace');
  const lastSeq1 = Math.max(...[...hls1.matchAll(/seg_(\d+)\.m4s/g)].map((m) => Number(m[1])));

  const b = ffmpegSource('live/cam1', { seconds: 3 });
  const pub2 = await reg.publish(b.source);
  await pub2.ended;
  const hls2 = await text(store, 'live/cam1/v240p/index.m3u8');
  const seqs2 = [...hls2.matchAll(/seg_(\d+)\.m4s/g)].map((m) => Number(m[1]));
  t.ok(Math.max(...seqs2) > lastSeq1, `numbering continued (${lastSeq1} → ${Math.max(...seqs2)})`);
  t.match(hls2, /#EXT-X-DISCONTINUITY\n/, 'the join is marked');
  t.match(hls2, /#EXT-X-PROGRAM-DATE-TIME:/, 'segments carry PDT');
  t.equal(reg.get('live/cam1').reconnects, 1);
  t.ok(segments >= 5, `${segments} segment events`);

  await once(reg, 'end');
  t.equal(reg.get('live/cam1'), undefined, 'gone after the grace');
  t.equal(await text(store, 'live/cam1/master.m3u8'), null, 'manifests removed once the stream ended (no recording)');
  t.same(events.map((e) => e[0]), ['publish', 'unpublish', 'reconnect', 'unpublish', 'end']);
  await reg.close();
});

t.test('a second publisher is refused (EBUSY), or takes over when configured', async (t) => {
  const store = new MemoryStore();
  const reg = new StreamRegistry({ store, ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast', reconnectGrace: 1 });
  const a = ffmpegSource('live/x', { seconds: 30 });
  await reg.publish(a.source);
  const b = ffmpegSource('live/x', { seconds: 30 });
  const refusal = await reg.publish(b.source).catch((e) => e);
  t.ok(refusal instanceof StreamRefused, 'a StreamRefused');
  t.match(refusal, { errorName: 'EBUSY', reason: /already being published/ });
  b.process.kill('SIGKILL');
  await reg.close();
  t.equal(reg.size, 0);

  const reg2 = new StreamRegistry({ store, ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast', onConflict: 'takeover' });
  const c = ffmpegSource('live/y', { seconds: 30 });
  const pc = await reg2.publish(c.source);
  const d = ffmpegSource('live/y', { seconds: 30 });
  const pd = await reg2.publish(d.source);
  t.equal((await pc.ended).reason, 'takeover', 'the first publisher was ended by the takeover');
  t.equal(reg2.get('live/y').reconnects, 1, 'the takeover continues the stream');
  await reg2.close();
  t.equal((await pd.ended).reason, 'shutdown');
});

t.test('admission: beyond maxStreams a publish is refused with ELIMIT; bad paths with EINVAL', async (t) => {
  const reg = new StreamRegistry({ store: new MemoryStore(), ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast', maxStreams: 1 });
  const a = ffmpegSource('live/one', { seconds: 30 });
  await reg.publish(a.source);
  const b = ffmpegSource('live/two', { seconds: 30 });
  await t.rejects(reg.publish(b.source), { name: 'StreamRefused', errorName: 'ELIMIT' });
  b.process.kill('SIGKILL');
  for (const bad of ['live', 'a/b/c', '../x', 'live/..', 'live/a b', '', 'api/streams']) {
    await t.rejects(reg.publish({ ...a.source, path: bad }), { errorName: 'EINVAL' }, `path ${JSON.stringify(bad)}`);
  }
  await reg.close();
  await t.rejects(reg.publish(a.source), { errorName: 'ECLOSED' }, 'refused after close');
  const bad = new StreamRegistry({ store: new MemoryStore(), latency: 'instant' });
  await t.rejects(bad.publish({ ...a.source, path: 'live/opt' }), TypeError, 'options the session refuses reject the publish');
  t.equal(bad.size, 0, 'and leave no stream behind');
  await bad.close();
});

t.test('isolation: a stream fed garbage fails alone; the other keeps producing segments', async (t) => {
  const store = new MemoryStore();
  const reg = new StreamRegistry({ store, ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast', reconnectGrace: 0 });
  const errors = [];
  reg.on('error', (path, e) => errors.push([path, e]));
  const good = ffmpegSource('live/good', { seconds: 5 });
  const pGood = await reg.publish(good.source);
  async function* garbage() {
    yield Buffer.from('FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00', 'binary');
    for (let i = 0; i < 64; i++) yield Buffer.alloc(4096, i * 37);
  }
  const pBad = await reg.publish({ path: 'live/bad', protocol: 'demo', input: garbage(), inputOptions: { format: 'flv' }, close() {} });
  const bad = await pBad.ended;
  t.ok(bad.reason === 'error' || bad.reason === 'ended', `the bad stream's session ended (${bad.reason})`);
  t.equal((await pGood.ended).reason, 'ended', 'the good stream ran to its end');
  const hls = await text(store, 'live/good/v240p/index.m3u8');
  t.ok(hls && (hls.match(/seg_\d+\.m4s/g) ?? []).length >= 3, 'the good stream has its segments');
  await reg.close();
  t.equal(stats().objects, 0);
});

endsWithZeroLive(t);

// The stream registry with real publishers (the ffmpeg CLI writing FLV, as an
// RTMP publisher would hand it over): streams start, continue across a
// reconnect inside the grace period, end after it, refuse a second publisher
// or let it take over, admit no more than maxStreams, and one stream's broken
// bitstream ends only that stream.
import t from 'tap';
import { spawn } from 'node:child_process';
import { StreamRegistry, StreamRefused, MemoryStore, RtmpServer, attachRtmp, stats } from 'ffnode';
import { publishWithFfmpeg } from './helpers/rtmp.mjs';
import fs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { ffprobe } from './helpers/media.mjs';

/** An IngestSource fed by `ffmpeg -re … -f flv pipe:1` (killable: a publisher that drops). */
function ffmpegSource(path, { seconds = 6, size = '320x240', rate = 25 } = {}) {
  const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', String(rate), '-c:a', 'aac', '-t', String(seconds), '-f', 'flv', 'pipe:1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  return {
    process: p,
    source: { path, protocol: 'demo', remoteAddress: null, input: p.stdout, inputOptions: { format: 'flv' }, close: () => p.kill('SIGKILL') },
  };
}

const once = (em, ev) => new Promise((r) => em.once(ev, (...a) => r(a)));
const text = async (store, key) => (await store.get(key))?.toString() ?? null;

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

t.test('RTMP takeover: with a registry attached, a second ffmpeg publisher takes the path over', async (t) => {
  const reg = new StreamRegistry({ store: new MemoryStore(), ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast', onConflict: 'takeover' });
  const rtmp = new RtmpServer();
  attachRtmp(rtmp, reg);
  const port = await rtmp.listen(0);
  const events = [];
  for (const e of ['publish', 'reconnect', 'unpublish']) reg.on(e, (path, info) => events.push([e, info?.reason ?? info?.protocol]));
  const first = publishWithFfmpeg(port, 'live/take', { seconds: 30 });
  await new Promise((resolve) => reg.once('publish', resolve));
  await new Promise((r) => setTimeout(r, 1500));
  const reconnected = new Promise((resolve) => reg.once('reconnect', resolve));
  const second = publishWithFfmpeg(port, 'live/take', { seconds: 2 });
  await reconnected;
  const a = await first.done;
  t.not(a.code, 0, 'the first publisher was disconnected');
  t.same(events.slice(0, 3), [['publish', 'rtmp'], ['unpublish', 'takeover'], ['reconnect', 'rtmp']], 'taken over, the stream continued');
  const b = await second.done;
  t.equal(b.code, 0, `the second publisher ran to its end (${b.stderr.trim()})`);
  await rtmp.close();
  await reg.close();
});

t.test('numbering marks only rise: a stream that numbered nothing does not reset them', async (t) => {
  const store = new MemoryStore();
  const reg = new StreamRegistry({ store, ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast', reconnectGrace: 0 });
  const ended = () => new Promise((resolve) => reg.once('end', resolve));
  let end = ended();
  await (await reg.publish(ffmpegSource('live/m', { seconds: 3 }).source)).ended;
  await end;
  async function* nothing() { yield Buffer.from('not media at all'); }
  end = ended();
  await (await reg.publish({ path: 'live/m', protocol: 'demo', input: nothing(), inputOptions: { format: 'flv' }, close() {} })).ended;
  await end;
  const c = ffmpegSource('live/m', { seconds: 30 });
  await reg.publish(c.source);
  await new Promise((resolve) => reg.once('segment', resolve));
  await new Promise((resolve) => reg.once('segment', resolve));
  const hls = await text(store, 'live/m/v240p/index.m3u8');
  const first = Number(/seg_(\d+)\.m4s/.exec(hls)?.[1]);
  t.ok(first >= 3, `the third stream numbers above the first's 3 segments (starts at ${first})`);
  await reg.close();
});

t.test('recording: each session copied to a playable file; the presentation finalised as VOD', async (t) => {
  const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'ffnode-rec-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = new MemoryStore();
  const reg = new StreamRegistry({ store, ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast', reconnectGrace: 4, record: { dir } });
  const recorded = [];
  reg.on('recorded', (path, r) => recorded.push(r));
  const a = ffmpegSource('live/rec', { seconds: 3 });
  await (await reg.publish(a.source)).ended;
  const b = ffmpegSource('live/rec', { seconds: 2 });
  await (await reg.publish(b.source)).ended;
  await once(reg, 'end');
  t.equal(recorded.length, 2, 'one recording per session');
  for (const r of recorded) {
    t.equal(r.error, null, `${nodePath.basename(r.file)} written without error`);
    t.equal(r.dropped, 0);
    const probe = ffprobe(r.file, ['-show_streams', '-show_format']);
    const v = probe.streams.find((s) => s.codec_type === 'video');
    t.equal(v?.codec_name, 'h264', 'the source video, copied');
    t.equal(probe.streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac', 'the source audio, copied');
    t.ok(Number(probe.format.duration) > 1.5, `recorded ${probe.format.duration} s`);
    t.ok(r.file.startsWith(nodePath.join(dir, 'live', 'rec')), 'under <dir>/<app>/<name>/');
  }
  const hls = await text(store, 'live/rec/v240p/index.m3u8');
  t.match(hls, /#EXT-X-PLAYLIST-TYPE:EVENT/, 'a recorded stream is an EVENT presentation');
  t.match(hls, /#EXT-X-ENDLIST/, 'finalised with ENDLIST after the grace');
  t.match(hls, /#EXT-X-DISCONTINUITY\n/, 'the reconnect is marked');
  t.match(await text(store, 'live/rec/manifest.mpd'), /type="static"/, 'the MPD became static');

  // the ended recording stays listed (for the API and the player page) until a new stream takes the path
  t.same(reg.list(), [], 'no live stream');
  const [rec] = reg.recordings();
  t.match(rec, { path: 'live/rec', state: 'ended', manifests: { hls: '/live/rec/master.m3u8', dash: '/live/rec/manifest.mpd' } });
  t.ok(rec.recording && rec.recording.startsWith(nodePath.join(dir, 'live', 'rec')), 'with its file');
  t.equal(reg.recordings().length, 1);
  const c = ffmpegSource('live/rec', { seconds: 1 });
  const pub = await reg.publish(c.source);
  t.same(reg.recordings(), [], 'a new stream on the path replaces the recorded one');
  await pub.ended;
  await reg.close();
});

endsWithZeroLive(t);

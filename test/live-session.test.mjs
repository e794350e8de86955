// LiveSession: a publisher connection → the ladder → an injected Presentation,
// continued across a reconnect; the one segment grid; the thread budget.
import t from 'tap';
import { spawn } from 'node:child_process';
import { LiveSession, Presentation, MemoryStore, Encoder, Segmenter, Frame, KeyframeGrid, ThreadBudget, resolveLadder, stats } from 'ffnode';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const lavfi = (size) => `testsrc2=size=${size}:rate=30,realtime[out0];sine=frequency=440:sample_rate=48000,arealtime[out1]`;

/** Runs a session until `frames` source frames are through, then stop()s it. */
async function runFor(input, opts, frames) {
  const session = LiveSession.start(input, { inputOptions: { format: 'lavfi' }, progressInterval: 100, ...opts });
  const segments = [];
  let started = null;
  session.on('segment', (s) => segments.push(s));
  session.on('started', (s) => (started = s));
  session.on('progress', (p) => {
    if (p.frames >= frames) session.stop('enough');
  });
  const result = await session.done;
  return { session, result, segments, started };
}

t.test('two sessions into one Presentation: the reconnect continues numbering, media time and rungs', async (t) => {
  const store = new MemoryStore();
  const presentation = new Presentation({ store, mode: 'live', segmentFormat: 'cmaf', segmentDuration: 1, windowSize: 30 });
  const a = await runFor(lavfi('640x360'), { presentation, segmentDuration: 1, ladder: ['360p'] }, 105);
  t.equal(a.result.reason, 'stopped', `first session stopped (${a.result.error ?? ''})`);
  t.same(a.started.variants.map((v) => v.id), ['v360p']);
  t.same([a.started.source.width, a.started.source.height], [640, 360]);
  t.equal(a.result.startupDropped, 0, 'no frame dropped at startup');
  // The suite runs four files at once on two cores, so this run is not idle and
  // the overload policy may shed frames (a busy run shed 11 of 107). What holds
  // under any load: the shed frames are the ones reported, and most are encoded.
  const video = a.result.renditions.find((r) => r.id === 'v360p');
  t.equal(a.result.stats.dropped.v360p, video.dropped, `the drops reported are the drops counted (${video.dropped})`);
  t.ok(video.frames >= 0.75 * (video.frames + video.dropped), `most frames encoded under the suite's load (${video.frames} encoded, ${video.dropped} shed)`);
  t.equal(a.result.renditions.find((r) => r.id === 'a128k').dropped, 0, 'audio is never shed');
  const lat = a.result.stats.latency.v360p;
  t.ok(lat.samples > 50, `${lat.samples} latency samples`);
  t.ok(lat.p95 < 100, `360p encode latency at 'low': p50 ${lat.p50.toFixed(1)} ms, p95 ${lat.p95.toFixed(1)} ms < 100 ms`);
  t.ok(a.segments.length >= 4, `${a.segments.length} segments`);
  t.ok(a.segments.every((s) => s.programDateTime instanceof Date), 'every segment has a programDateTime');
  const cont = a.result.continuation;
  t.ok(cont.mediaEnd >= 3, `mediaEnd ${cont.mediaEnd}`);
  t.same(Object.keys(cont.sequences).sort(), ['a128k', 'v360p']);
  t.equal(stats().objects, 0, 'nothing native alive after stop()');

  // The publisher reconnects at another size: same rungs, continued numbering.
  const b = await runFor(lavfi('320x240'), { presentation, segmentDuration: 1, previous: cont }, 75);
  t.equal(b.result.reason, 'stopped', `second session stopped (${b.result.error ?? ''})`);
  t.same(b.started.variants.map((v) => [v.id, v.width, v.height]), [['v360p', 640, 360]], 'same rung, same size, from a 320x240 source');
  for (const id of ['v360p', 'a128k']) {
    const mine = b.segments.filter((s) => s.rendition === id);
    t.ok(mine.length > 0, `${id}: segments from the second session`);
    t.equal(mine[0].sequence, cont.sequences[id], `${id}: numbering continues at ${cont.sequences[id]}`);
    t.ok(mine[0].start >= cont.mediaEnd - 1e-6, `${id}: media time continues (${mine[0].start} >= ${cont.mediaEnd})`);
  }
  const playlist = (await store.get('v360p/index.m3u8')).toString();
  t.equal(playlist.match(/#EXT-X-DISCONTINUITY\n/g)?.length, 1, 'one EXT-X-DISCONTINUITY, at the reconnect');
  t.match(playlist, /#EXT-X-PROGRAM-DATE-TIME:/);
  const before = playlist.split('#EXT-X-DISCONTINUITY\n')[1];
  t.match(before, new RegExp(`^(#[^\\n]*\\n)*#EXTINF:[^\\n]*\\n(seg_)?${cont.sequences.v360p}\\b`), 'the discontinuity is on the second session\'s first segment');
  const pdt = b.segments.map((s) => s.programDateTime.getTime());
  t.ok(pdt[0] >= a.segments.at(-1).programDateTime.getTime(), 'wall clock moves on');
  t.equal(b.result.continuation.sequences.v360p, cont.sequences.v360p + b.segments.filter((s) => s.rendition === 'v360p').length);
  t.equal(stats().objects, 0, 'nothing native alive');
  await presentation.close();
});

t.test('an FLV byte stream from the ffmpeg CLI: onPacket sees every packet, the input ends the session', async (t) => {
  const ff = spawn('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=3',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-c:a', 'aac', '-f', 'flv', 'pipe:1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const presentation = new Presentation({ store: new MemoryStore(), mode: 'event', segmentFormat: 'cmaf', segmentDuration: 1 });
  let packets = 0;
  const session = LiveSession.start(ff.stdout, { presentation, inputOptions: { format: 'flv' }, segmentDuration: 1, ladder: ['240p', { passthrough: true }], onPacket: () => void packets++ });
  const warnings = [];
  session.on('warning', (w) => warnings.push(w));
  const r = await session.done;
  ff.kill();
  t.equal(r.reason, 'ended', `the input's end ends the session (${r.error ?? ''})`);
  t.ok(warnings.some((w) => /passthrough rung dropped.*stream input cannot be scanned ahead/.test(w)), 'the source rung is dropped, saying why');
  t.ok(packets > 100, `${packets} packets seen by onPacket`);
  t.ok(r.frames >= 70, `${r.frames} frames`);
  t.same(r.renditions.map((c) => c.dropped), [0, 0]);
  t.ok(r.continuation.mediaEnd > 2.5, `mediaEnd ${r.continuation.mediaEnd}`);
  t.notOk(presentation.ended, 'the session never ends the Presentation');
  await presentation.close();
  t.equal(stats().objects, 0);
});

t.test('overload: the largest rung drops first, reported and bounded', async (t) => {
  const presentation = new Presentation({ store: new MemoryStore(), mode: 'live', segmentFormat: 'cmaf', segmentDuration: 1 });
  const session = LiveSession.start('testsrc2=size=1280x720:rate=30,realtime', {
    presentation, inputOptions: { format: 'lavfi' }, segmentDuration: 1, audio: false, preset: 'slow', latency: 'normal', queueSize: 2,
    ladder: ['720p', '360p'], threadBudget: new ThreadBudget(1), progressInterval: 100,
  });
  const events = [];
  session.on('dropped', async (d) => events.push(d));
  session.on('progress', (p) => {
    if (p.frames >= 180) session.stop();
  });
  const r = await session.done;
  t.equal(r.reason, 'stopped');
  t.equal(r.startupDropped, 0);
  const [big, small] = r.renditions;
  t.ok(big.dropped > 0, `v720p dropped ${big.dropped}`);
  t.ok(big.dropped >= small.dropped, `the largest rung dropped most (v720p ${big.dropped}, v360p ${small.dropped})`);
  t.ok(events.length >= 1 && events.length <= 8, `${events.length} throttled 'dropped' events`);
  t.ok(Object.values(r.stats.queued).every((n) => n <= 2), 'queues stayed bounded');
  await presentation.close();
  t.equal(stats().objects, 0);
});

t.test('stop() before any frame, an input without video and bad options', async (t) => {
  const presentation = new Presentation({ store: new MemoryStore(), mode: 'live', segmentFormat: 'cmaf', segmentDuration: 2 });
  const s = LiveSession.start(lavfi('320x240'), { presentation, inputOptions: { format: 'lavfi' } });
  s.stop();
  const r = await s.done;
  t.equal(r.reason, 'stopped');
  const bad = await LiveSession.start('sine=frequency=440:duration=1', { presentation, inputOptions: { format: 'lavfi' } }).done;
  t.equal(bad.reason, 'error');
  t.match(String(bad.error), /no video stream/);
  t.throws(() => LiveSession.start('x', { presentation: new Presentation({ store: new MemoryStore(), mode: 'vod', segmentFormat: 'cmaf', segmentDuration: 2 }) }), TypeError);
  t.throws(() => LiveSession.start('x', { presentation, segmentDuration: 20 }), RangeError);
  t.equal(stats().objects, 0);
  await presentation.close();
});

t.test('one grid: a keyframe half a frame minus 1 ms early opens its segment', async (t) => {
  const grid = new KeyframeGrid(2, 30);
  t.equal(grid.tolerance, 1 / 60);
  const early = 2 - (grid.tolerance - 0.001); // 1.98433 s
  t.ok(grid.isKey(0));
  t.ok(grid.isKey(early), 'KeyframeGrid requests an IDR there');
  const cut = async (gridTolerance, parameters) => {
    const enc = await Encoder.open({ codec: 'libx264', width: 64, height: 64, frameRate: [30, 1], timeBase: [1, 30000], preset: 'ultrafast', gop: 1000, sceneCut: false, bFrames: 0 });
    const seg = await Segmenter.open({ format: 'cmaf', segmentDuration: 2, streams: [{ parameters: parameters ?? enc.parameters, timeBase: enc.timeBase }], ...(gridTolerance === undefined ? {} : { gridTolerance }) });
    const out = [];
    for (let i = 0; i < 90; i++) {
      const pts = i === 60 ? Math.round(early * 30000) : i * 1000;
      const f = Frame.video({ width: 64, height: 64, pts, timeBase: [1, 30000] });
      if (i === 60) f.keyFrame = true;
      const pk = await enc.encode(f);
      f.free();
      out.push(...(await seg.write(pk)));
      for (const p of pk) p.free();
    }
    const tail = await enc.encode(null);
    out.push(...(await seg.write(tail)), ...(await seg.finish()));
    for (const p of tail) p.free();
    await enc.close();
    await seg.close();
    return out.map((s) => +s.duration.toFixed(3));
  };
  t.same((await cut(grid.tolerance)).slice(0, 1), [1.984], 'Segmenter with the grid tolerance cuts at the early IDR');
  const enc = await Encoder.open({ codec: 'libx264', width: 64, height: 64, frameRate: [30, 1], preset: 'ultrafast' });
  const withRate = { ...enc.parameters, frameRate: [30, 1] };
  await enc.close();
  t.same((await cut(undefined, withRate)).slice(0, 1), [1.984], 'default tolerance: half a frame of the stream\'s frameRate');
  t.same((await cut(0)).length, 1, 'with no tolerance the early IDR opens nothing (one segment)');
});

t.test('thread budget: concurrent streams share the cores', async (t) => {
  const ladder = resolveLadder({ width: 640, height: 360, frameRate: 30 }, ['360p', '240p']);
  const budget = new ThreadBudget(2);
  const a = budget.acquire(ladder);
  t.equal(a.share, 2, 'alone: the whole machine');
  const b = budget.acquire(ladder);
  const c = budget.acquire(ladder);
  t.same([...b.threads.values()], [1, 1], 'second stream: 1 thread per rung');
  t.same([...c.threads.values()], [1, 1], 'third stream: 1 thread per rung');
  t.equal(budget.active, 3);
  a.release();
  a.release();
  b.release();
  c.release();
  t.equal(budget.active, 0);
  t.equal(budget.inUse, 0);
  t.equal(budget.acquire(ladder).share, 2, 'released threads come back');
  t.throws(() => new ThreadBudget(0), RangeError);
});

endsWithZeroLive(t);

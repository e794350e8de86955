// One live stream across publisher reconnects: continuing numbering,
// discontinuities, init versions (EXT-X-MAP, DASH Periods), program date
// times, a fixed target duration, UTCTiming, MPD rewrites, remove(), and
// PrefixStore namespaces. Every manifest is parsed with m3u8-parser /
// mpd-parser; the store checks at every write and delete that no manifest
// names a missing key.
import t from 'tap';
import { Presentation, MemoryStore, PrefixStore, buildSegmentTimeline, renderMpd } from 'ffnode';
import { CheckingStore, missingReferences, parseM3u8, parseDash, fakeTimers, segment, VIDEO, AUDIO } from './delivery-helpers.mjs';

const RENDITIONS = [...VIDEO, AUDIO];
const text = async (store, key) => (await store.get(key))?.toString();
const INIT = (r, v = 'a') => Buffer.from(`init ${r.id} ${v}`);

// A store that counts puts per key and keeps every text put of the MPD.
class CountingStore extends CheckingStore {
  puts = new Map();
  mpds = [];
  async put(key, data) {
    this.puts.set(key, (this.puts.get(key) ?? 0) + 1);
    if (key.endsWith('manifest.mpd')) this.mpds.push(data.toString());
    await super.put(key, data);
  }
}

async function ladder(opts) {
  const p = new Presentation({ segmentFormat: 'cmaf', ...opts });
  for (const r of RENDITIONS) p.addRendition(r);
  for (const r of RENDITIONS) await p.setInit(r.id, INIT(r));
  return p;
}

// One publisher session: `n` segments per rendition from p.nextSequence(),
// media time continuing at `start`, the first one marked as a discontinuity
// when `join`. `shape(i, r)` may change a segment. Returns the media end.
async function session(t, p, store, { n, start, duration = 1, join = false, shape = () => ({}), each }) {
  const from = Object.fromEntries(RENDITIONS.map((r) => [r.id, p.nextSequence(r.id)]));
  for (let i = 0; i < n; i++) {
    for (const r of RENDITIONS) {
      const seq = from[r.id] + i;
      await p.addSegment(r.id, segment(seq, { start: start + i * duration, duration, bitrate: r.bitrate, discontinuity: join && i === 0, ...shape(i, r) }));
    }
    t.same(await missingReferences(store), [], `session segment ${i}: every named key is stored`);
    await each?.(i);
  }
  return start + n * duration;
}

t.test('numbering: firstSequence, nextSequence, consecutive', async (t) => {
  const store = new MemoryStore();
  const p = await ladder({ store, mode: 'live', segmentDuration: 2, firstSequence: 100 });
  for (const r of RENDITIONS) t.equal(p.nextSequence(r.id), 100, `${r.id} starts at firstSequence`);
  await t.rejects(p.addSegment('v360p', segment(101)), /expected segment 100, got 101/);
  await p.addSegment('v360p', segment(100, { bitrate: VIDEO[0].bitrate }));
  t.equal(p.nextSequence('v360p'), 101);
  t.equal(p.nextSequence('v720p'), 100, 'per rendition');
  t.throws(() => p.nextSequence('nope'), RangeError);
  await p.close();
});

t.test('two sessions, one live stream: discontinuity, sequences, PDT, a constant target duration', async (t) => {
  const clock = fakeTimers();
  t.teardown(() => clock.restore());
  const warnings = [];
  const store = new CountingStore();
  const p = await ladder({ store, mode: 'live', segmentDuration: 1, windowSize: 4, onWarning: (w) => warnings.push(w) });
  const checkAll = async () => {
    for (const r of RENDITIONS) {
      const raw = await text(store, `${r.id}/index.m3u8`);
      const m = parseM3u8(raw);
      t.equal(m.targetDuration, 1, 'EXT-X-TARGETDURATION never changes');
      t.ok(m.segments.every((s) => typeof s.dateTimeString === 'string' && /\.\d{3}Z$/.test(s.dateTimeString)), 'PDT (ms, Z) on every segment');
      const seqs = m.segments.map((s) => Number(/seg_(\d+)/.exec(s.uri)[1]));
      t.same(seqs, seqs.map((_, i) => m.mediaSequence + i), 'media sequence = first listed, consecutive');
      const joinListed = seqs.includes(15);
      t.equal(m.discontinuitySequence, !joinListed && seqs[0] > 15 ? 1 : 0, 'the discontinuity sequence counts the join once it slid out');
      t.same(m.segments.map((s, i) => !!s.discontinuity), seqs.map((q) => q === 15), 'EXT-X-DISCONTINUITY exactly at the join');
      if (!raw.includes('#EXT-X-DISCONTINUITY-SEQUENCE:')) t.fail('a live window always says its discontinuity sequence');
    }
  };
  // Session 1: 15 one-second segments, one of them 1.8 s long (rounds to 2 > target 1).
  const long = (i) => (i === 7 ? { duration: 1.8 } : {});
  let end = 0;
  const shape1 = (i, r) => ({ start: i < 8 ? i : i + 0.8, ...long(i) });
  end = await session(t, p, store, { n: 15, start: 0, shape: shape1, each: checkAll });
  end = 15.8;
  t.equal(p.nextSequence('v720p'), 15);
  // Session 2 continues the media time; video joins with a 40 ms gap, audio with a 30 ms overlap.
  const join = (i, r) => (i === 0 ? (r.type === 'video' ? { start: end + 0.04, duration: 0.96 } : { start: end - 0.03, duration: 1.03 }) : {});
  await session(t, p, store, { n: 20, start: end, join: true, shape: join, each: checkAll });
  const last = parseM3u8(await text(store, 'v720p/index.m3u8'));
  t.equal(last.discontinuitySequence, 1, 'the join slid out: counted');
  t.equal(last.mediaSequence, 31, 'media sequence continued across the sessions');
  t.ok(store.puts.get('v720p/index.m3u8') >= 30, `${store.puts.get('v720p/index.m3u8')} playlist updates`);
  t.equal(warnings.length, 3, 'one warning per rendition for the long segment');
  t.match(warnings[0], /seg_7\.m4s lasts 1\.800 s, above EXT-X-TARGETDURATION 1/);

  // DASH: one Period, media time continued; the gap is an explicit S@t, the overlap shortened.
  for (const mpd of store.mpds) t.equal(mpd.match(/<Period /g).length, 1, 'a discontinuity with the same init keeps one Period');
  const joined = store.mpds.find((m) => /seg_\$Number\$/.test(m) && /startNumber="1[2-5]"/.test(m));
  t.ok(joined, 'an MPD listing the join');
  // A timeline at the join, from the pure function the MPD uses.
  const v = buildSegmentTimeline([{ sequence: 14, start: 14.8, duration: 1 }, { sequence: 15, start: 15.84, duration: 0.96 }, { sequence: 16, start: 16.8, duration: 1 }], 90000);
  t.same(v, [{ t: 1332000, d: 90000, r: 0 }, { t: 1425600, d: 86400, r: 0 }, { t: 1512000, d: 90000, r: 0 }], 'video: after the gap the timeline restarts at the real time');
  const a = buildSegmentTimeline([{ sequence: 14, start: 14.8, duration: 1 }, { sequence: 15, start: 15.77, duration: 1.03 }, { sequence: 16, start: 16.8, duration: 1 }], 48000);
  t.same(a, [{ t: 710400, d: 48000, r: 2 }], 'audio: the overlap is cut from the joining segment (1.03 → 1 s), its end stays: the grid continues');
  const atJoin = store.mpds.filter((m) => /<S t="\d+" d="86400"\/>/.test(m));
  t.ok(atJoin.length > 0, 'the gap before the joining video segment is an explicit S@t');
  for (const m of store.mpds) {
    const parsed = parseDash(m);
    for (const pl of parsed.playlists) {
      const segs = pl.segments;
      for (let i = 1; i < segs.length; i++) t.ok(segs[i].presentationTime >= segs[i - 1].presentationTime + segs[i - 1].duration - 0.003, 'DASH times never go back');
    }
  }
  // availabilityStartTime is fixed for the stream's life.
  const asts = new Set(store.mpds.map((m) => /availabilityStartTime="([^"]+)"/.exec(m)[1]));
  t.equal(asts.size, 1, 'availabilityStartTime never changes, across the reconnect too');
  t.same(store.violations, [], 'no delete removed a key a manifest named');
  await p.close();
});

t.test('PDT: derived when not given, kept when given', async (t) => {
  const realNow = Date.now;
  t.teardown(() => { Date.now = realNow; });
  let wall = Date.parse('2024-05-01T10:00:10Z');
  Date.now = () => wall;
  const store = new MemoryStore();
  const p = new Presentation({ store, mode: 'event', segmentFormat: 'cmaf', segmentDuration: 2, dash: false });
  p.addRendition(AUDIO);
  await p.setInit(AUDIO.id, INIT(AUDIO));
  await p.addSegment(AUDIO.id, segment(0, { duration: 2.0005 }));
  wall += 5000; // derived PDTs follow the media, not the wall clock
  await p.addSegment(AUDIO.id, segment(1));
  await p.addSegment(AUDIO.id, segment(2, { programDateTime: new Date('2024-05-01T11:00:00.123Z') }));
  await p.addSegment(AUDIO.id, segment(3, { discontinuity: true }));
  const m = parseM3u8(await text(store, 'a128k/index.m3u8'));
  t.same(m.segments.map((s) => s.dateTimeString), [
    '2024-05-01T10:00:08.000Z', // stored at 10:00:10.000 minus its 2.0005 s, to the ms
    '2024-05-01T10:00:10.001Z', // previous + its duration
    '2024-05-01T11:00:00.123Z', // given: kept
    '2024-05-01T11:00:02.123Z', // continues from the given one
  ]);
  await p.close();
});

t.test('target duration: the option, the longest before the first publish, warnings bounded', async (t) => {
  const store = new MemoryStore();
  const warnings = [];
  const p = new Presentation({ store, mode: 'live', segmentFormat: 'ts', segmentDuration: 2, targetDuration: 3, windowSize: 30, onWarning: (w) => warnings.push(w) });
  p.addRendition(AUDIO);
  for (let i = 0; i < 14; i++) await p.addSegment(AUDIO.id, segment(i, { duration: i === 0 ? 2 : 4 }));
  const m = parseM3u8(await text(store, 'a128k/index.m3u8'));
  t.equal(m.targetDuration, 3, 'the option, kept');
  t.equal(warnings.length, 10, 'at most 10 warnings');

  const qstore = new MemoryStore();
  const q = new Presentation({ store: qstore, mode: 'event', segmentFormat: 'ts', segmentDuration: 2 });
  q.addRendition({ ...AUDIO, id: 'b' });
  q.addRendition({ ...AUDIO, id: 'c' });
  await q.addSegment('b', segment(0, { duration: 3.6 })); // b's playlist is published: its target is fixed now
  await q.addSegment('c', segment(0, { duration: 2 }));
  await q.addSegment('b', segment(1, { duration: 1 }));
  await q.end();
  for (const id of ['b', 'c']) t.equal(parseM3u8(await text(qstore, `${id}/index.m3u8`)).targetDuration, 4, `${id}: the longest segment at the first publish (3.6 → 4), for every playlist`);
  await q.close();
  await p.close();
});

// A live ladder on a checking store, with fake timers for the deletions.
async function liveLadder(t, store, windowSize) {
  const clock = fakeTimers();
  t.teardown(() => clock.restore());
  return { clock, p: await ladder({ store, mode: 'live', segmentDuration: 2, windowSize }) };
}

t.test('init change: new EXT-X-MAP, new DASH Period, old init deleted once unnamed', async (t) => {
  const store = new CountingStore();
  const { clock, p } = await liveLadder(t, store, 4);
  let end = await session(t, p, store, { n: 6, start: 0, duration: 2 });
  t.equal(end, 12);
  // Reconnect at another resolution: video inits change, audio's stays the same.
  const mpdPuts = store.puts.get('manifest.mpd');
  for (const r of RENDITIONS) await p.setInit(r.id, INIT(r, r.type === 'video' ? 'b' : 'a'));
  t.equal(store.puts.get('manifest.mpd'), mpdPuts, 'a new init alone changes no manifest');
  t.ok(await store.get('v720p/init_1.mp4'), 'stored as a new version');
  t.equal(await store.get('a128k/init_1.mp4'), null, 'same bytes: nothing');
  await p.addSegment('v360p', segment(6, { start: 12, bitrate: VIDEO[0].bitrate, discontinuity: true }));
  await p.addSegment('v720p', segment(6, { start: 12, bitrate: VIDEO[1].bitrate })); // discontinuity implied by the new init
  await p.addSegment('a128k', segment(6, { start: 11.98, bitrate: AUDIO.bitrate, discontinuity: true }));
  end = await session(t, p, store, { n: 1, start: 14, duration: 2 });

  const raw = await text(store, 'v720p/index.m3u8');
  t.match(raw, /#EXT-X-MAP:URI="init.mp4"\n/);
  t.match(raw, /#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init_1.mp4"\n#EXT-X-PROGRAM-DATE-TIME:[^\n]+\n#EXTINF:2.000,\nseg_6.m4s/, 'a new MAP before the first segment using it, with a discontinuity');
  const m = parseM3u8(raw);
  t.same(m.segments.map((s) => s.map.uri), ['init.mp4', 'init.mp4', 'init_1.mp4', 'init_1.mp4']);
  const audio = await text(store, 'a128k/index.m3u8');
  t.equal(audio.match(/#EXT-X-MAP/g).length, 1, 'audio keeps its init: no new MAP');

  const mpdText = await text(store, 'manifest.mpd');
  t.equal(mpdText.match(/<Period /g).length, 2);
  t.match(mpdText, /<Period id="0" start="PT0S">/);
  t.match(mpdText, /<Period id="1" start="PT12S">/);
  const period1 = mpdText.slice(mpdText.indexOf('<Period id="1"'));
  t.match(period1, /initialization="v720p\/init_1.mp4"[^>]*startNumber="6"/);
  t.match(period1, /initialization="a128k\/init.mp4"/);
  t.match(period1, /timescale="90000" presentationTimeOffset="1080000"/, 'PTO = the Period start in media time');
  const mpd = parseDash(mpdText);
  const hi = mpd.playlists.find((x) => x.attributes.NAME === 'v720p');
  t.same(hi.segments.map((s) => s.uri), ['v720p/seg_4.m4s', 'v720p/seg_5.m4s', 'v720p/seg_6.m4s', 'v720p/seg_7.m4s']);
  t.same(hi.segments.map((s) => s.presentationTime), [8, 10, 12, 14]);
  t.same(hi.segments.map((s) => s.map.resolvedUri.replace(/^.*\/(v720p\/)/, '$1')), ['v720p/init.mp4', 'v720p/init.mp4', 'v720p/init_1.mp4', 'v720p/init_1.mp4']);
  t.ok(hi.segments[2].discontinuity, 'mpd-parser sees the Period boundary');

  // Period 0 slides out of every window: dropped from the MPD; the old video inits get deleted after their grace.
  end = await session(t, p, store, { n: 3, start: 16, duration: 2 });
  const later = await text(store, 'manifest.mpd');
  t.equal(later.match(/<Period /g).length, 1, 'a Period whose segments all slid out is dropped');
  t.match(later, /<Period id="1" start="PT12S">/, 'Period id and start never change');
  t.ok(await store.get('v720p/init.mp4'), 'still stored during the grace');
  await clock.fire();
  t.equal(await store.get('v720p/init.mp4'), null, 'the old video init is deleted once no manifest names it');
  t.ok(await store.get('a128k/init.mp4'), 'audio still uses init.mp4');
  t.ok(await store.get('v720p/init_1.mp4'));
  t.same(store.violations, [], 'nothing deleted while named');
  await p.close();
});

t.test('init versions: an unused version is replaced in place, a repeated init changes nothing', async (t) => {
  const store = new CheckingStore();
  const { clock, p } = await liveLadder(t, store, 4);
  await session(t, p, store, { n: 2, start: 0, duration: 2 });
  await p.setInit('v360p', INIT(VIDEO[0], 'b'));
  await p.setInit('v360p', INIT(VIDEO[0], 'b')); // same bytes again
  await p.setInit('v360p', INIT(VIDEO[0], 'c')); // a session that never produced a segment with 'b'
  t.equal((await store.get('v360p/init_1.mp4')).toString(), 'init v360p c', 'never named: replaced in place');
  await session(t, p, store, { n: 1, start: 4, duration: 2, join: true });
  t.match(await text(store, 'v360p/index.m3u8'), /#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init_1.mp4"/);
  t.same(await store.list('v360p/init'), ['v360p/init.mp4', 'v360p/init_1.mp4']);
  t.equal(clock.timers.length, 0, 'nothing to delete');
  t.same(store.violations, []);
  await p.close();
});

t.test('firstSequence: numbers and init names continue above an old presentation on the same path', async (t) => {
  const store = new CheckingStore();
  const old = await ladder({ store, mode: 'live', segmentDuration: 2, windowSize: 3, deleteGrace: 60 });
  await session(t, old, store, { n: 3, start: 0, duration: 2 });
  for (const r of VIDEO) await old.setInit(r.id, INIT(r, 'b'));
  await session(t, old, store, { n: 2, start: 6, duration: 2, join: true });
  await old.setInit('v720p', INIT(VIDEO[1], 'x')); // a last session that died before its first segment
  t.ok(await store.get('v720p/init_2.mp4'));
  await old.remove();
  t.equal(await store.get('v720p/init_2.mp4'), null, 'a never-named init version is gone when remove() resolves');
  const high = Math.max(...RENDITIONS.map((r) => old.nextSequence(r.id)));
  t.equal(high, 5);
  const p = await ladder({ store, mode: 'live', segmentDuration: 2, windowSize: 3, firstSequence: high });
  await session(t, p, store, { n: 2, start: 0, duration: 2 });
  for (const r of VIDEO) await p.setInit(r.id, INIT(r, 'c'));
  await session(t, p, store, { n: 1, start: 4, duration: 2, join: true });
  const m = parseM3u8(await text(store, 'v720p/index.m3u8'));
  t.same(m.segments.map((s) => [s.uri, s.map.uri]), [['seg_5.m4s', 'init_5.mp4'], ['seg_6.m4s', 'init_5.mp4'], ['seg_7.m4s', 'init_6.mp4']]);
  const oldKeys = new Set(['v720p/init.mp4', 'v720p/init_1.mp4', ...[0, 1, 2, 3, 4].map((i) => `v720p/seg_${i}.m4s`)]);
  t.ok(referencedKeysOf(await text(store, 'v720p/index.m3u8')).every((k) => !oldKeys.has(`v720p/${k}`)), 'the new presentation names no key the old one will delete');
  await old.close();
  await p.close();
});

const referencedKeysOf = (playlist) => parseM3u8(playlist).segments.flatMap((s) => [s.uri, s.map.uri]);

t.test('event after reconnects: end() writes consistent final manifests', async (t) => {
  const store = new CountingStore();
  const p = await ladder({ store, mode: 'event', segmentDuration: 2 });
  await session(t, p, store, { n: 3, start: 0, duration: 2 });
  await session(t, p, store, { n: 2, start: 6, duration: 2, join: true });
  for (const r of VIDEO) await p.setInit(r.id, INIT(r, 'c'));
  // The first segment of the new Period: HLS names it at once; the MPD waits for every rendition to join the Period.
  const puts = store.puts.get('manifest.mpd');
  const mpdBefore = await text(store, 'manifest.mpd');
  await p.addSegment('v360p', segment(5, { start: 10, bitrate: VIDEO[0].bitrate, discontinuity: true }));
  t.equal(store.puts.get('manifest.mpd'), puts, 'MPD content unchanged: not rewritten (only publishTime would differ)');
  t.equal(await text(store, 'manifest.mpd'), mpdBefore);
  await p.addSegment('v720p', segment(5, { start: 10, bitrate: VIDEO[1].bitrate, discontinuity: true }));
  await p.addSegment('a128k', segment(5, { start: 10, bitrate: AUDIO.bitrate, discontinuity: true }));
  t.equal(store.puts.get('manifest.mpd'), puts + 1, 'rewritten once the whole ladder is in the new Period');
  await session(t, p, store, { n: 1, start: 12, duration: 2 });
  await p.end();
  const mpdText = await text(store, 'manifest.mpd');
  t.equal(mpdText.match(/<Period /g).length, 2, 'one Period per init version, the same-init reconnect continues Period 0');
  t.match(mpdText, /<Period id="1" start="PT10S">/);
  t.match(mpdText, /mediaPresentationDuration="PT14S"/);
  t.notMatch(mpdText, /minimumUpdatePeriod/);
  const mpd = parseDash(mpdText);
  for (const pl of mpd.playlists) t.same(pl.segments.map((s) => Number(/seg_(\d+)/.exec(s.uri)[1])), [0, 1, 2, 3, 4, 5, 6]);
  const m = parseM3u8(await text(store, 'v360p/index.m3u8'));
  t.ok(m.endList);
  t.same(m.segments.map((s) => !!s.discontinuity), [false, false, false, true, false, true, false]);
  t.same(m.segments.map((s) => s.map.uri), ['init.mp4', 'init.mp4', 'init.mp4', 'init.mp4', 'init.mp4', 'init_1.mp4', 'init_1.mp4']);
  t.same(store.violations, []);
});

t.test('dynamic MPD: UTCTiming, rewritten only when its content changes', async (t) => {
  const store = new CountingStore();
  const p = await ladder({ store, mode: 'live', segmentDuration: 2, dash: true });
  await session(t, p, store, { n: 2, start: 0, duration: 2 });
  const mpdText = await text(store, 'manifest.mpd');
  const utc = /<UTCTiming schemeIdUri="urn:mpeg:dash:utc:direct:2014" value="([^"]+)"\/>\n<\/MPD>/.exec(mpdText);
  t.ok(utc, 'direct UTCTiming by default, after the Periods');
  t.ok(Math.abs(Date.parse(utc[1]) - Date.now()) < 60_000, 'its value is the current time');
  const puts = store.puts.get('manifest.mpd');
  for (const r of RENDITIONS) await p.setInit(r.id, INIT(r)); // same bytes: nothing at all
  t.equal(store.puts.get('manifest.mpd'), puts);
  await p.close();

  const other = new CountingStore();
  const q = await ladder({ store: other, mode: 'live', segmentDuration: 2, utcTiming: { schemeIdUri: 'urn:mpeg:dash:utc:http-iso:2014', value: 'https://example.com/api/time' } });
  await session(t, q, other, { n: 1, start: 0, duration: 2 });
  t.match(await text(other, 'manifest.mpd'), /<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="https:\/\/example.com\/api\/time"\/>/);
  await q.close();
});

t.test('remove(): manifests first, then every segment and init after its grace, none while named', async (t) => {
  const store = new CheckingStore();
  const { clock, p } = await liveLadder(t, store, 3);
  await session(t, p, store, { n: 6, start: 0, duration: 2 });
  for (const r of VIDEO) await p.setInit(r.id, INIT(r, 'b'));
  await session(t, p, store, { n: 2, start: 12, duration: 2, join: true });
  t.equal(p.removeDone, null);
  await p.remove();
  const left = await store.list();
  t.same(left.filter((k) => /\.(m3u8|mpd)$/.test(k)), [], 'no manifest left once remove() resolves');
  t.ok(left.some((k) => k.endsWith('.m4s')), 'segments a player may still fetch stay for their grace');
  await t.rejects(p.addSegment('v360p', segment(8)), /removed/);
  await t.rejects(p.end(), /removed/);
  await p.close(); // cancels none of remove()'s deletions
  t.ok(clock.timers.filter((x) => !x.cleared).length > 0);
  t.ok(clock.timers.every((x) => x.unrefd));
  const done = p.removeDone;
  await clock.fire();
  await done;
  t.same(await store.list(), [], 'everything it stored is deleted');
  t.same(store.violations, []);
});

t.test('remove() with a real grace; removeDone waits for the deletions', async (t) => {
  const store = new MemoryStore();
  const p = await ladder({ store, mode: 'live', segmentDuration: 2, windowSize: 2, deleteGrace: 0.05 });
  await session(t, p, store, { n: 4, start: 0, duration: 2 });
  await p.remove();
  await p.remove(); // idempotent
  t.ok((await store.list()).length > 0);
  // The deletion timers are unref'd (they never keep a process alive): keep this one alive while waiting.
  const alive = setInterval(() => {}, 1000);
  await p.removeDone;
  clearInterval(alive);
  t.same(await store.list(), []);
  await p.close();
});

t.test('PrefixStore: one namespace of a shared store', async (t) => {
  const shared = new MemoryStore();
  const cam1 = new PrefixStore(shared, 'live/cam1');
  const cam2 = new PrefixStore(shared, 'live/cam2');
  await cam1.put('v720p/seg_0.m4s', 'a');
  await cam2.put('v720p/seg_0.m4s', 'b');
  await cam1.put('master.m3u8', '#EXTM3U\n');
  t.same(await shared.list(), ['live/cam1/master.m3u8', 'live/cam1/v720p/seg_0.m4s', 'live/cam2/v720p/seg_0.m4s']);
  t.same(await cam1.list(), ['master.m3u8', 'v720p/seg_0.m4s'], 'keys relative to the namespace');
  t.same(await cam1.list('v720p/'), ['v720p/seg_0.m4s']);
  t.equal((await cam2.get('v720p/seg_0.m4s')).toString(), 'b');
  t.equal(cam1.keyOf('x/y'), 'live/cam1/x/y');
  await cam1.delete('v720p/seg_0.m4s');
  t.same(await shared.list('live/cam1/'), ['live/cam1/master.m3u8']);
  // A namespace that is a prefix of another's name does not see it.
  const cam = new PrefixStore(shared, 'live/cam');
  t.same(await cam.list(), []);
  for (const key of ['../cam2/v720p/seg_0.m4s', '/etc/passwd', 'a//b', './x', 'a/../../b', '', 'a\\b', 'C:x'])
    await t.rejects(cam1.get(key), RangeError, `key ${JSON.stringify(key)} cannot escape`);
  await t.rejects(cam1.put('../cam2/master.m3u8', 'x'), RangeError);
  await t.rejects(cam1.delete('../cam2/v720p/seg_0.m4s'), RangeError);
  await t.rejects(cam1.list('../'), RangeError);
  t.equal((await shared.get('live/cam2/v720p/seg_0.m4s')).toString(), 'b', 'the other namespace is untouched');
  for (const prefix of ['', '/live', 'live/', 'live//cam', '..', 'live/../x', '.hidden', 'live/cam 1', 'live/ca$m', 'a\\b'])
    t.throws(() => new PrefixStore(shared, prefix), RangeError, `prefix ${JSON.stringify(prefix)}`);
  t.throws(() => new PrefixStore({}, 'live'), TypeError);
  t.equal(new PrefixStore(shared, 'a.b_c-d/e').prefix, 'a.b_c-d/e');

  // A Presentation over a namespace writes below it only.
  const p = await ladder({ store: cam1, mode: 'live', segmentDuration: 2 });
  await session(t, p, cam1, { n: 2, start: 0, duration: 2 });
  t.ok(await shared.get('live/cam1/manifest.mpd'));
  t.ok(await shared.get('live/cam1/v720p/index.m3u8'));
  t.ok((await shared.list()).every((k) => k.startsWith('live/cam1/') || k.startsWith('live/cam2/')));
  await p.close();
});

t.test('renderMpd: several Periods', async (t) => {
  const rep = (r, segs, init) => ({ rendition: r, bandwidth: 1_000_000, segments: segs, initialization: init, media: `${r.id}/seg_$Number$.m4s` });
  const text = renderMpd({
    type: 'static', minBufferTime: 2, cmaf: true, origin: 10,
    periods: [
      { id: '0', start: 10, representations: [rep(VIDEO[0], [{ sequence: 0, start: 10, duration: 2 }], 'v360p/init.mp4')] },
      { id: '1', start: 12, representations: [rep(VIDEO[0], [{ sequence: 1, start: 12, duration: 2 }], 'v360p/init_1.mp4')] },
      { id: '2', start: 14, representations: [rep(VIDEO[0], [], 'v360p/init_2.mp4')] },
    ],
  });
  t.match(text, /<Period id="0" start="PT0S">[\s\S]*presentationTimeOffset="900000"[\s\S]*<Period id="1" start="PT2S">[\s\S]*presentationTimeOffset="1080000"[\s\S]*startNumber="1"/);
  t.notMatch(text, /id="2"/, 'a Period without segments is left out');
  t.match(text, /mediaPresentationDuration="PT4S"/);
  t.throws(() => renderMpd({ type: 'static', minBufferTime: 2, periods: [
    { id: '0', start: 0, representations: [rep(VIDEO[0], [{ sequence: 0, start: 0, duration: 2 }], 'i')] },
    { id: '0', start: 2, representations: [rep(VIDEO[0], [{ sequence: 1, start: 2, duration: 2 }], 'i')] },
  ] }), RangeError, 'Period ids are unique');
});

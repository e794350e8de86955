// Presentation: VOD, EVENT and live packaging over a store, with every
// manifest parsed by m3u8-parser / mpd-parser, and the store checked at
// every write and delete: no manifest ever names a key the store lacks.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Presentation, MemoryStore, FileStore } from 'ffnode';
import { CheckingStore, missingReferences, parseM3u8, parseDash, validateHls, fakeTimers, segment, VIDEO, AUDIO } from './delivery-helpers.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-pres-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const RENDITIONS = [...VIDEO, AUDIO];
const text = async (store, key) => (await store.get(key))?.toString();
const manifestsIn = async (store) => (await store.list()).filter((k) => /\.(m3u8|mpd)$/.test(k));

async function ladder(opts) {
  const p = new Presentation({ segmentFormat: 'cmaf', segmentDuration: 2, ...opts });
  for (const r of RENDITIONS) p.addRendition(r);
  if ((opts.segmentFormat ?? 'cmaf') === 'cmaf') for (const r of RENDITIONS) await p.setInit(r.id, Buffer.from(`init ${r.id}`));
  return p;
}

// n segments per rendition, renditions interleaved as a pipeline produces them.
async function feed(t, p, store, n, { from = 0, each, seg = {} } = {}) {
  for (let i = from; i < from + n; i++) {
    for (const r of RENDITIONS) {
      await p.addSegment(r.id, segment(i, { bitrate: r.bitrate, key: true, ...(typeof seg === 'function' ? seg(i, r) : seg) }));
      t.same(await missingReferences(store), [], `after ${r.id} seg ${i}: every named key is stored`);
    }
    await each?.(i);
  }
}

t.test('vod: nothing published before end(), then valid HLS + static DASH', async (t) => {
  const store = new CheckingStore();
  const p = await ladder({ store, mode: 'vod' });
  await feed(t, p, store, 5, {
    seg: (i) => (i === 4 ? { duration: 1.25 } : {}),
    each: async () => t.same(await manifestsIn(store), [], 'a VOD playlist must never change, so none is written early'),
  });
  t.same(p.manifestKeys, []);
  await p.end();
  await p.end(); // idempotent
  t.same(p.manifestKeys, ['master.m3u8', 'manifest.mpd', 'v360p/index.m3u8', 'v720p/index.m3u8', 'a128k/index.m3u8']);
  const order = store.log.filter((l) => /\.(m3u8|mpd)$/.test(l));
  t.same(order, ['put v360p/index.m3u8', 'put v720p/index.m3u8', 'put a128k/index.m3u8', 'put master.m3u8', 'put manifest.mpd'], 'media playlists, then master, then MPD');

  const media = parseM3u8(await text(store, 'v720p/index.m3u8'));
  t.equal(media.targetDuration, 2);
  t.equal(media.mediaSequence, 0);
  t.equal(media.playlistType, 'VOD');
  t.equal(media.endList, true);
  t.equal(media.segments.length, 5);
  t.same(media.segments.map((s) => s.duration), [2, 2, 2, 2, 1.25]);
  t.equal(media.segments[0].map.uri, 'init.mp4');
  t.match(await text(store, 'v720p/index.m3u8'), /#EXT-X-VERSION:6\n/);

  const master = parseM3u8(await text(store, 'master.m3u8'));
  t.same(master.playlists.map((v) => v.uri), ['v360p/index.m3u8', 'v720p/index.m3u8']);
  const hi = master.playlists[1].attributes;
  const bw = p.bandwidth('v720p');
  const abw = p.bandwidth('a128k');
  t.ok(bw.measured);
  t.equal(hi.BANDWIDTH, bw.peak + abw.peak, 'measured video peak + audio peak');
  t.equal(Number(hi['AVERAGE-BANDWIDTH']), bw.average + abw.average);
  t.ok(bw.peak > bw.average && Math.abs(bw.peak - 2_800_000 * 1.05) < 2_800_000 * 0.01, `peak ${bw.peak} = the heaviest segment`);
  t.equal(hi.CODECS, 'avc1.64001f,mp4a.40.2');
  t.same(hi.RESOLUTION, { width: 1280, height: 720 });
  t.equal(hi.AUDIO, 'audio');
  t.equal(master.mediaGroups.AUDIO.audio.a128k.uri, 'a128k/index.m3u8');
  t.same(await validateHls(store, { vod: true }), [], 'mediastreamvalidator-like checks pass');

  const mpd = parseDash(await text(store, 'manifest.mpd'));
  t.match(await text(store, 'manifest.mpd'), /type="static"/);
  t.equal(mpd.duration, 9.25);
  t.equal(mpd.playlists.length, 2);
  for (const v of mpd.playlists) {
    t.equal(v.segments.length, 5);
    t.equal(v.segments.reduce((a, s) => a + s.duration, 0), 9.25, 'timeline total = playlist total');
  }
  t.equal(mpd.playlists.find((v) => v.attributes.NAME === 'v720p').attributes.BANDWIDTH, bw.peak, 'DASH bandwidth = measured peak');
  t.equal(Object.values(mpd.mediaGroups.AUDIO.audio)[0].playlists[0].segments.length, 5);
  t.same(store.violations, []);
  await t.rejects(p.addSegment('v720p', segment(5)), /ended/);
  t.throws(() => p.addRendition({ ...AUDIO, id: 'late' }), /ended/);
});

t.test('event: manifests grow with each segment, nothing removed, ENDLIST at end', async (t) => {
  const store = new CheckingStore();
  const p = await ladder({ store, mode: 'event', windowSize: 4 });
  const t0 = Date.parse('2024-05-01T10:00:00Z');
  await feed(t, p, store, 10, {
    seg: (i) => ({ programDateTime: new Date(t0 + i * 2000) }),
    each: async (i) => {
      const m = parseM3u8(await text(store, 'v360p/index.m3u8'));
      t.equal(m.segments.length, i + 1, 'every segment so far');
      t.equal(m.playlistType, 'EVENT');
      t.notOk(m.endList);
    },
  });
  const m = parseM3u8(await text(store, 'v360p/index.m3u8'));
  t.equal(m.mediaSequence, 0);
  t.equal(m.segments[9].dateTimeString, '2024-05-01T10:00:18.000Z', 'program date time for event');
  t.equal((await store.list('v360p/seg_')).length, 10, 'all segments kept');
  const mpdText = await text(store, 'manifest.mpd');
  t.match(mpdText, /type="dynamic"/);
  t.match(mpdText, /minimumUpdatePeriod="PT2S"/);
  t.notMatch(mpdText, /timeShiftBufferDepth/, 'an event keeps everything: no window');
  t.equal(parseDash(mpdText).playlists[0].segments.length, 10);
  await p.end();
  const ended = parseM3u8(await text(store, 'v360p/index.m3u8'));
  t.ok(ended.endList);
  t.equal(ended.playlistType, 'EVENT', 'the type never changes');
  const endedMpd = await text(store, 'manifest.mpd');
  t.match(endedMpd, /mediaPresentationDuration="PT20S"/);
  t.notMatch(endedMpd, /minimumUpdatePeriod/);
  t.same(store.violations, []);
});

t.test('live: window of 4, media sequence 6, deletion after the default grace', async (t) => {
  const clock = fakeTimers();
  t.teardown(() => clock.restore());
  const realNow = Date.now;
  const wall = Date.parse('2024-05-01T10:00:00Z');
  Date.now = () => wall;
  t.teardown(() => { Date.now = realNow; });

  const store = new CheckingStore();
  const p = await ladder({ store, mode: 'live', windowSize: 4 });
  const t0 = Date.parse('2024-05-01T09:59:58Z');
  await feed(t, p, store, 10, {
    // media time starts at 1000 s (a live input's timestamps), discontinuities on 1 and 8
    seg: (i) => ({ start: 1000 + i * 2, programDateTime: new Date(t0 + i * 2000), discontinuity: i === 1 || i === 8 }),
  });
  for (const r of RENDITIONS) {
    const m = parseM3u8(await text(store, `${r.id}/index.m3u8`));
    t.same(m.segments.map((s) => s.uri), ['seg_6.m4s', 'seg_7.m4s', 'seg_8.m4s', 'seg_9.m4s'], `${r.id}: the last 4`);
    t.equal(m.mediaSequence, 6);
    t.equal(m.discontinuitySequence, 1, 'the discontinuity of seg 1 slid out; seg 8 is still listed');
    t.same(m.segments.map((s) => !!s.discontinuity), [false, false, true, false]);
    t.equal(m.playlistType, undefined, 'no type for a sliding window');
    t.notOk(m.endList);
    t.equal(m.targetDuration, 2);
    t.equal(m.segments[0].dateTimeString, '2024-05-01T10:00:10.000Z');
  }
  const mpdText = await text(store, 'manifest.mpd');
  t.match(mpdText, /type="dynamic"/);
  t.match(mpdText, /timeShiftBufferDepth="PT8S"/);
  t.match(mpdText, /suggestedPresentationDelay="PT6S"/);
  t.match(mpdText, /startNumber="6"/);
  // The first segment (media 1000..1002) was stored at `wall`: Period time 0 (media 1000) is 2 s before.
  t.match(mpdText, /availabilityStartTime="2024-05-01T09:59:58.000Z"/);
  t.match(mpdText, /presentationTimeOffset="90000000"/);
  const mpd = parseDash(mpdText);
  t.same(mpd.playlists[0].segments.map((s) => s.uri), ['v360p/seg_6.m4s', 'v360p/seg_7.m4s', 'v360p/seg_8.m4s', 'v360p/seg_9.m4s']);
  t.equal(mpd.playlists[0].segments[0].presentationTime, 12);

  // Out of every manifest but still stored: players that fetched an older playlist can finish.
  t.equal((await store.list('v360p/seg_')).length, 10, 'nothing deleted before the grace period');
  const pending = clock.timers.filter((x) => !x.cleared);
  t.equal(pending.length, 6 * 3, 'one deletion per removed segment');
  t.ok(pending.every((x) => x.unrefd), 'timers never keep the process alive');
  // Default grace (RFC 8216 §6.2.2): the segment's duration + the longest playlist that listed it, ≥ 2 segment durations.
  t.ok(pending.every((x) => x.ms === 12_000), `grace ${pending[0].ms} ms`);
  await clock.fire();
  await new Promise((r) => setImmediate(r));
  t.same(await store.list('v360p/seg_'), ['v360p/seg_6.m4s', 'v360p/seg_7.m4s', 'v360p/seg_8.m4s', 'v360p/seg_9.m4s'], 'gone after the grace period');
  t.ok(await store.get('v360p/init.mp4'), 'the init segment stays');
  t.same(store.violations, [], 'no delete removed a key a stored manifest named');

  await p.end();
  const m = parseM3u8(await text(store, 'v360p/index.m3u8'));
  t.ok(m.endList);
  t.equal(m.segments.length, 4);
  t.match(await text(store, 'manifest.mpd'), /mediaPresentationDuration="PT20S"/);
  await p.close();
});

t.test('live: a small real grace period', async (t) => {
  const store = new CheckingStore();
  const p = await ladder({ store, mode: 'live', windowSize: 4, deleteGrace: 0.15 });
  await feed(t, p, store, 6);
  t.ok(await store.get('v720p/seg_0.m4s'), 'still stored right after leaving the window');
  t.ok(await store.get('v720p/seg_1.m4s'));
  await new Promise((r) => setTimeout(r, 300));
  t.equal(await store.get('v720p/seg_0.m4s'), null, 'deleted after 0.15 s');
  t.equal(await store.get('v720p/seg_1.m4s'), null);
  t.same(await store.list('v720p/seg_'), ['v720p/seg_2.m4s', 'v720p/seg_3.m4s', 'v720p/seg_4.m4s', 'v720p/seg_5.m4s']);
  t.same(store.violations, []);
  await p.close();
});

t.test('live: the window keeps three target durations even when windowSize is smaller', async (t) => {
  const store = new MemoryStore();
  const p = await ladder({ store, mode: 'live', windowSize: 1, deleteGrace: 60 });
  await feed(t, p, store, 6);
  const m = parseM3u8(await text(store, 'v360p/index.m3u8'));
  t.equal(m.segments.length, 3, 'RFC 8216 §6.2.2: never less than 3 × target duration listed');
  t.equal(m.mediaSequence, 3);
  await p.close();
});

t.test('live: a failed manifest write delays deletion until a manifest without the segment is stored', async (t) => {
  const clock = fakeTimers();
  t.teardown(() => clock.restore());
  const store = new CheckingStore();
  let failNext = false;
  const put = store.put.bind(store);
  store.put = async (key, data) => {
    if (failNext && key === 'v360p/index.m3u8') {
      failNext = false;
      throw new Error('disk full');
    }
    return put(key, data);
  };
  const p = await ladder({ store, mode: 'live', windowSize: 4, deleteGrace: 1 });
  await feed(t, p, store, 4);
  failNext = true;
  await t.rejects(p.addSegment('v360p', segment(4)), /disk full/);
  t.equal(clock.timers.length, 0, 'seg 0 left the window in memory only: not scheduled');
  t.same(await missingReferences(store), []);
  await p.addSegment('v360p', segment(5, { bitrate: VIDEO[0].bitrate }));
  t.same(clock.timers.map((x) => x.ms), [1000, 1000], 'seg 0 and seg 1 scheduled once a playlist without them is stored');
  await clock.fire();
  t.same(store.violations, []);
  await p.close();
});

t.test('vod: a failed final write can be retried with end()', async (t) => {
  const store = new CheckingStore();
  const put = store.put.bind(store);
  let fail = true;
  store.put = async (key, data) => {
    if (fail && key === 'master.m3u8') {
      fail = false;
      throw new Error('EIO');
    }
    return put(key, data);
  };
  const p = await ladder({ store, mode: 'vod' });
  await feed(t, p, store, 2);
  await t.rejects(p.end(), /EIO/);
  t.notOk(p.ended);
  await t.rejects(p.addSegment('v360p', segment(2)), /ended/, 'no more segments once end() was called');
  await p.end();
  t.ok(p.ended);
  t.same(p.manifestKeys, ['master.m3u8', 'manifest.mpd', 'v360p/index.m3u8', 'v720p/index.m3u8', 'a128k/index.m3u8']);
  t.same(store.violations, []);
});

t.test('close() clears pending deletions', async (t) => {
  const clock = fakeTimers();
  t.teardown(() => clock.restore());
  const store = new MemoryStore();
  const p = await ladder({ store, mode: 'live', windowSize: 4 });
  await feed(t, p, store, 6);
  t.equal(clock.timers.filter((x) => !x.cleared).length, 6);
  await p.close();
  t.equal(clock.timers.filter((x) => !x.cleared).length, 0);
  await t.rejects(p.addSegment('v360p', segment(6)), /closed/);
});

t.test('unawaited calls from all renditions: writes stay ordered and consistent', async (t) => {
  const store = new CheckingStore();
  const p = await ladder({ store, mode: 'event' });
  const seen = new Map();
  const put = store.put.bind(store);
  const regressions = [];
  store.put = async (key, data) => {
    if (key.endsWith('index.m3u8')) {
      const n = parseM3u8(data.toString()).segments.length;
      if (n < (seen.get(key) ?? 0)) regressions.push(`${key}: ${n} after ${seen.get(key)}`);
      seen.set(key, n);
    }
    return put(key, data);
  };
  const calls = [];
  for (let i = 0; i < 8; i++) for (const r of RENDITIONS) calls.push(p.addSegment(r.id, segment(i, { bitrate: r.bitrate })));
  await Promise.all(calls);
  t.same(regressions, [], 'no playlist write is overtaken by an older one');
  t.same(store.violations, [], 'every manifest write named only stored keys');
  for (const r of RENDITIONS) t.equal(parseM3u8(await text(store, `${r.id}/index.m3u8`)).segments.length, 8);
  // A segment's put always precedes the first manifest write that names it.
  const firstPut = (k) => store.log.indexOf(`put ${k}`);
  t.ok(firstPut('v720p/seg_7.m4s') < store.log.lastIndexOf('put v720p/index.m3u8'));
});

t.test('master and MPD wait for the whole ladder; later renditions join', async (t) => {
  const store = new CheckingStore();
  const p = await ladder({ store, mode: 'live' });
  await p.addSegment('v360p', segment(0, { bitrate: 800_000 }));
  t.same(await manifestsIn(store), ['v360p/index.m3u8'], 'a partial ladder is not announced');
  await p.addSegment('v720p', segment(0, { bitrate: 2_800_000 }));
  await p.addSegment('a128k', segment(0, { bitrate: 128_000 }));
  t.same((await manifestsIn(store)).sort(), ['a128k/index.m3u8', 'manifest.mpd', 'master.m3u8', 'v360p/index.m3u8', 'v720p/index.m3u8']);
  const master = parseM3u8(await text(store, 'master.m3u8'));
  t.equal(master.playlists.length, 2);
  t.ok(master.playlists.every((v) => v.attributes.BANDWIDTH > 0));
  p.addRendition({ ...VIDEO[1], id: 'v1080p', bitrate: 5_000_000, width: 1920, height: 1080 });
  await p.addSegment('v360p', segment(1, { bitrate: 800_000 }));
  t.equal(parseM3u8(await text(store, 'master.m3u8')).playlists.length, 2, 'not listed before its init and first segment');
  await p.setInit('v1080p', Buffer.from('init'));
  await p.addSegment('v1080p', segment(0, { bitrate: 5_000_000 }));
  t.equal(parseM3u8(await text(store, 'master.m3u8')).playlists.length, 3);
  t.equal(parseDash(await text(store, 'manifest.mpd')).playlists.length, 3);
  t.same(store.violations, []);
  await p.close();
});

t.test('live DASH: a primed audio start is shifted once, times never move between updates', async (t) => {
  const store = new MemoryStore();
  const p = await ladder({ store, mode: 'live', windowSize: 3 });
  const prime = 1024 / 48000;
  const firstT = [];
  await feed(t, p, store, 6, {
    seg: (i, r) => (r.type === 'audio' ? { start: i * 2 - prime } : {}),
    each: async () => {
      const mpd = await text(store, 'manifest.mpd');
      t.notMatch(mpd, /="-/, 'no negative time');
      const audio = mpd.slice(mpd.indexOf('contentType="audio"'));
      firstT.push([Number(/startNumber="(\d+)"/.exec(audio)[1]), Number(/<S t="(\d+)"/.exec(audio)[1])]);
    },
  });
  // segment n always at n × 2 s (+ the fixed priming shift) in the audio timescale
  for (const [n, tt] of firstT) t.equal(tt, n * 96000, `audio segment ${n} at ${tt}`);
  await p.close();
});

t.test('bandwidth before and after segments', async (t) => {
  const p = new Presentation({ store: new MemoryStore(), mode: 'live', segmentFormat: 'cmaf', segmentDuration: 2 });
  p.addRendition(VIDEO[1]);
  t.same(p.bandwidth('v720p'), { peak: 3_080_000, average: 2_800_000, measured: false }, 'nominal + 10 % before segments');
  await p.setInit('v720p', Buffer.from('i'));
  await p.addSegment('v720p', { sequence: 0, start: 0, duration: 2, data: Buffer.alloc(500_000), startsWithKeyframe: true });
  await p.addSegment('v720p', { sequence: 1, start: 2, duration: 2, data: Buffer.alloc(1_000_000), startsWithKeyframe: true });
  t.same(p.bandwidth('v720p'), { peak: 4_000_000, average: 3_000_000, measured: true });
  t.same(p.renditions.map((r) => r.id), ['v720p']);
  await p.close();
});

t.test('a segment not starting with a keyframe drops INDEPENDENT-SEGMENTS', async (t) => {
  const store = new MemoryStore();
  const p = await ladder({ store, mode: 'vod' });
  await feed(t, p, store, 2, { seg: (i, r) => ({ key: !(r.id === 'v720p' && i === 1) }) });
  await p.end();
  t.notMatch(await text(store, 'v720p/index.m3u8'), /INDEPENDENT/);
  t.match(await text(store, 'v360p/index.m3u8'), /INDEPENDENT/);
  t.notMatch(await text(store, 'master.m3u8'), /INDEPENDENT/);
});

t.test('MPEG-TS: .ts keys, no map, version 3, no DASH', async (t) => {
  const store = new CheckingStore();
  const p = await ladder({ store, mode: 'vod', segmentFormat: 'ts' });
  await t.rejects(p.setInit('v360p', Buffer.from('x')), TypeError);
  await feed(t, p, store, 3);
  await p.end();
  t.same(p.manifestKeys, ['master.m3u8', 'v360p/index.m3u8', 'v720p/index.m3u8', 'a128k/index.m3u8']);
  const raw = await text(store, 'v360p/index.m3u8');
  t.match(raw, /#EXT-X-VERSION:3\n/);
  t.notMatch(raw, /EXT-X-MAP/);
  t.same(parseM3u8(raw).segments.map((s) => s.uri), ['seg_0.ts', 'seg_1.ts', 'seg_2.ts']);
  t.equal(await store.get('manifest.mpd'), null);
  t.match(await text(store, 'master.m3u8'), /#EXT-X-VERSION:4\n/, 'EXT-X-MEDIA needs 4');
  t.same(await validateHls(store, { vod: true }), []);
  t.throws(() => new Presentation({ store, mode: 'vod', segmentFormat: 'ts', segmentDuration: 2, dash: true }), TypeError);
});

t.test('invalid input is refused', async (t) => {
  const store = new MemoryStore();
  t.throws(() => new Presentation({ store: {}, mode: 'vod', segmentFormat: 'cmaf', segmentDuration: 2 }), TypeError);
  t.throws(() => new Presentation({ store, mode: 'x', segmentFormat: 'cmaf', segmentDuration: 2 }), TypeError);
  t.throws(() => new Presentation({ store, mode: 'vod', segmentFormat: 'cmaf', segmentDuration: 0 }), RangeError);
  t.throws(() => new Presentation({ store, mode: 'live', segmentFormat: 'cmaf', segmentDuration: 2, windowSize: 0 }), RangeError);
  t.throws(() => new Presentation({ store, mode: 'live', segmentFormat: 'cmaf', segmentDuration: 2, deleteGrace: -1 }), RangeError);
  t.throws(() => new Presentation({ store, mode: 'vod', segmentFormat: 'cmaf', segmentDuration: 2, hls: false, dash: false }), TypeError);
  t.throws(() => new Presentation({ store, mode: 'live', segmentFormat: 'cmaf', segmentDuration: 2, firstSequence: -1 }), RangeError);
  t.throws(() => new Presentation({ store, mode: 'live', segmentFormat: 'cmaf', segmentDuration: 2, firstSequence: 1.5 }), RangeError);
  t.throws(() => new Presentation({ store, mode: 'live', segmentFormat: 'cmaf', segmentDuration: 2, targetDuration: 0 }), RangeError);
  t.throws(() => new Presentation({ store, mode: 'live', segmentFormat: 'cmaf', segmentDuration: 2, targetDuration: 2.5 }), RangeError);
  t.throws(() => new Presentation({ store, mode: 'live', segmentFormat: 'cmaf', segmentDuration: 2, utcTiming: { value: 'x' } }), TypeError);
  t.throws(() => new Presentation({ store, mode: 'live', segmentFormat: 'cmaf', segmentDuration: 2, onWarning: 1 }), TypeError);
  const p = new Presentation({ store, mode: 'event', segmentFormat: 'cmaf', segmentDuration: 2, firstSequence: 3 });
  for (const id of ['', '../x', 'a/b', 'a$b', '.x', 'x'.repeat(65)]) t.throws(() => p.addRendition({ ...AUDIO, id }), RangeError, `id ${JSON.stringify(id)}`);
  p.addRendition(AUDIO);
  t.throws(() => p.addRendition(AUDIO), RangeError, 'duplicate');
  await t.rejects(p.addSegment('nope', segment(0)), RangeError);
  await t.rejects(p.addSegment('a128k', { ...segment(0), duration: 0 }), RangeError);
  await t.rejects(p.addSegment('a128k', { ...segment(0), data: 'x' }), TypeError);
  await p.setInit('a128k', Buffer.from('i'));
  t.equal(p.nextSequence('a128k'), 3, 'firstSequence before the first segment');
  await t.rejects(p.addSegment('a128k', segment(0)), RangeError, 'the first segment must be firstSequence');
  await p.addSegment('a128k', segment(3));
  t.equal(p.nextSequence('a128k'), 4);
  await t.rejects(p.addSegment('a128k', segment(5)), RangeError, 'sequence numbers must be consecutive');
  await p.addSegment('a128k', segment(4));
  await p.close();
});

t.test('FileStore: a VOD presentation on disk', async (t) => {
  const root = path.join(tmp, 'vod');
  const store = new FileStore(root);
  const p = await ladder({ store, mode: 'vod' });
  await feed(t, p, store, 3);
  await p.end();
  t.ok(fs.existsSync(path.join(root, 'master.m3u8')));
  t.ok(fs.existsSync(path.join(root, 'v720p', 'seg_2.m4s')));
  t.ok(fs.existsSync(path.join(root, 'v720p', 'init.mp4')));
  t.same(await validateHls(store, { vod: true }), []);
  t.same(await missingReferences(store), []);
  const hidden = [];
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.startsWith('.') && hidden.push(e.name)));
  walk(root);
  t.same(hidden, [], 'no temporary file left');
});

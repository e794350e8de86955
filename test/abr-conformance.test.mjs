// Conformance of the ABR pipeline's real outputs: ffprobe every segment, parse
// every manifest with well-kept parsers, check alignment, durations, bitrates.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseMpd } from 'mpd-parser';
import { transcode, stats } from 'ffnode';
import { ffprobe, fixture, h264aac12s } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { parseM3u8 } from './delivery-helpers.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-abr-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const m3u8 = (file) => parseM3u8(fs.readFileSync(file, 'utf8'));

// ffprobe facts of init + one media segment.
function probeSegment(dir, rendition, seg) {
  const file = path.join(tmp, `probe-${rendition}-${path.basename(seg)}.mp4`);
  fs.writeFileSync(file, Buffer.concat([fs.readFileSync(path.join(dir, rendition, 'init.mp4')), fs.readFileSync(path.join(dir, rendition, seg))]));
  const packets = ffprobe(file, ['-show_packets']).packets;
  return { first: packets[0], count: packets.length, start: Number(packets[0].pts_time), end: Math.max(...packets.map((p) => Number(p.pts_time) + Number(p.duration_time ?? 0))) };
}

const VOD = path.join(tmp, 'vod');
let result;
const progress = [];

t.before(async () => {
  const job = transcode(h264aac12s(60), { out: VOD, ladder: ['720p', '480p', '360p'], segmentDuration: 4, preset: 'ultrafast', progressInterval: 100 });
  job.on('progress', (p) => progress.push(p));
  result = await job.done;
});

t.test('result and progress', async (t) => {
  t.same(result.variants.map((v) => [v.id, v.width, v.height]), [['v720p', 1280, 720], ['v480p', 854, 480], ['v360p', 640, 360]]);
  t.ok(result.variants.every((v) => v.encoder === 'libx264'));
  t.same(result.renditions.map((r) => r.id), ['v720p', 'v480p', 'v360p', 'a128k']);
  t.ok(result.renditions.slice(0, 3).every((r) => r.frames === 360 && r.dropped === 0 && r.segments === 3));
  t.ok(progress.length >= 1, `${progress.length} progress events`);
  const last = progress.at(-1);
  t.equal(last.frames, 360);
  t.ok(Math.abs(last.percent - 100) < 1, `last progress at ${last.percent}%`);
  t.ok(last.speed > 0 && last.fps > 0);
  t.same(stats().objects, 0, 'every native object closed after the run');
});

t.test('every rung: same segment count and boundaries, an IDR first, durations match the source', async (t) => {
  const rungs = ['v720p', 'v480p', 'v360p'];
  const starts = {};
  for (const r of rungs) {
    const segs = fs.readdirSync(path.join(VOD, r)).filter((f) => f.endsWith('.m4s')).sort((a, b) => parseInt(a.slice(4)) - parseInt(b.slice(4)));
    t.equal(segs.length, 3, `${r}: 3 segments of 4 s`);
    starts[r] = [];
    let frames = 0;
    let end = 0;
    for (const s of segs) {
      const p = probeSegment(VOD, r, s);
      t.match(p.first.flags, /K/, `${r}/${s} starts with a keyframe`);
      starts[r].push(p.start);
      frames += p.count;
      end = Math.max(end, p.end);
    }
    t.equal(frames, 360, `${r}: all 360 source frames`);
    t.ok(Math.abs(end - starts[r][0] - 12) <= 1 / 30 + 1e-6, `${r}: lasts ${(end - starts[r][0]).toFixed(4)} s (source 12 s, within one frame)`);
  }
  t.same(starts.v480p, starts.v720p, 'segment starts identical across rungs');
  t.same(starts.v360p, starts.v720p);
  t.same(starts.v720p.map((s) => Math.round((s - starts.v720p[0]) * 1000) / 1000), [0, 4, 8], 'on the 4 s grid');
});

t.test('audio: one rendition, starts within one video frame of the video, lasts the source duration', async (t) => {
  const segs = fs.readdirSync(path.join(VOD, 'a128k')).filter((f) => f.endsWith('.m4s')).sort((a, b) => parseInt(a.slice(4)) - parseInt(b.slice(4)));
  t.ok(segs.length >= 3);
  const first = probeSegment(VOD, 'a128k', segs[0]);
  const v = probeSegment(VOD, 'v720p', 'seg_0.m4s');
  t.ok(Math.abs(first.start - v.start) <= 1 / 30, `audio starts at ${first.start}, video at ${v.start}`);
  const last = probeSegment(VOD, 'a128k', segs.at(-1));
  t.ok(Math.abs(last.end - first.start - 12) <= 1024 / 48000 + 1e-6, `audio lasts ${(last.end - first.start).toFixed(4)} s`);
  t.equal(first.first.codec_type ?? 'audio', 'audio');
});

t.test('HLS playlists parse (m3u8-parser) with the required tags', async (t) => {
  const text = fs.readFileSync(path.join(VOD, 'master.m3u8'), 'utf8');
  t.match(text, /#EXT-X-INDEPENDENT-SEGMENTS/);
  const master = m3u8(path.join(VOD, 'master.m3u8'));
  t.equal(master.playlists.length, 3);
  for (const pl of master.playlists) {
    const a = pl.attributes;
    t.ok(a.BANDWIDTH > 0 && a['AVERAGE-BANDWIDTH'] > 0 && a['AVERAGE-BANDWIDTH'] <= a.BANDWIDTH, `${pl.uri}: BANDWIDTH ${a.BANDWIDTH}, AVERAGE ${a['AVERAGE-BANDWIDTH']}`);
    t.match(a.CODECS, /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
    t.ok(a.RESOLUTION.width > 0 && a['FRAME-RATE'] === 30);
    t.equal(a.AUDIO, Object.keys(master.mediaGroups.AUDIO)[0]);
  }
  const group = Object.values(master.mediaGroups.AUDIO)[0];
  const audio = Object.values(group)[0];
  t.ok(audio.default && audio.uri, 'audio rendition is the default, with a playlist');
  for (const pl of [...master.playlists.map((p) => p.uri), audio.uri]) {
    const media = m3u8(path.join(VOD, pl));
    t.equal(media.playlistType, 'VOD', `${pl}: VOD`);
    t.ok(media.endList, `${pl}: ENDLIST`);
    t.equal(media.targetDuration, 4);
    t.ok(media.segments.length >= 3);
    t.ok(media.segments.every((s) => s.map?.uri && fs.existsSync(path.join(VOD, path.dirname(pl), s.uri))), `${pl}: EXT-X-MAP and every segment exists`);
    t.ok(media.segments.every((s) => Math.round(s.duration) <= media.targetDuration), 'EXTINF rounds to ≤ target duration');
    const total = media.segments.reduce((n, s) => n + s.duration, 0);
    t.ok(Math.abs(total - 12) < 0.05, `${pl}: ${total.toFixed(3)} s listed`);
  }
});

t.test('measured peak bitrate of each rendition within 10 % of its BANDWIDTH', async (t) => {
  const master = m3u8(path.join(VOD, 'master.m3u8'));
  const peak = (dir) => {
    const media = m3u8(path.join(VOD, dir, 'index.m3u8'));
    return Math.max(...media.segments.map((s) => (fs.statSync(path.join(VOD, dir, s.uri)).size * 8) / s.duration));
  };
  const audioPeak = peak('a128k');
  for (const pl of master.playlists) {
    const measured = peak(path.dirname(pl.uri)) + audioPeak;
    const bw = pl.attributes.BANDWIDTH;
    t.ok(measured <= bw * 1.1 && measured >= bw * 0.9, `${pl.uri}: measured peak ${Math.round(measured)} vs BANDWIDTH ${bw}`);
  }
});

t.test('DASH MPD parses (mpd-parser): static, codecs, one video and one audio set', async (t) => {
  const text = fs.readFileSync(path.join(VOD, 'manifest.mpd'), 'utf8');
  t.match(text, /type="static"/);
  t.match(text, /SegmentTimeline/);
  const mpd = parseMpd(text, { manifestUri: 'http://localhost/manifest.mpd' });
  t.equal(mpd.playlists.length, 3);
  for (const pl of mpd.playlists) {
    t.match(pl.attributes.CODECS, /^avc1\.[0-9a-f]{6}$/);
    t.ok(pl.attributes.BANDWIDTH > 0);
    t.equal(pl.segments.length, 3);
    t.ok(Math.abs(pl.segments.reduce((n, s) => n + s.duration, 0) - 12) < 0.05);
  }
  const audio = Object.values(Object.values(mpd.mediaGroups.AUDIO)[0])[0];
  t.match(audio.playlists[0].attributes.CODECS, /^mp4a\.40\.2$/);
});

t.test('MPEG-TS segments with HLS only', async (t) => {
  const dir = path.join(tmp, 'ts');
  const r = await transcode(h264aac12s(60), { out: dir, ladder: ['360p'], segmentDuration: 4, segmentFormat: 'ts', preset: 'ultrafast' }).done;
  t.notOk(fs.existsSync(path.join(dir, 'manifest.mpd')), 'no MPD for TS');
  t.same(r.manifests.includes('master.m3u8'), true);
  const media = m3u8(path.join(dir, 'v360p', 'index.m3u8'));
  t.equal(media.segments.length, 3);
  t.notOk(media.segments[0].map, 'no EXT-X-MAP for TS');
  const seg = path.join(dir, 'v360p', media.segments[0].uri);
  t.equal(fs.readFileSync(seg)[0], 0x47);
  t.equal(ffprobe(seg, ['-show_packets', '-select_streams', 'v']).packets.length, 120);
});

t.test('passthrough rung: copied when the source GOP fits the grid, dropped with a reason otherwise', async (t) => {
  const fits = await transcode(h264aac12s(60), { out: path.join(tmp, 'pt'), ladder: [{ passthrough: true }, '360p'], segmentDuration: 4, preset: 'ultrafast' }).done;
  t.same(fits.variants.map((v) => [v.id, v.passthrough]), [['source', true], ['v360p', false]]);
  t.same(fits.warnings, []);
  const a = probeSegment(path.join(tmp, 'pt'), 'source', 'seg_1.m4s');
  const b = probeSegment(path.join(tmp, 'pt'), 'v360p', 'seg_1.m4s');
  t.equal(a.start, b.start, 'copied and encoded rungs share boundaries');
  t.equal(a.count, 120);
  const warnings = [];
  const job = transcode(h264aac12s(90), { out: path.join(tmp, 'pt2'), ladder: [{ passthrough: true }, '360p'], segmentDuration: 4, preset: 'ultrafast' });
  job.on('warning', (w) => warnings.push(w));
  const nofit = await job.done;
  t.same(nofit.variants.map((v) => v.id), ['v360p']);
  t.match(nofit.warnings[0], /no source keyframe at 4\.000 s/);
  t.same(warnings, nofit.warnings);
});

t.test('passthrough from Matroska with B-frames (leading packets without dts) lines up with the encoded rung', async (t) => {
  const src = fixture('pt-bframes.mkv', ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=8', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-pix_fmt', 'yuv420p']);
  const out = path.join(tmp, 'pt-mkv');
  const r = await transcode(src, { out, ladder: [{ passthrough: true }, { height: 180, bitrate: 300_000 }], segmentDuration: 2, preset: 'ultrafast' }).done;
  t.same(r.variants.map((v) => [v.id, v.passthrough]), [['source', true], ['v180p', false]]);
  t.same(r.renditions.map((c) => c.frames), [240, 240], 'every frame in both rungs');
  for (const n of [0, 3]) {
    const a = probeSegment(out, 'source', `seg_${n}.m4s`);
    const b = probeSegment(out, 'v180p', `seg_${n}.m4s`);
    t.ok(Math.abs(a.start - b.start) < 0.002, `segment ${n}: copied starts at ${a.start}, encoded at ${b.start}`);
    t.equal(a.count, 60);
  }
});

t.test('one timeline: rungs with and without B-frames and the primed AAC all map source time 0 to the same output time', async (t) => {
  const out = path.join(tmp, 'sync');
  await transcode(h264aac12s(60), { out, ladder: ['360p', { height: 180, bitrate: 300_000, preset: 'ultrafast' }], segmentDuration: 4 }).done;
  const first = (r) => probeSegment(out, r, 'seg_0.m4s');
  const bframes = first('v360p'), none = first('v180p'), aac = first('a128k');
  t.ok(Number(bframes.first.dts_time) < bframes.start, `veryfast has B-frames: first dts ${bframes.first.dts_time} before first picture ${bframes.start}`);
  t.ok(Math.abs(bframes.start - none.start) < 0.001, `first pictures: ${bframes.start} (B-frames) and ${none.start} (none)`);
  const audioContent = aac.start + 1024 / 48000; // after the encoder's priming samples
  t.ok(Math.abs(audioContent - bframes.start) < 0.001, `audio content starts at ${audioContent.toFixed(4)}, video at ${bframes.start}`);
});

t.test('slow variants drop frames under the live policy, and the output stays valid', async (t) => {
  const dir = path.join(tmp, 'drop');
  const r = await transcode(h264aac12s(60), { out: dir, ladder: ['720p', '360p'], segmentDuration: 4, preset: 'medium', queueSize: 1, slowVariantPolicy: 'drop', audio: false }).done;
  for (const c of r.renditions) t.equal(c.frames + c.dropped, 360, `${c.id}: ${c.frames} encoded + ${c.dropped} dropped = 360`);
  t.ok(r.renditions.some((c) => c.dropped > 0), 'the decoder did not wait for the slow rungs');
  t.ok(fs.existsSync(path.join(dir, 'master.m3u8')));
});

t.test('abort leaves consistent outputs', async (t) => {
  const dir = path.join(tmp, 'abort');
  const ac = new AbortController();
  const job = transcode('testsrc2=size=640x360:rate=30', { out: dir, ladder: ['360p'], segmentDuration: 1, preset: 'ultrafast', input: { format: 'lavfi' }, signal: ac.signal, audio: false });
  job.on('progress', (p) => p.time > 2.5 && ac.abort(new Error('stop now')));
  await t.rejects(job.done, /stop now/);
  const media = m3u8(path.join(dir, 'v360p', 'index.m3u8'));
  t.ok(media.segments.length >= 2, `${media.segments.length} segments listed`);
  for (const s of media.segments) t.ok(fs.existsSync(path.join(dir, 'v360p', s.uri)), `${s.uri} exists`);
  t.equal(stats().objects, 0);
});

t.test('a failing store stops the job with its error; nothing is left alive', async (t) => {
  let puts = 0;
  const store = {
    async put() { if (++puts > 4) throw new Error('disk full'); },
    async get() { return null; },
    async delete() {},
    async list() { return []; },
  };
  const t0 = Date.now();
  await t.rejects(transcode(h264aac12s(60), { out: store, ladder: ['360p'], segmentDuration: 1, preset: 'ultrafast' }).done, /disk full/);
  t.ok(Date.now() - t0 < 20000, 'stopped without waiting on the stuck rung');
  t.equal(stats().objects, 0);
  t.equal(stats().frames, 0);
});

t.test('wrong options', async (t) => {
  t.throws(() => transcode('x', { out: tmp, segmentDuration: 30 }), RangeError);
  t.throws(() => transcode('x', { out: tmp, segmentFormat: 'webm' }), TypeError);
  t.throws(() => transcode('x', {}), TypeError);
  await t.rejects(transcode('/nonexistent.mp4', { out: path.join(tmp, 'x') }).done, { errorName: 'ENOENT' });
});

endsWithZeroLive(t);

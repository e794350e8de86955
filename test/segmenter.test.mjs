import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Decoder, Segmenter, Packet, FFmpegError } from 'ffnode';
import { fixtures, fixture, ffmpeg, ffprobe, keyframeTimes } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-seg-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

// Copies the fixture's packets (no re-encode) through a Segmenter.
async function segmentCopy(format, segmentDuration) {
  const dec = await Decoder.open(fixtures.h264aac10s(), { decode: false });
  const seg = await Segmenter.open({
    format, segmentDuration,
    streams: dec.streams.map((s) => ({ parameters: s, timeBase: s.timeBase })),
  });
  const segments = [];
  let batch = [];
  for await (const p of dec.packets()) {
    batch.push(p);
    if (batch.length === 32) {
      segments.push(...(await seg.write(batch)));
      batch.forEach((b) => b.free());
      batch = [];
    }
  }
  segments.push(...(await seg.write(batch)));
  batch.forEach((b) => b.free());
  segments.push(...(await seg.finish()));
  const init = seg.init;
  await seg.close();
  await dec.close();
  return { init, segments };
}

function counts(file) {
  const c = {};
  for (const p of ffprobe(file, ['-show_packets']).packets) c[p.codec_type] = (c[p.codec_type] ?? 0) + 1;
  return c;
}

t.test('CMAF: init + 2 s segments cut at keyframes, every segment decodable', async (t) => {
  const { init, segments } = await segmentCopy('cmaf', 2);
  t.ok(init.length > 0);
  t.equal(init.subarray(4, 8).toString(), 'ftyp', 'init starts with ftyp');
  t.ok(init.includes(Buffer.from('moov')), 'init carries moov');
  t.same(segments.map((s) => s.sequence), [0, 1, 2, 3, 4]);
  const keys = keyframeTimes(fixtures.h264aac10s());
  t.same(segments.map((s) => Number(s.start.toFixed(3))), keys.map((k) => Number(k.toFixed(3))), 'segments start at the source keyframes');
  for (const s of segments) {
    t.ok(s.startsWithKeyframe, `segment ${s.sequence} starts with a keyframe`);
    t.ok(Math.abs(s.duration - 2) < 0.034, `segment ${s.sequence} lasts ${s.duration}`);
    t.equal(s.size, s.data.length);
    t.ok(s.data.includes(Buffer.from('moof')) && s.data.includes(Buffer.from('mdat')));
    const file = path.join(dir, `one-${s.sequence}.mp4`);
    fs.writeFileSync(file, Buffer.concat([init, s.data]));
    const c = counts(file);
    t.equal(c.video, 60, `init + segment ${s.sequence} holds 60 video packets`);
    t.ok(c.audio > 80, 'and its audio');
  }
  const all = path.join(dir, 'all.mp4');
  fs.writeFileSync(all, Buffer.concat([init, ...segments.map((s) => s.data)]));
  t.same(counts(all), counts(fixtures.h264aac10s()), 'init + all segments hold every source packet');
});

t.test('MPEG-TS: self-contained segments on the same boundaries', async (t) => {
  const { init, segments } = await segmentCopy('mpegts', 2);
  t.equal(init, null);
  t.equal(segments.length, 5);
  let audio = 0;
  for (const s of segments) {
    t.equal(s.data.length % 188, 0, 'whole TS packets');
    t.equal(s.data[0], 0x47, 'sync byte');
    const file = path.join(dir, `ts-${s.sequence}.ts`);
    fs.writeFileSync(file, s.data);
    const c = counts(file);
    t.equal(c.video, 60, `segment ${s.sequence} alone: 60 video packets`);
    audio += c.audio;
  }
  t.equal(audio, counts(fixtures.h264aac10s()).audio);
});

t.test('segment duration snaps to the keyframe grid', async (t) => {
  // keyframes every 2 s; a 3 s target cuts at the first keyframe at or after 3, 6 (and 9: none) → starts 0, 4, 6
  const { segments } = await segmentCopy('cmaf', 3);
  t.same(segments.map((s) => Math.round(s.start)), [0, 4, 6]);
  t.same(segments.map((s) => Math.round(s.duration)), [4, 2, 4]);
  t.ok(segments.every((s) => s.startsWithKeyframe));
});

t.test('wrong arguments', async (t) => {
  await t.rejects(Segmenter.open({ format: 'webm', streams: [{}], segmentDuration: 2 }), TypeError);
  await t.rejects(Segmenter.open({ format: 'cmaf', streams: [], segmentDuration: 2 }), TypeError);
  const dec = await Decoder.open(fixtures.h264aac10s(), { decode: false });
  await t.rejects(Segmenter.open({ format: 'cmaf', streams: [{ parameters: dec.video, timeBase: dec.video.timeBase }], segmentDuration: 0 }), RangeError);
  await t.rejects(Segmenter.open({ format: 'cmaf', streams: [{ parameters: dec.video, timeBase: dec.video.timeBase }], segmentDuration: 2, timeOffset: -1 }), RangeError);
  const seg = await Segmenter.open({ format: 'cmaf', streams: [{ parameters: dec.video, timeBase: dec.video.timeBase }], segmentDuration: 2 });
  const p = Packet.fromBuffer(Buffer.alloc(10), { pts: 0, dts: 0, streamIndex: 5, timeBase: [1, 90000] });
  const e = await Promise.resolve().then(() => seg.write([p])).catch((x) => x);
  t.ok(e instanceof RangeError || e instanceof FFmpegError, `out-of-range stream index rejected (${e?.message})`);
  p.free();
  await seg.close();
  t.throws(() => seg.write([]), FFmpegError, 'closed segmenter throws');
  await dec.close();
});

// x264 with B-frames in Matroska: the demuxer gives the first packets no dts
// (the container stores pts only, and the reorder delay isn't known yet).
const mkvBframes = () => fixture('bframes.mkv', ['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30:duration=4', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-pix_fmt', 'yuv420p']);

t.test('Matroska with B-frames: leading packets without dts are timed from the first that has one', async (t) => {
  const src = mkvBframes();
  const noDts = ffprobe(src, ['-show_packets', '-select_streams', 'v']).packets.filter((p) => p.dts_time === undefined).length;
  t.ok(noDts >= 1, `the source really lacks dts on ${noDts} leading packet(s)`);
  const dec = await Decoder.open(src, { decode: false });
  const seg = await Segmenter.open({ format: 'cmaf', segmentDuration: 2, streams: [{ parameters: dec.video, timeBase: dec.video.timeBase }] });
  const segments = [];
  for await (const p of dec.packets('video')) {
    // one packet per call: held packets must survive across calls
    segments.push(...(await seg.write([p])));
    p.free();
  }
  segments.push(...(await seg.finish()));
  const file = path.join(dir, 'mkv-bframes.mp4');
  fs.writeFileSync(file, Buffer.concat([seg.init, ...segments.map((x) => x.data)]));
  await seg.close();
  await dec.close();
  const pk = ffprobe(file, ['-show_packets']).packets;
  t.equal(pk.length, 120, 'every packet written (4 s × 30 fps)');
  t.ok(pk.every((p, i) => i === 0 || Number(p.dts) > Number(pk[i - 1].dts)), 'dts strictly increasing');
  t.ok(pk.every((p) => Number(p.pts) >= Number(p.dts)), 'pts >= dts everywhere');
  const first = Math.min(...pk.map((p) => Number(p.pts_time)));
  t.ok(Math.abs(first - 2 / 30) < 0.002, `first picture at the B-frame delay, 2 frames (${first})`);
  t.same(segments.map((x) => x.duration.toFixed(2)), ['2.00', '2.00'], 'cut on the 2 s grid');
  t.equal(ffmpeg(['-v', 'error', '-i', file, '-f', 'null', '-']).trim(), '', 'decodes without an error');
});

t.test('dts never given: increasing pts are timed at finish, reordered ones refused', async (t) => {
  const dec = await Decoder.open(fixtures.h264aac10s(), { decode: false });
  const params = dec.video;
  const pkt = (pts, key = false) => Packet.fromBuffer(Buffer.from([0, 0, 0, 1, key ? 0x65 : 0x41, 0x88]), { pts, timeBase: [1, 30], keyFrame: key, streamIndex: 0 });
  const run = async (ptsList) => {
    const seg = await Segmenter.open({ format: 'cmaf', segmentDuration: 2, streams: [{ parameters: params, timeBase: [1, 30] }] });
    const ps = ptsList.map((v, i) => pkt(v, i === 0));
    const r = await seg.write(ps).then(() => seg.finish()).then((x) => x, (e) => e);
    ps.forEach((p) => p.free());
    await seg.close();
    return r;
  };
  const ok = await run([0, 1, 2, 3]);
  t.ok(Array.isArray(ok) && ok.length === 1, 'one segment from packets that never had a dts');
  const bad = await run([0, 3, 1, 2]);
  t.type(bad, FFmpegError);
  t.match(bad, { errorName: 'EINVAL', message: /never got decode timestamps/ });
  const many = await run(Array.from({ length: 17 }, (_, i) => i));
  t.match(many, { errorName: 'EINVAL', message: /no decode timestamp in the stream's first 16 packets/ });
  await dec.close();
});

endsWithZeroLive(t);

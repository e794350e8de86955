// Inputs the fuzzer (scripts/fuzz.mjs) found, reduced to what they exercised.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Decoder, Encoder, Frame, Segmenter, remux, transcode, MemoryStore, FFmpegError } from 'ffnode';
import { fixture, root } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

t.test('a one-frame video transcodes into one segment of one frame, not a RangeError for duration 0', async (t) => {
  // fuzz seed 1 iters 2261, 3487, 3824, 7539, 7566: damaged files that decode to a single picture.
  const src = fixture('one-frame.mp4', ['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=10', '-frames:v', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']);
  const store = new MemoryStore();
  const r = await transcode(src, { out: store, ladder: [{ height: 32, bitrate: 50_000, preset: 'ultrafast' }], segmentDuration: 1, audio: false }).done;
  t.equal(r.renditions[0].segments, 1);
  const playlist = (await store.get(r.manifests.find((k) => k.endsWith('index.m3u8')))).toString();
  t.match(playlist, /#EXTINF:0\.1(0*)?,/, 'the segment lasts one frame at 10 fps');
});

t.test('encoders with delay still give every video packet a duration (one frame)', async (t) => {
  const enc = await Encoder.open({ codec: 'libx264', width: 32, height: 32, frameRate: [10, 1], timeBase: [1, 1000], preset: 'ultrafast' });
  const f = Frame.video({ width: 32, height: 32, pts: 0, timeBase: [1, 1000] });
  const packets = [...(await enc.encode(f)), ...(await enc.encode(null))];
  f.free();
  t.equal(packets.length, 1);
  t.equal(packets[0].duration, 100, '1/10 s in a 1/1000 time base');
  for (const p of packets) p.free();
  await enc.close();
});

t.test('Segmenter.open takes the codec parameters a demuxer reports, even beyond frame limits', async (t) => {
  // fuzz seed 1 iter 2082: a PNG header claiming 65280 pixels of width.
  const seg = await Segmenter.open({ format: 'mpegts', segmentDuration: 1, streams: [{ parameters: { mediaType: 'video', codec: 'h264', width: 65280, height: 64 }, timeBase: [1, 90000] }] })
    .catch((e) => e);
  t.notOk(seg instanceof RangeError || seg instanceof TypeError, `no argument error (${seg?.message ?? 'opened'})`);
  if (seg instanceof FFmpegError) t.pass('the muxer refused it with an FFmpegError');
  else await seg.close();
});

const saved = (name) => path.join(root, 'test', 'fixtures', name);
const rssMB = () => process.resourceUsage().maxRSS / 1024;

t.test('an 11 KB MP4 announcing a huge sample index costs neither seconds nor a gigabyte', async (t) => {
  // fuzz seed 2 iter 5581: overwritten fragment box fields. Without a cap on
  // one allocation, libavformat's mov demuxer took 7-9 s and 1.1 GB on it
  // (the ffmpeg CLI too); av_max_alloc() makes it fail at once.
  const before = rssMB();
  const t0 = Date.now();
  for (const input of [saved('fuzz-mov-huge-index.mp4'), Readable.from([fs.readFileSync(saved('fuzz-mov-huge-index.mp4'))])]) {
    try {
      const dec = await Decoder.open(input, { timeoutMs: 2000 });
      for await (const f of dec.frames()) f.free();
      await dec.close();
    } catch (e) {
      t.ok(e instanceof FFmpegError, `typed: ${e.errorName} ${e.message}`);
      t.not(e.errorName, 'ETIMEDOUT', 'the demuxer\'s own CPU time is not "no data"');
    }
  }
  t.ok(Date.now() - t0 < 2000, `both opens took ${Date.now() - t0} ms`);
  t.ok(rssMB() - before < 300, `peak RSS grew by ${Math.round(rssMB() - before)} MB`);
});

t.test('a demuxer saying EAGAIN ("skipped, read again") is retried, not surfaced', async (t) => {
  // fuzz seed 1 iter 874: a damaged ADTS file; av_read_frame returns EAGAIN mid-file.
  const dec = await Decoder.open(saved('fuzz-adts-eagain.aac'));
  let frames = 0;
  for await (const f of dec.frames('audio')) {
    frames++;
    f.free();
  }
  await dec.close();
  t.ok(frames > 0, `${frames} frames decoded to the end`);
  const out = path.join(t.testdir(), 'out.m4a');
  const r = await remux(saved('fuzz-adts-eagain.aac'), out);
  t.ok(r.packets > 0, `remux copied ${r.packets} packets`);
});

t.test('a byte source\'s timeoutMs counts waiting for bytes, not decoding them', async (t) => {
  // Every byte is there at once; find_stream_info's decoding alone takes
  // longer than the 5 ms allowed: that is not "no data for 5 ms".
  const file = fixture('timeout-cpu-720p.ts', ['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mpegts']);
  const dec = await Decoder.open(Readable.from([fs.readFileSync(file)]), { timeoutMs: 5 });
  let frames = 0;
  for await (const f of dec.frames()) {
    frames++;
    f.free();
  }
  await dec.close();
  t.equal(frames, 60);
  // The same deadline still ends a silent source.
  const silent = new Readable({ read() {} });
  silent.push(fs.readFileSync(file).subarray(0, 188 * 40));
  const e = await Decoder.open(silent, { timeoutMs: 200, format: 'mpegts' }).then(async (d) => {
    try {
      for await (const f of d.frames()) f.free();
    } finally {
      await d.close();
    }
  }).catch((x) => x);
  t.ok(e instanceof FFmpegError && e.errorName === 'ETIMEDOUT', `a silent source times out (${e?.errorName})`);
});

endsWithZeroLive(t);

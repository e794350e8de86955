import t from 'tap';
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { Decoder, FFmpegError, stats } from 'ffnode';
import { fixtures, ffprobe, countFrames, truncatedCopy, garbageFile } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

async function drain(dec) {
  const counts = {};
  const last = {};
  let monotonic = true;
  let batch;
  while ((batch = await dec.read())) {
    const i = batch.streamIndex;
    for (const f of batch.frames) {
      counts[i] = (counts[i] ?? 0) + 1;
      if (last[i] !== undefined && !(f.pts > last[i])) monotonic = false;
      last[i] = f.pts;
      f.free();
    }
  }
  return { counts, monotonic, last };
}

t.test('stream info matches ffprobe', async (t) => {
  const file = await fixtures.h264aac10s();
  const probe = await ffprobe(file);
  const dec = await Decoder.open(file);
  t.equal(dec.streams.length, probe.streams.length);
  const v = dec.video;
  const pv = probe.streams.find((s) => s.codec_type === 'video');
  t.equal(v.codec, pv.codec_name);
  t.equal(v.width, pv.width);
  t.equal(v.height, pv.height);
  t.same(v.frameRate, [30, 1]);
  t.equal(v.timeBase.join('/'), pv.time_base);
  t.ok(Math.abs(dec.info.duration - Number(probe.format.duration)) < 0.05, 'container duration');
  t.match(v.codecString, /^avc1\.[0-9a-f]{6}$/);
  const a = dec.audio;
  const pa = probe.streams.find((s) => s.codec_type === 'audio');
  t.equal(a.codec, 'aac');
  t.equal(a.sampleRate, Number(pa.sample_rate));
  t.equal(a.channels, pa.channels);
  t.equal(a.codecString, 'mp4a.40.2');
  await dec.close();
});

t.test('decodes every frame: counts equal ffprobe -count_frames (EOF flush loses nothing), pts monotonic', async (t) => {
  const file = await fixtures.h264aac10s();
  const want = { 0: await countFrames(file, 'v:0'), 1: await countFrames(file, 'a:0') };
  t.equal(want[0], 300);
  const dec = await Decoder.open(file);
  const { counts, monotonic } = await drain(dec);
  t.same(counts, want);
  t.ok(monotonic, 'presentation timestamps strictly increase per stream');
  t.equal(await dec.read(), null, 'read after the end stays null');
  await dec.close();
});

t.test('frames() iterator yields one stream in order, with time base and geometry', async (t) => {
  const file = await fixtures.h264aac10s();
  const dec = await Decoder.open(file);
  let n = 0;
  let prev = -1;
  for await (const f of dec.frames('video')) {
    t.equal(f.width, 640);
    if (n === 0) t.same(f.timeBase, dec.video.timeBase);
    if (!(f.pts > prev)) t.fail(`pts went back at frame ${n}`);
    prev = f.pts;
    n++;
    f.free();
  }
  t.equal(n, 300);
  await dec.close();
});

t.test('breaking out of frames() frees what it held', async (t) => {
  const dec = await Decoder.open(await fixtures.h264aac10s());
  for await (const f of dec.frames('audio')) {
    f.free();
    break;
  }
  await dec.close();
  t.equal(stats().frames, 0);
});

t.test('lavfi sources', async (t) => {
  const dec = await Decoder.open('testsrc2=size=320x240:rate=25:duration=2', { format: 'lavfi' });
  t.equal(dec.video.width, 320);
  const { counts } = await drain(dec);
  t.equal(counts[0], 50);
  await dec.close();
});

t.test('packets() matches ffprobe packet counts', async (t) => {
  const file = await fixtures.h264aac10s();
  const probe = await ffprobe(file, ['-show_packets']);
  const want = {};
  for (const p of probe.packets) want[p.stream_index] = (want[p.stream_index] ?? 0) + 1;
  const dec = await Decoder.open(file, { decode: false });
  t.equal(dec.video.decodable, false, 'decode: false opens no decoder');
  const got = {};
  let keys = 0;
  for await (const p of dec.packets()) {
    got[p.streamIndex] = (got[p.streamIndex] ?? 0) + 1;
    if (p.streamIndex === 0 && p.keyFrame) keys++;
    p.free();
  }
  t.same(got, want);
  t.equal(keys, 5, 'keyframes every 60 frames in 300');
  await dec.close();
});

t.test('readPacket + decodePacket + flush equals read()', async (t) => {
  const file = await fixtures.h264aac10s();
  const dec = await Decoder.open(file);
  let frames = 0;
  for await (const p of dec.packets('video')) {
    for (const f of await dec.decodePacket(p)) {
      frames++;
      f.free();
    }
    p.free();
  }
  for (const f of await dec.flush(0)) {
    frames++;
    f.free();
  }
  t.equal(frames, 300);
  await dec.close();
});

t.test('seek lands on the keyframe at or before the target', async (t) => {
  const dec = await Decoder.open(await fixtures.h264aac10s());
  await dec.seek(5.1, 'video');
  const it = dec.frames('video');
  const { value: f } = await it.next();
  const secs = (f.pts * f.timeBase[0]) / f.timeBase[1];
  t.ok(secs >= 3.9 && secs <= 5.1, `first frame after seek at ${secs}s (keyframes every 2 s)`);
  f.free();
  await it.return();
  await dec.close();
});

t.test('Node Readable input through custom I/O', async (t) => {
  const file = await fixtures.mpegts10s();
  const want = await countFrames(file, 'v:0');
  const dec = await Decoder.open(fs.createReadStream(file, { highWaterMark: 64 * 1024 }), { format: 'mpegts' });
  t.equal(dec.video.codec, 'h264');
  let n = 0;
  for await (const f of dec.frames('video')) {
    n++;
    f.free();
  }
  t.equal(n, want);
  await dec.close();
});

t.test('async iterable input with a large file stays bounded (backpressure)', async (t) => {
  const file = await fixtures.mpegts10s();
  const data = fs.readFileSync(file);
  let pulled = 0;
  async function* chunks() {
    for (let o = 0; o < data.length; o += 256 * 1024) {
      pulled += Math.min(256 * 1024, data.length - o);
      yield data.subarray(o, o + 256 * 1024);
    }
  }
  const dec = await Decoder.open(chunks(), { format: 'mpegts' });
  t.ok(pulled <= 8 * 1024 * 1024 + 256 * 1024, 'the source is not read far ahead of the demuxer');
  const { counts } = await drain(dec);
  t.equal(counts[0], 300);
  await dec.close();
});

t.test('close() interrupts a read blocked on a silent stream', async (t) => {
  const src = new PassThrough();
  src.write(fs.readFileSync(await fixtures.mpegts10s()).subarray(0, 300_000));
  const dec = await Decoder.open(src, { format: 'mpegts', timeoutMs: 0 });
  const reading = (async () => {
    let n = 0;
    for await (const f of dec.frames()) {
      n++;
      f.free();
    }
    return n;
  })().then(() => null, (e) => e);
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  await dec.close();
  t.ok(Date.now() - t0 < 1000, 'close returns promptly');
  const err = await reading;
  t.type(err, FFmpegError, 'the pending read rejects with a typed error');
  t.equal(err.errorName, 'EXIT', 'the blocked read itself reports the interruption');
  t.ok(src.destroyed, 'the source stream is released');
});

t.test('a stalled stream times out with ETIMEDOUT', async (t) => {
  const t0 = Date.now();
  const err = await Decoder.open(new PassThrough(), { format: 'mpegts', timeoutMs: 400 }).catch((e) => e);
  t.type(err, FFmpegError);
  t.equal(err.errorName, 'ETIMEDOUT');
  t.ok(Date.now() - t0 < 3000);
});

t.test('a source stream error surfaces as that error', async (t) => {
  const src = new PassThrough();
  setTimeout(() => src.destroy(new Error('peer reset')), 50);
  await t.rejects(Decoder.open(src, { format: 'mpegts' }), /peer reset/);
});

t.test('bad inputs give typed errors, never a crash', async (t) => {
  const missing = await Decoder.open('/nonexistent/file.mp4').catch((e) => e);
  t.type(missing, FFmpegError);
  t.equal(missing.errorName, 'ENOENT');
  t.match(missing.message, /avformat_open_input \(\/nonexistent\/file\.mp4\)/);

  const garbage = await Decoder.open(await garbageFile(64 * 1024)).catch((e) => e);
  t.type(garbage, FFmpegError);
  t.equal(garbage.errorName, 'INVALIDDATA');

  const cutMp4 = await truncatedCopy(await fixtures.h264aac10s(), 100_000);
  const cut = await Decoder.open(cutMp4).catch((e) => e);
  t.type(cut, FFmpegError, 'mp4 without its moov: typed error');

  const cutTs = await truncatedCopy(await fixtures.mpegts10s(), 400_000);
  const dec = await Decoder.open(cutTs);
  const { counts } = await drain(dec);
  t.ok(counts[0] > 10 && counts[0] < 300, `truncated ts decodes what is there (${counts[0]} frames)`);
  await dec.close();

  const badFmt = await Decoder.open('x', { format: 'no-such-format' }).catch((e) => e);
  t.equal(badFmt.errorName, 'DEMUXER_NOT_FOUND');
  const badOpt = await Decoder.open('testsrc2', { format: 'lavfi', options: { no_such_option: 1 } }).catch((e) => e);
  t.equal(badOpt.errorName, 'OPTION_NOT_FOUND');
  t.match(badOpt.message, /no_such_option/);
});

t.test('wrong arguments throw before native code', async (t) => {
  await t.rejects(Decoder.open(42), TypeError);
  await t.rejects(Decoder.open('x', { timeoutMs: -1 }), RangeError);
  await t.rejects(Decoder.open('x', { threads: 1.5 }), RangeError);
  await t.rejects(Decoder.open('x', { oneThreadUpTo: -1 }), RangeError);
  const dec = await Decoder.open(await fixtures.h264aac10s());
  t.throws(() => dec.seek(-1), RangeError);
  t.throws(() => dec.streamIndex(9), RangeError);
  await dec.close();
  await dec.close();
  t.throws(() => dec.read(), /closed/, 'a closed decoder throws, never crashes');
});

t.test('AbortSignal closes the decoder', async (t) => {
  const ac = new AbortController();
  const dec = await Decoder.open(await fixtures.h264aac10s(), { signal: ac.signal });
  const it = dec.frames();
  (await it.next()).value.free();
  ac.abort();
  await t.rejects(it.next(), FFmpegError);
  t.ok(dec.closed);
  await dec.close();
});

// Threads of this process, from the kernel (libavcodec's frame threads are real threads).
const threadCount = () => fs.readdirSync('/proc/self/task').length;

t.test('oneThreadUpTo: a light video stream decodes without frame threads', async (t) => {
  const file = await fixtures.video720p5s(); // 1280x720x30 = 27.6 Mpx/s
  const opened = async (opts) => {
    const before = threadCount();
    const dec = await Decoder.open(file, { threads: 6, ...opts });
    const added = threadCount() - before;
    let n = 0;
    for await (const f of dec.frames('video')) {
      n++;
      f.free();
    }
    await dec.close();
    return { added, n };
  };
  const threaded = await opened({});
  const light = await opened({ oneThreadUpTo: 1920 * 1080 * 60 });
  const heavy = await opened({ oneThreadUpTo: 640 * 360 * 30 });
  t.ok(threaded.added >= 6, `threads: 6 starts frame threads (+${threaded.added})`);
  t.ok(light.added <= 2, `under the limit: only the reader strand (+${light.added})`);
  t.ok(heavy.added >= 6, `over the limit: threads applies (+${heavy.added})`);
  t.same([threaded.n, light.n, heavy.n], [150, 150, 150], 'every frame decodes either way');
});

endsWithZeroLive(t);

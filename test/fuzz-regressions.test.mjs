// Inputs the fuzzer (scripts/fuzz.mjs) found, reduced to what they exercised.
import t from 'tap';
import { Encoder, Frame, Segmenter, transcode, MemoryStore, FFmpegError } from 'ffnode';
import { fixture } from './helpers/media.mjs';
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

endsWithZeroLive(t);

// Regressions from the sanitizer/fuzz audit: each of these once crashed, hung
// or leaked an untyped error. They must end in a typed error, quickly.
import t from 'tap';
import { PassThrough } from 'node:stream';
import { Frame, Packet, FramePool, Resampler, Segmenter, Decoder, Encoder, FFmpegError, stats } from 'ffnode';
import { fixtures } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

t.test('resampler: a rejected input layout, then a flush, is a typed error, not a crash', async (t) => {
  const rs = new Resampler({ sampleRate: 48000, channelLayout: 'stereo', format: 'fltp', frameSize: 1024 });
  const f = Frame.audio({ sampleRate: 48000, channelLayout: 'FL+FL', format: 'fltp', nbSamples: 1024 });
  await t.rejects(rs.convert(f), FFmpegError);
  t.same(await rs.convert(null), [], 'flush after a failed set-up returns nothing');
  f.free();
  rs.close();
});

t.test('segmenter: a huge timestamp jump is refused or handled at once, never spins', async (t) => {
  const dec = await Decoder.open(fixtures.h264aac10s(), { decode: false });
  const seg = await Segmenter.open({ format: 'cmaf', segmentDuration: 2, streams: [{ parameters: dec.video, timeBase: dec.video.timeBase }] });
  const key = (pts) => Packet.fromBuffer(Buffer.from([0, 0, 0, 1, 0x65, 0x88]), { pts, dts: pts, timeBase: [1, 15360], keyFrame: true, streamIndex: 0 });
  const a = key(0);
  (await seg.write([a])).forEach((s) => t.ok(s.size >= 0));
  for (const jump of [2 ** 40, 2 ** 51, 2 ** 53]) {
    const p = key(jump);
    const t0 = Date.now();
    const r = await seg.write([p]).then(() => 'written', (e) => e);
    t.ok(Date.now() - t0 < 1000, `jump to ${jump}: settled in ${Date.now() - t0} ms (${r instanceof Error ? r.message : r})`);
    if (r instanceof Error) t.type(r, FFmpegError);
    p.free();
  }
  a.free();
  await seg.close();
  await dec.close();
});

t.test('decoder: close() right after open() never touches freed state', async (t) => {
  for (let i = 0; i < 20; i++) {
    const opening = Decoder.open(fixtures.h264aac10s());
    const dec = await opening;
    const reading = dec.read().then((b) => b?.frames.forEach((f) => f.free()), (e) => e);
    await dec.close();
    const r = await reading;
    if (r instanceof Error) t.type(r, FFmpegError);
  }
  t.pass('20 open/close races survived');
});

t.test('decoder: an AbortSignal interrupts an open waiting on a silent stream', async (t) => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('gave up')), 200);
  const t0 = Date.now();
  await t.rejects(Decoder.open(new PassThrough(), { format: 'mpegts', signal: ac.signal }), /gave up/);
  t.ok(Date.now() - t0 < 2000, `rejected after ${Date.now() - t0} ms`);
});

t.test('freed handles and hardware formats: TypeError, not a plain Error', async (t) => {
  const f = Frame.video({ width: 16, height: 16 });
  f.free();
  t.throws(() => f.width, TypeError);
  t.throws(() => f.ref(), TypeError);
  t.throws(() => f.data(0), TypeError);
  const p = Packet.fromBuffer(Buffer.alloc(4));
  p.free();
  t.throws(() => p.pts, TypeError);
  t.throws(() => new FramePool({ width: 16, height: 16, format: 'vaapi' }), TypeError);
  t.throws(() => Frame.video({ width: 16, height: 16, format: 'cuda' }), TypeError);
  // An impossible timestamp is refused by name (it once became "none" silently): no undefined behaviour, no coercion.
  t.throws(() => Packet.fromBuffer(Buffer.alloc(4), { pts: 1e300 }), { name: 'RangeError', message: /pts must be an integer timestamp/ });
  t.throws(() => Packet.fromBuffer(Buffer.alloc(4), { dts: -Infinity }), { name: 'RangeError', message: /dts must be/ });
  t.equal(stats().frames + stats().packets, 0);
});

t.test('encoders that crash the linked libavcodec are refused at open, with a reason', async (t) => {
  // FFmpeg 5.1: rpza corrupts the heap on ordinary pictures, flashsv aborts on a 1-pixel side.
  const e1 = await Encoder.open({ codec: 'rpza', width: 32, height: 32, frameRate: [10, 1] }).then(() => null, (e) => e);
  t.type(e1, FFmpegError);
  t.match(e1, { errorName: 'EINVAL', message: /rpza encoder of this FFmpeg .* corrupts memory/ });
  const e2 = await Encoder.open({ codec: 'flashsv', width: 1, height: 16, frameRate: [10, 1] }).then(() => null, (e) => e);
  t.match(e2, { errorName: 'EINVAL', message: /at least 2x2/ });
  const ok = await Encoder.open({ codec: 'flashsv', width: 2, height: 2, frameRate: [10, 1] });
  const f = Frame.video({ width: 2, height: 2, format: ok.parameters.pixelFormat, pts: 0, timeBase: [1, 10] });
  const pk = [...(await ok.encode(f)), ...(await ok.encode(null))];
  t.equal(pk.length, 1, 'flashsv at 2x2 encodes');
  pk.forEach((p) => p.free());
  f.free();
  await ok.close();
});

endsWithZeroLive(t);

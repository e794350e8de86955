import t from 'tap';
import { Frame, Scaler, Resampler, Decoder, FFmpegError, stats } from 'ffnode';
import { endsWithZeroLive } from './helpers/leaks.mjs';

function solid(width, height, y, u, v) {
  const f = Frame.video({ width, height, format: 'yuv420p', pts: 42, timeBase: [1, 30] });
  f.data(0).fill(y);
  f.data(1).fill(u);
  f.data(2).fill(v);
  return f;
}

t.test('scales size and converts pixel format, carrying timestamps', async (t) => {
  const src = solid(1280, 720, 235, 128, 128); // limited-range white
  src.keyFrame = true;
  const s = new Scaler({ width: 640, height: 360, format: 'rgb24' });
  const out = await s.scale(src);
  t.equal(out.width, 640);
  t.equal(out.height, 360);
  t.equal(out.format, 'rgb24');
  t.equal(out.pts, 42);
  t.same(out.timeBase, [1, 30]);
  t.equal(out.pictType, 'I', 'a forced keyframe request survives scaling');
  const px = out.data(0);
  t.ok(px[0] >= 250 && px[1] >= 250 && px[2] >= 250, `white stays white (${px[0]},${px[1]},${px[2]})`);
  out.free();
  src.free();
  s.close();
});

t.test('luma values survive a downscale; geometry may change mid-stream', async (t) => {
  const s = new Scaler({ width: 320, height: 180 });
  for (const [w, h] of [[1920, 1080], [640, 480], [1920, 1080]]) {
    const src = solid(w, h, 100, 128, 128);
    const out = await s.scale(src);
    const y = out.data(0);
    t.ok(Math.abs(y[0] - 100) <= 1, `${w}x${h} → 320x180 keeps Y≈100 (${y[0]})`);
    t.ok(Math.abs(y[out.linesize(0) * 179 + 319] - 100) <= 1);
    src.free();
    out.free();
  }
  s.close();
});

async function collect() {
  // plane Buffers from earlier tests hold pool memory until the GC frees them
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r));
  }
}

t.test('pooled output: steady state allocates nothing', async (t) => {
  await collect();
  t.equal(stats().poolBytes, 0, 'no pool memory once views are collected');
  const s = new Scaler({ width: 320, height: 180 });
  const src = solid(640, 360, 16, 128, 128);
  (await s.scale(src)).free();
  const bytes = stats().poolBytes;
  for (let i = 0; i < 50; i++) (await s.scale(src)).free();
  t.equal(stats().poolBytes, bytes);
  src.free();
  s.close();
  t.equal(stats().poolBytes, 0);
});

t.test('calls made without awaiting complete in order; close while busy is safe', async (t) => {
  const s = new Scaler({ width: 64, height: 36 });
  const promises = [];
  for (let i = 0; i < 20; i++) {
    const f = solid(640, 360, 16, 128, 128);
    f.pts = i;
    promises.push(s.scale(f));
    f.free(); // freeing right after the call is allowed
  }
  s.close();
  const outs = await Promise.all(promises);
  t.same(outs.map((o) => o.pts), [...Array(20).keys()]);
  outs.forEach((o) => o.free());
  const late = solid(8, 8, 0, 0, 0);
  t.throws(() => s.scale(late), FFmpegError);
  late.free();
});

t.test('wrong arguments', async (t) => {
  t.throws(() => new Scaler({ width: 0, height: 10 }), RangeError);
  t.throws(() => new Scaler({ width: 10, height: 10, format: 'nope' }), TypeError);
  t.throws(() => new Scaler({ width: 10, height: 10, algorithm: 'magic' }), TypeError);
  const s = new Scaler({ width: 10, height: 10 });
  await t.rejects(async () => s.scale({}), TypeError);
  const a = Frame.audio({ sampleRate: 8000, nbSamples: 10 });
  await t.rejects(async () => s.scale(a), TypeError);
  a.free();
  s.close();
  t.throws(() => new Resampler({ sampleRate: 0 }), RangeError);
  t.throws(() => new Resampler({ sampleRate: 48000, channelLayout: 'nope' }), TypeError);
});

t.test('resampler: 44.1 kHz mono s16 → 48 kHz stereo fltp in 1024-sample frames', async (t) => {
  const r = new Resampler({ sampleRate: 48000, channelLayout: 'stereo', format: 'fltp', frameSize: 1024 });
  const sizes = [];
  const pts = [];
  let total = 0;
  for (let i = 0; i < 44; i++) {
    const a = Frame.audio({ sampleRate: 44100, channelLayout: 'mono', format: 's16', nbSamples: 1002, pts: i * 1002, timeBase: [1, 44100] });
    a.data(0).fill(0);
    for (const o of await r.convert(a)) {
      sizes.push(o.nbSamples);
      pts.push(o.pts);
      total += o.nbSamples;
      t.equal(o.channels, 2);
      t.equal(o.format, 'fltp');
      o.free();
    }
    a.free();
  }
  for (const o of await r.convert(null)) {
    sizes.push(o.nbSamples);
    pts.push(o.pts);
    total += o.nbSamples;
    o.free();
  }
  const expected = Math.round((44 * 1002 * 48000) / 44100);
  t.ok(Math.abs(total - expected) <= 2, `sample count ${total} ≈ ${expected}`);
  t.ok(sizes.slice(0, -1).every((n) => n === 1024), 'every frame but the last has exactly frameSize samples');
  t.ok(sizes.at(-1) <= 1024);
  t.same(pts.slice(0, 3), [0, 1024, 2048], 'pts count samples at the output rate');
  r.close();
});

t.test('resampler on decoded audio keeps duration', async (t) => {
  const dec = await Decoder.open('sine=frequency=1000:sample_rate=44100:duration=3', { format: 'lavfi' });
  const r = new Resampler({ sampleRate: 48000, channelLayout: 'stereo', format: 'fltp', frameSize: 960 });
  let total = 0;
  for await (const f of dec.frames('audio')) {
    for (const o of await r.convert(f)) {
      total += o.nbSamples;
      o.free();
    }
    f.free();
  }
  for (const o of await r.convert(null)) {
    total += o.nbSamples;
    o.free();
  }
  t.ok(Math.abs(total - 3 * 48000) <= 2, `3 s → ${total} samples at 48 kHz`);
  r.close();
  await dec.close();
});

endsWithZeroLive(t);

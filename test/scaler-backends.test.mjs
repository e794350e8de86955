// Scaler backends: zimg (same-format resizes) against the ffmpeg CLI's own
// zscale and scale filters as oracles, routing between zimg and swscale, and
// the formats each takes.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Frame, Scaler, Decoder, FFmpegError } from 'ffnode';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { fixture, ffmpeg, fixturesDir } from './helpers/media.mjs';

// One detailed 1280x720 yuv420p picture as raw bytes, and the CLI's downscales of it.
const size = [1280, 720];
const out = [640, 360];
const raw = fixture('scaler-src.yuv', ['-f', 'lavfi', '-i', `testsrc2=size=${size.join('x')}:rate=1:duration=1`, '-frames:v', '1', '-pix_fmt', 'yuv420p', '-f', 'rawvideo']);
function cliScaled(name, filter) {
  const file = path.join(fixturesDir, `${name}-${out.join('x')}.yuv`);
  if (!fs.existsSync(file)) {
    ffmpeg(['-y', '-f', 'rawvideo', '-pixel_format', 'yuv420p', '-video_size', size.join('x'), '-i', raw, '-vf', filter, '-f', 'rawvideo', `${file}.tmp`]);
    fs.renameSync(`${file}.tmp`, file);
  }
  return fs.readFileSync(file);
}

async function sourceFrame() {
  const dec = await Decoder.open(raw, { format: 'rawvideo', options: { video_size: size.join('x'), pixel_format: 'yuv420p' } });
  for await (const f of dec.frames('video')) {
    await dec.close();
    return f;
  }
  throw new Error('no frame');
}

// Tightly packed planes of a yuv420p frame (rows without their padding).
function packed(f) {
  const parts = [];
  for (let p = 0; p < 3; p++) {
    const w = p ? f.width / 2 : f.width, h = p ? f.height / 2 : f.height, d = f.data(p), ls = f.linesize(p);
    for (let y = 0; y < h; y++) parts.push(d.subarray(y * ls, y * ls + w));
  }
  return Buffer.concat(parts);
}

function psnr(a, b) {
  if (a.length !== b.length) throw new Error(`sizes differ: ${a.length} vs ${b.length}`);
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / se);
}

async function scaled(opts, src) {
  const s = new Scaler({ width: out[0], height: out[1], ...opts });
  const f = await s.scale(src);
  const bytes = packed(f);
  f.free();
  s.close();
  return bytes;
}

t.test('zimg matches the CLI\'s zscale with the same kernel, and stays close to swscale', async (t) => {
  const src = await sourceFrame();
  const zimg = await scaled({ backend: 'zimg' }, src);
  const sws = await scaled({ backend: 'swscale' }, src);
  const cliZscale = cliScaled('zscale', `zscale=w=${out[0]}:h=${out[1]}:filter=bicubic:param_a=0:param_b=0.6`);
  const cliScale = cliScaled('scale', `scale=${out[0]}:${out[1]}`);
  const zz = psnr(zimg, cliZscale), ss = psnr(sws, cliScale), zs = psnr(zimg, cliScale);
  t.ok(zz >= 50, `zimg backend vs ffmpeg zscale (bicubic B=0 C=0.6): ${zz.toFixed(1)} dB`);
  t.ok(ss >= 50, `swscale backend vs ffmpeg scale: ${ss.toFixed(1)} dB`);
  t.ok(zs >= 35 && zs < 99, `zimg vs swscale: ${zs.toFixed(1)} dB (same picture, different implementations)`);
  src.free();
});

t.test('auto takes zimg for same-format resizes and swscale for conversions', async (t) => {
  const src = await sourceFrame();
  t.same(await scaled({}, src), await scaled({ backend: 'zimg' }, src), 'yuv420p → yuv420p: byte-identical to zimg');
  const conv = async (backend) => {
    const s = new Scaler({ width: 320, height: 180, format: 'yuv444p', ...(backend ? { backend } : {}) });
    const f = await s.scale(src);
    const b = Buffer.from(f.data(0).subarray(0, f.linesize(0) * 180));
    f.free();
    s.close();
    return b;
  };
  t.same(await conv(), await conv('swscale'), 'yuv420p → yuv444p: byte-identical to swscale');
  t.same(await scaled({ algorithm: 'area' }, src), await scaled({ algorithm: 'area', backend: 'swscale' }, src), "'area' (zimg has none) runs on swscale");
  src.free();
});

t.test('sizes zimg cannot take (odd 4:2:0) go to swscale under auto, and are refused under zimg', async (t) => {
  const src = await sourceFrame();
  for (const [w, h] of [[853, 479], [1, 1], [3, 2]]) {
    const run = async (backend) => {
      const s = new Scaler({ width: w, height: h, ...(backend ? { backend } : {}) });
      const r = await s.scale(src).then((f) => {
        const rows = []; // luma without the row padding (pool memory is not cleared)
        for (let y = 0; y < h; y++) rows.push(f.data(0).subarray(y * f.linesize(0), y * f.linesize(0) + w));
        f.free();
        return Buffer.concat(rows);
      }, (e) => e);
      s.close();
      return r;
    };
    t.same(await run(), await run('swscale'), `${w}x${h}: auto equals swscale byte for byte`);
    const e = await run('zimg');
    t.match(e, { errorName: 'EINVAL', message: /not divisible by the chroma subsampling/ }, `${w}x${h}: backend 'zimg' says why`);
  }
  src.free();
});

t.test('zimg takes 10-bit and grey planes', async (t) => {
  const hi = Frame.video({ width: 1920, height: 1080, format: 'yuv420p10le' });
  for (const [p, v] of [[0, 400], [1, 512], [2, 512]]) new Uint16Array(hi.data(p).buffer, hi.data(p).byteOffset, hi.data(p).length / 2).fill(v);
  const s10 = new Scaler({ width: 640, height: 360, format: 'yuv420p10le', backend: 'zimg' });
  const o10 = await s10.scale(hi);
  const y10 = new Uint16Array(o10.data(0).buffer, o10.data(0).byteOffset, o10.data(0).length / 2);
  t.equal(o10.format, 'yuv420p10le');
  t.ok(Math.abs(y10[0] - 400) <= 1 && Math.abs(y10[(o10.linesize(0) / 2) * 359 + 639] - 400) <= 1, `10-bit luma kept (${y10[0]})`);
  const grey = Frame.video({ width: 1280, height: 720, format: 'gray' });
  grey.data(0).fill(77);
  const sg = new Scaler({ width: 320, height: 180, format: 'gray', backend: 'zimg' });
  const og = await sg.scale(grey);
  t.equal(og.data(0)[og.linesize(0) * 90 + 160], 77);
  for (const f of [hi, o10, grey, og]) f.free();
  s10.close();
  sg.close();
});

t.test('zimg refuses what it cannot do, with typed errors', async (t) => {
  t.throws(() => new Scaler({ width: 64, height: 64, backend: 'bogus' }), TypeError);
  t.throws(() => new Scaler({ width: 64, height: 64, format: 'rgb24', backend: 'zimg' }), { name: 'TypeError', message: /zimg cannot produce rgb24/ });
  t.throws(() => new Scaler({ width: 64, height: 64, algorithm: 'area', backend: 'zimg' }), TypeError);
  const s = new Scaler({ width: 64, height: 64, backend: 'zimg' });
  const nv12 = Frame.video({ width: 128, height: 128, format: 'nv12' });
  const err = await s.scale(nv12).then(() => null, (e) => e);
  t.type(err, FFmpegError);
  t.match(err, { errorName: 'EINVAL', message: /only resizes/ });
  nv12.free();
  const ok = Frame.video({ width: 128, height: 128, format: 'yuv420p' });
  (await s.scale(ok)).free(); // still usable after a refused frame
  ok.free();
  s.close();
});

endsWithZeroLive(t);

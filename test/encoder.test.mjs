import t from 'tap';
import { Frame, Decoder, Encoder, FFmpegError } from 'ffnode';
import { fixtures } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

// NAL unit types in a length-prefixed (avcc) H.264 packet.
function nalTypes(buf) {
  const types = [];
  for (let i = 0; i + 4 <= buf.length; ) {
    const len = buf.readUInt32BE(i);
    if (len === 0 || i + 4 + len > buf.length) break;
    types.push(buf[i + 4] & 0x1f);
    i += 4 + len;
  }
  return types;
}

async function encodeAll(enc, frames) {
  const packets = [];
  for (const f of frames) packets.push(...(await enc.encode(f)));
  packets.push(...(await enc.encode(null)));
  return packets;
}

function gradient(i, w = 320, h = 240) {
  const f = Frame.video({ width: w, height: h, format: 'yuv420p', pts: i, timeBase: [1, 30] });
  const y = f.data(0);
  for (let r = 0; r < h; r++) y.fill((r + i * 3) & 0xff, r * f.linesize(0), r * f.linesize(0) + w);
  f.data(1).fill(128);
  f.data(2).fill(128);
  return f;
}

t.test('libx264: every frame comes out after flush; GOP and forced IDRs where asked', async (t) => {
  const enc = await Encoder.open({ codec: 'libx264', width: 320, height: 240, frameRate: [30, 1], timeBase: [1, 30],
    preset: 'veryfast', gop: 30, sceneCut: false, bitRate: 500_000 });
  t.same(enc.selection, { encoder: 'libx264', hardware: null, reason: enc.selection.reason });
  t.match(enc.parameters.codecString, /^avc1\.(64|4d|42)[0-9a-f]{4}$/);
  t.ok(enc.parameters.extradata?.length > 8, 'global header: avcC extradata');
  const frames = Array.from({ length: 60 }, (_, i) => gradient(i));
  frames[45].keyFrame = true;
  const packets = await encodeAll(enc, frames);
  t.equal(packets.length, 60, 'EOF flush returns the frames x264 held for lookahead');
  const keys = packets.filter((p) => p.keyFrame).map((p) => p.pts).sort((a, b) => a - b);
  t.same(keys, [0, 30, 45], 'keyframes at the GOP and at the forced frame');
  for (const p of packets.filter((p) => p.keyFrame)) t.ok(nalTypes(p.data()).includes(5), `keyframe at ${p.pts} is an IDR`);
  t.same(packets[0].timeBase, [1, 30]);
  const dts = packets.map((p) => p.dts);
  t.ok(dts.every((d, i) => i === 0 || d > dts[i - 1]), 'dts strictly increase');
  t.same(await enc.encode(null), [], 'a second flush is empty');
  frames.forEach((f) => f.free());
  packets.forEach((p) => p.free());
  await enc.close();
});

t.test('decoded I-frames passed straight through do not force IDRs', async (t) => {
  const dec = await Decoder.open(fixtures.h264aac10s()); // keyframes every 60 frames
  const v = dec.video;
  const enc = await Encoder.open({ codec: 'libx264', width: v.width, height: v.height, frameRate: v.frameRate, timeBase: v.timeBase,
    preset: 'ultrafast', gop: 150, sceneCut: false });
  const keys = [];
  let n = 0;
  for await (const f of dec.frames('video')) {
    for (const p of await enc.encode(f)) {
      if (p.keyFrame) keys.push(p.pts);
      p.free();
    }
    f.free();
    n++;
  }
  for (const p of await enc.encode(null)) {
    if (p.keyFrame) keys.push(p.pts);
    p.free();
  }
  t.equal(n, 300);
  const tb = enc.timeBase;
  t.same(keys.map((k) => Math.round((k * tb[0]) / tb[1])), [0, 5], 'only the encoder\'s own GOP (150 frames) decides');
  await enc.close();
  await dec.close();
});

t.test('aac: frame size, codec string, typed options', async (t) => {
  const enc = await Encoder.open({ codec: 'aac', sampleRate: 48000, channelLayout: 'stereo', sampleFormat: 'fltp', bitRate: 128_000 });
  t.equal(enc.frameSize, 1024);
  t.equal(enc.parameters.codecString, 'mp4a.40.2');
  t.equal(enc.parameters.sampleRate, 48000);
  t.equal(enc.parameters.channels, 2);
  const frames = Array.from({ length: 20 }, (_, i) => Frame.audio({ sampleRate: 48000, channelLayout: 'stereo', format: 'fltp', nbSamples: 1024, pts: i * 1024 }));
  const packets = await encodeAll(enc, frames);
  t.ok(packets.length >= 20, `${packets.length} packets for 20 frames (+ priming)`);
  frames.forEach((f) => f.free());
  packets.forEach((p) => p.free());
  const wrong = Frame.audio({ sampleRate: 48000, channelLayout: 'stereo', format: 'fltp', nbSamples: 2048 }); // (a short one is legal: the last frame)
  const e = await enc.encode(wrong).catch((x) => x);
  t.type(e, FFmpegError);
  t.equal(e.errorName, 'EINVAL', 'a frame of the wrong size is refused, with a message naming both sides');
  wrong.free();
  await enc.close();
});

t.test('hardware selection: probed, with software fallback and a reason', async (t) => {
  const hw = await Encoder.hardware();
  t.ok(Array.isArray(hw) && hw.every((x) => ['cuda', 'vaapi', 'qsv', 'videotoolbox'].includes(x)), `devices that open here: [${hw}]`);
  const base = { codec: 'h264', width: 320, height: 240, frameRate: [30, 1], timeBase: [1, 30] };
  const auto = await Encoder.open({ ...base, hwDevice: 'auto', fallback: 'software' });
  if (hw.length === 0) {
    t.equal(auto.selection.encoder, 'libx264');
    t.equal(auto.selection.hardware, null);
    t.match(auto.selection.reason, /cuda/);
    t.match(auto.selection.reason, /libx264/);
  } else {
    t.ok(hw.includes(auto.selection.hardware), `picked ${auto.selection.encoder}`);
  }
  const f = gradient(0);
  const p = await auto.encode(f);
  p.forEach((x) => x.free());
  f.free();
  await auto.close();
  if (!hw.includes('cuda')) {
    const sw = await Encoder.open({ ...base, hwDevice: 'cuda', fallback: 'software' });
    t.equal(sw.selection.encoder, 'libx264');
    t.match(sw.selection.reason, /^cuda: .*; using libx264$/);
    await sw.close();
    const e = await Encoder.open({ ...base, hwDevice: 'cuda', fallback: 'error' }).catch((x) => x);
    t.type(e, FFmpegError, `fallback 'error' rejects: ${e.message}`);
    t.match(e.message, /cuda/);
  }
});

t.test('errors: unknown codec, unknown option, wrong arguments, closed encoder', async (t) => {
  const nf = await Encoder.open({ codec: 'no_such_codec', width: 16, height: 16 }).catch((x) => x);
  t.type(nf, FFmpegError);
  t.equal(nf.errorName, 'ENCODER_NOT_FOUND');
  t.match(nf.message, /no_such_codec/);
  const opt = await Encoder.open({ codec: 'libx264', width: 64, height: 64, frameRate: [30, 1], options: { bogus_opt: 1 } }).catch((x) => x);
  t.equal(opt.errorName, 'OPTION_NOT_FOUND');
  t.match(opt.message, /bogus_opt/);
  await t.rejects(Encoder.open({ codec: 'libx264', width: -5, height: 64 }), RangeError);
  await t.rejects(Encoder.open({ codec: 42 }), TypeError);
  await t.rejects(Encoder.open({ codec: 'libx264', width: 64, height: 64, frameRate: [30, 0] }), RangeError);
  await t.rejects(Encoder.open({ codec: 'libx264', width: 64, height: 64, hwDevice: 'gpu' }), TypeError);
  await t.rejects(Encoder.open({ codec: 'libx264', width: 64, height: 64, crf: 99 }), RangeError);
  const enc = await Encoder.open({ codec: 'libx264', width: 64, height: 64, frameRate: [30, 1], timeBase: [1, 30] });
  const big = gradient(0, 128, 128);
  const e = await enc.encode(big).catch((x) => x);
  t.equal(e.errorName, 'EINVAL', 'a frame of another size is a typed error');
  await enc.close();
  await enc.close();
  t.throws(() => enc.encode(big), FFmpegError, 'a closed encoder throws');
  t.equal(enc.parameters.codec, 'h264', 'parameters stay readable after close');
  big.free();
});

endsWithZeroLive(t);

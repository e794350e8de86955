// One argument vocabulary for the whole API: wrong type → TypeError, right type
// but NaN/fractional/out of range → RangeError, and the message names the field.
// Bad values are tables per entry point; good values prove honest calls still work;
// the limits table is probed on the native side so LIMITS and native/validate.h agree.
import t from 'tap';
import { Frame, Packet, FramePool, Scaler, Resampler, Encoder, Segmenter, Decoder, remux, LIMITS, ENUMS } from 'ffnode';
import { fixtures } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const T = TypeError;
const R = RangeError;

// Runs `call` (sync or async) and returns what it threw/rejected with, or null after freeing what it returned.
async function outcome(call) {
  try {
    const r = await call();
    if (r && typeof r.free === 'function') r.free();
    else if (r && typeof r.close === 'function') await r.close();
    return null;
  } catch (e) {
    return e;
  }
}

// [entry point label, field, make(value) → call, [[badValue, ErrorClass], ...]]
const video = (extra) => () => Frame.video({ width: 16, height: 16, ...extra });
const audio = (extra) => () => Frame.audio({ sampleRate: 48000, nbSamples: 64, ...extra });
const packet = (extra) => () => Packet.fromBuffer(Buffer.alloc(4), extra);
const setter = (make, field) => (v) => () => {
  const o = make();
  try {
    o[field] = v;
  } finally {
    o.free();
  }
};
const newFrame = () => Frame.video({ width: 16, height: 16 });
const newPacket = () => Packet.fromBuffer(Buffer.alloc(4));

const numberBad = (lo, hi) => [
  ['12', T], [true, T], [{}, T], [[1], T], [10n, T],
  [NaN, R], [Infinity, R], [-Infinity, R], [lo + 0.5, R], [lo - 1, R], [hi + 1, R],
];
const rationalBad = [
  ['1/30', T], [[1], T], [[1, 2, 3], T], [['1', '30'], T], [{ num: 1, den: 30 }, T], [30, T],
  [[0, 0], R], [[1, 0], R], [[0, 1], R], [[1, -30], R], [[-1, 30], R], [[1.5, 30], R], [[1, 30.5], R],
  [[NaN, 30], R], [[1, Infinity], R], [[1, 2 ** 31], R],
];
const timestampBad = [['5', T], [true, T], [{}, T], [NaN, R], [Infinity, R], [1.5, R], [2 ** 63, R], [-(2 ** 63), R]];

const table = [
  ['Frame.video', 'width', (v) => () => Frame.video({ width: v, height: 16 }), numberBad(1, LIMITS.maxDimension).concat([[undefined, T]])],
  ['Frame.video', 'height', (v) => () => Frame.video({ width: 16, height: v }), numberBad(1, LIMITS.maxDimension)],
  ['Frame.video', 'format', (v) => video({ format: v }), [[42, T], ['nope', T], ['cuda', T]]],
  ['Frame.video', 'timeBase', (v) => video({ timeBase: v }), rationalBad],
  ['Frame.video', 'pts', (v) => video({ pts: v }), timestampBad],
  ['Frame.video', 'init', (v) => () => Frame.video(v), [[undefined, T], [7, T], ['x', T], [[16, 16], T]]],
  ['Frame.audio', 'sampleRate', (v) => () => Frame.audio({ sampleRate: v, nbSamples: 64 }), numberBad(1, LIMITS.maxSampleRate)],
  ['Frame.audio', 'nbSamples', (v) => () => Frame.audio({ sampleRate: 48000, nbSamples: v }), numberBad(1, LIMITS.maxNbSamples)],
  ['Frame.audio', 'format', (v) => audio({ format: v }), [[1, T], ['s17', T]]],
  ['Frame.audio', 'channelLayout', (v) => audio({ channelLayout: v }), [[2, T], ['bogus', T], [`${LIMITS.maxChannels + 1} channels`, R]]],
  ['Frame.audio', 'timeBase', (v) => audio({ timeBase: v }), rationalBad],
  ['Frame.audio', 'pts', (v) => audio({ pts: v }), timestampBad],
  ['Frame', 'pts', setter(newFrame, 'pts'), timestampBad],
  ['Frame', 'duration', setter(newFrame, 'duration'), [...timestampBad, [null, T], [-1, R]]],
  ['Frame', 'timeBase', setter(newFrame, 'timeBase'), rationalBad],
  ['Frame', 'keyFrame', setter(newFrame, 'keyFrame'), [[1, T], ['yes', T], [null, T]]],
  ['Frame.data', 'plane', (v) => () => { const f = newFrame(); try { f.data(v); } finally { f.free(); } }, [['0', T], [0.5, R], [-1, R], [NaN, R], [8, R]]],
  ['Frame.linesize', 'plane', (v) => () => { const f = newFrame(); try { f.linesize(v); } finally { f.free(); } }, [['0', T], [1.5, R], [-1, R], [99, R]]],
  ['Packet.fromBuffer', 'data', (v) => () => Packet.fromBuffer(v), [['abc', T], [new Uint8Array(0).buffer, T], [undefined, T]]],
  ['Packet.fromBuffer', 'init', (v) => packet(v), [[5, T], ['pts', T], [[1, 2], T]]],
  ['Packet.fromBuffer', 'pts', (v) => packet({ pts: v }), timestampBad],
  ['Packet.fromBuffer', 'dts', (v) => packet({ dts: v }), timestampBad],
  ['Packet.fromBuffer', 'duration', (v) => packet({ duration: v }), [...numberBad(0, LIMITS.maxTimestamp).filter(([x]) => x !== LIMITS.maxTimestamp + 1)]],
  ['Packet.fromBuffer', 'streamIndex', (v) => packet({ streamIndex: v }), numberBad(0, LIMITS.maxStreamIndex).concat([[2 ** 32, R]])],
  ['Packet.fromBuffer', 'timeBase', (v) => packet({ timeBase: v }), rationalBad],
  ['Packet.fromBuffer', 'keyFrame', (v) => packet({ keyFrame: v }), [[1, T], ['true', T]]],
  ['Packet', 'pts', setter(newPacket, 'pts'), timestampBad],
  ['Packet', 'dts', setter(newPacket, 'dts'), timestampBad],
  ['Packet', 'duration', setter(newPacket, 'duration'), [['1', T], [null, T], [NaN, R], [0.5, R], [-1, R]]],
  ['Packet', 'timeBase', setter(newPacket, 'timeBase'), rationalBad],
  ['Packet', 'streamIndex', setter(newPacket, 'streamIndex'), numberBad(0, LIMITS.maxStreamIndex).concat([[2 ** 32 + 1, R]])],
  ['Packet', 'keyFrame', setter(newPacket, 'keyFrame'), [[0, T], ['', T]]],
  ['FramePool', 'width', (v) => () => new FramePool({ width: v, height: 16 }), numberBad(1, LIMITS.maxDimension)],
  ['FramePool', 'format', (v) => () => new FramePool({ width: 16, height: 16, format: v }), [[3, T], ['nope', T], ['vaapi', T]]],
  ['Scaler', 'width', (v) => () => new Scaler({ width: v, height: 16 }), numberBad(1, LIMITS.maxDimension)],
  ['Scaler', 'height', (v) => () => new Scaler({ width: 16, height: v }), numberBad(1, LIMITS.maxDimension)],
  ['Scaler', 'algorithm', (v) => () => new Scaler({ width: 16, height: 16, algorithm: v }), [[1, T], ['magic', T]]],
  ['Scaler', 'backend', (v) => () => new Scaler({ width: 16, height: 16, backend: v }), [[1, T], ['gpu', T]]],
  ['Scaler', 'poolSize', (v) => () => new Scaler({ width: 16, height: 16, poolSize: v }), [['8', T], [0, R], [2.5, R]]],
  ['Scaler', 'options', (v) => () => new Scaler(v), [[undefined, T], [null, T], [5, T], [[16, 16], T]]],
  ['Resampler', 'sampleRate', (v) => () => new Resampler({ sampleRate: v }), numberBad(1, LIMITS.maxSampleRate)],
  ['Resampler', 'frameSize', (v) => () => new Resampler({ sampleRate: 48000, frameSize: v }), numberBad(0, LIMITS.maxNbSamples)],
  ['Resampler', 'channelLayout', (v) => () => new Resampler({ sampleRate: 48000, channelLayout: v }), [[2, T], ['nope', T]]],
  ['Encoder.open', 'width', (v) => () => Encoder.open({ codec: 'libx264', width: v, height: 64, frameRate: [30, 1] }), numberBad(1, LIMITS.maxDimension)],
  ['Encoder.open', 'frameRate', (v) => () => Encoder.open({ codec: 'libx264', width: 64, height: 64, frameRate: v }), rationalBad],
  ['Encoder.open', 'timeBase', (v) => () => Encoder.open({ codec: 'libx264', width: 64, height: 64, timeBase: v }), rationalBad],
  ['Encoder.open', 'gop', (v) => () => Encoder.open({ codec: 'libx264', width: 64, height: 64, frameRate: [30, 1], gop: v }), numberBad(0, 100000)],
  ['Encoder.open', 'bitRate', (v) => () => Encoder.open({ codec: 'libx264', width: 64, height: 64, frameRate: [30, 1], bitRate: v }), [['1M', T], [NaN, R], [1.5, R], [-1, R]]],
  ['Encoder.open', 'crf', (v) => () => Encoder.open({ codec: 'libx264', width: 64, height: 64, frameRate: [30, 1], crf: v }), [['23', T], [NaN, R], [64, R], [-0.5, R]]],
  ['Encoder.open', 'sampleRate', (v) => () => Encoder.open({ codec: 'aac', sampleRate: v }), numberBad(1, LIMITS.maxSampleRate)],
  ['Encoder.open', 'hwDevice', (v) => () => Encoder.open({ codec: 'h264', width: 64, height: 64, frameRate: [30, 1], hwDevice: v }), [[1, T], ['gpu', T]]],
  ['Encoder.open', 'sceneCut', (v) => () => Encoder.open({ codec: 'libx264', width: 64, height: 64, frameRate: [30, 1], sceneCut: v }), [[0, T], ['no', T]]],
  ['Segmenter.open', 'segmentDuration', (v) => async () => Segmenter.open({ format: 'cmaf', streams: [{ parameters: {}, timeBase: [1, 30] }], segmentDuration: v }), [...numberBad(0.1, 60).filter(([x]) => x !== 0.6), [undefined, T]]],
  ['Segmenter.open', 'timeOffset', (v) => async () => Segmenter.open({ format: 'cmaf', streams: [{ parameters: {}, timeBase: [1, 30] }], segmentDuration: 2, timeOffset: v }), [['0', T], [NaN, R], [-1, R], [LIMITS.maxTimeOffset + 1, R]]],
  ['Segmenter.open', 'gridTolerance', (v) => async () => Segmenter.open({ format: 'cmaf', streams: [{ parameters: {}, timeBase: [1, 30] }], segmentDuration: 2, gridTolerance: v }), [['0', T], [NaN, R], [-0.001, R], [1.001, R]]],
  ['Segmenter.open', 'streams[0].timeBase', (v) => async () => Segmenter.open({ format: 'cmaf', streams: [{ parameters: {}, timeBase: v }], segmentDuration: 2 }), [...rationalBad, [undefined, T]]],
  ['Segmenter.open', 'format', (v) => async () => Segmenter.open({ format: v, streams: [{ parameters: {}, timeBase: [1, 30] }], segmentDuration: 2 }), [['webm', T], [1, T], [undefined, T]]],
  ['Decoder.open', 'threads', (v) => () => Decoder.open(fixtures.h264aac10s(), { threads: v }), [['2', T], [1.5, R], [-1, R], [65, R]]],
  ['Decoder.open', 'timeoutMs', (v) => () => Decoder.open(fixtures.h264aac10s(), { timeoutMs: v }), [['5', T], [NaN, R], [-1, R]]],
  ['Decoder.open', 'decode', (v) => () => Decoder.open(fixtures.h264aac10s(), { decode: v }), [['no', T], [0, T]]],
  ['remux', 'streams[0]', (v) => () => remux(fixtures.h264aac10s(), '/nonexistent/out.mp4', { streams: [v] }), [['0', T], [0.5, R], [-1, R], [LIMITS.maxStreamIndex + 1, R]]],
  ['remux', 'timeoutMs', (v) => () => remux(fixtures.h264aac10s(), '/nonexistent/out.mp4', { timeoutMs: v }), [['5', T], [NaN, R], [-1, R]]],
];

for (const [where, field, make, bad] of table) {
  t.test(`${where}: ${field}`, async (t) => {
    for (const [value, Cls] of bad) {
      const e = await outcome(make(value));
      const shown = typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? `'${value}'` : Array.isArray(value) ? JSON.stringify(value) : String(value);
      if (!e) {
        t.fail(`${shown} was accepted`);
        continue;
      }
      t.equal(e.constructor, Cls, `${shown} → ${Cls.name} (${e.constructor.name}: ${e.message})`);
      t.ok(e.message.startsWith(`${where}: `), `message names the call: ${e.message}`);
      t.ok(e.message.includes(field), `message names the field '${field}'`);
    }
  });
}

t.test('Decoder methods: seek, flush, streamIndex', async (t) => {
  const dec = await Decoder.open(fixtures.h264aac10s(), { decode: false });
  const rows = [
    ['Decoder.seek', 'seconds', (v) => () => dec.seek(v), [['1', T], [undefined, T], [NaN, R], [-1, R], [Infinity, R]]],
    ['Decoder.flush', 'streamIndex', (v) => () => dec.flush(v), [['0', T], [1.5, R], [-1, R], [LIMITS.maxStreamIndex + 1, R]]],
    ['Decoder', 'stream', (v) => () => dec.streamIndex(v), [[{}, T], [0.5, R], [-1, R]]],
  ];
  for (const [where, field, make, bad] of rows) {
    for (const [value, Cls] of bad) {
      const e = await outcome(make(value));
      t.equal(e?.constructor, Cls, `${where} ${String(value)} → ${Cls.name} (${e?.message})`);
      t.ok(e?.message.startsWith(`${where}: `) && e.message.includes(field), `names the call and '${field}'`);
    }
  }
  await dec.seek(0.5);
  t.equal(dec.streamIndex(1), 1, 'honest calls still work');
  await dec.close();
});

t.test('honest values still work, at every edge of the limits', async (t) => {
  const good = [
    () => Frame.video({ width: LIMITS.maxDimension, height: 1, format: 'gray' }),
    () => Frame.video({ width: 1, height: LIMITS.maxDimension, format: 'gray', pts: null, timeBase: [1, LIMITS.maxRationalTerm] }),
    () => Frame.video({ width: 16, height: 16, pts: LIMITS.maxTimestamp, timeBase: [1001, 30000] }),
    () => Frame.video({ width: 16, height: 16, pts: -LIMITS.maxTimestamp, format: undefined, timeBase: undefined }),
    () => Frame.audio({ sampleRate: LIMITS.maxSampleRate, nbSamples: LIMITS.maxNbSamples, channelLayout: 'mono', format: 's16' }),
    () => Frame.audio({ sampleRate: 1, nbSamples: 1, channelLayout: `${LIMITS.maxChannels} channels`, format: 'u8' }),
    () => Frame.audio({ sampleRate: 44100, nbSamples: 1024, channelLayout: '5.1', format: 'fltp', pts: 0, timeBase: [1, 44100] }),
    () => Packet.fromBuffer(Buffer.alloc(0)),
    () => Packet.fromBuffer(Buffer.alloc(4), null),
    () => Packet.fromBuffer(Buffer.alloc(4), { pts: -5, dts: null, duration: 0, streamIndex: LIMITS.maxStreamIndex, timeBase: [1, 90000], keyFrame: false }),
    () => Packet.fromBuffer(Buffer.alloc(4), { pts: undefined, duration: LIMITS.maxTimestamp }),
    () => new FramePool({ width: 16, height: 16 }),
    () => new Scaler({ width: 32, height: 32, algorithm: ENUMS.scalerAlgorithm[0], backend: 'swscale', poolSize: 4 }),
    () => new Resampler({ sampleRate: 48000, frameSize: 0, channelLayout: 'stereo', format: 'fltp' }),
    () => Encoder.open({ codec: 'libx264', width: 64, height: 64, frameRate: [30000, 1001], gop: 0, crf: 23.5, bitRate: 0, sceneCut: false }),
    () => Segmenter.open({ format: 'mpegts', streams: [{ parameters: { mediaType: 'video', codec: 'h264', width: 64, height: 64 }, timeBase: [1, 90000] }], segmentDuration: 0.1, timeOffset: LIMITS.maxTimeOffset, gridTolerance: 0.05 }),
  ];
  for (const [i, call] of good.entries()) {
    const e = await outcome(call);
    t.equal(e, null, `good call #${i} accepted${e ? ` (${e.constructor.name}: ${e.message})` : ''}`);
  }
  // Setters at the edges.
  const f = Frame.video({ width: 16, height: 16 });
  f.pts = null;
  t.equal(f.pts, null);
  f.pts = -LIMITS.maxTimestamp;
  f.duration = 0;
  f.timeBase = [1, LIMITS.maxRationalTerm];
  t.same(f.timeBase, [1, LIMITS.maxRationalTerm]);
  f.keyFrame = true;
  t.equal(f.keyRequested, true);
  t.equal(f.data().length, f.data(0).length, 'data() without a plane is plane 0');
  f.free();
  const p = Packet.fromBuffer(Buffer.alloc(4));
  p.streamIndex = LIMITS.maxStreamIndex;
  p.duration = 3;
  p.pts = undefined;
  t.equal(p.pts, null, 'undefined is "no timestamp", as null');
  p.free();
});

t.test('a rejected call leaves nothing behind', async (t) => {
  const { stats } = await import('ffnode');
  const before = stats();
  for (let i = 0; i < 50; i++) {
    await outcome(() => Frame.audio({ sampleRate: 48000, nbSamples: 64, channelLayout: '65 channels' }));
    await outcome(() => Packet.fromBuffer(Buffer.alloc(64), { keyFrame: 'x' }));
    await outcome(() => new Resampler({ sampleRate: 48000, frameSize: -1 }));
  }
  const after = stats();
  t.same([after.frames, after.packets, after.objects], [before.frames, before.packets, before.objects]);
});

endsWithZeroLive(t);

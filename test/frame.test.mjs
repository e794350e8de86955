import t from 'tap';
import { Frame, Packet, FramePool, stats } from 'ffnode';

t.test('video frame: props, planes, ref shares memory, free is idempotent', async (t) => {
  const f = Frame.video({ width: 64, height: 48, format: 'yuv420p', pts: 7, timeBase: [1, 30] });
  t.equal(f.mediaType, 'video');
  t.equal(f.width, 64);
  t.equal(f.height, 48);
  t.equal(f.format, 'yuv420p');
  t.equal(f.pts, 7);
  t.same(f.timeBase, [1, 30]);
  t.equal(f.planes, 3);
  t.ok(f.linesize(0) >= 64);
  t.equal(f.data(0).length, f.linesize(0) * 48);
  t.equal(f.data(1).length, f.linesize(1) * 24);
  const r = f.ref();
  f.data(0)[0] = 123;
  t.equal(r.data(0)[0], 123, 'ref() shares buffers, no copy');
  t.equal(stats().frames, 2);
  f.free();
  f.free();
  t.ok(f.freed);
  t.throws(() => f.width, /freed/);
  t.equal(r.data(0)[0], 123, 'the other reference is untouched');
  r.free();
  t.equal(stats().frames, 0);
});

t.test('plane Buffers keep their memory alive after the frame is freed', async (t) => {
  const f = Frame.video({ width: 32, height: 32 });
  const y = f.data(0);
  y.fill(77);
  f.free();
  globalThis.gc?.();
  t.equal(y[0], 77);
  t.equal(y[y.length - 1], 77);
});

t.test('audio frame props', async (t) => {
  const f = Frame.audio({ sampleRate: 48000, channelLayout: 'stereo', format: 'fltp', nbSamples: 1024, pts: 0 });
  t.equal(f.mediaType, 'audio');
  t.equal(f.sampleRate, 48000);
  t.equal(f.channels, 2);
  t.equal(f.channelLayout, 'stereo');
  t.equal(f.nbSamples, 1024);
  t.equal(f.planes, 2);
  t.equal(f.data(1).length, 1024 * 4);
  t.same(f.timeBase, [1, 48000]);
  f[Symbol.dispose]();
  t.ok(f.freed, 'Symbol.dispose frees');
});

t.test('keyFrame setter marks an I picture request', async (t) => {
  const f = Frame.video({ width: 16, height: 16 });
  f.keyFrame = true;
  t.equal(f.pictType, 'I');
  f.keyFrame = false;
  t.equal(f.keyFrame, false);
  f.free();
});

t.test('wrong arguments throw TypeError/RangeError', async (t) => {
  t.throws(() => Frame.video({ width: 0, height: 10 }), RangeError);
  t.throws(() => Frame.video({ width: 10, height: 10, format: 'nope' }), TypeError);
  t.throws(() => Frame.audio({ sampleRate: 48000, nbSamples: 10, channelLayout: 'bogus' }), TypeError);
  t.throws(() => Frame.video(), TypeError);
  t.throws(() => new Frame(), TypeError);
  t.throws(() => Packet.fromBuffer('x'), TypeError);
  const f = Frame.video({ width: 16, height: 16 });
  t.throws(() => (f.pts = 'x'), TypeError);
  t.throws(() => (f.timeBase = [1, 0]), RangeError);
  t.throws(() => f.data(7), RangeError);
  f.free();
});

t.test('packet: fromBuffer, ref, data survives free', async (t) => {
  const p = Packet.fromBuffer(Buffer.from([1, 2, 3, 4]), { pts: 10, dts: 9, duration: 1, timeBase: [1, 90000], keyFrame: true, streamIndex: 1 });
  t.equal(p.size, 4);
  t.equal(p.pts, 10);
  t.equal(p.dts, 9);
  t.equal(p.streamIndex, 1);
  t.ok(p.keyFrame);
  t.same(p.timeBase, [1, 90000]);
  const q = p.ref();
  const d = p.data();
  p.free();
  t.same([...d], [1, 2, 3, 4]);
  t.equal(q.size, 4);
  t.equal(stats().packets, 1);
  q.free();
  t.equal(stats().packets, 0);
});

t.test('FramePool reuses buffers once released', async (t) => {
  const pool = new FramePool({ width: 320, height: 240, format: 'yuv420p' });
  const a = pool.get();
  const b = pool.get();
  t.equal(pool.allocated, 2);
  a.free();
  b.free();
  for (let i = 0; i < 20; i++) pool.get().free();
  t.equal(pool.allocated, 2, 'no new allocations in steady state');
  t.ok(stats().poolBytes >= 2 * 320 * 240 * 1.5);
  const held = pool.get();
  pool.close();
  t.equal(held.width, 320, 'a pooled frame outlives its pool');
  held.free();
  t.equal(stats().poolBytes, 0, 'pool memory returned once the last frame is freed');
  t.throws(() => pool.get(), /closed/);
});

t.test('a handle dropped without free() is finalized and counted as a leak', async (t) => {
  t.type(globalThis.gc, 'function', 'tests run with --expose-gc (package.json tap.node-arg)');
  const before = stats().leakedFrames;
  (() => {
    Frame.video({ width: 16, height: 16 });
  })();
  for (let i = 0; i < 5 && stats().leakedFrames === before; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  t.equal(stats().leakedFrames, before + 1);
  t.equal(stats().frames, 0);
  // Reset nothing: the leak counter is process-wide, so this file checks only its delta.
});

t.test('ends with zero live native objects', async (t) => {
  const s = stats();
  t.same({ frames: s.frames, packets: s.packets, objects: s.objects }, { frames: 0, packets: 0, objects: 0 });
});

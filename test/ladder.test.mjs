import t from 'tap';
import { resolveLadder, KeyframeGrid, balancedEncoderThreads, sharedTimeOffset, MIN_BITRATE } from 'ffnode';

t.test('default ladder from a 1080p source', async (t) => {
  const l = resolveLadder({ width: 1920, height: 1080, frameRate: 30 });
  t.same(l.map((v) => [v.id, v.width, v.height, v.bitrate]), [
    ['v1080p', 1920, 1080, 5_000_000], ['v720p', 1280, 720, 2_800_000], ['v480p', 854, 480, 1_400_000], ['v360p', 640, 360, 800_000],
  ]);
  t.ok(l.every((v) => v.maxrate === Math.round(v.bitrate * 1.07) && v.bufsize === v.maxrate * 2));
  t.ok(l.every((v) => v.codec === 'libx264' && v.preset === 'veryfast' && v.frameRate === 30 && !v.passthrough));
});

t.test('never upscales, keeps aspect ratio, even sizes', async (t) => {
  t.same(resolveLadder({ width: 1280, height: 720, frameRate: 25 }).map((v) => v.height), [720, 480, 360]);
  const portrait = resolveLadder({ width: 1080, height: 1920, frameRate: 30 }, ['720p']);
  t.same([portrait[0].width, portrait[0].height], [406, 720], 'portrait source: width follows the aspect ratio, even');
  const odd = resolveLadder({ width: 1000, height: 750, frameRate: 30 }, ['480p']);
  t.same([odd[0].width, odd[0].height], [640, 480]);
  const tiny = resolveLadder({ width: 320, height: 180, frameRate: 30 });
  t.same(tiny.map((v) => [v.width, v.height]), [[320, 180]], 'a source below every rung gets one rung at its own size');
  t.ok(tiny[0].bitrate > 0 && tiny[0].bitrate < 800_000);
});

t.test('rungs the caller named and the source is too small for: dropped with a warning', async (t) => {
  const warnings = [];
  const warn = (w) => warnings.push(w);
  const src = { width: 640, height: 360, frameRate: 30 };
  t.same(resolveLadder(src, ['720p', '360p', { height: 240, id: 'low' }], { warn }).map((v) => v.id), ['v360p', 'low']);
  t.same(warnings, ['rung 720p dropped: asked for, but taller than the 640x360 source and rungs are never upscaled; the ladder is 360p, 240p']);
  t.same(resolveLadder(src, ['1080p', { height: 480, id: 'mid' }], { warn }).map((v) => v.height), [360]);
  t.equal(warnings[1], "rungs 1080p, mid dropped: asked for, but taller than the 640x360 source and rungs are never upscaled; one rung at the source's height (360p) instead");
  resolveLadder(src, undefined, { warn });
  t.equal(warnings.length, 2, 'the default ladder is cut to the source without a word');
});

t.test('pictures a few pixels tall: derived bitrates raised to the minimum, with a warning', async (t) => {
  const warnings = [];
  const l = resolveLadder({ width: 64, height: 8, frameRate: 25 }, undefined, { warn: (w) => warnings.push(w) });
  t.same(l.map((v) => [v.id, v.width, v.height, v.bitrate]), [['v8p', 64, 8, MIN_BITRATE]], 'one 64x8 rung at 64 kb/s, not 0');
  t.equal(MIN_BITRATE, 64_000);
  t.match(warnings, [/^rung 64x8: asked for the derived bitrate \(0 b\/s.*raised it to the 64 kb\/s minimum/]);
  const asked = resolveLadder({ width: 64, height: 8, frameRate: 25 }, [{ height: 8, bitrate: 20_000 }], { warn: (w) => warnings.push(w) });
  t.equal(asked[0].bitrate, 20_000, 'an explicit bitrate is left alone');
  t.equal(warnings.length, 1);
  resolveLadder({ width: 1920, height: 1080, frameRate: 30 }, undefined, { warn: (w) => warnings.push(w) });
  t.equal(warnings.length, 1, 'no warning for an ordinary ladder');
});

t.test('custom specs', async (t) => {
  const l = resolveLadder({ width: 1920, height: 1080, frameRate: 60 }, [
    { height: 720, bitrate: 3_000_000, preset: 'fast', profile: 'high', frameRate: 30 },
    { height: 360, crf: 28, codec: 'libx264' },
    { passthrough: true },
  ]);
  t.same(l.map((v) => v.id), ['source', 'v720p30', 'v360p']);
  t.same([l[0].width, l[0].height, l[0].passthrough], [1920, 1080, true]);
  t.equal(l[1].frameRate, 30);
  t.equal(l[1].preset, 'fast');
  t.equal(l[2].crf, 28);
  const d = resolveLadder({ width: 1280, height: 720, frameRate: 30 }, ['720p', { height: 360, preset: 'slow' }], { preset: 'fast' });
  t.same(d.map((v) => v.preset), ['fast', 'slow'], 'a default preset fills rungs that name none');
  t.throws(() => resolveLadder({ width: 640, height: 360, frameRate: 30 }, ['999p']), RangeError);
  t.throws(() => resolveLadder({ width: 640, height: 360, frameRate: 30 }, []), TypeError);
  t.throws(() => resolveLadder({ width: 640, height: 360, frameRate: 30 }, [{ height: 360 }, { height: 360 }]), RangeError);
});

t.test('keyframe grid: the first frame at or after each multiple, within half a frame', async (t) => {
  const g = new KeyframeGrid(2, 30);
  const keys = [];
  for (let i = 0; i < 300; i++) if (g.isKey(1.4 + i / 30)) keys.push(i);
  t.same(keys, [0, 60, 120, 180, 240]);
  const g2 = new KeyframeGrid(2, 29.97);
  const k2 = [];
  for (let i = 0; i < 300; i++) if (g2.isKey((i * 1001) / 30000)) k2.push(i);
  t.same(k2, [0, 60, 120, 180, 240], '29.97 fps: frame 60 is 2.002 s, still the first at or after 2 s');
  const g3 = new KeyframeGrid(6, 30);
  const k3 = [];
  for (const s of [0, 1, 5.99, 6.5, 13, 18.0]) if (g3.isKey(s)) k3.push(s);
  t.same(k3, [0, 5.99, 13, 18], 'a gap skips grid points instead of stacking keyframes');
});

t.test("'balanced' encoder threads follow each rung's share of the pixel rate", async (t) => {
  const l = resolveLadder({ width: 1920, height: 1080, frameRate: 30 });
  const threads = (cores, ladder = l) => ladder.map((v) => balancedEncoderThreads(ladder, cores).get(v));
  t.same(threads(2), [2, 1, 1, 1], '2 cores: 1080p 57 % of the pixels → 2 threads, the rest 1');
  t.same(threads(16), [10, 5, 2, 2], '16 cores: ceil(16 × share), 360p being 6.3 % → 1.01 → 2');
  t.same(threads(1), [1, 1, 1, 1], 'never below one');
  const withCopy = resolveLadder({ width: 1920, height: 1080, frameRate: 30 }, [{ passthrough: true }, '720p', '360p']);
  const m = balancedEncoderThreads(withCopy, 4);
  t.notOk(m.has(withCopy[0]), 'a passthrough rung encodes nothing and gets no threads');
  t.same([m.get(withCopy[1]), m.get(withCopy[2])], [4, 1], '720p is 80 % of what is encoded');
  const mixed = resolveLadder({ width: 1920, height: 1080, frameRate: 60 }, [{ height: 720, frameRate: 60 }, { height: 720, frameRate: 30 }]);
  t.same(threads(3, mixed), [2, 1], 'frame rate counts: 720p60 is twice the work of 720p30');
});

t.test('sharedTimeOffset: the largest start delay, rounded up to the millisecond', async (t) => {
  t.equal(sharedTimeOffset([2 / 30, 0, 1024 / 48000]), 0.067);
  t.equal(sharedTimeOffset([0.05]), 0.05, 'an exact millisecond stays');
  t.equal(sharedTimeOffset([]), 0);
  t.equal(sharedTimeOffset([NaN, -1]), 0, 'nothing negative or undefined');
});

// The demo source (lib/server/ingest/demo.ts): its lavfi graph draws the
// clock where it says, runs in real time, publishes into a real registry
// as protocol 'demo', and publishes again when its input ends.
import t from 'tap';
import fs from 'node:fs';
import { Decoder, DemoSource, demoGraph, probeDemoClock, MemoryStore, StreamRegistry } from '../dist/index.js';
import { waitFor } from './helpers/live.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const DEJAVU = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf';

t.test('demoGraph: checked options; the clock only with a font', async (t) => {
  t.throws(() => demoGraph({ width: 0, height: 540, fps: 30, font: null }), RangeError);
  t.throws(() => demoGraph({ width: 960, height: 540, fps: 1000, font: null }), RangeError);
  t.throws(() => demoGraph({ width: 960.5, height: 540, fps: 30, font: null }), RangeError);
  t.throws(() => demoGraph({ width: 960, height: 540, fps: 30, font: "/x/a'b.ttf" }), TypeError, 'a font path that would need graph escaping');
  t.throws(() => demoGraph({ width: 960, height: 540, fps: 30, font: 'Sans,x' }), TypeError);
  const plain = demoGraph({ width: 320, height: 180, fps: 25, font: null });
  t.notMatch(plain, /drawtext/);
  t.match(plain, /^testsrc2=size=320x180:rate=25,realtime\[out0\];sine=.*arealtime\[out1\]$/, 'video and audio paced by realtime/arealtime');
  t.match(demoGraph({ width: 320, height: 180, fps: 25, font: '/a b/c:d.ttf' }), /drawtext=fontfile='\/a b\/c\\:d\.ttf':text='%\{localtime\\:%T\}'/, 'the font path quoted and escaped');
});

t.test('the clock: found a font, drawn in the lower middle of the picture', async (t) => {
  const clock = await probeDemoClock();
  t.comment(JSON.stringify(clock));
  if (fs.existsSync(DEJAVU)) t.equal(clock.font, DEJAVU, 'Debian\'s fonts-dejavu-core font is used');
  t.ok(clock.font !== null || clock.why, 'a font, or why not');
  if (clock.font === null) return;
  // the same frame with and without the clock differs only where the clock is
  const first = async (graph) => {
    const dec = await Decoder.open(graph, { format: 'lavfi' });
    try {
      for await (const f of dec.frames('video')) {
        const out = { data: Buffer.from(f.data(0)), stride: f.linesize(0), height: f.height };
        f.free();
        return out;
      }
    } finally {
      await dec.close();
    }
  };
  const o = { width: 320, height: 180, fps: 30 };
  const [a, b] = [await first(demoGraph({ ...o, font: clock.font })), await first(demoGraph({ ...o, font: null }))];
  const rows = [];
  for (let y = 0; y < a.height; y++) if (!a.data.subarray(y * a.stride, (y + 1) * a.stride).equals(b.data.subarray(y * b.stride, (y + 1) * b.stride))) rows.push(y);
  t.ok(rows.length >= 10, `the clock changes ${rows.length} rows`);
  t.ok(rows.every((y) => y >= a.height / 2), `only in the lower half (rows ${rows[0]}–${rows.at(-1)} of ${a.height})`);
});

t.test('DemoSource publishes in real time as protocol demo, and again when its input ends', async (t) => {
  const registry = new StreamRegistry({ store: new MemoryStore(), ladder: ['240p'], preset: 'ultrafast', segmentDuration: 1, reconnectGrace: 5 });
  const events = [];
  for (const name of ['publish', 'unpublish', 'reconnect', 'end', 'error']) registry.on(name, (path, value) => events.push({ name, path, value, at: Date.now() }));
  // each publication lasts 12 s, then the input ends and the demo comes back
  const demo = await DemoSource.create(registry, { path: 'test/demo', width: 320, height: 180, fps: 30, duration: 12, reconnect: { initialDelayMs: 200, jitter: 0 } });
  t.teardown(async () => {
    demo.stop();
    await registry.close();
  });
  t.equal(demo.path, 'test/demo');
  t.equal(demo.url, demoGraph({ width: 320, height: 180, fps: 30, font: demo.clock.font, duration: 12 }), 'its input is the demo graph');
  t.throws(() => demoGraph({ width: 320, height: 180, fps: 30, font: null, duration: -1 }), RangeError);
  void demo.start();
  await waitFor(() => registry.get('test/demo')?.manifests.hls, { timeout: 30_000, what: 'the first segments' });
  const s = registry.get('test/demo');
  t.same(s.publisher, { protocol: 'demo', remoteAddress: null }, "published as protocol 'demo'");
  t.same([s.source.width, s.source.height, s.source.fps, s.source.sampleRate], [320, 180, 30, 48000], 'the test pattern and the tone');
  t.same(s.renditions.map((r) => r.type).sort(), ['audio', 'video']);
  // paced by the wall clock: without realtime a 320x180 graph runs many times
  // faster. A 3 s window bounds it from above; from below it can lag on a busy
  // machine (a fresh-clone suite run encoded 0.34 s per second here), so the
  // lower bound is the whole publication's 12 s, timed below.
  const at = (x) => ({ media: x.renditions.find((r) => r.type === 'video').frames / 30, wall: x.uptime });
  const a = at(s);
  await new Promise((r) => setTimeout(r, 3000));
  const b = at(registry.get('test/demo'));
  const speed = (b.media - a.media) / (b.wall - a.wall);
  t.ok(speed > 0 && speed < 1.3, `not faster than real time: ${speed.toFixed(2)} media seconds per wall second`);

  const back = await waitFor(() => events.find((e) => e.name === 'reconnect'), { timeout: 30_000, what: 'the demo to publish again' });
  const gone = events.find((e) => e.name === 'unpublish');
  const first = events.find((e) => e.name === 'publish');
  t.equal(gone?.value.reason, 'ended', 'its input ended');
  t.ok(gone.at - first.at >= 11_000 && gone.at - first.at < 20_000, `after its 12 s (${gone.at - first.at} ms)`);
  t.same(back.value, { protocol: 'demo', remoteAddress: null, reconnects: 1 }, 'and it published again, continuing the stream');
  t.ok(back.at - gone.at < 3000, `after the backoff (${back.at - gone.at} ms)`);
  t.ok(demo.running, 'the demo keeps running');
  t.same(events.filter((e) => e.name === 'error' || e.name === 'end'), [], 'no errors; the stream never ended');
  demo.stop();
  await registry.close();
});

endsWithZeroLive(t);

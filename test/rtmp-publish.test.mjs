// The ffmpeg CLI publishes to our RtmpServer; the FLV Readable decodes to every frame.
import t from 'tap';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { publishWithFfmpeg, decodeFlv, serveRtmp } from './helpers/rtmp.mjs';

const serve = serveRtmp;
/** Blocks this thread (the event loop) for `ms`, as a long GC or synchronous work would. */
const stallLoop = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

t.test('ffmpeg CLI (native rtmp) publishes H.264/AAC: ~100 video frames and 4 s of audio decode', async (t) => {
  const { server, errors } = serve(t);
  const port = await server.listen(0);
  const decoded = new Promise((resolve, reject) => server.on('publish', (ev) => {
    t.equal(ev.path, 'live/cam1');
    t.equal(ev.app, 'live');
    t.equal(ev.name, 'cam1');
    decodeFlv(ev.stream).then(resolve, reject);
  }));
  const unpublished = new Promise((resolve) => server.on('unpublish', resolve));
  const pub = publishWithFfmpeg(port, 'live/cam1');
  const [r, { code, stderr }, un] = await Promise.all([decoded, pub.done, unpublished]);
  t.equal(code, 0, `ffmpeg exits 0 ${stderr}`);
  t.equal(un.path, 'live/cam1', 'unpublish fires when ffmpeg exits');
  t.same(r.codecs, { video: 'h264', audio: 'aac' });
  t.ok(Math.abs(r.video - 100) <= 2, `video frames ${r.video} ≈ 100`);
  t.ok(Math.abs(r.audio - 4 * 44100) <= 2 * 1024, `audio samples ${r.audio} ≈ ${4 * 44100}`);
  t.same(errors.map((e) => e.message), [], 'no connection errors');
  t.same(server.paths, [], 'the path is free again');
});

t.test('a stall of the event loop longer than the idle timeout does not drop a publisher that kept sending', async (t) => {
  // Timers run before the poll phase reads what came during the stall; the
  // idle decision must wait for those reads (connection.ts).
  const { server, errors } = serve(t, { idleTimeoutMs: 500 });
  const port = await server.listen(0);
  let stalled = 0;
  const decoded = new Promise((resolve, reject) => server.on('publish', (ev) => {
    // from the check phase, as after an I/O callback: the next turn starts with timers
    setTimeout(() => setImmediate(() => { const t0 = Date.now(); stallLoop(1500); stalled = Date.now() - t0; }), 1000);
    decodeFlv(ev.stream).then(resolve, reject);
  }));
  const [r, { code, stderr }] = await Promise.all([decoded, publishWithFfmpeg(port, 'live/stall').done]);
  t.ok(stalled >= 1500, `the loop stalled ${stalled} ms (idle timeout 500 ms)`);
  t.equal(code, 0, `ffmpeg published to the end ${stderr}`);
  t.same(errors.map((e) => e.message), [], 'no connection errors');
  t.ok(Math.abs(r.video - 100) <= 2, `video frames ${r.video} ≈ 100`);
});

t.test('two publishers at once on one port; a second publisher on a live path is refused', async (t) => {
  const { server } = serve(t);
  const port = await server.listen(0);
  const results = {};
  const all = [];
  server.on('publish', (ev) => all.push(decodeFlv(ev.stream).then((r) => { results[ev.path] = r; })));
  const a = publishWithFfmpeg(port, 'live/a', { seconds: 3 });
  const b = publishWithFfmpeg(port, 'live/b', { seconds: 3 });
  await new Promise((r) => setTimeout(r, 1500));
  t.same(server.paths.sort(), ['live/a', 'live/b']);
  const dup = publishWithFfmpeg(port, 'live/a', { seconds: 1 });
  const d = await dup.done;
  t.not(d.code, 0, 'the duplicate publisher fails');
  t.match(d.stderr, /already being published|BadName|Publish/i, 'and is told why');
  await Promise.all([a.done, b.done]);
  await new Promise((r) => setTimeout(r, 200));
  await Promise.all(all);
  for (const p of ['live/a', 'live/b']) t.ok(Math.abs(results[p].video - 75) <= 2, `${p}: ${results[p].video} frames ≈ 75`);
});

t.test('the onPublish gate refuses with a reason the publisher sees', async (t) => {
  const { server, errors } = serve(t, { onPublish: (req) => (req.name === 'secret' ? 'not allowed here' : undefined) });
  const port = await server.listen(0);
  const r = await publishWithFfmpeg(port, 'live/secret', { seconds: 1 }).done;
  t.not(r.code, 0);
  t.match(r.stderr, /not allowed here/);
  t.ok(errors.some((e) => e.errorName === 'EREFUSED'));
});

endsWithZeroLive(t);

// The ffmpeg CLI publishes to our RtmpServer; the FLV Readable decodes to every frame.
import t from 'tap';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { publishWithFfmpeg, decodeFlv, serveRtmp } from './helpers/rtmp.mjs';

const serve = serveRtmp;

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

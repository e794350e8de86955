// RTMP ingest → PublishTarget: real ffmpeg publishers, a real decoding target.
import t from 'tap';
import { attachRtmp, StreamRefused } from 'ffnode';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { publishWithFfmpeg, serveRtmp } from './helpers/rtmp.mjs';
import { IngestTarget, until } from './helpers/ingest-target.mjs';

for (const awaitOpen of [false, true]) {
  t.test(`an RTMP publish becomes target.publish() and decodes (publish() resolves ${awaitOpen ? 'after the Decoder opened' : 'at once'})`, async (t) => {
    const { server, errors } = serveRtmp(t);
    const target = new IngestTarget({ awaitOpen });
    const detach = attachRtmp(server, target);
    t.teardown(detach);
    const port = await server.listen(0);
    const { code, stderr } = await publishWithFfmpeg(port, 'live/cam1', { seconds: 2 }).done;
    t.equal(code, 0, `ffmpeg exits 0 ${stderr}`);
    const s = await target.session(0);
    const end = await s.ended;
    t.same(end, { reason: 'ended' });
    t.equal(s.protocol, 'rtmp');
    t.match(s.source.remoteAddress, /^127\.0\.0\.1:\d+$/);
    t.same(s.source.inputOptions, { format: 'flv' });
    t.same(s.codecs, { video: 'h264', audio: 'aac' });
    t.ok(Math.abs(s.video - 50) <= 2, `video frames ${s.video} ≈ 50`);
    t.ok(s.audio > 50, `audio frames ${s.audio}`);
    t.same(errors.map((e) => e.message), []);
  });
}

t.test('a StreamRefused reaches the publisher as its onStatus description; no media flows', async (t) => {
  const { server, errors } = serveRtmp(t);
  const target = new IngestTarget({ refuse: (s) => (s.path === 'live/full' ? new StreamRefused('server is at its limit of 16 streams', 'ELIMIT') : undefined) });
  attachRtmp(server, target);
  const port = await server.listen(0);
  const r = await publishWithFfmpeg(port, 'live/full', { seconds: 1 }).done;
  t.not(r.code, 0, 'ffmpeg fails');
  t.match(r.stderr, /server is at its limit of 16 streams/, 'and prints the reason');
  t.equal(target.sessions.length, 0, 'no session');
  t.ok(errors.some((e) => e.errorName === 'EREFUSED' && /limit of 16/.test(e.message)));
  t.same(server.paths, []);
});

t.test('the target closing the source (a kick) closes the RTMP connection; the path can be published again', async (t) => {
  const { server } = serveRtmp(t);
  const target = new IngestTarget();
  attachRtmp(server, target);
  const port = await server.listen(0);
  const a = publishWithFfmpeg(port, 'live/dup', { seconds: 6 });
  const s = await target.session(0);
  await until(() => s.video > 10, 15000, 'frames before the kick');
  t.equal(server.paths.length, 1);
  // kick: the target closes the source → the RTMP connection closes → ffmpeg fails, the session ends
  await target.kick('live/dup');
  const ra = await a.done;
  t.not(ra.code, 0, 'the kicked publisher fails');
  t.ok(s.video > 10, `frames before the kick: ${s.video}`);
  t.same(server.paths, [], 'the path is free again');
  // the path can be published again at once: a new session
  const b = await publishWithFfmpeg(port, 'live/dup', { seconds: 1 }).done;
  t.equal(b.code, 0, b.stderr);
  const s2 = await target.session(1);
  await s2.ended;
  t.ok(s2.video >= 20, `second session decodes: ${s2.video}`);
});

t.test('the target refusing EBUSY while another ingest holds the path', async (t) => {
  const { server } = serveRtmp(t);
  const target = new IngestTarget();
  target.live.set('live/held', {}); // another ingest (e.g. HTTP push) holds the path
  attachRtmp(server, target);
  const port = await server.listen(0);
  const r = await publishWithFfmpeg(port, 'live/held', { seconds: 1 }).done;
  t.not(r.code, 0);
  t.match(r.stderr, /live\/held is already live/);
  t.same(target.refusals, [{ path: 'live/held', reason: 'live/held is already live', code: 'EBUSY' }]);
});

endsWithZeroLive(t);

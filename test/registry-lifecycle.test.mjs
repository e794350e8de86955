// The stream registry, continued (test/registry.test.mjs has the rest): a
// second RTMP publisher taking a path over, numbering marks that only rise,
// and recording every session of a stream to a playable file.
import t from 'tap';
import { StreamRegistry, MemoryStore, RtmpServer, attachRtmp } from 'ffnode';
import { publishWithFfmpeg } from './helpers/rtmp.mjs';
import fs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { ffmpegSource, once, text } from './helpers/registry.mjs';
import { ffprobe } from './helpers/media.mjs';

t.test('RTMP takeover: with a registry attached, a second ffmpeg publisher takes the path over', async (t) => {
  const reg = new StreamRegistry({ store: new MemoryStore(), ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast', onConflict: 'takeover' });
  const rtmp = new RtmpServer();
  attachRtmp(rtmp, reg);
  const port = await rtmp.listen(0);
  const events = [];
  for (const e of ['publish', 'reconnect', 'unpublish']) reg.on(e, (path, info) => events.push([e, info?.reason ?? info?.protocol]));
  const first = publishWithFfmpeg(port, 'live/take', { seconds: 30 });
  await new Promise((resolve) => reg.once('publish', resolve));
  await new Promise((r) => setTimeout(r, 1500));
  const reconnected = new Promise((resolve) => reg.once('reconnect', resolve));
  const second = publishWithFfmpeg(port, 'live/take', { seconds: 2 });
  await reconnected;
  const a = await first.done;
  t.not(a.code, 0, 'the first publisher was disconnected');
  t.same(events.slice(0, 3), [['publish', 'rtmp'], ['unpublish', 'takeover'], ['reconnect', 'rtmp']], 'taken over, the stream continued');
  const b = await second.done;
  t.equal(b.code, 0, `the second publisher ran to its end (${b.stderr.trim()})`);
  await rtmp.close();
  await reg.close();
});

t.test('numbering marks only rise: a stream that numbered nothing does not reset them', async (t) => {
  const store = new MemoryStore();
  const reg = new StreamRegistry({ store, ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast', reconnectGrace: 0 });
  const ended = () => new Promise((resolve) => reg.once('end', resolve));
  let end = ended();
  await (await reg.publish(ffmpegSource('live/m', { seconds: 3 }).source)).ended;
  await end;
  async function* nothing() { yield Buffer.from('not media at all'); }
  end = ended();
  await (await reg.publish({ path: 'live/m', protocol: 'demo', input: nothing(), inputOptions: { format: 'flv' }, close() {} })).ended;
  await end;
  const c = ffmpegSource('live/m', { seconds: 30 });
  await reg.publish(c.source);
  await new Promise((resolve) => reg.once('segment', resolve));
  await new Promise((resolve) => reg.once('segment', resolve));
  const hls = await text(store, 'live/m/v240p/index.m3u8');
  const first = Number(/seg_(\d+)\.m4s/.exec(hls)?.[1]);
  t.ok(first >= 3, `the third stream numbers above the first's 3 segments (starts at ${first})`);
  await reg.close();
});

t.test('recording: each session copied to a playable file; the presentation finalised as VOD', async (t) => {
  const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'ffnode-rec-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = new MemoryStore();
  const reg = new StreamRegistry({ store, ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast', reconnectGrace: 4, record: { dir } });
  const recorded = [];
  reg.on('recorded', (path, r) => recorded.push(r));
  const a = ffmpegSource('live/rec', { seconds: 3 });
  await (await reg.publish(a.source)).ended;
  const b = ffmpegSource('live/rec', { seconds: 2 });
  await (await reg.publish(b.source)).ended;
  await once(reg, 'end');
  t.equal(recorded.length, 2, 'one recording per session');
  for (const r of recorded) {
    t.equal(r.error, null, `${nodePath.basename(r.file)} written without error`);
    t.equal(r.dropped, 0);
    const probe = ffprobe(r.file, ['-show_streams', '-show_format']);
    const v = probe.streams.find((s) => s.codec_type === 'video');
    t.equal(v?.codec_name, 'h264', 'the source video, copied');
    t.equal(probe.streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac', 'the source audio, copied');
    t.ok(Number(probe.format.duration) > 1.5, `recorded ${probe.format.duration} s`);
    t.ok(r.file.startsWith(nodePath.join(dir, 'live', 'rec')), 'under <dir>/<app>/<name>/');
  }
  const hls = await text(store, 'live/rec/v240p/index.m3u8');
  t.match(hls, /#EXT-X-PLAYLIST-TYPE:EVENT/, 'a recorded stream is an EVENT presentation');
  t.match(hls, /#EXT-X-ENDLIST/, 'finalised with ENDLIST after the grace');
  t.match(hls, /#EXT-X-DISCONTINUITY\n/, 'the reconnect is marked');
  t.match(await text(store, 'live/rec/manifest.mpd'), /type="static"/, 'the MPD became static');

  // the ended recording stays listed (for the API and the player page) until a new stream takes the path
  t.same(reg.list(), [], 'no live stream');
  const [rec] = reg.recordings();
  t.match(rec, { path: 'live/rec', state: 'ended', manifests: { hls: '/live/rec/master.m3u8', dash: '/live/rec/manifest.mpd' } });
  t.ok(rec.recording && rec.recording.startsWith(nodePath.join(dir, 'live', 'rec')), 'with its file');
  t.equal(reg.recordings().length, 1);
  const c = ffmpegSource('live/rec', { seconds: 1 });
  const pub = await reg.publish(c.source);
  t.same(reg.recordings(), [], 'a new stream on the path replaces the recorded one');
  await pub.ended;
  await reg.close();
});

endsWithZeroLive(t);

// Three real publishers on one RTMP port, each transcoded to a 2-rung ladder,
// while hostile peers hit the same port (garbage, a truncated handshake, a
// chunk header announcing 16 MiB, 20 idle sockets). Every stream must stay
// playable (playlists and segments over HTTP; one segment of each decoded by
// ffprobe) and keep producing segments at real time.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChunkWriter, ChunkParser, decodeAmf0, encodeAmf0 } from 'ffnode';
import { ffprobe } from './helpers/media.mjs';
import { rawSocket, closed, rtmpClient } from './helpers/rtmp.mjs';
import { startLive, ffmpegPublisher, killAtEnd, waitPlayable, getText, getBytes, parseMedia, mediaPlaylistUrls, resolveUrl, sleep } from './helpers/live.mjs';

const lib = { ChunkWriter, ChunkParser, decodeAmf0, encodeAmf0 };
const SEG = 1;
const FPS = 25;
const PATHS = ['live/a', 'live/b', 'live/c'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-live-many-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const live = await startLive(t, {
  ladder: ['240p', { height: 120, bitrate: 150_000 }], segmentDuration: SEG,
  rtmp: { handshakeTimeoutMs: 1000, idleTimeoutMs: 1500 },
});
const { server } = live;
const port = server.rtmpPort;
const segCount = (p) => live.of('segment', p).length;

const pubs = PATHS.map((p) => ffmpegPublisher(server, p, { size: '320x240', fps: FPS }));
killAtEnd(t, ...pubs);
const readyAll = await Promise.all(PATHS.map((p) => waitPlayable(`${server.url}/${p}/master.m3u8`)));
t.comment(`all 3 playable ${((Math.max(...readyAll.map((r) => r.at)) - pubs[0].runs[0].startedAt) / 1000).toFixed(2)} s after the first publish`);

t.test('hostile peers on the same port are cut off; the 3 streams keep real time', async (t) => {
  const before = Object.fromEntries(PATHS.map((p) => [p, segCount(p)]));
  const t0 = Date.now();

  const garbage = await rawSocket(port);
  garbage.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  const truncated = await rawSocket(port);
  truncated.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(500, 9)]));
  const huge = await rtmpClient(port, lib);
  huge.socket.write(Buffer.from([0x04, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0])); // 16 MiB announced, nothing more
  const idle = await Promise.all(Array.from({ length: 20 }, () => rawSocket(port)));

  t.ok(await closed(garbage, 2000), 'garbage: closed');
  t.ok(await closed(huge.socket, 2000), '16 MiB header: closed');
  t.ok(await closed(truncated, 3000), 'truncated handshake: closed by the handshake timeout');
  const idleClosed = await Promise.all(idle.map((s) => closed(s, 3000)));
  t.equal(idleClosed.filter(Boolean).length, 20, '20 idle sockets: all closed');
  t.same(server.rtmp.paths.sort(), PATHS, 'the 3 publishers are still connected');

  // 8 s of wall time from the attack on: each rendition of each stream gains ~8 segments
  await sleep(Math.max(0, t0 + 8000 - Date.now()));
  const secs = (Date.now() - t0) / 1000;
  for (const p of PATHS) {
    const snap = server.registry.get(p);
    const rends = snap.renditions.length;
    const gained = segCount(p) - before[p];
    const perRendition = gained / rends;
    t.ok(perRendition >= secs / SEG - 2, `${p}: ${perRendition.toFixed(1)} segments per rendition in ${secs.toFixed(1)} s (real time: ${(secs / SEG).toFixed(1)})`);
    // never more media than the real-time publisher has sent (a stream that lagged may catch up, not overtake)
    const sinceStart = (Date.now() - pubs[PATHS.indexOf(p)].runs[0].startedAt) / 1000;
    t.ok(segCount(p) / rends <= sinceStart / SEG + 1, `${p}: ${(segCount(p) / rends).toFixed(1)} segments per rendition in all, ${sinceStart.toFixed(1)} s after its publish`);
    t.equal(snap.state, 'live', `${p} is live`);
    t.ok(snap.speed >= 0.9, `${p}: speed ${snap.speed}`);
  }
  t.same(live.of('unpublish'), [], 'no publisher dropped');
  t.same(live.of('error'), [], 'no stream error');
});

for (const p of PATHS) {
  t.test(`${p}: playable over HTTP; ffprobe decodes a segment`, async (t) => {
    const masterUrl = `${server.url}/${p}/master.m3u8`;
    const m = await getText(masterUrl);
    t.equal(m.status, 200, 'master 200');
    const urls = mediaPlaylistUrls(masterUrl, m.text);
    t.equal(urls.length, 3, '2 video variants + audio');
    const heights = [];
    for (const u of urls) {
      const r = await getText(u);
      t.equal(r.status, 200, `${u.split('/').at(-2)} playlist 200`);
      const pl = parseMedia(r.text);
      t.ok(pl.segments.length >= 3, `${pl.segments.length} segments listed`);
      // the newest complete segment but one, with its init: a standalone fragmented MP4
      const seg = pl.segments.at(-2);
      const init = await getBytes(resolveUrl(seg.map, u));
      const body = await getBytes(resolveUrl(seg.uri, u));
      t.same([init.status, body.status], [200, 200], 'init and segment fetched');
      const file = path.join(tmp, `${p.replace('/', '_')}_${u.split('/').at(-2)}.mp4`);
      fs.writeFileSync(file, Buffer.concat([init.body, body.body]));
      const probe = ffprobe(file, ['-count_frames']);
      const st = probe.streams[0];
      if (st.codec_type === 'video') {
        heights.push(st.height);
        t.equal(st.codec_name, 'h264');
        t.ok(Math.abs(Number(st.nb_read_frames) - FPS * seg.duration) <= 1, `${st.width}x${st.height}: ${st.nb_read_frames} frames decoded ≈ ${FPS * seg.duration}`);
        t.equal(st.width, st.height === 240 ? 320 : 160, 'width follows the 4:3 source');
      } else {
        t.equal(st.codec_name, 'aac', 'audio rendition: AAC');
        t.ok(Number(st.nb_read_frames) >= 40, `${st.nb_read_frames} AAC frames in ${seg.duration} s`);
      }
    }
    t.same(heights.sort((a, b) => a - b), [120, 240], 'both rungs decode at their sizes');
  });
}

t.test('the API lists the 3 streams', async (t) => {
  const r = JSON.parse((await getText(`${server.url}/api/streams`)).text);
  t.same(r.streams.map((s) => s.path).sort(), PATHS);
  t.ok(r.streams.every((s) => s.state === 'live' && s.renditions.every((x) => x.segments > 0)), 'all live with segments');
  t.same(pubs.map((pb) => [pb.runs[0].code, pb.runs[0].stderr]), pubs.map(() => [undefined, '']), 'every ffmpeg still publishing, no error');
  await Promise.all(pubs.map((pb) => pb.kill()));
});

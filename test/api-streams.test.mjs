// The API over a real stream: serve() on free ports, the ffmpeg CLI
// publishing 640x360 at 30 fps H.264 + AAC over RTMP. /api/streams reports
// what ffmpeg sends (codecs, size, rate, bytes and bitrate against ffmpeg's
// own -progress count), the renditions' encoders and growing segments, and
// viewers: two clients with different User-Agents are 2, gone after the
// window; DELETE kicks the publisher (its ffmpeg sees the connection end),
// and the stream ends after its grace.
import t from 'tap';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createHandler, ViewerTracker } from 'ffnode';
import { startLive, ffmpegPublisher, killAtEnd, waitPlayable, waitFor, mediaPlaylistUrls, parseMedia, sleep } from './helpers/live.mjs';
import { validate } from './helpers/json-schema.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const PATH = 'live/api';
const doc = JSON.parse(readFileSync(new URL('../docs/server/openapi.json', import.meta.url), 'utf8'));
const getJson = async (url, init) => {
  const r = await fetch(url, { cache: 'no-store', ...init });
  return { status: r.status, headers: r.headers, json: r.status === 204 ? null : await r.json() };
};
/** ffmpeg's last -progress report: bytes written to the RTMP output and the media time they carry */
const progress = (stderr) => {
  const size = [...stderr.matchAll(/^total_size=(\d+)$/gm)].at(-1)?.[1];
  const us = [...stderr.matchAll(/^out_time_us=(\d+)$/gm)].at(-1)?.[1];
  return size && us ? { bytes: Number(size), seconds: Number(us) / 1e6 } : null;
};

/** Fetches what a player fetches first (master, a media playlist, its newest segment) as `agent`. */
async function watch(base, agent) {
  const headers = { 'user-agent': agent };
  const masterUrl = `${base}/${PATH}/master.m3u8`;
  const master = await (await fetch(masterUrl, { headers })).text();
  const mediaUrl = mediaPlaylistUrls(masterUrl, master)[0];
  const media = parseMedia(await (await fetch(mediaUrl, { headers })).text());
  const seg = await fetch(new URL(media.segments.at(-1).uri, mediaUrl), { headers });
  await seg.arrayBuffer();
  return seg.status;
}

t.test('a live stream through the API', async (t) => {
  const live = await startLive(t, { ladder: ['360p', '240p'], segmentDuration: 1, reconnectGrace: 2 });
  const { server } = live;
  const api = `${server.url}/api/streams`;

  // A second face on the same server with a short viewer window, as an
  // embedding application would mount it with its own tracker.
  const shortWindow = new ViewerTracker({ windowMs: 3000 });
  const side = http.createServer(createHandler({ store: server.store, registry: server.registry, viewers: shortWindow }, { playerPage: false, push: false }));
  await new Promise((r) => side.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => side.close(r)));
  const sideUrl = `http://127.0.0.1:${side.address().port}`;

  const pub = ffmpegPublisher(server, PATH, { size: '640x360', fps: 30, extra: ['-progress', 'pipe:2'] });
  killAtEnd(t, pub);
  await waitPlayable(`${server.url}/${PATH}/master.m3u8`, { timeout: 60_000 });

  t.test('GET /api/streams: what the publisher sends', async (t) => {
    const list = await getJson(api);
    t.equal(list.status, 200);
    t.match(list.headers.get('content-type'), /^application\/json/);
    t.equal(list.headers.get('cache-control'), 'no-store');
    t.same(validate(doc, { $ref: '#/components/schemas/StreamList' }, list.json), [], 'fits the documented schema');
    const s = list.json.streams.find((x) => x.path === PATH);
    t.ok(s, 'lists the stream');
    t.match(s, {
      app: 'live', name: 'api', state: 'live',
      publisher: { protocol: 'rtmp', remoteAddress: /^127\.0\.0\.1:\d+$/ },
      source: { codec: 'h264', width: 640, height: 360, audioCodec: 'aac', sampleRate: 44100, channels: 1 },
      manifests: { hls: `/${PATH}/master.m3u8`, dash: `/${PATH}/manifest.mpd` },
      reconnects: 0, recording: null,
    });
    t.ok(Math.abs(s.source.fps - 30) < 0.1, `source fps 30 (${s.source.fps})`);
    t.ok(s.uptime > 0 && s.uptime < 120, `uptime ${s.uptime} s`);
    const video = s.renditions.filter((r) => r.type === 'video');
    t.same(video.map((r) => r.height).sort(), [240, 360], 'the ladder: 360p and 240p');
    for (const r of video) {
      t.equal(r.encoder, 'libx264', `${r.id}: encoder`);
      t.ok(r.frames > 0, `${r.id}: ${r.frames} frames encoded`);
      t.ok(Number.isInteger(r.dropped) && r.dropped >= 0, `${r.id}: ${r.dropped} frames dropped (load on a shared host)`);
      t.ok(r.encodeLatency && r.encodeLatency.p95 >= r.encodeLatency.p50, `${r.id}: encode latency p50 ${r.encodeLatency?.p50} ms, p95 ${r.encodeLatency?.p95} ms`);
    }
    t.match(s.renditions.find((r) => r.type === 'audio'), { encoder: 'aac' });
    t.ok(s.viewers >= 1, `viewers counts this test's own fetches (${s.viewers})`);
    const one = await getJson(`${api}/live/api`);
    t.equal(one.status, 200);
    t.same(validate(doc, { $ref: '#/components/schemas/Stream' }, one.json), []);
    t.equal(one.json.path, PATH);
  });

  t.test('ingest bytes and bitrate against what ffmpeg wrote', async (t) => {
    // the meter averages the last complete seconds of a 5 s window: full after 6 s
    await waitFor(() => progress(pub.runs[0].stderr)?.seconds > 6.5, { timeout: 30_000, what: "ffmpeg's progress past 6.5 s" });
    const sent = progress(pub.runs[0].stderr);
    const s = (await getJson(`${api}/live/api`)).json;
    // ffmpeg reports every 0.5 s, so the server has received up to ~0.5 s more;
    // FLV tag headers (ffmpeg counts them, the server's meter does not) are under 2 %.
    const ratio = s.ingestBytes / sent.bytes;
    t.ok(ratio > 0.85 && ratio < 1.35, `ingestBytes ${s.ingestBytes} vs ffmpeg's total_size ${sent.bytes} (${ratio.toFixed(3)})`);
    const sentRate = (sent.bytes * 8) / sent.seconds;
    const rateRatio = s.ingestBitrate / sentRate;
    t.ok(rateRatio > 0.6 && rateRatio < 1.6, `ingestBitrate ${s.ingestBitrate} b/s vs ffmpeg's average ${Math.round(sentRate)} b/s (${rateRatio.toFixed(2)})`);
    const later = await waitFor(async () => {
      const x = (await getJson(`${api}/live/api`)).json;
      return x.ingestBytes > s.ingestBytes && x;
    }, { timeout: 5000, what: 'ingestBytes to grow' });
    t.ok(later.ingestBytes > s.ingestBytes, 'ingestBytes grows');
    t.ok(later.speed > 0.5 && later.speed < 2, `encode speed ${later.speed} (real time: about 1)`);
  });

  t.test('segments grow', async (t) => {
    const count = async () => (await getJson(`${api}/live/api`)).json.renditions.find((r) => r.height === 360).segments;
    const first = await count();
    t.ok(first >= 1, `${first} segments`);
    const later = await waitFor(async () => ((n) => n >= first + 2 && n)(await count()), { timeout: 15_000, what: 'two more segments' });
    t.ok(later >= first + 2, `${first} → ${later} segments`);
  });

  t.test('viewers: distinct address + User-Agent within the window', async (t) => {
    const count = async (base) => (await getJson(`${base}/api/streams/live/api`)).json.viewers;
    t.equal(await count(sideUrl), 0, 'nobody has watched through the second face yet');
    const before = await count(server.url);
    t.equal(await watch(sideUrl, 'viewer-A/1.0'), 200);
    t.equal(await watch(sideUrl, 'viewer-B/1.0'), 200);
    // Taken before the request: the server stamps the viewer when the request arrives, after this.
    const watchedAt = Date.now();
    t.equal(await watch(sideUrl, 'viewer-A/1.0'), 200, 'A again');
    t.equal(await count(sideUrl), 2, 'two distinct clients: 2 viewers');
    const listed = (await getJson(`${sideUrl}/api/streams`)).json.streams.find((s) => s.path === PATH);
    t.equal(listed.viewers, 2, 'the list reports them too');

    await watch(server.url, 'viewer-A/1.0');
    await watch(server.url, 'viewer-B/1.0');
    t.equal(await count(server.url), before + 2, `serve()'s own tracker: ${before} + 2`);

    await sleep(Math.max(0, watchedAt + 1500 - Date.now()));
    t.equal(await count(sideUrl), 2, 'still 2 halfway through the window');
    await waitFor(async () => (await count(sideUrl)) === 0, { timeout: 10_000, interval: 200, what: 'the viewers to expire' });
    const gone = Date.now() - watchedAt;
    t.ok(gone >= 3000, `0 viewers once the 3 s window passed (${gone} ms after the last fetch)`);
  });

  t.test('DELETE kicks the publisher; the stream ends after its grace', async (t) => {
    t.ok(server.viewers.count(PATH) >= 1, 'serve() counts viewers of the stream');
    const t0 = Date.now();
    const kicked = await fetch(`${api}/live/api`, { method: 'DELETE' });
    t.equal(kicked.status, 204);
    t.equal(kicked.headers.get('cache-control'), 'no-store');
    t.equal(await kicked.text(), '');
    const run = await Promise.race([pub.done, sleep(10_000).then(() => null)]);
    t.ok(run, `ffmpeg exited ${run ? Date.now() - t0 : '>10000'} ms after the DELETE`);
    t.not(run?.code, 0, `ffmpeg saw its connection end (exit ${run?.code}: ${run?.stderr.split('\n').find((l) => l && !l.includes('='))})`);
    t.equal(live.of('unpublish', PATH)[0]?.value.reason, 'kicked', "the registry's unpublish says kicked");
    const after = (await getJson(`${api}/live/api`)).json;
    t.match(after, { state: 'reconnecting', publisher: null, speed: 0 }, 'waiting for a publisher');

    await waitFor(() => live.of('end', PATH).length > 0, { timeout: 10_000, what: "the stream's end" });
    t.equal(server.viewers.count(PATH), 0, "the ended stream's viewers are forgotten at once (the window is 30 s)");
    const gone = await getJson(`${api}/live/api`);
    t.equal(gone.status, 404);
    t.same(gone.json, { error: `no stream ${PATH}` });
    t.same((await getJson(api)).json, { streams: [], recordings: [] });
    const again = await getJson(`${api}/live/api`, { method: 'DELETE' });
    t.equal(again.status, 404, 'DELETE of an ended stream: 404');
  });
});

endsWithZeroLive(t);

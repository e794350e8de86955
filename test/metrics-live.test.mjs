// /metrics over a real stream: serve() with the ffmpeg CLI publishing over
// RTMP. The exposition (parsed strictly) has Node's defaults, the stream's
// gauges and counters read fresh at each scrape, store-write and HTTP
// histograms that count what happened (the test's own requests by route and
// code, to the byte), the native addon's counts; counters never go down
// across a publisher's reconnect; and once the stream ends its series are
// gone and nothing is active.
import t from 'tap';
import { startLive, ffmpegPublisher, killAtEnd, waitPlayable, waitFor, sleep } from './helpers/live.mjs';
import { scrape } from './helpers/prometheus.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const PATH = 'live/m';
const S = { stream: PATH };

t.test('a live stream in /metrics', async (t) => {
  const live = await startLive(t, { ladder: ['240p'], segmentDuration: 1, reconnectGrace: 3 });
  const { server } = live;
  const metricsUrl = `${server.url}/metrics`;
  const read = async () => {
    const r = await scrape(metricsUrl);
    if (r.status !== 200) throw new Error(`/metrics: ${r.status} ${r.text}`);
    return r.metrics;
  };
  const pub = ffmpegPublisher(server, PATH, { size: '640x360', fps: 30 });
  killAtEnd(t, pub);
  await waitPlayable(`${server.url}/${PATH}/master.m3u8`, { timeout: 60_000 });

  t.test('exposition: content type, defaults, process-wide native counts', async (t) => {
    const r = await scrape(metricsUrl);
    t.equal(r.status, 200);
    t.equal(r.type, 'text/plain; version=0.0.4; charset=utf-8');
    const m = r.metrics;
    t.equal(m.families.get('process_resident_memory_bytes')?.type, 'gauge');
    t.ok(m.value('process_resident_memory_bytes') > 10e6, `RSS ${m.value('process_resident_memory_bytes')} bytes`);
    t.equal(m.families.get('nodejs_eventloop_lag_seconds')?.type, 'gauge');
    t.ok(m.value('nodejs_eventloop_lag_seconds') >= 0);
    t.equal(m.families.get('nodejs_gc_duration_seconds')?.type, 'histogram');
    globalThis.gc?.();
    const gcs = await waitFor(async () => {
      const n = (await read()).samples('nodejs_gc_duration_seconds_count').reduce((a, s) => a + s.value, 0);
      return n > 0 && n;
    }, { timeout: 10_000, what: 'a garbage collection to be observed' });
    t.ok(gcs > 0, `${gcs} garbage collections observed`);
    t.ok(m.value('ffnode_native_objects') > 0, `native objects ${m.value('ffnode_native_objects')} (the stream's decoder and encoders)`);
    t.ok(m.value('ffnode_native_frames') >= 0 && m.value('ffnode_native_packets') >= 0);
    t.same(m.samples('ffnode_native_memory_bytes').map((s) => s.labels.kind).sort(), ['frame', 'packet', 'pool']);
    t.same(m.samples('ffnode_native_leaked_total').map((s) => s.value), [0, 0, 0], 'nothing leaked');
    for (const [name, f] of m.families) if (name.startsWith('ffnode_')) t.ok(f.help && f.type, `${name}: HELP and TYPE`);
  });

  t.test('the stream, fresh at each scrape', async (t) => {
    const a = await read();
    t.equal(a.value('ffnode_streams_active'), 1, 'one stream active');
    t.equal(a.value('ffnode_publishers_active', { protocol: 'rtmp' }), 1, 'one RTMP publisher');
    t.equal(a.value('ffnode_publishers_active', { protocol: 'http' }), 0, 'no HTTP publisher');
    t.ok(a.value('ffnode_stream_ingest_bits_per_second', S) >= 0, 'ingest bitrate (0 until a whole second has passed)');
    t.ok(a.value('ffnode_stream_viewers', S) >= 1, "the test's own fetches are a viewer");
    t.ok(Math.abs(a.value('ffnode_stream_start_time_seconds', S) - Date.now() / 1000) < 120);
    t.equal(a.value('ffnode_stream_reconnects_total', S), 0, 'no reconnects yet');
    const renditions = a.samples('ffnode_rendition_frames_encoded_total', S).map((s) => s.labels.rendition).sort();
    t.same(renditions, ['a128k', 'v240p'], 'one series per rendition');
    t.ok(a.value('ffnode_rendition_frames_encoded_total', { ...S, rendition: 'v240p' }) > 0);
    t.ok(a.value('ffnode_rendition_segments_total', { ...S, rendition: 'v240p' }) > 0);
    t.ok(a.value('ffnode_rendition_dropped_frames_total', { ...S, rendition: 'v240p' }) >= 0, `dropped frames counted (${a.value('ffnode_rendition_dropped_frames_total', { ...S, rendition: 'v240p' })}: the host is shared)`);
    t.same(a.samples('ffnode_rendition_encode_latency_seconds', { ...S, rendition: 'v240p' }).map((s) => s.labels.quantile), ['0.5', '0.95']);
    t.ok(a.value('ffnode_rendition_encode_latency_seconds', { ...S, rendition: 'v240p', quantile: '0.95' }) < 1, 'encode latency in seconds');
    t.ok(a.value('ffnode_rendition_measured_bits_per_second', { ...S, rendition: 'v240p' }) > 0);

    await sleep(1500);
    const b = await read();
    const [ia, ib] = [a, b].map((m) => m.value('ffnode_stream_ingest_bytes_total', S));
    t.ok(ib > ia, `ingest bytes grow between scrapes: ${ia} → ${ib}`);
    t.ok(b.value('ffnode_stream_ingest_bits_per_second', S) > 100_000, `ingest bitrate ${b.value('ffnode_stream_ingest_bits_per_second', S)} b/s`);
    const fa = a.value('ffnode_rendition_frames_encoded_total', { ...S, rendition: 'v240p' });
    const fb = b.value('ffnode_rendition_frames_encoded_total', { ...S, rendition: 'v240p' });
    t.ok(fb > fa + 20, `frames encoded grow: ${fa} → ${fb}`);
    t.ok(b.value('ffnode_stream_encode_speed_ratio', S) > 0.5, `encode speed ${b.value('ffnode_stream_encode_speed_ratio', S)}`);
  });

  t.test('store writes: a histogram per kind', async (t) => {
    const m = await read();
    for (const kind of ['segment', 'init', 'manifest']) {
      const count = m.value('ffnode_store_write_duration_seconds_count', { kind });
      t.ok(count > 0, `${kind}: ${count} writes`);
      const buckets = m.samples('ffnode_store_write_duration_seconds_bucket', { kind });
      t.equal(buckets.at(-1).labels.le, '+Inf');
      t.equal(buckets.at(-1).value, count, `${kind}: the +Inf bucket is the count`);
      t.ok(buckets.every((x, i) => i === 0 || x.value >= buckets[i - 1].value), `${kind}: cumulative buckets`);
      t.ok(m.value('ffnode_store_write_duration_seconds_sum', { kind }) >= 0);
    }
  });

  t.test('HTTP: requests by route and code, bytes, durations', async (t) => {
    const before = await read();
    const master = `${server.url}/${PATH}/master.m3u8`;
    let sent = 0;
    for (const url of [master, master, master, `${server.url}/${PATH}/nope.m3u8`, `${server.url}/${PATH}/nope.m3u8`, `${server.url}/api/streams`]) {
      const r = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
      const body = Buffer.from(await r.arrayBuffer());
      if (!url.endsWith('/api/streams')) sent += body.length;
    }
    const want = (m, name, labels) => m.value(name, labels) ?? 0;
    const delta = (m, name, labels) => want(m, name, labels) - want(before, name, labels);
    // the counts land when each response finishes: poll until they are all there
    const after = await waitFor(async () => {
      const m = await read();
      return delta(m, 'ffnode_http_requests_total', { route: 'api', code: '200' }) >= 1 && m;
    }, { timeout: 5000, what: 'the requests to be counted' });
    t.equal(delta(after, 'ffnode_http_requests_total', { route: 'playlist', code: '200' }), 3, 'three playlists, 200');
    t.equal(delta(after, 'ffnode_http_requests_total', { route: 'playlist', code: '404' }), 2, 'two missing playlists, 404');
    t.equal(delta(after, 'ffnode_http_requests_total', { route: 'api', code: '200' }), 1, 'one API call');
    t.equal(delta(after, 'ffnode_http_requests_total', { route: 'metrics', code: '200' }), 1, 'the scrape before');
    t.equal(delta(after, 'ffnode_http_response_bytes_total', { route: 'playlist' }), sent, `playlist bytes served: ${sent}, as received`);
    t.equal(delta(after, 'ffnode_http_request_duration_seconds_count', { route: 'playlist' }), 5, 'five playlist durations');
    t.ok(delta(after, 'ffnode_http_request_duration_seconds_sum', { route: 'playlist' }) > 0);
    const codes = new Set(after.samples('ffnode_http_requests_total').map((s) => s.labels.code));
    t.ok([...codes].every((c) => /^[1-5]\d\d$/.test(c)), `codes are status numbers: ${[...codes].join(', ')}`);
  });

  t.test('counters never go down across a reconnect', async (t) => {
    const rl = { ...S, rendition: 'v240p' };
    const first = await read();
    const frames0 = first.value('ffnode_rendition_frames_encoded_total', rl);
    const bytes0 = first.value('ffnode_stream_ingest_bytes_total', S);
    await pub.kill();
    await waitFor(() => live.of('unpublish', PATH).length > 0, { timeout: 10_000, what: 'the unpublish' });
    const between = await read();
    t.equal(between.value('ffnode_publishers_active', { protocol: 'rtmp' }), 0, 'no publisher between sessions');
    t.ok(between.value('ffnode_rendition_frames_encoded_total', rl) >= frames0, 'frames encoded does not drop when the session ends');
    t.equal(between.value('ffnode_stream_encode_speed_ratio', S), 0);
    pub.start();
    await waitFor(() => live.of('reconnect', PATH).length > 0, { timeout: 15_000, what: 'the reconnect' });
    const again = await waitFor(async () => {
      const m = await read();
      return m.value('ffnode_rendition_frames_encoded_total', rl) > between.value('ffnode_rendition_frames_encoded_total', rl) + 30 && m;
    }, { timeout: 20_000, what: 'the new session to encode frames' });
    t.equal(again.value('ffnode_stream_reconnects_total', S), 1);
    t.ok(again.value('ffnode_stream_ingest_bytes_total', S) > bytes0, 'ingest bytes go on growing');
    t.ok(again.value('ffnode_rendition_frames_encoded_total', rl) > frames0, 'the new session adds to the count');
  });

  t.test('when the stream ends, its series are gone', async (t) => {
    await pub.kill();
    await waitFor(() => live.of('end', PATH).length > 0, { timeout: 15_000, what: "the stream's end" });
    const r = await scrape(metricsUrl);
    const m = r.metrics;
    const left = [...m.families.values()].flatMap((f) => f.samples).filter((s) => Object.values(s.labels).includes(PATH));
    t.same(left.map((s) => s.name), [], 'no sample names the ended stream');
    t.notMatch(r.text, PATH);
    t.equal(m.value('ffnode_streams_active'), 0);
    t.equal(m.value('ffnode_publishers_active', { protocol: 'rtmp' }), 0);
    t.ok(m.value('ffnode_store_write_duration_seconds_count', { kind: 'segment' }) > 0, 'server-wide series stay');
  });
});

endsWithZeroLive(t);

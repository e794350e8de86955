// LiveMetrics' bookkeeping, scrape by scrape, over a directory whose
// snapshots the test writes: counters advance by what the totals gained and
// never go down (a new session counts from 0), series go when a stream ends
// (or vanishes without an 'end'), request labels stay a fixed set; two
// servers in one process never collide; TimedStore times real MemoryStore
// writes by kind.
import t from 'tap';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { EventEmitter } from 'node:events';
import { LiveMetrics } from '../dist/server/metrics.js';
import { TimedStore, storeWriteKind } from '../dist/server/timed-store.js';
import { MemoryStore } from '../dist/delivery/memory-store.js';
import { ViewerTracker } from '../dist/server/viewers.js';
import { parseExposition } from './helpers/prometheus.mjs';

const snapshot = (path, { reconnects = 0, frames = 0, dropped = 0, segments = 0, ingestBytes = 0, latency = true } = {}) => ({
  path, app: path.split('/')[0], name: path.split('/')[1], state: 'live', startedAt: '2026-01-01T00:00:00.000Z', uptime: 1,
  publisher: { protocol: 'rtmp', remoteAddress: '127.0.0.1:1' }, source: null, ingestBitrate: 1000, ingestBytes, speed: 1, reconnects,
  renditions: [{ id: 'v240p', type: 'video', width: 426, height: 240, bitrate: 400_000, measuredBitrate: 390_000, encoder: 'libx264', frames, dropped, segments, ...(latency ? { encodeLatency: { p50: 2, p95: 8 } } : {}) }],
  manifests: { hls: null, dash: null }, recording: null,
});

function directory() {
  const streams = new Map();
  return Object.assign(new EventEmitter(), {
    streams,
    list: () => [...streams.values()],
    get: (p) => streams.get(p),
    kick: async () => false,
    publish: async () => { throw new Error('not here'); },
  });
}

const scrape = async (metrics) => parseExposition((await metrics.render()).body);
const V = { stream: 'live/a', rendition: 'v240p' };

t.test('counters advance by the gain and never go down', async (t) => {
  const dir = directory();
  const viewers = new ViewerTracker();
  const metrics = new LiveMetrics({ registry: dir, viewers });
  t.teardown(() => metrics.close());
  dir.streams.set('live/a', snapshot('live/a', { frames: 100, dropped: 2, segments: 3, ingestBytes: 5000 }));
  viewers.seen('live/a', 'x');
  let m = await scrape(metrics);
  t.equal(m.value('ffnode_rendition_frames_encoded_total', V), 100);
  t.equal(m.value('ffnode_rendition_dropped_frames_total', V), 2);
  t.equal(m.value('ffnode_stream_ingest_bytes_total', { stream: 'live/a' }), 5000);
  t.equal(m.value('ffnode_stream_viewers', { stream: 'live/a' }), 1);
  t.equal(m.value('ffnode_rendition_encode_latency_seconds', { ...V, quantile: '0.95' }), 0.008, 'ms reported as seconds');

  dir.streams.set('live/a', snapshot('live/a', { frames: 160, dropped: 2, segments: 5, ingestBytes: 9000 }));
  m = await scrape(metrics);
  t.equal(m.value('ffnode_rendition_frames_encoded_total', V), 160, 'advanced by 60');
  t.equal(m.value('ffnode_rendition_segments_total', V), 5);

  // the publisher dropped: between sessions the snapshot's session counters are 0
  dir.streams.set('live/a', snapshot('live/a', { frames: 0, segments: 0, ingestBytes: 9000, latency: false }));
  m = await scrape(metrics);
  t.equal(m.value('ffnode_rendition_frames_encoded_total', V), 160, 'no session: the counter stays');
  t.equal(m.samples('ffnode_rendition_encode_latency_seconds', V).length, 0, 'no latency figures without a session');

  // it came back: a new session counts from 0
  dir.streams.set('live/a', snapshot('live/a', { reconnects: 1, frames: 40, segments: 1, ingestBytes: 12_000 }));
  m = await scrape(metrics);
  t.equal(m.value('ffnode_rendition_frames_encoded_total', V), 200, '160 + the new session\'s 40');
  t.equal(m.value('ffnode_stream_reconnects_total', { stream: 'live/a' }), 1);

  // a reconnect between two scrapes: the new session's counts are all new, even when higher than the old ones
  dir.streams.set('live/a', snapshot('live/a', { reconnects: 2, frames: 300, segments: 9, ingestBytes: 20_000 }));
  m = await scrape(metrics);
  t.equal(m.value('ffnode_rendition_frames_encoded_total', V), 500, '200 + 300');
  t.equal(m.value('ffnode_stream_ingest_bytes_total', { stream: 'live/a' }), 20_000, 'ingest bytes are the stream\'s own running total');
});

t.test('series go when the stream ends, or vanishes', async (t) => {
  const dir = directory();
  const metrics = new LiveMetrics({ registry: dir });
  dir.streams.set('live/a', snapshot('live/a', { frames: 10 }));
  dir.streams.set('live/b', snapshot('live/b', { frames: 10 }));
  let m = await scrape(metrics);
  t.equal(m.value('ffnode_streams_active'), 2);
  t.equal(m.value('ffnode_publishers_active', { protocol: 'rtmp' }), 2);
  dir.streams.delete('live/a');
  dir.emit('end', 'live/a', { recording: null });
  m = await scrape(metrics);
  const paths = (mm) => new Set([...mm.families.values()].flatMap((f) => f.samples).map((s) => s.labels.stream).filter(Boolean));
  t.same([...paths(m)], ['live/b'], "an ended stream's series are removed");
  t.equal(m.value('ffnode_streams_active'), 1);
  dir.streams.delete('live/b'); // gone without an 'end' event
  m = await scrape(metrics);
  t.same([...paths(m)], [], 'a stream missing from the registry is removed too');
  // a new stream on an old path starts its counters from 0 (a reset Prometheus understands)
  dir.streams.set('live/a', snapshot('live/a', { frames: 3 }));
  m = await scrape(metrics);
  t.equal(m.value('ffnode_rendition_frames_encoded_total', { stream: 'live/a', rendition: 'v240p' }), 3);
  metrics.close();
  t.equal(dir.listenerCount('end'), 0, 'close() stops listening');
});

t.test('requests: a fixed set of labels whatever the input', async (t) => {
  const metrics = new LiveMetrics();
  metrics.observeRequest('segment', 200, 1000, 0.01);
  metrics.observeRequest('segment', 206, 500, 0.02);
  metrics.observeRequest('bogus', 200, 10, 0.001);
  metrics.observeRequest('api', NaN, -5, NaN);
  metrics.observeRequest('api', 1000, Infinity, -1);
  const m = await scrape(metrics);
  t.equal(m.value('ffnode_http_requests_total', { route: 'segment', code: '200' }), 1);
  t.equal(m.value('ffnode_http_requests_total', { route: 'segment', code: '206' }), 1);
  t.equal(m.value('ffnode_http_requests_total', { route: 'other', code: '200' }), 1, 'an unknown route is other');
  t.equal(m.value('ffnode_http_requests_total', { route: 'api', code: 'other' }), 2, 'a status outside 100..599 is other');
  t.equal(m.value('ffnode_http_response_bytes_total', { route: 'segment' }), 1500);
  t.equal(m.value('ffnode_http_response_bytes_total', { route: 'api' }), 0, 'bad byte counts add nothing');
  t.equal(m.value('ffnode_http_request_duration_seconds_count', { route: 'segment' }), 2);
  t.equal(m.value('ffnode_http_request_duration_seconds_count', { route: 'api' }) ?? 0, 0, 'bad durations are not observed');
  const routes = new Set(m.samples('ffnode_http_requests_total').map((s) => s.labels.route));
  t.same([...routes].sort(), ['api', 'other', 'segment']);
  t.equal(m.value('ffnode_streams_active'), 0, 'no registry: no streams');
});

t.test('two servers in one process', async (t) => {
  const a = new LiveMetrics();
  const b = new LiveMetrics();
  a.observeRequest('playlist', 200, 1, 0.001);
  const [ma, mb] = [await scrape(a), await scrape(b)]; // the parser throws on a family declared twice
  t.equal(ma.value('ffnode_http_requests_total', { route: 'playlist', code: '200' }), 1);
  t.equal(mb.value('ffnode_http_requests_total', { route: 'playlist', code: '200' }), undefined, 'each server counts its own requests');
  t.ok(ma.value('process_resident_memory_bytes') > 0 && mb.value('process_resident_memory_bytes') > 0, 'both carry the process metrics');
  t.not(a.register, b.register, 'separate prom-client registries');
});

t.test('TimedStore: every write timed by kind, errors passed on', async (t) => {
  const metrics = new LiveMetrics();
  const inner = new MemoryStore();
  const store = new TimedStore(inner, (kind, s) => metrics.observeStoreWrite(kind, s));
  await store.put('live/a/v240p/seg_1.m4s', Buffer.alloc(1000));
  await store.put('live/a/v240p/seg_2.ts', Buffer.alloc(10));
  await store.put('live/a/v240p/init.mp4', Buffer.alloc(100));
  await store.put('live/a/master.m3u8', '#EXTM3U\n');
  await store.put('live/a/v240p/index.m3u8', '#EXTM3U\n');
  await store.put('live/a/manifest.mpd', '<MPD/>');
  await store.put('live/a/notes.txt', 'not counted');
  t.same(await store.get('live/a/master.m3u8'), Buffer.from('#EXTM3U\n'), 'reads pass through');
  t.same((await store.list('live/a/v240p/')).sort(), ['live/a/v240p/index.m3u8', 'live/a/v240p/init.mp4', 'live/a/v240p/seg_1.m4s', 'live/a/v240p/seg_2.ts']);
  await store.delete('live/a/notes.txt');
  t.equal(await inner.get('live/a/notes.txt'), null, 'deletes pass through');
  await t.rejects(store.put('../escape.m4s', 'x'), 'a store error reaches the caller');
  const m = await scrape(metrics);
  t.equal(m.value('ffnode_store_write_duration_seconds_count', { kind: 'segment' }), 3, 'two segments and the refused write');
  t.equal(m.value('ffnode_store_write_duration_seconds_count', { kind: 'init' }), 1);
  t.equal(m.value('ffnode_store_write_duration_seconds_count', { kind: 'manifest' }), 3);
  t.equal(storeWriteKind('live/a/x.txt'), null);
});

endsWithZeroLive(t);

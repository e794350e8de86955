/**
 * Prometheus metrics of a live server (prom-client). Each server has its
 * own prom-client Registry (two servers in one process never collide);
 * process-wide figures — Node's defaults and the native addon's live
 * objects — are collected once per process and added to every exposition.
 * Per-stream figures are read from one registry snapshot per scrape, and a
 * stream's series are removed when it ends, so labels exist only for live
 * streams (at most `maxStreams`). Every metric is in docs/server/metrics.md.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { stats } from '../stats.js';
import type { HandlerRegistry } from './http/types.js';
import type { StoreWriteKind } from './timed-store.js';
import type { IngestProtocol, StreamSnapshot } from './types.js';
import type { ViewerTracker } from './viewers.js';

/** What the metrics see. */
export interface LiveMetricsOptions {
  registry?: HandlerRegistry;
  viewers?: ViewerTracker;
}

/** A route label: what kind of resource a request was for. */
export type RequestRoute = 'playlist' | 'mpd' | 'init' | 'segment' | 'api' | 'metrics' | 'player' | 'push' | 'other';

const ROUTES: ReadonlySet<string> = new Set<RequestRoute>(['playlist', 'mpd', 'init', 'segment', 'api', 'metrics', 'player', 'push', 'other']);
const PROTOCOLS: readonly IngestProtocol[] = ['rtmp', 'http', 'pull', 'srt', 'udp', 'demo'];
const QUANTILES = [['0.5', 'p50'], ['0.95', 'p95']] as const;

let processRegister: Registry | undefined;

/**
 * The process-wide metrics, made on first use: prom-client's defaults
 * (their GC observer and event-loop monitor are never stopped, so one set
 * per process, not per server) and the native addon's counts.
 */
function processMetrics(): Registry {
  if (processRegister) return processRegister;
  const registers = [(processRegister = new Registry())];
  collectDefaultMetrics({ register: processRegister });
  const gauge = (name: string, help: string, value: () => number): void => {
    new Gauge({ name, help, registers, collect() { this.set(value()); } });
  };
  gauge('ffnode_native_frames', 'Live native frames (AVFrame references), process-wide.', () => stats().frames);
  gauge('ffnode_native_packets', 'Live native packets (AVPacket references), process-wide.', () => stats().packets);
  gauge('ffnode_native_objects', 'Live native objects (decoders, encoders, scalers, muxers...), process-wide.', () => stats().objects);
  new Gauge({
    name: 'ffnode_native_memory_bytes', help: 'Bytes held by live native frames, packets and the frame pools.', labelNames: ['kind'], registers,
    collect() {
      const s = stats();
      this.set({ kind: 'frame' }, s.frameBytes);
      this.set({ kind: 'packet' }, s.packetBytes);
      this.set({ kind: 'pool' }, s.poolBytes);
    },
  });
  // The addon's leak counts only rise: the counter advances by what they gained.
  const leaked = { frame: 0, packet: 0, object: 0 };
  new Counter({
    name: 'ffnode_native_leaked_total', help: 'Native handles the garbage collector had to free (their owner never freed them).', labelNames: ['kind'], registers,
    collect() {
      const s = stats();
      const now = { frame: s.leakedFrames, packet: s.leakedPackets, object: s.leakedObjects };
      for (const kind of ['frame', 'packet', 'object'] as const) {
        this.inc({ kind }, Math.max(0, now[kind] - leaked[kind]));
        leaked[kind] = Math.max(leaked[kind], now[kind]);
      }
    },
  });
  return processRegister;
}

/** What a stream's series were last scraped at: counters advance by the difference. */
interface Tracked {
  renditions: Set<string>;
  /** the snapshot's `reconnects`: a change means a new session, whose counters start at 0 */
  session: number;
  totals: Map<string, number>;
}

/**
 * The server's metrics registry.
 *
 * @example
 * const metrics = new LiveMetrics({ registry, viewers });
 * const { contentType, body } = await metrics.render();
 */
export class LiveMetrics {
  /** this server's own prom-client registry (the process-wide metrics are not in it) */
  readonly register = new Registry();
  readonly #tracked = new Map<string, Tracked>();
  readonly #onEnd = (path: unknown): void => this.#drop(String(path));
  readonly #streams: Gauge;
  readonly #publishers: Gauge;
  readonly #viewers: Gauge;
  readonly #ingestBytes: Counter;
  readonly #ingestBitrate: Gauge;
  readonly #speed: Gauge;
  readonly #started: Gauge;
  readonly #reconnects: Counter;
  readonly #frames: Counter;
  readonly #dropped: Counter;
  readonly #segments: Counter;
  readonly #measured: Gauge;
  readonly #latency: Gauge;
  readonly #storeWrites: Histogram;
  readonly #requests: Counter;
  readonly #sentBytes: Counter;
  readonly #duration: Histogram;

  constructor(readonly options: LiveMetricsOptions = {}) {
    const registers = [this.register];
    const stream = ['stream'];
    const rendition = ['stream', 'rendition'];
    this.#streams = new Gauge({ name: 'ffnode_streams_active', help: 'Streams not yet ended (starting, live or waiting for their publisher to return).', registers });
    this.#publishers = new Gauge({ name: 'ffnode_publishers_active', help: 'Publishers connected now, by ingest protocol.', labelNames: ['protocol'], registers });
    this.#viewers = new Gauge({ name: 'ffnode_stream_viewers', help: 'Distinct clients (address + User-Agent) that fetched the stream\'s manifests or segments within the viewer window.', labelNames: stream, registers });
    this.#ingestBytes = new Counter({ name: 'ffnode_stream_ingest_bytes_total', help: 'Source bytes received from the stream\'s publishers.', labelNames: stream, registers });
    this.#ingestBitrate = new Gauge({ name: 'ffnode_stream_ingest_bits_per_second', help: 'Source bitrate over the last few seconds.', labelNames: stream, registers });
    this.#speed = new Gauge({ name: 'ffnode_stream_encode_speed_ratio', help: 'Media seconds transcoded per wall second by the current session (1 keeps up with a live source; 0 between publishers).', labelNames: stream, registers });
    this.#started = new Gauge({ name: 'ffnode_stream_start_time_seconds', help: 'When the stream was first published, Unix time.', labelNames: stream, registers });
    this.#reconnects = new Counter({ name: 'ffnode_stream_reconnects_total', help: 'Publishers that returned within the reconnect grace and continued the stream.', labelNames: stream, registers });
    this.#frames = new Counter({ name: 'ffnode_rendition_frames_encoded_total', help: 'Frames encoded (audio: audio frames).', labelNames: rendition, registers });
    this.#dropped = new Counter({ name: 'ffnode_rendition_dropped_frames_total', help: 'Frames the rendition dropped under overload.', labelNames: rendition, registers });
    this.#segments = new Counter({ name: 'ffnode_rendition_segments_total', help: 'Segments written.', labelNames: rendition, registers });
    this.#measured = new Gauge({ name: 'ffnode_rendition_measured_bits_per_second', help: 'Average bitrate measured over the rendition\'s stored segments.', labelNames: rendition, registers });
    this.#latency = new Gauge({ name: 'ffnode_rendition_encode_latency_seconds', help: 'Encode latency (frame in to its packet out) over the rendition\'s last frames, by quantile (video only).', labelNames: [...rendition, 'quantile'], registers });
    this.#storeWrites = new Histogram({
      name: 'ffnode_store_write_duration_seconds', help: 'Time to write one object to the store, by kind (segment, init, manifest).', labelNames: ['kind'], registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    });
    this.#requests = new Counter({ name: 'ffnode_http_requests_total', help: 'HTTP responses, by route and status code.', labelNames: ['route', 'code'], registers });
    this.#sentBytes = new Counter({ name: 'ffnode_http_response_bytes_total', help: 'HTTP response body bytes sent, by route.', labelNames: ['route'], registers });
    this.#duration = new Histogram({
      name: 'ffnode_http_request_duration_seconds', help: 'Time from a request to the end of its response, by route.', labelNames: ['route'], registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    options.registry?.on('end', this.#onEnd);
  }

  /** Counts one HTTP response. */
  observeRequest(route: RequestRoute, status: number, bytes: number, seconds: number): void {
    const r = ROUTES.has(route) ? route : 'other';
    const code = Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'other';
    this.#requests.inc({ route: r, code });
    this.#sentBytes.inc({ route: r }, Number.isFinite(bytes) && bytes > 0 ? bytes : 0);
    if (Number.isFinite(seconds) && seconds >= 0) this.#duration.observe({ route: r }, seconds);
  }

  /** Observes one store write (segment, init or manifest). */
  observeStoreWrite(kind: StoreWriteKind, seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.#storeWrites.observe({ kind }, seconds);
  }

  /** The exposition text: this server's metrics, then the process-wide ones. */
  async render(): Promise<{ contentType: string; body: string }> {
    this.#refresh();
    const [own, proc] = await Promise.all([this.register.metrics(), processMetrics().metrics()]);
    return { contentType: this.register.contentType, body: `${own}\n${proc}` };
  }

  /** Stops listening to the registry. */
  close(): void {
    this.options.registry?.off('end', this.#onEnd);
  }

  // Every stream figure from one snapshot, taken now: fresh at each scrape,
  // and consistent across the metrics of one exposition.
  #refresh(): void {
    const snaps = this.options.registry?.list() ?? [];
    this.#streams.set(snaps.length);
    for (const protocol of PROTOCOLS) this.#publishers.set({ protocol }, snaps.filter((s) => s.publisher?.protocol === protocol).length);
    const live = new Set(snaps.map((s) => s.path));
    for (const path of this.#tracked.keys()) if (!live.has(path)) this.#drop(path); // an 'end' we did not hear
    for (const s of snaps) this.#observeStream(s);
  }

  #observeStream(s: StreamSnapshot): void {
    let t = this.#tracked.get(s.path);
    if (!t) this.#tracked.set(s.path, (t = { renditions: new Set(), session: s.reconnects, totals: new Map() }));
    const newSession = t.session !== s.reconnects;
    t.session = s.reconnects;
    const labels = { stream: s.path };
    this.#viewers.set(labels, this.options.viewers?.count(s.path) ?? 0);
    this.#advance(t, this.#ingestBytes, labels, 'ingest', s.ingestBytes ?? 0, false);
    this.#advance(t, this.#reconnects, labels, 'reconnects', s.reconnects, false);
    this.#ingestBitrate.set(labels, s.ingestBitrate);
    this.#speed.set(labels, s.speed);
    this.#started.set(labels, Date.parse(s.startedAt) / 1000);
    for (const r of s.renditions) {
      t.renditions.add(r.id);
      const rl = { stream: s.path, rendition: r.id };
      // The session's counters start at 0 for each publisher: a new session counts from 0.
      this.#advance(t, this.#frames, rl, `frames/${r.id}`, r.frames, newSession);
      this.#advance(t, this.#dropped, rl, `dropped/${r.id}`, r.dropped, newSession);
      this.#advance(t, this.#segments, rl, `segments/${r.id}`, r.segments, newSession);
      this.#measured.set(rl, r.measuredBitrate);
      for (const [quantile, key] of QUANTILES) {
        if (r.encodeLatency) this.#latency.set({ ...rl, quantile }, r.encodeLatency[key] / 1000);
        else this.#latency.remove({ ...rl, quantile });
      }
    }
  }

  // Counters never go down: they advance by what the snapshot's total gained
  // since the last scrape (all of it when the total restarted from 0).
  #advance(t: Tracked, counter: Counter, labels: Record<string, string>, key: string, total: number, restarted: boolean): void {
    if (!Number.isFinite(total) || total < 0) return;
    const last = restarted ? 0 : (t.totals.get(key) ?? 0);
    counter.inc(labels, total >= last ? total - last : total);
    t.totals.set(key, total);
  }

  // The stream ended: its series go, so they never linger as stale values.
  #drop(path: string): void {
    const t = this.#tracked.get(path);
    if (!t) return;
    this.#tracked.delete(path);
    const labels = { stream: path };
    for (const m of [this.#viewers, this.#ingestBytes, this.#ingestBitrate, this.#speed, this.#started, this.#reconnects]) m.remove(labels);
    for (const id of t.renditions) {
      const rl = { stream: path, rendition: id };
      for (const m of [this.#frames, this.#dropped, this.#segments, this.#measured]) m.remove(rl);
      for (const [quantile] of QUANTILES) this.#latency.remove({ ...rl, quantile });
    }
  }
}

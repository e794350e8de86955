/**
 * LiveStream: one stream path and everything that outlives a publisher
 * connection — its Presentation (in its own namespace of the shared store),
 * the ladder (rungs stay the same across reconnects), the sequence numbers
 * and media time a returning publisher continues, the reconnect grace timer
 * and the recording. Each publisher connection is one LiveSession; a session
 * that fails (bad bitstream, encoder error) ends that connection only.
 */
import { TypedEmitter } from '../typed-emitter.js';
import path from 'node:path';
import type { Packet } from '../media/frame.js';
import type { StreamInfo } from '../media/decoder.js';
import { Presentation } from '../delivery/presentation.js';
import { PrefixStore } from '../delivery/prefix-store.js';
import { LiveSession, type LiveContinuation, type LiveSessionEvents, type LiveSessionResult, type LiveSessionStats, type LiveStartedEvent } from '../transcoding/live-session.js';
import type { Progress } from '../transcoding/transcode.js';
import type { RegistryOptions } from './options.js';
import { Recorder, type RecordingResult } from './recorder.js';
import { IngestMeter } from './ingest-meter.js';
import type { IngestSource, Publication, RenditionSnapshot, StreamSnapshot, StreamState } from './types.js';

type EndReason = Awaited<Publication['ended']>['reason'];

/** A session's source as the 'started' event reports it. */
type SourceInfo = NonNullable<StreamSnapshot['source']>;

/** What 'publish' and 'reconnect' report about the publisher. */
export interface PublisherInfo {
  protocol: IngestSource['protocol'];
  remoteAddress: string | null;
  /** publisher returns so far (0 for the first) */
  reconnects: number;
}

/** What 'unpublish' reports: why the publisher is gone. */
export interface UnpublishInfo {
  reason: EndReason;
  error?: Error;
}

/**
 * The events of one {@link LiveStream} (listener arguments); the registry
 * relays them with the stream path first ({@link RegistryEvents}).
 *
 * @example
 * stream.on('unpublish', ({ reason }) => console.log('publisher gone:', reason));
 */
export interface LiveStreamEvents extends Pick<LiveSessionEvents, 'started' | 'segment' | 'warning' | 'dropped'> {
  // started, segment, warning, dropped: relayed from each session, typed as the session's
  publish: [info: PublisherInfo];
  reconnect: [info: PublisherInfo];
  unpublish: [info: UnpublishInfo];
  recorded: [result: RecordingResult];
  /** the stream is over; `recording` is the recorded file, if any */
  end: [info: { recording: string | null }];
  error: [error: Error];
}

/**
 * The same events as the registry emits them: the stream path first.
 *
 * @example
 * registry.on('segment', (path, s) => console.log(path, s.rendition, s.sequence));
 */
export type RegistryEvents = { [E in keyof LiveStreamEvents as E extends 'started' ? never : E]: [path: string, ...LiveStreamEvents[E]] };

/**
 * One stream path of a registry: see the module comment; events are
 * {@link LiveStreamEvents}.
 *
 * @example
 * const stream = registry.stream('live/cam1');
 * stream?.on('end', ({ recording }) => console.log('ended', recording));
 */
export class LiveStream extends TypedEmitter<LiveStreamEvents> {
  readonly path: string;
  readonly app: string;
  readonly name: string;
  readonly startedAt = new Date();
  readonly presentation: Presentation;
  state: StreamState = 'starting';
  reconnects = 0;
  readonly #opts: RegistryOptions;
  readonly #meter = new IngestMeter();
  #source: IngestSource | null = null;
  #session: LiveSession | null = null;
  #sessionDone: Promise<void> = Promise.resolve();
  #stopReason: EndReason | null = null;
  #continuation: LiveContinuation | null = null;
  #sourceInfo: SourceInfo | null = null;
  #encoders: Record<string, string> = {};
  #speed = 0;
  #grace: NodeJS.Timeout | null = null;
  #recorder: Promise<Recorder | null> | null = null;
  #recording: string | null = null;
  #finished: Promise<void> | null = null;
  #sessions = 0;

  constructor(p: { app: string; name: string; path: string }, opts: RegistryOptions, firstSequence: number) {
    super();
    this.path = p.path;
    this.app = p.app;
    this.name = p.name;
    this.#opts = opts;
    this.presentation = new Presentation({
      store: new PrefixStore(opts.store, p.path),
      mode: opts.record ? 'event' : 'live',
      segmentFormat: opts.segmentFormat ?? 'cmaf',
      segmentDuration: opts.segmentDuration ?? 2,
      hls: opts.hls ?? true,
      dash: opts.dash ?? (opts.segmentFormat ?? 'cmaf') === 'cmaf',
      firstSequence,
      ...(opts.windowSize ? { windowSize: opts.windowSize } : {}),
      ...(opts.utcTiming ? { utcTiming: opts.utcTiming } : {}),
      onWarning: (w: string) => this.emit('warning', w),
    });
  }

  /** A publisher is connected now. */
  get publishing(): boolean {
    return this.#session !== null;
  }

  /** The current session's counters (frames, drops, queues, encode latency per rung), or null between publishers. */
  get stats(): LiveSessionStats | null {
    return this.#session?.stats ?? null;
  }

  /** Once end or removal started: no publisher may join any more. */
  get finishing(): boolean {
    return this.#finished !== null;
  }

  /** The highest sequence number any rendition reached (the next stream on this path starts above it). */
  get sequenceMark(): number {
    return Math.max(0, ...this.presentation.renditions.map((r) => this.presentation.nextSequence(r.id)));
  }

  /**
   * Starts a session for `src`: the stream's first, or a returning
   * publisher's (within the grace period it continues the presentation).
   * A returning publisher's grace keeps running until its session has
   * started (one more grace period is given to one connected when it ran
   * out): one that connects but never sends (a listener re-armed, a stalled
   * socket) cannot keep an ended stream alive.
   */
  attach(src: IngestSource): Publication {
    if (this.#session) throw new Error(`${this.path}: a publisher is already attached`);
    if (this.#finished) throw new Error(`${this.path}: the stream has ended`);
    const o = this.#opts;
    const session = LiveSession.start(src.input, {
      presentation: this.presentation,
      ...(src.inputOptions ? { inputOptions: src.inputOptions } : {}),
      ...(this.#continuation ? { previous: this.#continuation } : o.ladder ? { ladder: o.ladder } : {}),
      segmentDuration: o.segmentDuration ?? 2,
      segmentFormat: o.segmentFormat ?? 'cmaf',
      ...(o.preset ? { preset: o.preset } : {}),
      latency: o.latency ?? 'low',
      ...(o.audio !== undefined ? { audio: o.audio } : {}),
      onPacket: (p: Packet) => this.#onPacket(p),
      ...(o.record ? { onInput: (s: readonly StreamInfo[]) => this.#startRecording(s) } : {}),
    });
    const returning = this.#sessions++ > 0;
    if (returning) this.reconnects++;
    this.#source = src;
    this.#stopReason = null;
    this.#session = session;
    session.on('started', (info: LiveStartedEvent) => {
      this.#clearGrace();
      this.#sourceInfo = info.source;
      this.#encoders = info.encoders;
      this.state = 'live';
      this.emit('started', info);
    });
    session.on('segment', (s) => this.emit('segment', s));
    session.on('progress', (p: Progress) => (this.#speed = p.speed));
    session.on('warning', (w: string) => this.emit('warning', w));
    session.on('dropped', (d) => this.emit('dropped', d));
    let settle!: (v: Awaited<Publication['ended']>) => void;
    const ended = new Promise<Awaited<Publication['ended']>>((r) => (settle = r));
    const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
    this.#sessionDone = session.done
      .then(
        (r: LiveSessionResult) => this.#detach(session, r.continuation, r.reason === 'error' ? asError(r.error) : null, settle),
        (e: unknown) => this.#detach(session, null, asError(e), settle),
      )
      .catch((e: unknown) => {
        this.emit('error', asError(e)); // never an unhandled rejection
      });
    this.emit(returning ? 'reconnect' : 'publish', { protocol: src.protocol, remoteAddress: src.remoteAddress ?? null, reconnects: this.reconnects });
    return { path: this.path, ended };
  }

  /**
   * Ends the current publisher (kick, takeover, shutdown) and waits until its
   * session is over — including a detach already under way (its recording
   * closed). The stream itself stays (grace) unless `finish()` follows.
   */
  async stopPublisher(reason: EndReason, message: string): Promise<void> {
    const s = this.#session;
    if (s) {
      this.#stopReason = reason;
      this.#source?.close(message);
      s.stop(message);
    }
    await this.#sessionDone;
  }

  async #detach(session: LiveSession, cont: LiveContinuation | null, error: Error | null, settle: (v: Awaited<Publication['ended']>) => void): Promise<void> {
    if (this.#session !== session) return;
    if (cont && cont.variants.length) this.#continuation = cont; // a session stopped before its ladder existed leaves none
    const reason: EndReason = this.#stopReason ?? (error ? 'error' : 'ended');
    const failed = error !== null && !this.#stopReason;
    // The ingest closes its publisher when `ended` settles (RTMP, HTTP push); a
    // pulled source or a listener retries: closing it here would stop that.
    try {
      await this.#stopRecording();
    } finally {
      this.#session = null;
      this.#source = null;
      settle({ reason, ...(failed ? { error: error! } : {}) });
      if (!this.#finished && reason !== 'takeover') {
        this.state = 'reconnecting';
        this.#armGrace();
      }
      if (failed) this.emit('error', error);
      this.emit('unpublish', { reason, ...(error ? { error } : {}) });
    }
  }

  // A publisher that returned just before the grace ran out gets one more
  // grace period to start; one still not sending after that ends with the stream.
  #armGrace(extension = false): void {
    this.#clearGrace();
    const grace = this.#opts.reconnectGrace ?? 10;
    // Kept referenced: a stream's end (finalising its recording) is work the process must still do.
    this.#grace = setTimeout(() => {
      this.#grace = null;
      if (this.state === 'live') return;
      if (this.#session && !extension) this.#armGrace(true);
      else void this.finish('grace');
    }, grace * 1000);
  }

  #clearGrace(): void {
    if (this.#grace) clearTimeout(this.#grace);
    this.#grace = null;
  }

  /**
   * Ends the stream: a recording presentation is finalised as VOD
   * (ENDLIST, static MPD); otherwise its manifests are removed at once and its
   * segments once no manifest a player may hold names them (`shutdown`:
   * everything at once — nobody will serve them). A publisher still
   * connecting when the grace ran out is ended with reason 'ended', so a
   * pulled source or a listener tries again (as a new stream).
   */
  finish(why: 'grace' | 'shutdown'): Promise<void> {
    this.#finished ??= (async () => {
      this.#clearGrace();
      await this.stopPublisher(why === 'shutdown' ? 'shutdown' : 'ended', why === 'shutdown' ? 'server shutting down' : 'stream ended');
      try {
        if (this.#opts.record) {
          await this.presentation.end();
        } else if (why === 'shutdown') {
          await this.presentation.close();
          const store = new PrefixStore(this.#opts.store, this.path);
          for (const k of await store.list().catch(() => [] as string[])) await store.delete(k).catch(() => {});
        } else {
          await this.presentation.remove();
        }
      } catch (e) {
        this.emit('error', e instanceof Error ? e : new Error(String(e)));
      }
      if (this.#opts.record || why === 'shutdown') await this.presentation.close();
      this.state = 'ended';
      this.emit('end', { recording: this.#recording });
    })();
    return this.#finished;
  }

  #onPacket(p: Packet): void {
    this.#meter.add(p.size);
    const rec = this.#recorder;
    if (!rec) return;
    // The session frees its packet when this returns: keep a reference until the recorder has it.
    const q = p.ref();
    void rec.then((r) => r?.write(q)).finally(() => q.free());
  }

  #startRecording(streams: readonly StreamInfo[]): void {
    const rec = this.#opts.record;
    if (!rec) return;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = path.join(rec.dir, this.app, this.name, `${stamp}.${rec.format === 'mkv' ? 'mkv' : 'mp4'}`);
    this.#recording = file;
    this.#recorder = Recorder.open(file, streams, rec.format ? { format: rec.format } : {}).catch((e: unknown) => {
      this.emit('warning', `recording ${file} could not start: ${(e as Error).message}; the stream goes on unrecorded`);
      return null;
    });
  }

  async #stopRecording(): Promise<void> {
    const rec = this.#recorder;
    this.#recorder = null;
    const r = await rec;
    if (!r) return;
    const result = await r.close();
    if (result.error) this.emit('warning', `recording ${result.file} stopped early: ${result.error.message}`);
    this.emit('recorded', result);
  }

  /** What the API reports. */
  snapshot(): StreamSnapshot {
    const s = this.#session?.stats;
    const live = this.#session !== null;
    const renditions: RenditionSnapshot[] = this.presentation.renditions.map((r) => {
      const c = s?.renditions.find((x) => x.id === r.id);
      return {
        id: r.id, type: r.type, ...(r.width ? { width: r.width, height: r.height! } : {}),
        bitrate: r.bitrate, measuredBitrate: Math.round(this.presentation.bandwidth(r.id).average ?? 0),
        encoder: r.type === 'audio' ? 'aac' : (this.#encoders[r.id] ?? ''), frames: c?.frames ?? 0, dropped: c?.dropped ?? 0, segments: c?.segments ?? 0,
        ...(s?.latency[r.id] ? { encodeLatency: { p50: s.latency[r.id]!.p50, p95: s.latency[r.id]!.p95 } } : {}),
      };
    });
    const src = this.#source;
    const ready = this.presentation.manifestKeys;
    const base = `/${this.path}/`;
    return {
      path: this.path, app: this.app, name: this.name, state: this.state,
      startedAt: this.startedAt.toISOString(), uptime: (Date.now() - this.startedAt.getTime()) / 1000,
      publisher: src ? { protocol: src.protocol, remoteAddress: src.remoteAddress ?? null } : null,
      source: this.#sourceInfo,
      ingestBitrate: this.#meter.bitrate(),
      ingestBytes: this.#meter.bytes,
      speed: live ? this.#speed : 0,
      renditions,
      reconnects: this.reconnects,
      manifests: {
        hls: ready.includes('master.m3u8') ? `${base}master.m3u8` : null,
        dash: ready.includes('manifest.mpd') ? `${base}manifest.mpd` : null,
      },
      recording: this.#recording,
    };
  }
}

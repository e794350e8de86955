/**
 * StreamRegistry: the live streams of one server. Ingests (RTMP, HTTP push,
 * pulled URLs, listeners) publish into it; it admits or refuses each
 * publisher, keeps a stream alive across a publisher's reconnect, isolates
 * streams from each other, and tells the world what happens.
 */
import { TypedEmitter } from '../typed-emitter.js';
import type { RegistryOptions } from './options.js';
import { StreamRefused } from './errors.js';
import { createPublishCheck, type PublishCheck } from './auth/publish.js';
import { LiveStream, type RegistryEvents } from './stream.js';
import { parseStreamPath, type IngestSource, type Publication, type PublishTarget, type StreamDirectory, type StreamSnapshot } from './types.js';

/**
 * Events (each with the stream path first):
 * - 'publish' (path, { protocol, remoteAddress }): a stream started;
 * - 'reconnect' (path, { protocol, remoteAddress, reconnects }): a publisher
 *   returned within the grace period and continues the stream;
 * - 'unpublish' (path, { reason, error? }): a publisher is gone (the stream
 *   waits `reconnectGrace` seconds for it);
 * - 'end' (path, { recording }): the stream is over;
 * - 'segment' (path, { rendition, sequence, start, duration, bytes });
 * - 'warning' (path, string); 'error' (path, Error): that stream's session
 *   failed — the publisher is dropped, every other stream goes on.
 *
 * @example
 * const registry = new StreamRegistry({ store: new MemoryStore(), ladder: ['480p', '360p'] });
 * registry.on('publish', (path) => console.log('live:', path));
 * attachRtmp(rtmpServer, registry); // or registry.publish(source) from any ingest
 */
// Paths whose numbering is remembered (most recent kept): bounded whatever paths publishers choose.
const MAX_MARKS = 10_000;
/** Ended recorded streams listed by recordings(); the oldest is forgotten beyond it (its files stay). */
export const MAX_RECORDINGS = 100;

export class StreamRegistry extends TypedEmitter<RegistryEvents> implements PublishTarget, StreamDirectory {
  readonly options: Readonly<RegistryOptions>;
  readonly #streams = new Map<string, LiveStream>();
  // Where the next presentation of an ended path starts numbering: an old
  // stream's deletion timers then never name a new stream's segment.
  readonly #marks = new Map<string, number>();
  readonly #recordings = new Map<string, StreamSnapshot>();
  #closing: Promise<void> | null = null;
  readonly #authorize: PublishCheck | null;

  constructor(options: RegistryOptions) {
    super();
    if (!options || typeof options !== 'object') throw new TypeError('StreamRegistry: options must be an object');
    const s = options.store;
    if (!s || typeof s.put !== 'function' || typeof s.get !== 'function' || typeof s.delete !== 'function' || typeof s.list !== 'function')
      throw new TypeError('StreamRegistry: store must be a SegmentStore (put/get/delete/list)');
    const grace = options.reconnectGrace ?? 10;
    if (!(Number.isFinite(grace) && grace >= 0 && grace <= 3600)) throw new RangeError('StreamRegistry: reconnectGrace must be 0..3600 seconds');
    const max = options.maxStreams ?? 16;
    if (!(Number.isInteger(max) && max >= 1 && max <= 10_000)) throw new RangeError('StreamRegistry: maxStreams must be an integer 1..10000');
    if (options.onConflict !== undefined && options.onConflict !== 'refuse' && options.onConflict !== 'takeover')
      throw new TypeError(`StreamRegistry: onConflict must be 'refuse' or 'takeover'`);
    const d = options.segmentDuration ?? 2;
    if (!(typeof d === 'number' && d >= 1 && d <= 10)) throw new RangeError('StreamRegistry: segmentDuration must be 1..10 seconds');
    this.#authorize = createPublishCheck(options.auth);
    this.options = options;
  }

  /** Streams not yet ended (publishing, starting or within their reconnect grace). */
  get size(): number {
    return this.#streams.size;
  }

  /** @inheritdoc */
  async publish(source: IngestSource): Promise<Publication> {
    let p;
    try {
      p = parseStreamPath(source?.path);
    } catch (e) {
      throw new StreamRefused((e as Error).message, 'EINVAL');
    }
    // '/api/…' is the HTTP API's: a stream there could never be played.
    if (p.app === 'api') throw new StreamRefused(`the app name 'api' is reserved for the HTTP API (${p.path})`, 'EINVAL');
    // Peer-facing publishers prove they may publish before anything is taken for them.
    if (this.#authorize) await this.#authorize(source, p);
    // Every wait below may let the world change (close(), a stream ending or
    // another publisher): decide again after each one.
    for (;;) {
      if (this.#closing) throw new StreamRefused('the server is shutting down', 'ECLOSED');
      const stream = this.#streams.get(p.path);
      if (stream?.finishing) {
        await stream.finish('grace'); // an ended stream's removal completes before the path is reused
        continue;
      }
      if (stream?.publishing) {
        if ((this.options.onConflict ?? 'refuse') === 'refuse') throw new StreamRefused(`${p.path} is already being published (a second publisher is refused; the server's onConflict is 'refuse')`, 'EBUSY');
        await stream.stopPublisher('takeover', 'another publisher took over this stream');
        continue;
      }
      if (stream) return stream.attach(source);
      const max = this.options.maxStreams ?? 16;
      if (this.#streams.size >= max) throw new StreamRefused(`the server is at its limit of ${max} live streams (maxStreams)`, 'ELIMIT');
      const created = this.#create(p);
      try {
        return created.attach(source);
      } catch (e) {
        // Options the session refuses (a TypeError at start): a stream that never ran is not kept.
        this.#streams.delete(p.path);
        void created.presentation.close();
        throw e;
      }
    }
  }

  #create(p: { app: string; name: string; path: string }): LiveStream {
    const stream = new LiveStream(p, this.options, this.#marks.get(p.path) ?? 0);
    this.#streams.set(p.path, stream);
    this.#recordings.delete(p.path); // the new stream's presentation replaces the recorded one
    // A listener that throws is the caller's bug: reported, never allowed to
    // break the stream's bookkeeping or reach the session that emitted.
    const emit = <E extends keyof RegistryEvents>(event: E, arg: RegistryEvents[E][1]): void => {
      try {
        // One argument after the path for every relayed event (the map says so).
        (this.emit as (e: E, ...a: unknown[]) => boolean)(event, p.path, arg);
      } catch (e) {
        process.emitWarning(`ffnode: a StreamRegistry '${event}' listener threw: ${(e as Error)?.message ?? e}`);
      }
    };
    const relayed = ['publish', 'reconnect', 'unpublish', 'segment', 'warning', 'dropped', 'recorded'] as const;
    for (const e of relayed) stream.on(e, (arg: RegistryEvents[typeof e][1]) => emit(e, arg));
    // A stream's failure is reported, never thrown: 'error' without a listener must not kill the process.
    stream.on('error', (e) => {
      if (this.listenerCount('error')) emit('error', e);
    });
    stream.on('end', (info) => {
      // The mark only rises: a stream that never numbered anything must not lower it.
      const mark = Math.max(this.#marks.get(p.path) ?? 0, stream.sequenceMark);
      this.#marks.delete(p.path); // re-inserted: the most recent paths are the ones kept
      this.#marks.set(p.path, mark);
      if (this.#marks.size > MAX_MARKS) this.#marks.delete(this.#marks.keys().next().value!);
      if (this.#streams.get(p.path) === stream) this.#streams.delete(p.path);
      // A recorded stream stays playable as VOD until a new stream takes its path.
      if ((info as { recording?: string | null } | undefined)?.recording && this.options.record) {
        this.#recordings.delete(p.path);
        this.#recordings.set(p.path, stream.snapshot());
        if (this.#recordings.size > MAX_RECORDINGS) this.#recordings.delete(this.#recordings.keys().next().value!);
      }
      emit('end', info);
    });
    return stream;
  }

  /** The LiveStream at `path` (`<app>/<name>`), if any. */
  stream(path: string): LiveStream | undefined {
    return this.#streams.get(path.replace(/^\//, ''));
  }

  /** @inheritdoc */
  list(): StreamSnapshot[] {
    return [...this.#streams.values()].map((s) => s.snapshot());
  }

  /** Streams that ended with a recording (at most {@link MAX_RECORDINGS}, newest first), kept until a new stream takes the path. */
  recordings(): StreamSnapshot[] {
    return [...this.#recordings.values()].reverse();
  }

  /** @inheritdoc */
  get(path: string): StreamSnapshot | undefined {
    return this.stream(path)?.snapshot();
  }

  /** @inheritdoc */
  async kick(path: string, reason = 'kicked by the operator'): Promise<boolean> {
    const s = this.stream(path);
    if (!s) return false;
    await s.stopPublisher('kicked', reason);
    return true;
  }

  /** Ends one stream now (no grace): finalised as VOD when recording, else removed. */
  async end(path: string): Promise<boolean> {
    const s = this.stream(path);
    if (!s) return false;
    await s.finish('grace');
    return true;
  }

  /**
   * Shuts down: refuses new publishers, ends every publisher and stream
   * (recordings finalised), and resolves when all is written.
   */
  close(): Promise<void> {
    this.#closing ??= Promise.all([...this.#streams.values()].map((s) => s.finish('shutdown'))).then(() => {});
    return this.#closing;
  }
}

/**
 * Pulled ingest: the server connects to a URL (rtsp, rtmp, srt, http(s),
 * HLS, udp) and publishes it; when the publication ends (source gone, stall,
 * error) it publishes again after an exponential backoff with jitter. See
 * docs/ingest/pull.md.
 */
import { TypedEmitter } from '../../typed-emitter.js';
import type { DecoderOptions } from '../../media/decoder.js';
import { StreamRefused } from '../errors.js';
import type { IngestSource, Publication, PublishTarget } from '../types.js';
import { parseStreamPath } from '../types.js';
import { backoffDelay, resolveBackoff, type BackoffOptions } from './backoff.js';

export interface PullSourceOptions {
  /** stream path `<app>/<name>` */
  path: string;
  /** rtsp://, rtsps://, rtmp://, rtmps://, srt://, http://, https://, udp:// */
  url: string;
  /** demuxer hints and AVOptions for the Decoder (its timeoutMs is set from stallTimeoutMs) */
  inputOptions?: Omit<DecoderOptions, 'signal' | 'timeoutMs'>;
  /** an http(s) URL is an HLS playlist (allowPlaylists: true); only for sources you trust */
  hls?: boolean;
  reconnect?: BackoffOptions;
  /** ms one blocking open/read may wait for data before the connection counts as stalled (default 10,000) */
  stallTimeoutMs?: number;
  /** publishes at most (default Infinity); then 'stopped' */
  maxAttempts?: number;
  /** a publication that lasted this long resets the backoff (default 5,000 ms) */
  healthyAfterMs?: number;
}

/**
 * URL schemes a PullSource accepts, and the protocol each needs in libavformat.
 *
 * @example
 * Object.keys(PULL_SCHEMES).includes(new URL(url).protocol); // true for 'rtsp://…'
 */
export const PULL_SCHEMES: Readonly<Record<string, string>> = {
  'rtsp:': 'rtsp', 'rtsps:': 'rtsp', 'rtmp:': 'rtmp', 'rtmps:': 'rtmps', 'srt:': 'srt', 'http:': 'http', 'https:': 'https', 'udp:': 'udp',
};

/**
 * Checks a pull URL's scheme up front. @throws TypeError naming the scheme and the supported ones
 *
 * @example
 * checkPullUrl('rtsp://10.0.0.7/s1'); // URL
 * checkPullUrl('file:///etc/passwd'); // TypeError: unsupported scheme 'file' …
 */
export function checkPullUrl(url: string, hls = false): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`PullSource: not a URL: ${JSON.stringify(url)}`);
  }
  if (!PULL_SCHEMES[u.protocol]) throw new TypeError(`PullSource: unsupported scheme '${u.protocol.replace(/:$/, '')}' in ${url}; supported: ${Object.keys(PULL_SCHEMES).map((s) => s.replace(':', '')).join(', ')}`);
  if (hls && u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`PullSource: hls needs an http(s) playlist URL, got ${u.protocol}`);
  return u;
}

/** Why a PullSource stopped for good. */
export type PullStopReason = 'stopped' | 'maxAttempts' | 'refused' | 'kicked' | 'takeover' | 'shutdown';

/**
 * The events of a {@link PullSource} (and of ListenerSource and DemoSource).
 *
 * @example
 * pull.on('attempt', ({ attempt, delayMs }) => console.log(`attempt ${attempt} in ${delayMs} ms`));
 */
export interface PullSourceEvents {
  /** a publish is about to be tried, after `delayMs` of backoff */
  attempt: [info: { attempt: number; delayMs: number }];
  connected: [publication: Publication];
  disconnected: [info: { reason: Awaited<Publication['ended']>['reason']; error: Error | undefined; durationMs: number }];
  /** only emitted while someone listens */
  error: [error: Error];
  /** stopped for good */
  stopped: [reason: PullStopReason];
}

/**
 * Pulls a URL into a publish target, reconnecting for ever (or `maxAttempts`
 * publishes). Events: 'attempt' ({ attempt, delayMs }), 'connected'
 * (Publication), 'disconnected' ({ reason, error?, durationMs }), 'error'
 * (Error; only emitted when someone listens), 'stopped' (PullStopReason).
 * A refusal EBUSY/ELIMIT is retried with the backoff; EAUTH/EINVAL/ECLOSED,
 * or a publication kicked, taken over or shut down, stop it.
 *
 * @example
 * const pull = new PullSource(registry, { path: 'live/cam1', url: 'rtsp://10.0.0.7/stream1',
 *   inputOptions: { options: { rtsp_transport: 'tcp' } }, reconnect: { maxDelayMs: 10_000 } });
 * pull.on('disconnected', ({ reason }) => console.log('lost', reason));
 * pull.start();
 */
export class PullSource extends TypedEmitter<PullSourceEvents> {
  readonly path: string;
  readonly url: string;
  /** publishes so far */
  attempts = 0;
  #target: PublishTarget;
  #opts: PullSourceOptions;
  #backoff: Required<BackoffOptions>;
  #stall: number;
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #wake: (() => void) | null = null;
  #failures = 0; // consecutive short publications: the backoff exponent
  #loop: Promise<void> | null = null;

  constructor(target: PublishTarget, opts: PullSourceOptions) {
    super();
    if (!target || typeof target.publish !== 'function') throw new TypeError('PullSource: target must implement publish()');
    this.path = parseStreamPath(opts.path).path;
    this.checkUrl(opts.url, opts);
    this.url = opts.url;
    this.#target = target;
    this.#opts = opts;
    this.#backoff = resolveBackoff(opts.reconnect);
    this.#stall = opts.stallTimeoutMs ?? 10_000;
    if (!(this.#stall >= 0)) throw new RangeError('PullSource: stallTimeoutMs must be >= 0');
    if (opts.maxAttempts !== undefined && !(opts.maxAttempts >= 1)) throw new RangeError('PullSource: maxAttempts must be >= 1');
  }

  /** Validates the URL (called by the constructor). @throws TypeError */
  protected checkUrl(url: string, opts: PullSourceOptions): void {
    checkPullUrl(url, opts.hls === true);
  }

  /** What each publish carries besides path, input and close. */
  protected describe(stallTimeoutMs: number): Pick<IngestSource, 'protocol' | 'inputOptions'> {
    return {
      protocol: 'pull',
      inputOptions: { ...this.#opts.inputOptions, ...(this.#opts.hls ? { allowPlaylists: true } : {}), timeoutMs: stallTimeoutMs },
    };
  }

  get running(): boolean {
    return this.#running;
  }

  /** Starts pulling (idempotent). Resolves when it stops for good. */
  start(): Promise<void> {
    this.#running = true; // also revives a loop that was stopping
    if (!this.#loop) {
      this.#loop = this.#run().finally(() => {
        this.#loop = null;
      });
    }
    return this.#loop;
  }

  /**
   * Stops retrying. A URL input's Decoder belongs to the target: the current
   * publication goes on until its input ends or the target ends it (kick).
   */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#current?.close('pull stopped');
    this.#wake?.();
  }

  #current: IngestSource | null = null;

  #error(e: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', e instanceof Error ? e : new Error(String(e)));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = () => {
        if (this.#timer) clearTimeout(this.#timer);
        this.#timer = null;
        this.#wake = null;
        resolve();
      };
      this.#timer = setTimeout(() => this.#wake?.(), ms);
    });
  }

  async #run(): Promise<void> {
    let why: PullStopReason = 'stopped';
    const max = this.#opts.maxAttempts ?? Infinity;
    while (this.#running) {
      if (this.attempts >= max) {
        why = 'maxAttempts';
        break;
      }
      const delayMs = this.attempts === 0 ? 0 : backoffDelay(this.#failures, this.#backoff);
      this.attempts++;
      this.emit('attempt', { attempt: this.attempts, delayMs });
      if (delayMs > 0) await this.#sleep(delayMs);
      if (!this.#running) break;
      const outcome = await this.#once();
      if (outcome) {
        why = outcome;
        break;
      }
    }
    this.#running = false;
    this.#current = null;
    this.emit('stopped', why);
  }

  /** One publish; returns a reason to stop for good, or null to retry. */
  async #once(): Promise<PullStopReason | null> {
    let closed = false;
    const source: IngestSource = {
      path: this.path,
      input: this.url,
      ...this.describe(this.#stall),
      // a URL input's Decoder is the target's: closing ends our retries (kick, shutdown)
      close: () => {
        if (closed) return;
        closed = true;
        this.#running = false;
        this.#wake?.();
      },
    };
    this.#current = source;
    let pub: Publication;
    const t0 = Date.now();
    try {
      pub = await this.#target.publish(source);
    } catch (e) {
      this.#failures++;
      this.#error(e);
      if (e instanceof StreamRefused && !['EBUSY', 'ELIMIT'].includes(e.errorName)) return 'refused';
      return null;
    }
    this.emit('connected', pub);
    const end = await pub.ended;
    const durationMs = Date.now() - t0;
    this.emit('disconnected', { reason: end.reason, error: end.error, durationMs });
    if (end.error) this.#error(end.error);
    // a healthy connection starts the backoff over
    this.#failures = durationMs >= (this.#opts.healthyAfterMs ?? 5000) ? 1 : this.#failures + 1;
    if (end.reason === 'kicked' || end.reason === 'takeover' || end.reason === 'shutdown') return end.reason;
    return null;
  }
}

/**
 * Viewer counts. A viewer of a stream is a distinct client — its address
 * and User-Agent — that fetched one of the stream's manifests or segments
 * within the last window (default 30 s). Players reload a live playlist or
 * MPD at least once per target duration (at most 10 s here), so 30 s is
 * three reloads at the longest segment duration: one slow or lost request
 * does not drop a viewer, and a viewer who left is gone within 30 s.
 * Every table is bounded; see docs/server/api.md ("Viewers").
 */
import type { IncomingMessage } from 'node:http';

/**
 * Options of {@link ViewerTracker}.
 *
 * @example
 * const opts: ViewerTrackerOptions = { windowMs: 20_000, maxClientsPerStream: 5_000 };
 */
export interface ViewerTrackerOptions {
  /** how recent a fetch must be to count, ms (default 30 000) */
  windowMs?: number;
  /** clients remembered per stream (default 10 000); beyond it the least recent one is forgotten */
  maxClientsPerStream?: number;
  /** clients remembered in all (default 100 000); beyond it new clients are not counted until others expire */
  maxClients?: number;
  /** stream paths tracked (default 1 000); beyond it new paths are not counted until others expire */
  maxStreams?: number;
}

/** Longest User-Agent kept: the rest adds memory, not distinctness. */
const MAX_AGENT = 200;

const limit = (v: number | undefined, fallback: number, name: string, min: number): number => {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < min) throw new RangeError(`ViewerTracker: ${name} must be an integer ≥ ${min}, got ${String(v)}`);
  return n;
};

/**
 * Counts distinct recent clients per stream path, in bounded memory: each
 * stream's clients are kept least recent first, so expired ones are pruned
 * from the front as the tracker is used (no timer to stop). Counts are
 * exact below the limits and saturate at them.
 *
 * @example
 * const viewers = new ViewerTracker({ windowMs: 30_000 });
 * viewers.seenRequest('live/cam1', req); // a media request of live/cam1
 * viewers.count('live/cam1');            // 1
 * viewers.forget('live/cam1');           // the stream ended
 */
export class ViewerTracker {
  readonly windowMs: number;
  readonly maxClientsPerStream: number;
  readonly maxClients: number;
  readonly maxStreams: number;
  // path → client → last fetch time; both maps in least-recent-first order
  readonly #seen = new Map<string, Map<string, number>>();
  #clients = 0;
  #prunedAt = 0;

  /** `options`: a {@link ViewerTrackerOptions}, or just the window in ms */
  constructor(options: number | ViewerTrackerOptions = {}) {
    const o = typeof options === 'number' ? { windowMs: options } : options;
    this.windowMs = limit(o.windowMs, 30_000, 'windowMs', 1);
    this.maxClientsPerStream = limit(o.maxClientsPerStream, 10_000, 'maxClientsPerStream', 1);
    this.maxClients = limit(o.maxClients, 100_000, 'maxClients', 1);
    this.maxStreams = limit(o.maxStreams, 1_000, 'maxStreams', 1);
  }

  /** Records that `client` (any string identifying it) fetched something of `path`. */
  seen(path: string, client: string, now = Date.now()): void {
    this.#pruneAll(now);
    let m = this.#seen.get(path);
    if (m) {
      this.#seen.delete(path); // re-inserted below: the most recent stream last
    } else {
      if (this.#seen.size >= this.maxStreams) return;
      m = new Map();
    }
    this.#seen.set(path, m);
    if (m.delete(client)) this.#clients--; // re-inserted below: the most recent client last
    if (m.size >= this.maxClientsPerStream) {
      m.delete(m.keys().next().value!);
      this.#clients--;
    }
    if (this.#clients >= this.maxClients) {
      if (m.size === 0) this.#seen.delete(path);
      return;
    }
    m.set(client, now);
    this.#clients++;
  }

  /**
   * Records a request for `path`'s media: the client is its socket's address
   * and its User-Agent (first 200 characters). Behind a reverse proxy every
   * client has the proxy's address and only the User-Agent tells them apart.
   */
  seenRequest(path: string, req: IncomingMessage, now = Date.now()): void {
    const agent = req.headers['user-agent'] ?? '';
    this.seen(path, `${req.socket?.remoteAddress ?? ''} ${agent.slice(0, MAX_AGENT)}`, now);
  }

  /** Clients of `path` seen within the window. */
  count(path: string, now = Date.now()): number {
    const m = this.#seen.get(path);
    if (!m) return 0;
    this.#prune(path, m, now);
    return m.size;
  }

  /** Drops what is known about `path` (its stream ended). */
  forget(path: string): void {
    const m = this.#seen.get(path);
    if (!m) return;
    this.#clients -= m.size;
    this.#seen.delete(path);
  }

  /** Clients remembered in all (expired ones included until pruned). */
  get size(): number {
    return this.#clients;
  }

  // Expired clients are at the front of each map: drop them until a fresh one.
  #prune(path: string, m: Map<string, number>, now: number): void {
    for (const [client, at] of m) {
      if (now - at <= this.windowMs) break;
      m.delete(client);
      this.#clients--;
    }
    if (m.size === 0) this.#seen.delete(path);
  }

  // Every stream, so paths nobody fetches any more go too: once per window,
  // or once a second while a limit is reached.
  #pruneAll(now: number): void {
    const full = this.#clients >= this.maxClients || this.#seen.size >= this.maxStreams;
    if (now - this.#prunedAt < (full ? Math.min(1000, this.windowMs) : this.windowMs)) return;
    this.#prunedAt = now;
    for (const [path, m] of this.#seen) this.#prune(path, m, now);
  }
}

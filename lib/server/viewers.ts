/**
 * Viewer counts: a viewer is a client (address + User-Agent) that fetched a
 * stream's manifests or segments within the last window.
 */

/** Counts distinct recent clients per stream path, with bounded memory. */
export class ViewerTracker {
  readonly windowMs: number;
  readonly #seen = new Map<string, Map<string, number>>();

  /** `windowMs`: how recent a fetch must be to count (default 30 s) */
  constructor(windowMs = 30_000) {
    this.windowMs = windowMs;
  }

  /** Records that `client` fetched something of `path`. */
  seen(path: string, client: string, now = Date.now()): void {
    let m = this.#seen.get(path);
    if (!m) this.#seen.set(path, (m = new Map()));
    m.set(client, now);
  }

  /** Clients of `path` seen within the window. */
  count(path: string, now = Date.now()): number {
    const m = this.#seen.get(path);
    if (!m) return 0;
    let n = 0;
    for (const t of m.values()) if (now - t <= this.windowMs) n++;
    return n;
  }

  /** Drops what is known about `path` (its stream ended). */
  forget(path: string): void {
    this.#seen.delete(path);
  }
}

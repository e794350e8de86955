// Per-request bookkeeping of `npm run bench:http`: latencies kept apart for
// playlists and segments (all of them, so percentiles are exact), bytes,
// status classes, errors and timeouts.

/** Percentile `p` (0–100) of an ascending array, nearest rank; null when empty. */
export function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * A tally of one load run.
 *
 * @example
 * const t = new Tally();
 * t.response('playlist', 200, 512, 1.7);
 * t.summary(5).playlist.p99; // 1.7
 */
export class Tally {
  constructor() {
    this.ms = { playlist: [], segment: [] };
    this.bytes = 0;
    this.ok = 0;
    this.non2xx = 0;
    this.errors = 0; // connection errors and timeouts
    this.timeouts = 0;
    this.statuses = {};
  }

  /** One complete response of `kind` ('playlist' | 'segment'). */
  response(kind, status, bytes, ms) {
    this.ms[kind]?.push(ms);
    this.bytes += bytes;
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (status >= 200 && status < 300) this.ok++;
    else this.non2xx++;
  }

  error(timeout = false) {
    this.errors++;
    if (timeout) this.timeouts++;
  }

  /** Totals and rates over `seconds`, latency percentiles per kind (ms). */
  summary(seconds) {
    const lat = (a) => {
      const s = Float64Array.from(a).sort();
      return { n: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s.length ? s[s.length - 1] : null };
    };
    const requests = this.ok + this.non2xx;
    return {
      seconds, requests, rps: requests / seconds, bytesPerSecond: this.bytes / seconds, ok: this.ok, non2xx: this.non2xx,
      errors: this.errors, timeouts: this.timeouts, statuses: this.statuses,
      playlist: lat(this.ms.playlist), segment: lat(this.ms.segment),
    };
  }
}

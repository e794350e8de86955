/**
 * What `GET /api/health` reports: cheap figures only (no store or registry
 * walk beyond counting streams), so a load balancer may ask every second.
 */
import type { Stats } from '../../stats.js';

/** Live native objects and memory, process-wide (see lib/stats.ts). */
export interface NativeSummary {
  frames: number;
  packets: number;
  objects: number;
  /** bytes held by live frames, packets and the frame pools */
  bytes: number;
  /** handles the garbage collector had to free (a leak in the caller) */
  leaked: number;
}

/**
 * The full health report (an authorised caller's, or anyone's when the API is open).
 *
 * @example
 * const h: HealthReport = healthReport(0); // { ok: true, streams: 0, uptime: 3.2, version: '0.1.0', native: { … } }
 */
export interface HealthReport {
  ok: true;
  /** streams not yet ended */
  streams: number;
  /** seconds since the process started */
  uptime: number;
  /** ffnode's version */
  version: string;
  /** null when the native addon cannot be loaded */
  native: NativeSummary | null;
}

// Loaded on first use: the HTTP face itself never needs the addon.
let statsFn: (() => Stats) | null | undefined;
let version: string | undefined;

function nativeSummary(): NativeSummary | null {
  if (statsFn === undefined) {
    try {
      statsFn = (require('../../stats.js') as typeof import('../../stats.js')).stats;
    } catch {
      statsFn = null;
    }
  }
  if (!statsFn) return null;
  const s = statsFn();
  return { frames: s.frames, packets: s.packets, objects: s.objects, bytes: s.frameBytes + s.packetBytes + s.poolBytes, leaked: s.leakedFrames + s.leakedPackets + s.leakedObjects };
}

function packageVersion(): string {
  if (version === undefined) {
    try {
      version = String((require('../../../package.json') as { version?: unknown }).version ?? 'unknown');
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

/**
 * The health report for a server with `streams` streams.
 *
 * @example
 * healthReport(registry.size); // { ok: true, streams: 1, uptime: 42.1, version: '0.1.0', native: { frames: 12, … } }
 */
export function healthReport(streams: number): HealthReport {
  return { ok: true, streams, uptime: Math.round(process.uptime() * 1000) / 1000, version: packageVersion(), native: nativeSummary() };
}

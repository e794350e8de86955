/** Reconnect policy shared by the pulled and listening ingests. */

export interface BackoffOptions {
  /** ms before the first retry (default 500) */
  initialDelayMs?: number;
  /** the delay never exceeds this (default 30,000) */
  maxDelayMs?: number;
  /** growth per attempt (default 2) */
  factor?: number;
  /** 0..1: the share of the delay that is random (default 0.3; 1 = "full jitter") */
  jitter?: number;
}

/**
 * The defaults of {@link BackoffOptions}.
 *
 * @example
 * backoffDelay(1, BACKOFF_DEFAULTS, () => 0); // 500
 */
export const BACKOFF_DEFAULTS: Readonly<Required<BackoffOptions>> = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.3 };

/**
 * The delay before retry number `attempt` (1 = the first retry):
 * `cap = min(maxDelayMs, initialDelayMs × factor^(attempt−1))`, then
 * `delay = cap × (1 − jitter × random())`, so it lies in
 * `[cap × (1 − jitter), cap]` (`jitter` = 1: anywhere in `[0, cap]`).
 * `random` returns [0, 1) (default Math.random).
 *
 * @example
 * backoffDelay(3, { initialDelayMs: 500, jitter: 0 }); // 2000
 * backoffDelay(20, {}, () => 0); // 30000 (capped)
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const o = resolveBackoff(opts);
  const n = Math.max(1, Math.floor(attempt));
  // grows in the log domain: no Infinity/NaN for huge attempts
  const cap = Math.min(o.maxDelayMs, o.initialDelayMs * Math.pow(o.factor, Math.min(n - 1, 1024)));
  const r = Math.min(Math.max(random(), 0), 1);
  return cap * (1 - o.jitter * r);
}

/**
 * Validates and fills in {@link BackoffOptions}. @throws RangeError
 *
 * @example
 * resolveBackoff({ maxDelayMs: 5000 }); // { initialDelayMs: 500, maxDelayMs: 5000, factor: 2, jitter: 0.3 }
 */
export function resolveBackoff(opts: BackoffOptions = {}): Required<BackoffOptions> {
  const o = { ...BACKOFF_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as Required<BackoffOptions>;
  if (!(o.initialDelayMs >= 0) || !Number.isFinite(o.initialDelayMs)) throw new RangeError(`reconnect.initialDelayMs must be a finite number >= 0, got ${o.initialDelayMs}`);
  if (!(o.maxDelayMs >= o.initialDelayMs) || !Number.isFinite(o.maxDelayMs)) throw new RangeError(`reconnect.maxDelayMs must be finite and >= initialDelayMs, got ${o.maxDelayMs}`);
  if (!(o.factor >= 1) || !Number.isFinite(o.factor)) throw new RangeError(`reconnect.factor must be >= 1, got ${o.factor}`);
  if (!(o.jitter >= 0 && o.jitter <= 1)) throw new RangeError(`reconnect.jitter must be within 0..1, got ${o.jitter}`);
  return o;
}

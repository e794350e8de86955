/**
 * One process-wide budget of codec threads, shared by every live session and
 * transcode job, so N concurrent streams share the cores instead of each one
 * sizing its ladder for the whole machine.
 *
 * The rule: a taker holding a ladder gets a share of `floor(cores / n)` cores
 * (at least 1), n counting itself and every lease still held, spread over its
 * rungs by {@link balancedEncoderThreads} (at least one thread per rung). A
 * lone job gets the whole machine (what `encoderThreads: 'balanced'` always
 * gave); on 2 cores a second and third stream get 1 thread per rung. Threads
 * are fixed when an encoder opens, so a lease keeps its count until released;
 * later takers see the earlier ones and take less.
 *
 * @example
 * const lease = threadBudget.acquire(ladder);
 * try { await Encoder.open({ ..., threads: lease.threads.get(variant) }); }
 * finally { lease.release(); }
 */
import os from 'node:os';
import type { Variant } from './ladder.js';
import { balancedEncoderThreads } from './threads.js';

export interface ThreadLease {
  /** encoder threads per encoded rung */
  readonly threads: ReadonlyMap<Variant, number>;
  /** the cores this lease was sized for */
  readonly share: number;
  /** the threads it holds (sum over its rungs) */
  readonly total: number;
  /** gives the threads back (idempotent) */
  release(): void;
}

export class ThreadBudget {
  readonly cores: number;
  readonly #leases = new Set<ThreadLease>();

  constructor(cores = os.availableParallelism()) {
    if (!Number.isInteger(cores) || cores < 1) throw new RangeError(`ThreadBudget: cores must be an integer >= 1, got ${String(cores)}`);
    this.cores = cores;
  }

  /** Leases held now. */
  get active(): number {
    return this.#leases.size;
  }

  /** Threads held by all leases (may exceed `cores`: every rung gets at least one). */
  get inUse(): number {
    let n = 0;
    for (const l of this.#leases) n += l.total;
    return n;
  }

  /** Takes threads for `ladder`'s encoded rungs; see the class rule. */
  acquire(ladder: readonly Variant[]): ThreadLease {
    const share = Math.max(1, Math.floor(this.cores / (this.#leases.size + 1)));
    const threads = balancedEncoderThreads(ladder, share);
    let total = 0;
    for (const n of threads.values()) total += n;
    const leases = this.#leases;
    const lease: ThreadLease = {
      threads, share, total,
      release: () => void leases.delete(lease),
    };
    leases.add(lease);
    return lease;
  }
}

/** The process's budget: cores = `os.availableParallelism()`. */
export const threadBudget = new ThreadBudget();

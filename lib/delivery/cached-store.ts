/**
 * A write-through memory cache in front of another store, for a live origin
 * that keeps its files on disk: what the server just wrote (the live window's
 * segments and the manifests naming them) is what hundreds of players ask for
 * next, so it is served from memory, zero-copy, without a file-system call per
 * request; the disk copy is what survives and what other servers can read.
 */
import { bufferObject } from './stored-object.js';
import { checkKey } from './store-key.js';
import type { SegmentStore, StoredObject } from './types.js';

/** Options of {@link CachedStore}. */
export interface CachedStoreOptions {
  /** bytes kept in memory at most (default 256 MiB); the least recently used go first */
  maxBytes?: number;
}

interface Entry {
  data: Buffer;
  mtimeMs: number;
}

/**
 * Wraps `inner`: `put` writes through (inner first, then the cache, so a
 * reader never gets bytes the inner store does not have), `delete` drops the
 * entry first, `get`/`open` answer from memory when they can and fall back to
 * `inner` (without filling the cache: only what this store wrote is cached,
 * so nothing a third party put into the inner store is served stale). It
 * assumes it is the inner store's only writer, as `serve()`'s store is.
 *
 * @example
 * const store = new CachedStore(new FileStore('/srv/live'), { maxBytes: 128 * 2 ** 20 });
 * await store.put('live/cam1/master.m3u8', '#EXTM3U\n'); // on disk, and in memory
 * await store.open('live/cam1/master.m3u8');             // from memory: { size: 8, buffer, ... }
 */
export class CachedStore implements SegmentStore {
  readonly inner: SegmentStore;
  readonly maxBytes: number;
  readonly #entries = new Map<string, Entry>();
  // The latest write or delete issued per key while one is in flight: a put
  // that finishes after a later put or delete of its key must not cache
  // (a manifest removed during its last rewrite would be served from memory).
  readonly #latest = new Map<string, number>();
  #ticket = 0;
  #bytes = 0;

  constructor(inner: SegmentStore, options: CachedStoreOptions = {}) {
    const max = options.maxBytes ?? 256 * 2 ** 20;
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`CachedStore: maxBytes must be a non-negative integer, got ${max}`);
    this.inner = inner;
    this.maxBytes = max;
  }

  /** Writes `data` to the inner store, then keeps a copy in memory. */
  async put(key: string, data: Buffer | string): Promise<void> {
    const ticket = this.#issue(key);
    try {
      await this.inner.put(key, data);
    } catch (e) {
      this.#settle(key, ticket);
      throw e;
    }
    if (!this.#settle(key, ticket)) return; // a later put or delete of the key decides
    const copy = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    this.#drop(key);
    if (copy.length > this.maxBytes) return;
    this.#entries.set(key, { data: copy, mtimeMs: Date.now() });
    this.#bytes += copy.length;
    for (const [k] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#drop(k);
    }
  }

  /** The content: from memory when cached, else from the inner store. */
  async get(key: string): Promise<Buffer | null> {
    const hit = this.#hit(key);
    return hit ? hit.data : this.inner.get(key);
  }

  /** The object to serve: a cached Buffer (zero-copy), else the inner store's. */
  async open(key: string): Promise<StoredObject | null> {
    const hit = this.#hit(key);
    if (hit) return bufferObject(hit.data, hit.mtimeMs);
    if (typeof this.inner.open === 'function') return this.inner.open(key);
    const data = await this.inner.get(key);
    return data ? bufferObject(data, Number.NaN) : null;
  }

  /** Drops the cached copy, then deletes from the inner store. */
  async delete(key: string): Promise<void> {
    const ticket = this.#issue(key);
    this.#drop(key);
    try {
      await this.inner.delete(key);
    } finally {
      this.#settle(key, ticket);
    }
  }

  /** The inner store's keys. */
  list(prefix?: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  /** bytes held in memory */
  get cachedBytes(): number {
    return this.#bytes;
  }

  // A hit becomes the most recently used (Map order is the LRU order).
  #hit(key: string): Entry | undefined {
    checkKey(key);
    const e = this.#entries.get(key);
    if (e) {
      this.#entries.delete(key);
      this.#entries.set(key, e);
    }
    return e;
  }

  #issue(key: string): number {
    const ticket = ++this.#ticket;
    this.#latest.set(key, ticket);
    return ticket;
  }

  /** Ends an operation; true when it was the latest issued for its key. */
  #settle(key: string, ticket: number): boolean {
    if (this.#latest.get(key) !== ticket) return false;
    this.#latest.delete(key);
    return true;
  }

  #drop(key: string): void {
    const e = this.#entries.get(key);
    if (e) {
      this.#bytes -= e.data.length;
      this.#entries.delete(key);
    }
  }
}

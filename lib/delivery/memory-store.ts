/**
 * A SegmentStore in process memory: what the embedded server serves from
 * when nothing needs to reach the disk (live streams, tests).
 */
import { bufferObject } from './stored-object.js';
import { checkKey, checkPrefix } from './store-key.js';
import type { SegmentStore, StoredObject } from './types.js';

interface Item {
  data: Buffer;
  mtimeMs: number;
}

/**
 * Keys map to Buffers. `put` copies its input, so a caller may reuse its
 * buffer; `get` returns the stored Buffer itself (no copy per request):
 * treat it as read-only (`open` hands out the same Buffer, so a server sends
it without copying). A put replaces the whole value in one step, so a
 * reader sees the old content or the new, never a part. Keys follow the
 * same rules as FileStore's (RangeError otherwise), so code tested against
 * memory behaves the same on disk.
 *
 * @example
 * const store = new MemoryStore();
 * await store.put('master.m3u8', '#EXTM3U\n');
 * (await store.get('master.m3u8'))?.toString(); // '#EXTM3U\n'
 * await store.list('v720p/');                    // ['v720p/init.mp4', ...]
 */
export class MemoryStore implements SegmentStore {
  readonly #items = new Map<string, Item>();
  #bytes = 0;

  /** Stores a copy of `data` (strings as UTF-8) under `key`. */
  async put(key: string, data: Buffer | string): Promise<void> {
    checkKey(key);
    const copy = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    this.#bytes += copy.length - (this.#items.get(key)?.data.length ?? 0);
    this.#items.set(key, { data: copy, mtimeMs: Date.now() });
  }

  /** The stored Buffer, or null when the key is absent. */
  async get(key: string): Promise<Buffer | null> {
    checkKey(key);
    return this.#items.get(key)?.data ?? null;
  }

  /** The stored Buffer with its size and put time, or null when the key is absent. */
  async open(key: string): Promise<StoredObject | null> {
    checkKey(key);
    const item = this.#items.get(key);
    return item ? bufferObject(item.data, item.mtimeMs) : null;
  }

  /** Removes `key`; removing an absent key is not an error. */
  async delete(key: string): Promise<void> {
    checkKey(key);
    const old = this.#items.get(key);
    if (old) {
      this.#bytes -= old.data.length;
      this.#items.delete(key);
    }
  }

  /** Keys starting with `prefix` (default: all), sorted. */
  async list(prefix = ''): Promise<string[]> {
    checkPrefix(prefix);
    return [...this.#items.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  /** number of stored keys */
  get size(): number {
    return this.#items.size;
  }

  /** total bytes stored */
  get bytes(): number {
    return this.#bytes;
  }
}

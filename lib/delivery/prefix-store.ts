/**
 * A namespace of another SegmentStore: one live stream's folder
 * (`live/cam1/…`) of a store shared by every stream of a server.
 */
import { openStored } from './stored-object.js';
import { checkKey, checkPrefix } from './store-key.js';
import type { SegmentStore, StoredObject } from './types.js';

// One namespace segment: what a stream path part may be. No '.', no '..'
// (the first character is never a dot), nothing that needs escaping in a URL.
const PART = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/**
 * Keys of this store are keys of `store` below `prefix`: `put('master.m3u8')`
 * writes `<prefix>/master.m3u8`, and `list()` returns keys relative to the
 * namespace. The prefix is 1 or more '/'-separated parts of
 * [A-Za-z0-9_.-], none starting with '.', no leading or trailing '/'
 * (RangeError otherwise). Every key is checked by the same rule as the
 * stores' own (store-key.ts) before it is joined to the prefix, so no key
 * (`..`, an absolute path, an empty segment) can leave the namespace.
 *
 * @example
 * const shared = new FileStore('/srv/live');
 * const cam1 = new PrefixStore(shared, 'live/cam1');
 * await cam1.put('v720p/seg_0.m4s', data); // stored as live/cam1/v720p/seg_0.m4s
 * await cam1.list('v720p/');               // ['v720p/seg_0.m4s']
 * await cam1.get('../cam2/master.m3u8');   // RangeError
 */
export class PrefixStore implements SegmentStore {
  /** the namespace, e.g. 'live/cam1' */
  readonly prefix: string;
  readonly #store: SegmentStore;

  constructor(store: SegmentStore, prefix: string) {
    if (!store || typeof store.put !== 'function' || typeof store.get !== 'function' || typeof store.delete !== 'function' || typeof store.list !== 'function')
      throw new TypeError('PrefixStore: store must implement put/get/delete/list');
    if (typeof prefix !== 'string' || prefix === '') throw new RangeError('PrefixStore: prefix must be a non-empty string');
    const parts = prefix.split('/');
    if (parts.some((p) => !PART.test(p)))
      throw new RangeError(`PrefixStore: invalid prefix ${JSON.stringify(prefix)} ('/'-separated parts of [A-Za-z0-9_.-], none starting with '.')`);
    checkKey(prefix);
    this.#store = store;
    this.prefix = prefix;
  }

  /**
   * The key in the underlying store.
   *
   * @example
   * new PrefixStore(store, 'live/cam1').keyOf('master.m3u8'); // 'live/cam1/master.m3u8'
   */
  keyOf(key: string): string {
    return `${this.prefix}/${checkKey(key)}`;
  }

  /** Writes `<prefix>/<key>`. */
  async put(key: string, data: Buffer | string): Promise<void> {
    await this.#store.put(this.keyOf(key), data);
  }

  /** Reads `<prefix>/<key>`, or null. */
  async get(key: string): Promise<Buffer | null> {
    return this.#store.get(this.keyOf(key));
  }

  /** Opens `<prefix>/<key>` for reading (the underlying store's `open`, else its `get`), or null. */
  async open(key: string): Promise<StoredObject | null> {
    return openStored(this.#store, this.keyOf(key));
  }

  /** Deletes `<prefix>/<key>`. */
  async delete(key: string): Promise<void> {
    await this.#store.delete(this.keyOf(key));
  }

  /** Keys of the namespace starting with `prefix` (default: all), relative to the namespace. */
  async list(prefix = ''): Promise<string[]> {
    checkPrefix(prefix);
    const base = `${this.prefix}/`;
    const keys = await this.#store.list(base + prefix);
    return keys.filter((k) => k.startsWith(base)).map((k) => k.slice(base.length));
  }
}

/**
 * The read side of every SegmentStore as one shape: a store's own `open()`
 * when it has one (FileStore streams from a descriptor, MemoryStore hands
 * out its Buffer), else its `get()` wrapped, so custom stores serve too.
 */
import { Readable } from 'node:stream';
import type { ByteRange, SegmentStore, StoredObject } from './types.js';

/**
 * A StoredObject over bytes already in memory: `buffer` is `data` itself,
 * `stream()` emits it (or a view of the range) in one chunk, without a copy.
 *
 * @example
 * const obj = bufferObject(Buffer.from('#EXTM3U\n'), Date.now());
 * obj.stream({ start: 0, end: 0 }); // emits '#'
 */
export function bufferObject(data: Buffer, mtimeMs: number): StoredObject {
  return {
    size: data.length,
    mtimeMs,
    buffer: data,
    stream: (range?: ByteRange) => Readable.from([range ? data.subarray(range.start, range.end + 1) : data]),
    close: async () => {},
  };
}

/**
 * Opens `key` for reading: `store.open(key)` when the store has it, else
 * `store.get(key)` wrapped by {@link bufferObject} (mtime unknown: NaN).
 * Null when absent; the store's errors (RangeError for a refused key) pass through.
 *
 * @example
 * const obj = await openStored(store, 'live/cam1/master.m3u8');
 * if (obj) { console.log(obj.size); await obj.close(); }
 */
export async function openStored(store: SegmentStore, key: string): Promise<StoredObject | null> {
  if (typeof store.open === 'function') return store.open(key);
  const data = await store.get(key);
  return data ? bufferObject(data, Number.NaN) : null;
}

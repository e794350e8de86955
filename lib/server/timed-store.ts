/**
 * A SegmentStore that times every write and says what was written (a
 * media segment, an init segment or a manifest), for the store-write
 * latency histogram of /metrics. Reads, deletes and lists pass through.
 */
import type { SegmentStore } from '../delivery/types.js';
import { mediaTypeOf } from './http/media-types.js';

/** What a store key holds, as the metrics label it. */
export type StoreWriteKind = 'segment' | 'init' | 'manifest';

/**
 * The kind of a store key by its extension; null for anything else.
 *
 * @example
 * storeWriteKind('live/cam1/v720p/seg_41.m4s'); // 'segment'
 * storeWriteKind('live/cam1/master.m3u8');      // 'manifest'
 */
export function storeWriteKind(key: string): StoreWriteKind | null {
  const kind = mediaTypeOf(key)?.kind;
  if (kind === 'playlist' || kind === 'mpd') return 'manifest';
  return kind ?? null;
}

/**
 * Wraps `store`: each `put` of a segment, init segment or manifest is
 * reported to `onWrite` with its duration in seconds, whether it succeeded
 * or failed (a failing store is slow too, and the caller sees its error).
 * `onWrite` may be set later (the metrics are made after the registry).
 *
 * @example
 * const timed = new TimedStore(new MemoryStore(), (kind, s) => metrics.observeStoreWrite(kind, s));
 * const registry = new StreamRegistry({ store: timed });
 */
export class TimedStore implements SegmentStore {
  readonly inner: SegmentStore;
  onWrite: ((kind: StoreWriteKind, seconds: number) => void) | null;

  constructor(inner: SegmentStore, onWrite: ((kind: StoreWriteKind, seconds: number) => void) | null = null) {
    this.inner = inner;
    this.onWrite = onWrite;
  }

  async put(key: string, data: Buffer | string): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      await this.inner.put(key, data);
    } finally {
      const kind = storeWriteKind(key);
      if (kind && this.onWrite) this.onWrite(kind, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  get(key: string): Promise<Buffer | null> {
    return this.inner.get(key);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  list(prefix?: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
}

/**
 * Where a rendition's segments go. `Presentation` (lib/delivery) is the real
 * one: it stores each segment, then updates the manifests.
 */
import type { MediaSegment, Rendition } from '../delivery/types.js';
import type { SegmentInfo } from '../media/segmenter.js';

export interface SegmentSink {
  addRendition(r: Rendition): void;
  setInit(renditionId: string, data: Buffer): Promise<void>;
  addSegment(renditionId: string, seg: MediaSegment): Promise<void>;
}

/** What every rendition reports while it runs. */
export interface RenditionCounters {
  id: string;
  /** frames (video) or audio frames encoded */
  frames: number;
  /** frames dropped by the live 'drop' policy */
  dropped: number;
  segments: number;
  bytes: number;
}

/** Segmenter output → the sink, counting as it goes. */
export async function deliver(sink: SegmentSink, counters: RenditionCounters, segments: SegmentInfo[]): Promise<void> {
  for (const s of segments) {
    await sink.addSegment(counters.id, { sequence: s.sequence, start: s.start, duration: s.duration, data: s.data, startsWithKeyframe: s.startsWithKeyframe });
    counters.segments++;
    counters.bytes += s.size;
  }
}

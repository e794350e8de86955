/**
 * Recorder: one publisher session's source packets, copied (no re-encode)
 * into a crash-safe file — fragmented MP4 or Matroska with 1 s clusters, so
 * a process killed mid-stream leaves a playable recording. Writes are
 * chained in packet order on the Remuxer's own thread; the event loop never
 * waits for the disk, and a backlog beyond `maxPending` packets is dropped
 * (and counted) rather than queued without bound.
 */
import path from 'node:path';
import type { Packet } from '../media/frame.js';
import type { StreamInfo } from '../media/decoder.js';
import { Remuxer } from '../media/remuxer.js';
import { makeDirs } from '../delivery/mkdirs.js';

export interface RecorderOptions {
  /** container: 'mp4' (fragmented, default) or 'mkv' */
  format?: 'mp4' | 'mkv';
  /** packets waiting for the disk before new ones are dropped (default 512) */
  maxPending?: number;
}

/** What a finished recording holds. */
export interface RecordingResult {
  file: string;
  packets: number;
  bytes: number;
  /** packets dropped because the disk fell behind */
  dropped: number;
  error: Error | null;
}

/**
 * @example
 * const rec = await Recorder.open('rec/live/cam1/2026-12-02T13-00-00Z.mp4', dec.streams);
 * for (let p; (p = await dec.readPacket()); p.free()) rec.write(p);
 * console.log(await rec.close()); // { file, packets, bytes, dropped: 0, error: null }
 */
export class Recorder {
  readonly file: string;
  readonly #remuxer: Remuxer;
  readonly #map: Map<number, number>;
  readonly #maxPending: number;
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  #packets = 0;
  #dropped = 0;
  #error: Error | null = null;

  private constructor(file: string, remuxer: Remuxer, map: Map<number, number>, maxPending: number) {
    this.file = file;
    this.#remuxer = remuxer;
    this.#map = map;
    this.#maxPending = maxPending;
  }

  /**
   * Creates the folders and opens `file` with the audio and video streams of
   * `streams` (others are not recorded).
   */
  static async open(file: string, streams: readonly StreamInfo[], opts: RecorderOptions = {}): Promise<Recorder> {
    const kept = streams.filter((s) => s.mediaType === 'video' || s.mediaType === 'audio');
    if (!kept.length) throw new TypeError('Recorder.open: the input has no audio or video stream to record');
    await makeDirs(path.dirname(file));
    const remuxer = await Remuxer.open(file, {
      streams: kept.map((s) => ({ parameters: s, timeBase: s.timeBase, ...(s.frameRate ? { frameRate: s.frameRate } : {}) })),
      ...(opts.format ? { format: opts.format === 'mkv' ? 'matroska' : 'mp4' } : {}),
    });
    return new Recorder(file, remuxer, new Map(kept.map((s, i) => [s.index, i])), opts.maxPending ?? 512);
  }

  /** Queues one source packet (not consumed: the recorder takes its own reference). */
  write(packet: Packet): void {
    const out = this.#map.get(packet.streamIndex);
    if (out === undefined || this.#error) return;
    if (this.#pending >= this.#maxPending) {
      this.#dropped++;
      return;
    }
    const p = packet.ref();
    p.streamIndex = out;
    this.#pending++;
    this.#tail = this.#tail.then(async () => {
      try {
        if (!this.#error) {
          await this.#remuxer.write(p);
          this.#packets++;
        }
      } catch (e) {
        this.#error = e as Error; // a broken file stops the recording, never the stream
      } finally {
        p.free();
        this.#pending--;
      }
    });
  }

  /** Writes what is queued and the trailer. */
  async close(): Promise<RecordingResult> {
    await this.#tail;
    let bytes = 0;
    try {
      bytes = (await this.#remuxer.close()).bytes;
    } catch (e) {
      this.#error ??= e as Error;
    }
    return { file: this.file, packets: this.#packets, bytes, dropped: this.#dropped, error: this.#error };
  }
}

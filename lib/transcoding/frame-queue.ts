/**
 * A bounded queue of frames between the decoder and one consumer (a ladder
 * variant or the audio rendition). Bounded memory: a full queue makes the
 * producer wait (`push`) or tells it to drop (`offer`), never grows.
 */
import type { Frame } from '../media/frame.js';

export class FrameQueue {
  readonly #items: Frame[] = [];
  readonly #capacity: number;
  #ended = false;
  #wakeTaker: (() => void) | null = null;
  #wakePusher: (() => void) | null = null;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('FrameQueue: capacity must be an integer >= 1');
    this.#capacity = capacity;
  }

  get length(): number {
    return this.#items.length;
  }

  /** No room: a push would wait, an offer would fail. */
  get full(): boolean {
    return this.#items.length >= this.#capacity;
  }

  /** Adds a frame (the queue takes ownership), waiting while the queue is full. */
  async push(frame: Frame): Promise<void> {
    while (this.#items.length >= this.#capacity && !this.#ended) await new Promise<void>((r) => (this.#wakePusher = r));
    this.#add(frame);
  }

  /** Adds a frame if there is room; false (frame not taken) when full. */
  offer(frame: Frame): boolean {
    if (this.#items.length >= this.#capacity) return false;
    this.#add(frame);
    return true;
  }

  #add(frame: Frame): void {
    if (this.#ended) {
      frame.free();
      return;
    }
    this.#items.push(frame);
    this.#wakeTaker?.();
    this.#wakeTaker = null;
  }

  /** Next frame (caller owns it), or null once ended and empty. */
  async take(): Promise<Frame | null> {
    while (this.#items.length === 0) {
      if (this.#ended) return null;
      await new Promise<void>((r) => (this.#wakeTaker = r));
    }
    const f = this.#items.shift()!;
    this.#wakePusher?.();
    this.#wakePusher = null;
    return f;
  }

  /** No more frames will come; takers drain what is queued, then get null. */
  end(): void {
    this.#ended = true;
    this.#wakeTaker?.();
    this.#wakePusher?.();
  }

  /** Ends the queue and frees whatever is still in it. */
  discard(): void {
    this.end();
    for (const f of this.#items.splice(0)) f.free();
  }
}

/**
 * Runs async operations on one native object strictly in call order. libuv
 * pool threads run queued work in any order, and an FFmpeg context must see
 * frames in order, so calls made without awaiting are chained here.
 */
import { FFmpegError } from './errors.js';

interface Shareable<T> {
  ref(): T;
  free(): void;
  readonly freed: boolean;
}

export class Serial {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #closedBy: string | null = null;
  #closing: Promise<void> | null = null;

  /**
   * Stops accepting calls (later ones throw ECLOSED), then runs `free` once
   * every call made before has settled — at once when idle, so a synchronous
   * close() frees synchronously. close() never cancels earlier calls.
   * Idempotent: every caller gets the same promise.
   */
  close(owner: string, free: () => void | Promise<void>): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closedBy = owner;
    if (this.#pending === 0) {
      try {
        this.#closing = Promise.resolve(free());
      } catch (e) {
        this.#closing = Promise.reject(e);
      }
    } else {
      this.#closing = this.#tail.then(() => free());
    }
    return this.#closing;
  }

  get closed(): boolean {
    return this.#closedBy !== null;
  }

  /** true when no operation is queued or running */
  get idle(): boolean {
    return this.#pending === 0;
  }

  /**
   * Runs `op(args)` after every earlier operation. When it must wait, each arg
   * is ref()'d first so the caller may free its handles right after calling
   * (native code takes its own references when the operation starts).
   */
  run<A extends Shareable<A>, T>(what: string, args: readonly (A | null)[], op: (args: readonly (A | null)[]) => Promise<T>): Promise<T> {
    if (this.#closedBy !== null) throw new FFmpegError(`${what}: object is closed`, 0, 'ECLOSED', what);
    let p: Promise<T>;
    if (this.#pending === 0) {
      p = op(args);
    } else {
      if (args.some((a) => a && (typeof a !== 'object' || a.freed !== false))) throw new TypeError(`${what}: expected live Frame/Packet arguments`);
      const held = args.map((a) => (a ? a.ref() : null));
      p = this.#tail.then(() => op(held)).finally(() => held.forEach((h) => h?.free()));
    }
    this.#pending++;
    const done = (): void => {
      this.#pending--;
    };
    this.#tail = p.then(done, done);
    return p;
  }
}

/**
 * Runs async operations on one native object strictly in call order. libuv
 * pool threads run queued work in any order, and an FFmpeg context must see
 * frames in order, so calls made without awaiting are chained here.
 */
interface Shareable<T> {
  ref(): T;
  free(): void;
}

export class Serial {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /** true when no operation is queued or running */
  get idle(): boolean {
    return this.#pending === 0;
  }

  /**
   * Runs `op(args)` after every earlier operation. When it must wait, each arg
   * is ref()'d first so the caller may free its handles right after calling
   * (native code takes its own references when the operation starts).
   */
  run<A extends Shareable<A>, T>(args: readonly (A | null)[], op: (args: readonly (A | null)[]) => Promise<T>): Promise<T> {
    let p: Promise<T>;
    if (this.#pending === 0) {
      p = op(args);
    } else {
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

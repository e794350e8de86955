/**
 * Frame, Packet and FramePool are the native classes themselves (no JS
 * wrapper per frame: that would put an allocation on the hot path).
 *
 * Ownership: every function that returns a Frame or Packet hands the caller one
 * reference, which the caller must `free()` (idempotent). `ref()` makes another
 * handle on the same buffers without copying. With TypeScript 5.2+ `using`
 * frees automatically. A handle that is garbage-collected without free() is
 * freed by its finalizer and counted in `stats().leakedFrames`.
 *
 * Buffers from `data()` hold their own reference to the memory, so they stay
 * valid after the frame is freed (writes through them are visible to every
 * frame sharing that memory).
 *
 * @example
 * const f = Frame.video({ width: 640, height: 360, format: 'yuv420p' });
 * f.data(0).fill(16); // luma plane
 * const shared = f.ref(); // same pixels, second owner
 * f.free(); shared.free();
 */
import type { Frame as FrameT, Packet as PacketT, FramePool as FramePoolT } from '../../types/binding.js';
import { native } from '../native/binding.js';

export type Frame = FrameT;
export type Packet = PacketT;
export type FramePool = FramePoolT;

/** A decoded video or audio frame (see module docs for ownership rules). */
export const Frame: typeof FrameT = native.Frame;
/** An encoded packet with timestamps in `timeBase`. */
export const Packet: typeof PacketT = native.Packet;
/**
 * A pool of same-size video frames: buffers return to the pool when the last
 * reference (JS handle or encoder) lets go, so steady state allocates nothing.
 *
 * @example
 * const pool = new FramePool({ width: 1280, height: 720, format: 'yuv420p' });
 * const f = pool.get(); f.free(); pool.get().free(); // the second get reuses memory
 * pool.close();
 */
export const FramePool: typeof FramePoolT = native.FramePool;

type Disposable = { free(): void } | { close(): void };
function installDispose(proto: Disposable, method: 'free' | 'close'): void {
  const dispose = (Symbol as { dispose?: symbol }).dispose;
  if (dispose && !(dispose in proto)) {
    Object.defineProperty(proto, dispose, {
      value(this: Record<string, () => void>) {
        this[method]!();
      },
      configurable: true,
    });
  }
}
installDispose(native.Frame.prototype, 'free');
installDispose(native.Packet.prototype, 'free');
installDispose(native.FramePool.prototype, 'close');

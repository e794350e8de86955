// Every test file ends by proving nothing native is left alive.
import { stats } from 'ffnode';

/** Adds a final subtest asserting zero live frames, packets and objects. */
export function endsWithZeroLive(t) {
  t.test('ends with zero live native objects', async (t) => {
    // Let pending finalizers run so leaks are counted, not hidden.
    if (globalThis.gc) {
      globalThis.gc();
      await new Promise((r) => setImmediate(r));
    }
    const s = stats();
    t.same({ frames: s.frames, packets: s.packets, objects: s.objects }, { frames: 0, packets: 0, objects: 0 }, 'no live frames/packets/objects');
    t.equal(s.leakedFrames + s.leakedPackets + s.leakedObjects, 0, 'nothing was freed by a finalizer');
  });
}

// How every example ends: it says how many native objects are still alive
// (0 when everything was freed) and fails its exit code otherwise.
import { stats } from 'ffnode';

/** Prints the live native frames, packets and objects; exit code 1 if any is left. */
export function checkFreed() {
  const left = stats();
  console.log(`native objects left: frames=${left.frames} packets=${left.packets} objects=${left.objects}`);
  if (left.frames || left.packets || left.objects) process.exitCode = 1;
  return left;
}

/** Ctrl-C (SIGINT) or a process manager's SIGTERM: runs `close()`, then checkFreed(). */
export function closeOnSignal(close) {
  const stop = async (signal) => {
    console.log(`${signal}: closing`);
    await close();
    checkFreed();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

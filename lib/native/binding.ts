/**
 * Loads the native addon once per process: the first candidate (lib/native/locate.ts)
 * that loads and, for a prebuild, runs on the libavcodec major it was linked
 * against. When none does, the error says what was tried and what to install.
 */
import type { Binding } from '../../types/binding.js';
import { FFmpegError } from '../errors.js';
import { candidates, noAddonMessage, prebuildMajor } from './locate.js';

function load(): { binding: Binding; file: string } {
  const { files, why } = candidates();
  const tried: { file: string; error: string }[] = [];
  for (const file of files) {
    let b: Binding;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      b = require(file) as Binding;
    } catch (e) {
      tried.push({ file, error: ((e as Error).message.split('\n')[0] ?? '').replace(`${file}: `, '') });
      continue;
    }
    // The soname pins the major; this catches a library swapped under it (LD_LIBRARY_PATH, a symlink).
    const want = prebuildMajor(file);
    const have = Number.parseInt(b.versions().libavcodec, 10);
    if (want !== null && have !== want) {
      tried.push({ file, error: `linked against libavcodec ${want} but runs on libavcodec ${have}` });
      continue;
    }
    b.setErrorClass(FFmpegError);
    return { binding: b, file };
  }
  throw new Error(noAddonMessage(tried, why));
}

const loaded = load();

/** The raw native binding (the contract in types/binding.d.ts). */
export const native: Binding = loaded.binding;

/**
 * Absolute path of the `.node` file this process loaded: `build/Release/ffnode.node`
 * (a source build), `prebuilds/<platform>-<arch>/ffnode.glibc.avcodec<N>.node`, or `FFNODE_ADDON`.
 *
 * @example
 * import { addonPath } from 'ffnode';
 * console.log(addonPath); // …/node_modules/ffnode/prebuilds/linux-x64/ffnode.glibc.avcodec59.node
 */
export const addonPath: string = loaded.file;

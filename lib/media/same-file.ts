/**
 * Keeps an operation from writing over its own input. Two names are the same
 * file when they stat to the same (device, inode), so a hard link or a symlink
 * to the input is caught, not only the same path spelled differently.
 *
 * @example
 * if (await sameFile('in.mp4', './dir/../in.mp4')) throw …;
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/**
 * The filesystem path libav's file protocol opens for `url`, or null when it
 * names another protocol (http:, pipe:, lavfi graphs are not files either,
 * but stat simply finds nothing for them). libav strips a `file:` prefix and
 * opens the rest as a path, so 'file:///a' is '/a'.
 */
export function localPath(url: string): string | null {
  if (url.startsWith('file:')) return path.resolve(url.slice(5) || '.');
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(url)) return null;
  return path.resolve(url);
}

async function identity(p: string): Promise<{ dev: number; ino: number } | null> {
  try {
    const s = await fsp.stat(p);
    return { dev: s.dev, ino: s.ino };
  } catch {
    return null;
  }
}

/** `p` with its directory resolved through symlinks (the file itself may not exist yet). */
export async function realLocation(p: string): Promise<string> {
  try {
    return await fsp.realpath(p);
  } catch {
    const dir = path.dirname(p);
    const realDir = await fsp.realpath(dir).catch(() => dir);
    return path.join(realDir, path.basename(p));
  }
}

/** True when URLs `a` and `b` name the same local file (or the same not-yet-existing path). */
export async function sameFile(a: string, b: string): Promise<boolean> {
  const pa = localPath(a);
  const pb = localPath(b);
  if (pa === null || pb === null) return false;
  const [ia, ib] = await Promise.all([identity(pa), identity(pb)]);
  if (ia && ib) return ia.dev === ib.dev && ia.ino === ib.ino;
  if (ia || ib) return false; // one exists, the other does not
  return (await realLocation(pa)) === (await realLocation(pb));
}

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

/**
 * Every local file `url` reads, through the wrapper protocols that read
 * another URL (`cache:`, `async:`, `crypto:`/`crypto+`, `subfile,,…,:path`,
 * each part of `concat:a|b`, the list file of `concatf:`): a wrapped input is
 * still destroyed when the output is that file.
 */
export function localPaths(url: string, depth = 0): string[] {
  if (depth > 8) return [];
  const sub = /^subfile,.*?,:(.*)$/s.exec(url);
  if (sub) return localPaths(sub[1]!, depth + 1);
  const m = /^([A-Za-z][A-Za-z0-9.-]*)(\+|:)(.*)$/s.exec(url);
  if (!m) return [path.resolve(url)];
  const [, scheme, sep, rest] = m as unknown as [string, string, string, string];
  if (sep === '+') return localPaths(rest, depth + 1); // crypto+file:, hls+file:
  if (scheme === 'file') return [path.resolve(rest || '.')];
  if (['cache', 'async', 'crypto', 'hls', 'concatf'].includes(scheme)) return localPaths(rest, depth + 1);
  if (scheme === 'concat') return rest.split('|').flatMap((part) => localPaths(part, depth + 1));
  return [];
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
  const pb = localPath(b);
  if (pb === null) return false;
  for (const pa of localPaths(a)) if (await samePath(pa, pb)) return true;
  return false;
}

async function samePath(pa: string, pb: string): Promise<boolean> {
  const [ia, ib] = await Promise.all([identity(pa), identity(pb)]);
  if (ia && ib) return ia.dev === ib.dev && ia.ino === ib.ino;
  if (ia || ib) return false; // one exists, the other does not
  return (await realLocation(pa)) === (await realLocation(pb));
}

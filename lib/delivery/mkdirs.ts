/**
 * Creates a folder and its missing parents, with an error that says which
 * folder could not be made and why. Not `fs.mkdir(…, { recursive: true })`:
 * on a file system that answers ENOENT for a folder whose parent exists
 * (/proc, /sys) Node's recursive mkdir retries forever at full CPU.
 *
 * @example
 * await makeDirs('/srv/vod/show1'); // throws OutputDirError on /proc/x or a read-only mount
 */
import fsp from 'node:fs/promises';
import path from 'node:path';

const WHY: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a path component is a file, not a folder',
  ENOENT: 'the file system there does not allow new folders',
};

/** A folder for outputs could not be created; `code` is the errno name (EROFS, EACCES, …), `path` the folder. */
export class OutputDirError extends Error {
  override name = 'OutputDirError';
  constructor(readonly path: string, readonly code: string, cause: unknown) {
    super(`cannot create the output folder ${path}: ${WHY[code] ?? 'failed'} (${code})`, { cause });
  }
}

/**
 * mkdir -p, bounded: each missing ancestor is created once, top down.
 *
 * @example
 * await makeDirs(path.join(out, 'v720p'));
 */
export async function makeDirs(dir: string): Promise<void> {
  const full = path.resolve(dir);
  const missing: string[] = [];
  for (let cur = full; ; cur = path.dirname(cur)) {
    const st = await fsp.stat(cur).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
    if (st) {
      if (!st.isDirectory()) throw new OutputDirError(cur, 'ENOTDIR', null);
      break;
    }
    missing.push(cur);
    if (path.dirname(cur) === cur) break; // the root itself is missing: mkdir below says why
  }
  for (const d of missing.reverse()) {
    await fsp.mkdir(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'EEXIST') return; // made concurrently
      throw new OutputDirError(d, e.code ?? 'EIO', e);
    });
  }
}

/**
 * A SegmentStore on the filesystem, under one root directory. Writes are
 * atomic (temporary file in the same directory, then rename) because a web
 * server or CDN origin may read a playlist while it is being replaced: a
 * half-written playlist makes players stall or drop the stream.
 */
import { createHash } from 'node:crypto';
import { promises as fsp, constants as fsc } from 'node:fs';
import type { BigIntStats, Dirent, Stats } from 'node:fs';
import * as path from 'node:path';
import { FFmpegError } from '../errors.js';
import { checkKey, checkPrefix } from './store-key.js';
import type { ByteRange, SegmentStore, StoredObject } from './types.js';
import { makeDirs, OutputDirError } from './mkdirs.js';

/** AVERROR(ELOOP): what opening a symlink with O_NOFOLLOW reports. */
const ELOOP = -40;

// Reads never follow a link at the key, and never block on a FIFO planted
// there (O_NONBLOCK: open returns at once; fstat then says it is no file).
// O_NONBLOCK is undefined on Windows, where `| undefined` leaves the flags as they are.
const READ_FLAGS = fsc.O_RDONLY | fsc.O_NOFOLLOW | (fsc.O_NONBLOCK ?? 0);

/**
 * FileStore behaviour.
 *
 * @example
 * new FileStore('/srv/vod/movie', { fsync: true }); // survive a power loss
 */
export interface FileStoreOptions {
  /**
   * fsync each file before the rename and its directory after it, so a
   * power loss cannot leave a manifest naming a segment whose data never
   * reached the disk. Costs a disk flush per write; default false (a crash
   * of the process alone never loses data that rename made visible).
   */
  fsync?: boolean;
}

let tmpCounter = 0;

/**
 * Keys are '/'-separated paths relative to `root`. A key that is absolute,
 * has '.'/'..' or hidden segments, a NUL, a backslash or a drive letter is
 * rejected with a RangeError before any filesystem call, and the resolved
 * path is checked to lie inside the root as a second line of defence.
 * Directories are created on demand. `list` returns regular files only
 * (never temporary files, never symlinks).
 *
 * Symlinks below the root are never followed: before each operation every
 * directory from the root down to the key's is checked with lstat, the file
 * itself is opened with O_NOFOLLOW (read) or checked with lstat (replace,
 * delete), so a link planted inside the root cannot make a put, get, delete
 * or list reach outside it. Such a key fails with an FFmpegError,
 * `errorName: 'ELOOP'`. (The root itself may be a symlink: it is the
 * caller's configuration.)
 *
 * @example
 * const store = new FileStore('/var/www/live/stream1', { fsync: false });
 * await store.put('v720p/seg_0.m4s', segment.data);
 * await store.list('v720p/'); // ['v720p/seg_0.m4s']
 * await store.put('../../etc/x', 'no'); // RangeError
 */
export class FileStore implements SegmentStore {
  /** absolute root directory */
  readonly root: string;
  readonly #fsync: boolean;

  constructor(root: string, opts: FileStoreOptions = {}) {
    if (typeof root !== 'string' || root === '' || root.includes('\0')) throw new TypeError('FileStore: root must be a non-empty path');
    this.root = path.resolve(root);
    this.#fsync = opts.fsync ?? false;
  }

  /** Absolute path of a key, or RangeError when the key would leave the root. */
  pathOf(key: string): string {
    checkKey(key);
    const full = path.resolve(this.root, ...key.split('/'));
    if (!full.startsWith(this.root + path.sep)) throw new RangeError(`FileStore: key escapes the root: ${JSON.stringify(key)}`);
    return full;
  }

  /** Writes `data` to a temporary name beside the target, then renames it over the target. */
  async put(key: string, data: Buffer | string): Promise<void> {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    await makeDirs(this.root);
    await this.#realDirs(dir, key, 'FileStore.put', true);
    await this.#notLink(file, key, 'FileStore.put');
    // Hidden, unique per process and call: concurrent puts of one key never
    // share a temporary file, and list() never reports one. O_EXCL never
    // follows a link planted at the temporary name either.
    const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++tmpCounter}.tmp`);
    const fh = await fsp.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o644);
    try {
      try {
        await fh.writeFile(data);
        if (this.#fsync) await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, file);
    } catch (e) {
      await fsp.rm(tmp, { force: true }).catch(() => {});
      throw e;
    }
    if (!(await this.#stillInside(dir))) {
      // A directory was swapped for a link between the check and the write:
      // take back what landed outside, and refuse.
      await fsp.rm(file, { force: true }).catch(() => {});
      throw linkError('FileStore.put', key, dir);
    }
    if (this.#fsync) await syncDir(dir);
  }

  /** The file's bytes, or null when it does not exist (or is no regular file). */
  async get(key: string): Promise<Buffer | null> {
    const opened = await this.#openRead(key, 'FileStore.get');
    if (!opened) return null;
    const { fh } = opened;
    try {
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  /**
   * The file opened for reading (same checks as `get`): its size, mtime and
   * a strong ETag from the descriptor's fstat (device, inode, size, mtime and
   * ctime in ns, hashed: a put renames a new file over the key, so every
   * version differs, and nothing is read to make it), and a
   * stream of it, or of a byte range, read from that descriptor — a file
   * replaced or deleted after the open is not what gets served, and nothing
   * is loaded whole. Null when absent or not a regular file.
   *
   * @example
   * const obj = await store.open('v720p/seg_3.m4s');
   * obj?.stream({ start: 100, end: 199 }).pipe(res);
   */
  async open(key: string): Promise<StoredObject | null> {
    const opened = await this.#openRead(key, 'FileStore.open');
    if (!opened) return null;
    const { fh, st } = opened;
    let used = false;
    return {
      size: Number(st.size),
      mtimeMs: Number(st.mtimeMs),
      etag: statEtag(st),
      stream: (range?: ByteRange) => {
        if (used) throw new Error('FileStore.open: stream() already called or closed');
        used = true;
        // autoClose (the default): the descriptor is closed at the end, on an error, or when destroyed
        return fh.createReadStream(range ? { start: range.start, end: range.end } : {});
      },
      close: async () => {
        if (used) return;
        used = true;
        await fh.close();
      },
    };
  }

  /**
   * Opens the key's file read-only without following a link at it, after
   * checking every directory on the way (and that they stayed in place);
   * null when absent or not a regular file.
   */
  async #openRead(key: string, op: string): Promise<{ fh: fsp.FileHandle; st: BigIntStats } | null> {
    const file = this.pathOf(key);
    if (!(await this.#realDirs(path.dirname(file), key, op, false))) return null;
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(file, READ_FLAGS);
    } catch (e) {
      if (isMissing(e)) return null;
      if ((e as NodeJS.ErrnoException)?.code === 'ELOOP') throw linkError(op, key, file);
      throw e;
    }
    try {
      if (!(await this.#stillInside(path.dirname(file)))) throw linkError(op, key, path.dirname(file));
      const st = await fh.stat({ bigint: true });
      if (st.isFile()) return { fh, st };
    } catch (e) {
      await fh.close();
      throw e;
    }
    await fh.close(); // a directory, FIFO or device at the key's path: no object
    return null;
  }

  /** Removes the file; removing an absent key is not an error. */
  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    if (!(await this.#realDirs(path.dirname(file), key, 'FileStore.delete', false))) return;
    await this.#notLink(file, key, 'FileStore.delete');
    try {
      await fsp.unlink(file);
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
  }

  /** Keys of the regular files whose key starts with `prefix` (default: all), sorted. */
  async list(prefix = ''): Promise<string[]> {
    checkPrefix(prefix);
    // Walk only the directory the prefix names, not the whole tree.
    const slash = prefix.lastIndexOf('/');
    const base = slash >= 0 ? prefix.slice(0, slash) : '';
    const out: string[] = [];
    const dir = base ? this.pathOf(base) : this.root;
    if (base && !(await this.#realDirs(dir, base, 'FileStore.list', false))) return out;
    await this.#walk(dir, base, prefix, out);
    return out.sort();
  }

  /**
   * After the fact: `dir` still resolves to where it lies below the root.
   * Node has no openat(), so a writer inside the root could swap a checked
   * directory for a link before the file call; this catches it afterwards
   * (docs/delivery/segment-stores.md: keep the root unwritable for others).
   */
  async #stillInside(dir: string): Promise<boolean> {
    const [realRoot, realDir] = await Promise.all([fsp.realpath(this.root), fsp.realpath(dir).catch(() => null)]);
    return realDir === path.join(realRoot, path.relative(this.root, dir));
  }

  /**
   * Checks each directory below the root down to `dir` (inclusive): a
   * symlink is refused (ELOOP), a missing one is created when `create` (put)
   * or else makes the result false (nothing to read or delete there).
   */
  async #realDirs(dir: string, key: string, op: string, create: boolean): Promise<boolean> {
    const rel = path.relative(this.root, dir);
    if (!rel) return true;
    let cur = this.root;
    for (const part of rel.split(path.sep)) {
      cur = path.join(cur, part);
      let st = await lstatOrNull(cur);
      if (!st && create) {
        await fsp.mkdir(cur).catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'EEXIST') return; // a concurrent put made it: checked below
          throw e.code === 'ENOENT' || e.code === 'ENOTDIR' ? e : new OutputDirError(cur, e.code ?? 'EIO', e);
        });
        st = await lstatOrNull(cur);
      }
      if (!st) return false;
      if (st.isSymbolicLink()) throw linkError(op, key, cur);
      if (!st.isDirectory()) return false; // put then fails with ENOTDIR, as before
    }
    return true;
  }

  /** Refuses a symlink at the key itself (rename would replace the link, unlink remove it: both act on a planted name). */
  async #notLink(file: string, key: string, op: string): Promise<void> {
    const st = await lstatOrNull(file);
    if (st?.isSymbolicLink()) throw linkError(op, key, file);
  }

  async #walk(dir: string, keyDir: string, prefix: string, out: string[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) return;
      throw e;
    }
    for (const ent of entries) {
      if (ent.name.startsWith('.')) continue; // temporary or hidden: never a key
      const key = keyDir ? `${keyDir}/${ent.name}` : ent.name;
      if (ent.isDirectory()) {
        // Descend only where keys matching the prefix can be.
        if (prefix.startsWith(`${key}/`) || key.startsWith(prefix)) await this.#walk(path.join(dir, ent.name), key, prefix, out);
      } else if (ent.isFile() && key.startsWith(prefix)) {
        out.push(key);
      }
    }
  }
}

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await fsp.lstat(p);
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

// A strong tag from the descriptor's identity and version, hashed so that
// inode numbers and nanosecond times are not handed to clients.
function statEtag(st: BigIntStats): string {
  const id = createHash('sha256').update(`${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`).digest('base64url').slice(0, 22);
  return `"${st.size.toString(36)}-${id}"`;
}

function linkError(op: string, key: string, at: string): FFmpegError {
  return new FFmpegError(`${op} (${key}): ${at} is a symlink; FileStore never follows links below its root`, ELOOP, 'ELOOP', op);
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

// Makes a rename durable: the new directory entry is flushed too.
async function syncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | null = null;
  try {
    fh = await fsp.open(dir, fsc.O_RDONLY);
    await fh.sync();
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the file itself was synced.
  } finally {
    await fh?.close();
  }
}

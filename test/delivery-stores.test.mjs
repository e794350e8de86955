// SegmentStore implementations: MemoryStore and FileStore — put/get/list/
// delete, atomic replacement, and no key escaping the root (nor a symlink
// planted inside it).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CachedStore, FileStore, MemoryStore, FFmpegError } from 'ffnode';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-store-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(tmp, `root${++n}`);

const BAD_KEYS = [
  '', '/etc/passwd', '../x', 'a/../../x', 'a/..', './a', 'a/./b', 'a//b', 'a/', 'a\\b', '..\\x', 'a\0b',
  'C:/windows', 'c:x', '.hidden', 'v720p/.seg.tmp', '..', '.', 'x'.repeat(2000),
];

for (const [name, make] of [['MemoryStore', () => new MemoryStore()], ['FileStore', () => new FileStore(fresh())]]) {
  t.test(`${name}: put/get/list/delete`, async (t) => {
    const s = make();
    t.equal(await s.get('missing'), null);
    await s.put('master.m3u8', '#EXTM3U\n');
    await s.put('v720p/seg_0.m4s', Buffer.from([1, 2, 3]));
    await s.put('v720p/seg_1.m4s', Buffer.from([4]));
    await s.put('v720p2/seg_0.m4s', Buffer.from([5]));
    t.equal((await s.get('master.m3u8')).toString(), '#EXTM3U\n', 'strings stored as UTF-8');
    t.same([...(await s.get('v720p/seg_0.m4s'))], [1, 2, 3]);
    t.same(await s.list(), ['master.m3u8', 'v720p/seg_0.m4s', 'v720p/seg_1.m4s', 'v720p2/seg_0.m4s']);
    t.same(await s.list('v720p/'), ['v720p/seg_0.m4s', 'v720p/seg_1.m4s'], 'a folder prefix');
    t.same(await s.list('v720p'), ['v720p/seg_0.m4s', 'v720p/seg_1.m4s', 'v720p2/seg_0.m4s'], 'a plain string prefix');
    t.same(await s.list('v720p/seg_1'), ['v720p/seg_1.m4s'], 'a prefix inside a folder');
    t.same(await s.list('nothing/'), []);
    await s.put('v720p/seg_0.m4s', Buffer.from([9]));
    t.same([...(await s.get('v720p/seg_0.m4s'))], [9], 'put replaces');
    await s.delete('v720p/seg_0.m4s');
    await s.delete('v720p/seg_0.m4s'); // deleting twice is fine
    t.equal(await s.get('v720p/seg_0.m4s'), null);
    t.same(await s.list('v720p/'), ['v720p/seg_1.m4s']);
  });

  t.test(`${name}: keys that could escape are RangeErrors`, async (t) => {
    const s = make();
    for (const k of BAD_KEYS) {
      await t.rejects(s.put(k, 'x'), RangeError, `put ${JSON.stringify(k.slice(0, 20))}`);
      await t.rejects(s.get(k), RangeError, `get ${JSON.stringify(k.slice(0, 20))}`);
      await t.rejects(s.delete(k), RangeError, `delete ${JSON.stringify(k.slice(0, 20))}`);
    }
    for (const p of ['../', '/', '/etc/', 'a/../', '..']) await t.rejects(s.list(p), RangeError, `list ${p}`);
    await t.rejects(s.put(42, 'x'), RangeError, 'a non-string key');
  });
}

t.test('MemoryStore copies on put and counts bytes', async (t) => {
  const s = new MemoryStore();
  const b = Buffer.from('abc');
  await s.put('k', b);
  b[0] = 0x7a;
  t.equal((await s.get('k')).toString(), 'abc', 'the caller may reuse its buffer');
  await s.put('k2', 'hello');
  t.equal(s.size, 2);
  t.equal(s.bytes, 8);
  await s.put('k', 'a');
  t.equal(s.bytes, 6);
  await s.delete('k2');
  t.equal(s.bytes, 1);
});

t.test('FileStore: files land under the root, nothing escapes it', async (t) => {
  const root = fresh();
  const outside = path.join(tmp, 'outside.txt');
  const s = new FileStore(root);
  t.equal(s.root, path.resolve(root));
  await s.put('a/b/c.txt', 'deep');
  t.equal(fs.readFileSync(path.join(root, 'a', 'b', 'c.txt'), 'utf8'), 'deep', 'folders are created');
  for (const k of ['../outside.txt', `..${path.sep}outside.txt`, outside]) await t.rejects(s.put(k, 'x'), RangeError);
  t.notOk(fs.existsSync(outside), 'nothing written outside');
  t.throws(() => s.pathOf('a/../../x'), RangeError);
  t.equal(s.pathOf('a/b'), path.join(path.resolve(root), 'a', 'b'));
  t.throws(() => new FileStore(''), TypeError);
});

t.test('FileStore: writes are atomic (temp file + rename)', async (t) => {
  const root = fresh();
  const s = new FileStore(root, { fsync: true });
  const A = Buffer.alloc(4 << 20, 0x41);
  const B = Buffer.alloc(4 << 20, 0x42);
  await s.put('big.bin', A);
  // Readers racing many replacements see all-A or all-B, never a mix or a short file.
  let reads = 0;
  let stop = false;
  const reader = (async () => {
    while (!stop) {
      const got = fs.readFileSync(path.join(root, 'big.bin'));
      if (got.length !== A.length || !(got.equals(A) || got.equals(B))) throw new Error(`torn read: ${got.length} bytes`);
      reads++;
      await new Promise((r) => setImmediate(r));
    }
  })();
  for (let i = 0; i < 10; i++) await s.put('big.bin', i % 2 ? A : B);
  await Promise.all([s.put('big.bin', A), s.put('big.bin', B), s.put('big.bin', A)]); // concurrent puts of one key
  stop = true;
  await reader;
  t.ok(reads > 0, `${reads} reads, none torn`);
  const last = await s.get('big.bin');
  t.ok(last.equals(A) || last.equals(B), 'concurrent puts: one whole value wins');
  t.same(fs.readdirSync(root), ['big.bin'], 'no temporary file is left behind');
});

t.test('FileStore: list ignores temporary/hidden files and symlinks; failed put cleans up', async (t) => {
  const root = fresh();
  const s = new FileStore(root);
  await s.put('v/seg_0.m4s', 'x');
  fs.writeFileSync(path.join(root, 'v', '.seg_1.m4s.123.1.tmp'), 'partial');
  fs.symlinkSync('/etc/passwd', path.join(root, 'v', 'link'));
  t.same(await s.list(), ['v/seg_0.m4s']);
  // The parent of the key is a file: the put fails and leaves nothing.
  await t.rejects(s.put('v/seg_0.m4s/child', 'x'));
  t.same(await s.list(), ['v/seg_0.m4s']);
  t.same(await new FileStore(path.join(root, 'never-created')).list(), [], 'a missing root lists nothing');
});

t.test('FileStore: symlinks planted below the root are never followed', async (t) => {
  const root = fresh();
  const outside = fresh();
  fs.mkdirSync(outside);
  const secret = path.join(outside, 'secret.txt');
  fs.writeFileSync(secret, 'SECRET');
  const s = new FileStore(root);
  await s.put('v/seg_0.m4s', 'ok');
  fs.mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
  fs.symlinkSync(outside, path.join(root, 'evil')); // a symlinked subdirectory
  fs.symlinkSync(outside, path.join(root, 'a', 'b', 'deep')); // ... deeper down
  fs.symlinkSync(path.join(root, 'v'), path.join(root, 'alias')); // even one pointing inside the root
  fs.symlinkSync(secret, path.join(root, 'v', 'leak.m4s')); // a symlinked file
  const loop = { constructor: FFmpegError, errorName: 'ELOOP' };
  for (const key of ['evil/secret.txt', 'evil/new.txt', 'evil/x/y.txt', 'a/b/deep/secret.txt', 'alias/seg_0.m4s', 'v/leak.m4s']) {
    await t.rejects(s.put(key, 'PWNED'), loop, `put ${key}`);
    await t.rejects(s.get(key), loop, `get ${key}`);
    await t.rejects(s.delete(key), loop, `delete ${key}`);
  }
  await t.rejects(s.list('evil/'), loop, 'list through a symlinked directory');
  await t.rejects(s.list('a/b/deep/'), loop);
  t.equal(fs.readFileSync(secret, 'utf8'), 'SECRET', 'the outside file is untouched');
  t.same(fs.readdirSync(outside), ['secret.txt'], 'nothing was created outside');
  t.ok(fs.lstatSync(path.join(root, 'v', 'leak.m4s')).isSymbolicLink(), 'the planted link is left alone');
  t.same(await s.list(), ['v/seg_0.m4s'], 'list neither follows nor reports links');
  // Honest nested keys still work, and a root that is itself a symlink is the caller's choice.
  await s.put('a/b/c/d.m4s', 'nested');
  t.equal((await s.get('a/b/c/d.m4s'))?.toString(), 'nested');
  t.same(await s.list('a/'), ['a/b/c/d.m4s']);
  await s.delete('a/b/c/d.m4s');
  t.equal(await s.get('a/b/c/d.m4s'), null);
  t.equal(await s.get('a/missing/x'), null, 'a missing key is null, not an error');
  const viaLink = fresh();
  fs.symlinkSync(root, viaLink);
  const s2 = new FileStore(viaLink);
  await s2.put('v/seg_1.m4s', 'through a linked root');
  t.equal((await s2.get('v/seg_1.m4s'))?.toString(), 'through a linked root');
});

t.test('CachedStore: writes through, serves what it wrote from memory, bounded, never stale', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-cached-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const disk = new FileStore(dir);
  const store = new CachedStore(disk, { maxBytes: 1000 });
  await store.put('live/a/seg_1.m4s', Buffer.alloc(400, 1));
  t.same(fs.readFileSync(path.join(dir, 'live/a/seg_1.m4s')), Buffer.alloc(400, 1), 'on disk');
  const first = await store.open('live/a/seg_1.m4s');
  t.ok(first.buffer, 'a cached object is served from memory');
  t.equal(first.buffer, (await store.open('live/a/seg_1.m4s')).buffer, 'the same Buffer each time (zero-copy)');
  t.equal(first.size, 400);
  t.ok(Number.isFinite(first.mtimeMs), 'the put time is its modification time');

  // LRU: touching seg_1 makes seg_2 the oldest when seg_3 needs room
  await store.put('live/a/seg_2.m4s', Buffer.alloc(400, 2));
  await store.get('live/a/seg_1.m4s');
  await store.put('live/a/seg_3.m4s', Buffer.alloc(400, 3));
  t.equal(store.cachedBytes, 800, 'bounded by maxBytes');
  t.ok((await store.open('live/a/seg_1.m4s')).buffer, 'recently used: still cached');
  const evicted = await store.open('live/a/seg_2.m4s');
  t.notOk(evicted.buffer, 'evicted: served by the inner store (streamed from its file)');
  t.equal(evicted.size, 400);
  await evicted.close();
  t.same(await store.get('live/a/seg_2.m4s'), Buffer.alloc(400, 2), 'evicted content still readable');
  const again = await store.open('live/a/seg_2.m4s');
  t.notOk(again.buffer, 'a miss does not fill the cache');
  await again.close(); // a file-backed object holds a descriptor until streamed or closed

  // rewrites replace, deletes drop; an oversized object goes to disk only
  await store.put('live/a/index.m3u8', '#EXTM3U\n#v1\n');
  await store.put('live/a/index.m3u8', '#EXTM3U\n#v2\n');
  t.equal((await store.get('live/a/index.m3u8')).toString(), '#EXTM3U\n#v2\n');
  await store.delete('live/a/seg_1.m4s');
  t.equal(await store.get('live/a/seg_1.m4s'), null, 'deleted from memory and disk');
  t.notOk(fs.existsSync(path.join(dir, 'live/a/seg_1.m4s')));
  await store.put('live/a/big.m4s', Buffer.alloc(2000, 9));
  const big = await store.open('live/a/big.m4s');
  t.notOk(big.buffer, 'larger than the cache: not cached');
  await big.close();
  t.ok(store.cachedBytes <= 1000);
  t.same(await store.list('live/a/'), await disk.list('live/a/'), 'list is the inner store\'s');

  // a put still writing when its key is deleted (or written again) must not cache afterwards
  let release;
  const slow = new CachedStore({
    put: (k) => (k === 'live/b/index.m3u8' && !release ? new Promise((r) => { release = r; }) : Promise.resolve()),
    get: async () => null, delete: async () => {}, list: async () => [],
  });
  const late = slow.put('live/b/index.m3u8', '#EXTM3U\n#stale\n');
  await slow.delete('live/b/index.m3u8');
  release();
  await late;
  t.equal(await slow.get('live/b/index.m3u8'), null, 'a put overtaken by a delete is not cached');
  t.equal(slow.cachedBytes, 0);

  // a failed write leaves the old cached content: the cache never has bytes the disk lacks
  const failing = new CachedStore({ put: async () => { throw new Error('disk full'); }, get: async () => null, delete: async () => {}, list: async () => [] });
  await t.rejects(failing.put('x/y/z.m4s', 'data'), { message: 'disk full' });
  t.equal(await failing.get('x/y/z.m4s'), null);
  await t.rejects(store.get('../escape'), RangeError, 'keys are checked on the cached path too');
});

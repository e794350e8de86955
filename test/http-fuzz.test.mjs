// Path escapes, fuzzed: 200,000 random hostile request targets (dot segments
// in every spelling, encoded separators and NULs, overlong UTF-8, double
// encodings, backslashes, ';' parameters, absolute-form, control characters)
// through resolveRequestPath and the FileStore key mapping, then a few
// thousand of them over real HTTP to createHandler() over a FileStore whose
// root has a secret file next to it and a link to it inside. Zero escapes
// allowed. Reproducible: FUZZ_SEED=<n> replays one run.
import t from 'tap';
import http from 'node:http';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHandler, FileStore, resolveRequestPath } from 'ffnode';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const PATHS = Number(process.env.FUZZ_PATHS ?? 200_000);
const OVER_HTTP = Number(process.env.FUZZ_HTTP ?? 3000);
const SECRET = 'TOP-SECRET-fuzz';
t.comment(`seed ${SEED} (FUZZ_SEED=${SEED} replays this run)`);

// mulberry32: small, seeded, good enough to pick pieces
let state = SEED >>> 0;
const rand = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let x = state;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
};
const pick = (a) => a[Math.floor(rand() * a.length)];

const PIECES = [
  '..', '.', '...', '%2e%2e', '%2E%2E', '%2e%2E', '.%2e', '%2e.', '%2e', '%2f', '%2F', '%5c', '%5C', '\\', '%00', '\0', '%0a', '%0d', '%09', '%7f',
  '%c0%ae', '%c0%ae%c0%ae', '%c0%af', '%c1%9c', '%e0%80%ae', '%f0%80%80%ae', '%ef%bc%8e', '%ef%bc%8f', '%u002e', '%u2215', '..;', ';', ';x=1', '..%3b',
  '%25', '%252e', '%252e%252e', '%252f', '%25252e', '%', '%%', '%2', '%g0', '..%00', '..%c0%af', '..%255c', '....//', '..//..//', '.\\.', '..\\..',
  'secret.txt', 'secret.txt.ts', 'root-sibling', 'vod', 'clip', 'v240p', 'seg_1.m4s', 'master.m3u8', 'link.m3u8', 'up', 'x.ts', 'a128k', 'init.mp4',
  '~', 'C:', 'c:\\', 'CON', 'nul.ts', ' ', '%20', 'é', '%C3%A9', '?x=/../', '#/../', '*', '@', ':', '+', '$', '&', "'", '(', ')', '=', ',', '!',
];
const STARTS = ['/', '/', '/', '/', '//', '', 'http://h', 'http://h/', 'https://x', 'HTTP://H/', '*', '\\', '%2f', '/%2e%2e/', 'http://h/..'];
const JOINS = ['/', '/', '/', '', '\\', '//', '%2f', '%5c'];

// A real object's path in a harmless disguise: letters percent-encoded, a
// query full of dots, absolute-form. Must be served, byte for byte.
function disguised() {
  const key = pick(['vod/clip/master.m3u8', 'vod/clip/v240p/seg_1.m4s', 'vod/clip/x.ts']);
  let s = [...key].map((c) => (/[a-z]/.test(c) && rand() < 0.3 ? `%${c.charCodeAt(0).toString(16)}` : c)).join('');
  if (rand() < 0.3) s += '?../../secret.txt';
  return (rand() < 0.2 ? 'http://h/' : '/') + s;
}

function hostile() {
  if (rand() < 0.05) return disguised();
  let s = pick(STARTS);
  const n = 1 + Math.floor(rand() * 12);
  for (let i = 0; i < n; i++) s += (i ? pick(JOINS) : '') + pick(PIECES);
  if (rand() < 0.05) s += String.fromCharCode(Math.floor(rand() * 256));
  if (rand() < 0.02) s = s.repeat(1 + Math.floor(rand() * 60));
  return s;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-fuzz-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const root = path.join(tmp, 'root');
fs.writeFileSync(path.join(tmp, 'secret.txt'), SECRET);
fs.writeFileSync(path.join(tmp, 'secret.txt.ts'), SECRET);
fs.mkdirSync(path.join(tmp, 'root-sibling'));
fs.writeFileSync(path.join(tmp, 'root-sibling', 'x.ts'), SECRET);
const store = new FileStore(root);
const served = new Map([
  ['vod/clip/master.m3u8', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv240p/index.m3u8\n'],
  ['vod/clip/v240p/seg_1.m4s', 'segment bytes'],
  ['vod/clip/x.ts', 'ts bytes'],
]);
for (const [k, v] of served) await store.put(k, v);
fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(root, 'vod', 'clip', 'link.m3u8'));
fs.symlinkSync(tmp, path.join(root, 'vod', 'up'));
const inside = (p) => p.startsWith(root + path.sep);

t.test(`${PATHS} hostile targets through resolveRequestPath and the FileStore mapping`, async (t) => {
  let routed = 0;
  let keys = 0;
  const escapes = [];
  const started = Date.now();
  for (let i = 0; i < PATHS; i++) {
    const target = hostile();
    const r = resolveRequestPath(target);
    if (!r.ok) {
      if (r.status !== 400 && r.status !== 404) escapes.push(`${JSON.stringify(target)}: status ${r.status}`);
      continue;
    }
    routed++;
    for (const s of r.segments) {
      if (s === '' || s === '.' || s === '..' || /[\\/\0-\x1f\x7f%]/.test(s) || s.startsWith('.')) escapes.push(`${JSON.stringify(target)}: segment ${JSON.stringify(s)}`);
    }
    if (r.path !== `/${r.segments.join('/')}`) escapes.push(`${JSON.stringify(target)}: path ${r.path} is not its segments`);
    if (r.segments.length === 0) continue;
    const key = r.segments.join('/');
    let file;
    try {
      file = store.pathOf(key);
    } catch (e) {
      if (!(e instanceof RangeError)) escapes.push(`${JSON.stringify(target)}: ${e}`);
      continue;
    }
    keys++;
    if (!inside(file) || file !== path.resolve(root, ...r.segments)) escapes.push(`${JSON.stringify(target)} → ${file}`);
  }
  t.same(escapes.slice(0, 20), [], `0 escapes (${routed} routed, ${keys} became store keys, ${Date.now() - started} ms)`);
  t.ok(routed > PATHS / 100 && keys > 0, 'the fuzz reaches the store mapping (not everything is refused early)');
});

t.test(`${OVER_HTTP} of them over HTTP against createHandler(FileStore)`, async (t) => {
  const server = http.createServer(createHandler(store));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => server.close(r)));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  t.teardown(() => agent.destroy());
  const port = server.address().port;
  const once = (target, via) => new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: target, agent: via }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('latin1') }));
    });
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end();
  });
  // A keep-alive socket the server closes (after a parser-level 400) as the
  // client reuses it is a client-side race, not an answer: such a target is
  // asked again on a connection of its own, and must be answered then.
  const get = async (target) => {
    const r = await once(target, agent);
    return r.status === 0 ? once(target, false) : r;
  };
  // http.request refuses targets with spaces or control characters (the raw-socket list covers those)
  const targets = [];
  while (targets.length < OVER_HTTP) {
    const target = hostile();
    if (/^[\x21-\x7e\x80-\xff]+$/.test(target) && !target.includes('#')) targets.push(target);
  }
  const bad = [];
  const statuses = {};
  let ok = 0;
  const started = Date.now();
  for (let i = 0; i < targets.length; i += 64) {
    const batch = targets.slice(i, i + 64);
    const results = await Promise.all(batch.map(get));
    results.forEach((r, j) => {
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.body.includes(SECRET)) bad.push(`${batch[j]}: served the secret`);
      if (![200, 400, 404, 405].includes(r.status)) bad.push(`${batch[j]}: ${r.status} ${r.body.slice(0, 80)}`);
      if (r.status === 200) {
        const p = resolveRequestPath(batch[j]);
        const want = p.ok ? served.get(p.segments.join('/')) : undefined;
        if (r.body !== want) bad.push(`${batch[j]}: 200 with ${JSON.stringify(r.body.slice(0, 40))}`);
        else ok++;
      }
    });
  }
  t.same(bad.slice(0, 20), [], `0 escapes over HTTP (${JSON.stringify(statuses)}, ${Date.now() - started} ms)`);
  t.ok(ok > OVER_HTTP / 50, `${ok} of them named a real object and got exactly its bytes`);
});

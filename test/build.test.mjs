// Both builds of the addon work for real: the node-gyp build (build/Release, or
// the prebuild node-gyp-build picks) and the cmake-js build (build-cmake/).
// The cmake-js build is redone only when a native source is newer than it, so
// repeat runs are fast. Also checks that a missing FFmpeg gives a clear message.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { root } from './helpers/media.mjs';

const require = createRequire(import.meta.url);
const cmakeAddon = path.join(root, 'build-cmake', 'Release', 'ffnode.node');

function newest(dir) {
  let max = fs.statSync(dir).mtimeMs;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return max;
}
const mtime = (p) => (fs.existsSync(p) ? fs.statSync(p).mtimeMs : -1);

/** Node's own headers when installed (so node-gyp needs no download), as node-gyp args. */
function nodedirArgs() {
  const prefix = path.dirname(path.dirname(process.execPath));
  if (process.env.npm_config_nodedir) return [];
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

// Runs in a child: loads one .node directly and through the lib with FFNODE_ADDON.
const probe = `
const addon = process.argv[1];
const b = require(addon);
const v = b.versions();
const f = b.Frame.video({ width: 64, height: 48 });
const live = b.stats().frames;
const plane0 = f.data(0).length, linesize0 = f.linesize(0);
f.free();
const after = b.stats().frames;
process.env.FFNODE_ADDON = addon;
const lib = require(${JSON.stringify(path.join(root, 'dist', 'index.js'))});
const loaded = Object.keys(require.cache).filter((k) => k.endsWith('.node'));
console.log(JSON.stringify({ v, live, plane0, linesize0, after, libAvcodec: lib.versions().libavcodec, loaded }));
`;

function checkAddon(t, file) {
  const r = spawnSync(process.execPath, ['-e', probe, file], { encoding: 'utf8', cwd: root });
  t.equal(r.status, 0, `child loaded ${path.relative(root, file)}`, { stderr: r.stderr });
  if (r.status !== 0) return;
  const o = JSON.parse(r.stdout);
  t.ok(Number.parseInt(o.v.libavcodec, 10) >= 59, `libavcodec ${o.v.libavcodec} >= 59`);
  // setup installs libzimg-dev; both builds must then pick it up (media/scaling.md)
  const zimg = spawnSync('pkg-config', ['--modversion', 'zimg'], { encoding: 'utf8' }).stdout.trim();
  t.equal(o.v.zimg, zimg, `built with the system's zimg (${zimg})`);
  t.equal(o.live, 1, 'one live frame while allocated');
  t.equal(o.linesize0, 64, 'no padding for a 64-pixel row');
  t.equal(o.plane0, 64 * 48, 'plane 0 is 64x48 bytes');
  t.equal(o.after, 0, 'stats().frames back to 0 after free()');
  t.equal(o.libAvcodec, o.v.libavcodec, 'lib works on top of it');
  t.same(o.loaded, [file], 'FFNODE_ADDON made the lib use this very file');
}

t.test('node-gyp build', async (t) => {
  const file = require('node-gyp-build').resolve(root);
  checkAddon(t, file);
});

t.test('cmake-js build', async (t) => {
  const sources = Math.max(newest(path.join(root, 'native')), mtime(path.join(root, 'CMakeLists.txt')));
  if (mtime(cmakeAddon) < sources) {
    const started = new Date();
    // At low priority: the suite runs live tests next to it, and a compile of
    // both cores must not make a live stream miss its real-time checks.
    const r = spawnSync('nice', ['-n', '15', process.execPath, path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js'), 'compile', '--out', 'build-cmake'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    t.equal(r.status, 0, 'cmake-js compile --out build-cmake', { output: r.status === 0 ? '' : (r.stdout + r.stderr).slice(-8000) });
    if (r.status !== 0) return;
    fs.utimesSync(cmakeAddon, started, started); // ninja may have had nothing to relink
  } else {
    t.pass('build-cmake is newer than native/ (not rebuilt)');
  }
  t.ok(mtime(cmakeAddon) >= sources, 'build-cmake/Release/ffnode.node is up to date');
  checkAddon(t, cmakeAddon);
});

t.test('a missing FFmpeg is reported clearly', async (t) => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-nopc-'));
  t.teardown(() => fs.rmSync(empty, { recursive: true, force: true }));
  const env = { ...process.env, PKG_CONFIG_PATH: empty, PKG_CONFIG_LIBDIR: '' };

  t.test('scripts/ffmpeg-check.mjs', async (t) => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'ffmpeg-check.mjs')], { env, encoding: 'utf8' });
    t.not(r.status, 0, 'exits non-zero');
    t.match(r.stderr, /libavcodec not found/);
    t.match(r.stderr, /apt-get install .*libavcodec-dev/, 'names the Debian packages');
    const ok = spawnSync(process.execPath, [path.join(root, 'scripts', 'ffmpeg-check.mjs')], { encoding: 'utf8' });
    t.equal(ok.status, 0, 'and passes with the real pkg-config');
    t.equal(ok.stderr, '');
  });

  t.test('binding.gyp stops at configure with that message', async (t) => {
    // A scratch copy, so the real build/ is untouched.
    const dir = path.join(empty, 'pkg');
    fs.mkdirSync(dir);
    for (const f of ['binding.gyp', 'package.json', 'native', 'scripts']) fs.cpSync(path.join(root, f), path.join(dir, f), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    const gyp = path.join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    const r = spawnSync(process.execPath, [gyp, 'configure', ...nodedirArgs()], { cwd: dir, env, encoding: 'utf8' });
    t.not(r.status, 0, 'configure fails');
    t.match(r.stderr, /libavcodec-dev/);
  });

  t.test('CMakeLists.txt stops at configure with that message', async (t) => {
    const r = spawnSync('cmake', ['-S', root, '-B', path.join(empty, 'cmake')], { env, encoding: 'utf8' });
    t.not(r.status, 0, 'cmake configure fails');
    t.match(r.stderr, /libavcodec-dev/);
  });
});

// The node-gyp build of the addon (build/Release, or the prebuild node-gyp-build
// picks) works for real, and a missing FFmpeg gives a clear message from both
// build systems. The cmake-js build itself is compiled and checked by
// test/package/cmake-build.mjs (`npm run test:package`): a minute of both cores.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkAddon } from './helpers/addon-check.mjs';
import { root } from './helpers/media.mjs';

const require = createRequire(import.meta.url);
/** Node's own headers when installed (so node-gyp needs no download), as node-gyp args. */
function nodedirArgs() {
  const prefix = path.dirname(path.dirname(process.execPath));
  if (process.env.npm_config_nodedir) return [];
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

t.test('node-gyp build', async (t) => {
  const file = require('node-gyp-build').resolve(root);
  checkAddon(t, file);
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

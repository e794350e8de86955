// The cmake-js build (CMakeLists.txt → build-cmake/) compiles and works: the
// same checks as the node-gyp build in test/build.test.mjs. Redone only when a
// native source or CMakeLists.txt is newer than it. Part of `npm run
// test:package`, not `npm test`: from a fresh clone the compile is a minute of
// both cores.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkAddon } from '../helpers/addon-check.mjs';
import { root } from '../helpers/media.mjs';

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

t.test('cmake-js build', async (t) => {
  const sources = Math.max(newest(path.join(root, 'native')), mtime(path.join(root, 'CMakeLists.txt')));
  if (mtime(cmakeAddon) < sources) {
    const started = new Date();
    const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js'), 'compile', '--out', 'build-cmake'], {
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

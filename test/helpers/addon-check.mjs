// Loads one built ffnode.node in a child process, directly and through the
// library with FFNODE_ADDON, and checks it works: the shared check of
// test/build.test.mjs (node-gyp) and test/package/cmake-build.mjs (cmake-js).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { root } from './media.mjs';

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

/**
 * @param {import('tap').Test} t
 * @param {string} file a .node file
 */
export function checkAddon(t, file) {
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

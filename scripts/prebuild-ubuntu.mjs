#!/usr/bin/env node
// `npm run build:prebuilds:ubuntu` (and `prepack`): the prebuilt addon for
// Ubuntu 24.04, whose FFmpeg is 6.1 (libavcodec 60), built inside an Ubuntu
// 24.04 root (scripts/distro/rootfs.mjs) against Ubuntu's own -dev packages:
//
//   prebuilds/linux-x64/ffnode.glibc.avcodec60.node
//
// The same sources, binding.gyp and node-gyp as the build here; Node's headers
// and node come from this machine (N-API: one binary for every Node >= 18).
// Built on Ubuntu's glibc 2.39, it needs that or newer, which is where
// libavcodec.so.60 is anyway. Nothing is done when the prebuild is newer than
// native/ and binding.gyp (the build inside the root is incremental).
//
// Options: --force (rebuild), --if-root (skip, with a note, when not root:
// debootstrap and chroot need it). FFNODE_PREBUILDS=host skips it too (the
// install test packs that way). A skip removes a prebuild older than the sources.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ubuntuRoot, inRoot, sh } from './distro/rootfs.mjs';

const SUITE = 'noble'; // Ubuntu 24.04 LTS
const MAJOR = 60; // its libavcodec
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'prebuilds', 'linux-x64', `ffnode.glibc.avcodec${MAJOR}.node`);
const mtime = (p) => fs.statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? -1;
const newest = (dir) => Math.max(mtime(dir), ...fs.readdirSync(dir).map((f) => mtime(path.join(dir, f))));

const sources = Math.max(mtime(path.join(root, 'binding.gyp')), newest(path.join(root, 'native')), mtime(path.join(root, 'scripts', 'ffmpeg-check.mjs')));
const skip = process.env.FFNODE_PREBUILDS === 'host' ? 'FFNODE_PREBUILDS=host'
  : process.getuid?.() !== 0 && process.argv.includes('--if-root') ? 'not root' : null;
if (skip) {
  // A prebuild older than the sources must not be packed as if it were current.
  const stale = mtime(target) >= 0 && mtime(target) < sources;
  if (stale) fs.rmSync(target);
  console.log(`prebuild-ubuntu: ${skip}, so the Ubuntu 24.04 prebuild is not made${stale ? ' (the stale one was removed)' : ''}`);
  process.exit(0);
}
if (!process.argv.includes('--force') && mtime(target) >= sources) {
  console.log(`prebuild-ubuntu: ${path.relative(root, target)} is up to date`);
  process.exit(0);
}

const t0 = performance.now();
const dir = ubuntuRoot(SUITE);
// The build tree lives in the root (kept between runs, so make is incremental);
// copies keep their times, so only changed files are compiled again.
const work = path.join(dir, 'work', 'ffnode');
fs.mkdirSync(path.join(work, 'scripts'), { recursive: true });
fs.cpSync(path.join(root, 'native'), path.join(work, 'native'), { recursive: true, preserveTimestamps: true });
for (const f of ['binding.gyp', 'package.json', 'scripts/ffmpeg-check.mjs']) fs.cpSync(path.join(root, f), path.join(work, f), { preserveTimestamps: true });
for (const f of fs.readdirSync(path.join(work, 'native'))) if (!fs.existsSync(path.join(root, 'native', f))) fs.rmSync(path.join(work, 'native', f));
const nm = path.join(work, 'node_modules');
if (!fs.existsSync(nm)) fs.symlinkSync('/src/node_modules', nm);
const out = path.join(dir, 'out');
fs.mkdirSync(out, { recursive: true });
const gyp = 'node /src/node_modules/node-gyp/bin/node-gyp.js';
inRoot(dir, [
  'set -e', 'cd /work/ffnode',
  `if [ -f build/Makefile ] && [ build/Makefile -nt binding.gyp ]; then ${gyp} build -j max; else ${gyp} rebuild -j max --nodedir=/opt/host-node; fi`,
  // it must load against Ubuntu's libraries and report the major it is named after
  `node -e "const v = require('./build/Release/ffnode.node').versions(); if (parseInt(v.libavcodec) !== ${MAJOR}) { console.error('runs on libavcodec ' + v.libavcodec); process.exit(1) } console.log('prebuild-ubuntu: loads on Ubuntu ${SUITE}, FFmpeg ' + v.ffmpeg + ', libavcodec ' + v.libavcodec)"`,
  'cp build/Release/ffnode.node /out/ffnode.node && strip --strip-all /out/ffnode.node',
].join('\n'), { binds: { '/src': root, '/out': out } });
fs.mkdirSync(path.dirname(target), { recursive: true });
const tmp = `${target}.${process.pid}.tmp`;
fs.copyFileSync(path.join(out, 'ffnode.node'), tmp);
fs.renameSync(tmp, target); // atomic: a concurrent loader never sees half a file
const deps = sh('objdump', ['-p', target]).split('\n').filter((l) => /NEEDED\s+libav/.test(l)).map((l) => l.trim().split(/\s+/)[1]);
const size = (fs.statSync(target).size / 1024 / 1024).toFixed(1);
console.log(`prebuild-ubuntu: wrote ${path.relative(root, target)} (${size} MiB; needs ${deps.join(', ')}; ${((performance.now() - t0) / 1000).toFixed(1)} s)`);

#!/usr/bin/env node
// `npm run build:prebuilds`, and `prepack` (so `npm pack` / `npm publish` always
// ship one): the prebuilt addon for this platform, named the way node-gyp-build
// looks it up, plus the FFmpeg major it is linked against:
//
//   prebuilds/linux-x64/ffnode.glibc.avcodec59.node
//
// It is build/Release/ffnode.node (scripts/setup.mjs builds it when stale),
// copied and stripped. prebuildify would produce the same file (node-gyp with
// this binding.gyp, N-API, `strip --strip-all`, the `glibc` tag) but compiles
// again with `node-gyp rebuild` in the checkout, deleting build/ under any test
// that is loading it; a copy costs a second instead of a compile.
//
// The `avcodec<N>` tag is ours (node-gyp-build ignores unknown tags): the
// binary needs libavcodec.so.<N> and its siblings at run time, so it only
// loads where the same FFmpeg majors are installed (59 = FFmpeg 5.1, Debian 12).
// lib/native/binding.ts reads the tag to check and explain a mismatch. Other
// majors' prebuilds (built on another distribution) are kept side by side.
//
// Nothing is done when the prebuild for this FFmpeg is newer than native/ and
// binding.gyp. Prebuilds are never committed (prebuilds/ is git-ignored).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const r = (...p) => path.join(root, ...p);
const mtime = (p) => fs.statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? -1;
const force = process.argv.includes('--force');

function newest(dir) {
  let max = mtime(dir);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newest(p) : mtime(p));
  }
  return max;
}

function die(msg) {
  console.error(`prebuilds: ${msg}`);
  process.exit(1);
}

if (os.platform() !== 'linux') die(`only linux prebuilds are made here (this is ${os.platform()})`);
const libc = fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc';

// The system FFmpeg's libavcodec major (what a build here links against).
const pc = spawnSync('pkg-config', ['--modversion', 'libavcodec'], { encoding: 'utf8' });
if (pc.status !== 0) die('pkg-config cannot find libavcodec (run `node scripts/setup.mjs` first)');
const major = Number.parseInt(pc.stdout, 10);

const dir = r('prebuilds', `${os.platform()}-${os.arch()}`);
const target = path.join(dir, `ffnode.${libc}.avcodec${major}.node`);
const sources = Math.max(mtime(r('binding.gyp')), newest(r('native')));

if (!force && mtime(target) >= sources) {
  console.log(`prebuilds: ${path.relative(root, target)} is up to date`);
} else {
  const t0 = performance.now();
  const built = r('build', 'Release', 'ffnode.node');
  if (mtime(built) < sources) {
    // setup builds the addon (and dist/) when stale; it skips the addon when a
    // fresh prebuild exists, which is not the case here.
    const res = spawnSync(process.execPath, [r('scripts', 'setup.mjs')], { stdio: 'inherit' });
    if (res.status !== 0) die('scripts/setup.mjs failed');
    if (mtime(built) < sources) die(`${path.relative(root, built)} is missing or older than native/ after setup`);
  }
  // The copy must load and report the major it is named after.
  const probe = spawnSync(process.execPath, ['-p', `require(${JSON.stringify(built)}).versions().libavcodec`], { encoding: 'utf8' });
  if (probe.status !== 0) die(`build/Release/ffnode.node does not load:\n${probe.stderr.trim()}`);
  if (Number.parseInt(probe.stdout, 10) !== major) {
    die(`build/Release/ffnode.node runs on libavcodec ${probe.stdout.trim()}, pkg-config says ${pc.stdout.trim()}: rebuild it (node scripts/setup.mjs --force-build)`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  fs.copyFileSync(built, tmp);
  const strip = spawnSync('strip', ['--strip-all', tmp], { encoding: 'utf8' });
  if (strip.status !== 0) {
    fs.rmSync(tmp, { force: true });
    die(`strip failed: ${strip.stderr || strip.error?.message}`);
  }
  fs.renameSync(tmp, target); // atomic: a concurrent loader never sees half a file
  const size = (fs.statSync(target).size / 1024 / 1024).toFixed(1);
  console.log(`prebuilds: wrote ${path.relative(root, target)} (${size} MiB, FFmpeg libavcodec ${major}, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

#!/usr/bin/env node
// The package's `install` script (npm runs it unless --ignore-scripts; `npm
// rebuild ffnode --foreground-scripts` reruns it with its output shown).
//
// 1. When an addon already loads (a prebuild for this FFmpeg, or an earlier
//    source build), it says which and stops: no compiler needed.
// 2. Otherwise (or with FFNODE_BUILD_FROM_SOURCE=1 / --build-from-source) it
//    checks the FFmpeg dev files and tools first (one message with the apt-get
//    line if something is missing), then compiles with node-gyp, printing one
//    line per compiled file, and proves the result loads.
// Plain Node ESM with built-ins only; runs from the installed package's root.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEBIAN_PACKAGES, checkFFmpegLibs, missingTools, which } from './ffmpeg-check.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rel = (p) => path.relative(root, p);
const say = (m) => console.log(`ffnode: ${m}`);
const t0 = performance.now();
const secs = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** Loads the addon in a child, exactly as the library does: { file, v } or { error }. */
function probe() {
  const loader = path.join(root, 'dist', 'native', 'binding.js');
  const load = fs.existsSync(loader)
    ? `const b = require(${JSON.stringify(loader)}); r = { file: b.addonPath, v: b.native.versions().libavcodec }`
    : `const f = require('node-gyp-build').resolve(${JSON.stringify(root)}); r = { file: f, v: require(f).versions().libavcodec }`;
  const code = `let r; try { ${load} } catch (e) { r = { error: e.message } } console.log(JSON.stringify(r))`;
  const res = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8' });
  try {
    return JSON.parse(res.stdout.trim().split('\n').pop());
  } catch {
    return { error: `loading it crashed node (exit ${res.status ?? res.signal}): ${res.stderr.trim().split('\n')[0]}` };
  }
}

function fail(msg) {
  console.error(`\nffnode: ${msg}\n`);
  process.exit(1);
}

/** node-gyp: npm's own (npm sets npm_config_node_gyp for install scripts), a local one, or PATH. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && fs.existsSync(fromNpm)) return [process.execPath, fromNpm];
  try {
    return [process.execPath, createRequire(path.join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js')];
  } catch {}
  const onPath = which('node-gyp');
  if (onPath) return [onPath];
  return null;
}

const forced = process.env.FFNODE_BUILD_FROM_SOURCE === '1' || process.env.npm_config_build_from_source === 'true' || process.argv.includes('--build-from-source');
if (!forced) {
  const p = probe();
  if (p.file) {
    const kind = p.file.includes(`${path.sep}prebuilds${path.sep}`) ? 'the prebuilt addon' : 'the addon';
    say(`using ${kind} ${rel(p.file)} (libavcodec ${p.v}); nothing to compile`);
    process.exit(0);
  }
  // The loader's own explanation, minus its advice (this script acts on it).
  const detail = p.error.split('\n').filter((l) => /^  \S.*: /.test(l) && !/^  Build|^    /.test(l));
  say(`no prebuilt addon loads here${detail.length ? ':' : ` (${p.error.split('\n')[0]})`}`);
  for (const l of detail) say(l);
}

// Check before compiling: a missing header otherwise surfaces as a wall of compiler errors.
const libs = checkFFmpegLibs();
const tools = missingTools();
if (!libs.ok || tools.length) {
  const problems = [...(libs.ok ? [] : libs.problems), ...tools.map((t) => `${t.tool} not found`)];
  fail(
    `cannot build the addon from source: ${problems.join('; ')}.\n` +
      '  Install the FFmpeg >= 5.1 development files and a compiler (Debian 12 / Ubuntu 24.04 or newer):\n' +
      `    sudo apt-get install -y --no-install-recommends ${DEBIAN_PACKAGES.join(' ')}\n` +
      '  then run `npm rebuild ffnode --foreground-scripts`. Elsewhere point PKG_CONFIG_PATH at an FFmpeg >= 5.1 build.',
  );
}
const gyp = nodeGyp();
if (!gyp) fail('cannot build the addon from source: node-gyp not found (npm ships one; or `npm install -g node-gyp`).');

const args = [...gyp.slice(1), 'rebuild', '-j', 'max'];
// Node's own headers when installed (no download from nodejs.org).
const prefix = path.dirname(path.dirname(process.execPath));
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const total = fs.readdirSync(path.join(root, 'native')).filter((f) => f.endsWith('.cc')).length;
say(`compiling the addon from source against the system FFmpeg (${total} files, about a minute on 2 cores)…`);

const logFile = path.join(root, 'build-from-source.log');
const log = fs.createWriteStream(logFile);
const child = spawn(gyp[0], args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
let n = 0;
let buf = '';
const onData = (chunk) => {
  log.write(chunk);
  buf += chunk;
  const lines = buf.split('\n');
  buf = lines.pop();
  for (const l of lines) {
    const m = /CXX\(target\) \S*?([^/\s]+\.o)$/.exec(l.trim());
    if (m) say(`  [${++n}/${total}] ${m[1].replace(/\.o$/, '.cc')}`);
    else if (/\berror\b|undefined reference/i.test(l) && !/^gyp (info|http)/.test(l)) console.error(l);
  }
};
child.stdout.on('data', onData);
child.stderr.on('data', onData);
child.on('close', (code) => {
  log.end();
  if (code !== 0) {
    fail(
      `the source build failed (node-gyp exit ${code}); full log: ${logFile}\n` +
        '  Usually the FFmpeg >= 5.1 development files or a C++17 compiler are missing:\n' +
        `    sudo apt-get install -y --no-install-recommends ${DEBIAN_PACKAGES.join(' ')}`,
    );
  }
  const p = probe();
  if (!p.file) fail(`the addon was built but does not load: ${p.error}`);
  say(`built ${rel(p.file)} in ${secs()} (libavcodec ${p.v})`);
});

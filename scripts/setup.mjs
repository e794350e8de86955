#!/usr/bin/env node
// The whole set-up of a fresh Debian/Ubuntu checkout, run by `npm start` and
// `npm test`. Plain Node ESM with built-ins only: it runs before `npm ci`.
//
//   node scripts/setup.mjs [--test] [--force-build] [--verbose]
//
//   --test         also what the tests need: cmake (test/package/cmake-build.mjs,
//                  test/build.test.mjs), tap built for our plugins, and
//                  Debian's chromium (real-player tests; best effort, warns only)
//   --force-build  rebuild the addon and the TypeScript even when fresh
//   --verbose      say why each step is (not) needed
//
// Steps, each skipped when already satisfied (decided from mtimes, never by
// hashing trees; the fresh path spawns pkg-config twice and nothing else):
//   a. system  FFmpeg >= 5.1 dev files (pkg-config), ffmpeg/ffprobe CLIs, a C++
//              compiler, make, python3: apt-get installs what is missing when we
//              are root (or have passwordless sudo); otherwise one message says
//              exactly what to install. zimg's dev files (libzimg-dev: Scaler's
//              fast resizes) are best effort: without them the addon builds
//              with swscale only, and setup warns.
//   b. npm     `npm ci --ignore-scripts` when node_modules/.package-lock.json is
//              missing or package-lock.json is newer and differs from it; `npm
//              install --ignore-scripts` when package.json's dependencies no
//              longer match the lock (the lock is updated: commit it).
//              --ignore-scripts because the only install script in the tree is
//              our own (scripts/install.mjs), which would compile the addon inside
//              npm's output, single-threaded, with errors hard to see; step c
//              builds it once, with -j max and clear errors. A dependency that
//              ever gains an install script is rebuilt explicitly (`npm rebuild`).
//   c. addon   node-gyp when build/Release/ffnode.node is missing or older than
//              binding.gyp or anything in native/ (skipped when it is missing but a
//              prebuild for this FFmpeg major is newer than every source). Incremental `node-gyp
//              build` when only file contents changed; `node-gyp rebuild` when
//              binding.gyp or the set of native/*.cc changed.
//   d. ts      `npm run build:ts` when dist/index.mjs (the last file it writes) is
//              missing or older than lib/**, types/**, tsconfig*.json or
//              scripts/esm-entry.mjs.
//   e. tap     (--test) `tap build` when tap's built Test class does not have
//              the plugins package.json's "tap" config asks for.
// Work that a step does is logged to .cache/setup/*.log.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEBIAN_PACKAGES, checkFFmpegLibs, missingTools, which } from './ffmpeg-check.mjs';

const t0 = performance.now();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = new Set(process.argv.slice(2));
const opts = { test: argv.has('--test'), force: argv.has('--force-build'), verbose: argv.has('--verbose') };
const cacheDir = path.join(root, '.cache', 'setup');
const r = (...p) => path.join(root, ...p);
let didWork = false;

// ---------------------------------------------------------------- utilities

// One line per step that does work: "setup: <what>… <result>".
let pending = false;
function begin(msg) {
  didWork = true;
  endLine();
  process.stdout.write(`setup: ${msg}… `);
  pending = true;
}
function done(msg) {
  process.stdout.write(pending ? `${msg}\n` : `setup: ${msg}\n`);
  pending = false;
}
function endLine() {
  if (pending) process.stdout.write('\n');
  pending = false;
}
function show(text) {
  endLine();
  if (text) console.error(text);
}
function why(msg) {
  if (opts.verbose) console.log(`setup: [${msg}]`);
}
function die(msg) {
  endLine();
  console.error(`\nsetup: ${msg}\n`);
  process.exit(1);
}
function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return -1;
  }
}
const secs = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Newest mtime of a tree (directories included: adding/removing a file bumps one). */
function newest(dir, filter = () => true) {
  let max = -1;
  let entries;
  try {
    max = fs.statSync(dir).mtimeMs;
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return -1;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) max = Math.max(max, newest(p, filter));
    else if (filter(e.name)) max = Math.max(max, mtime(p));
  }
  return max;
}

/** Runs a command with its output in .cache/setup/<log>.log. */
function runLogged(log, cmd, args, { env = process.env } = {}) {
  fs.mkdirSync(cacheDir, { recursive: true });
  const logFile = path.join(cacheDir, `${log}.log`);
  const fd = fs.openSync(logFile, 'w');
  try {
    const res = spawnSync(cmd, args, { cwd: root, env, stdio: ['ignore', fd, fd] });
    if (res.error) fs.writeSync(fd, `\n${cmd}: ${res.error.message}\n`);
    return { ok: res.status === 0, status: res.error ? res.error.code : res.status, logFile };
  } finally {
    fs.closeSync(fd);
  }
}
function tail(file, n, filter = () => true) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(filter);
  return lines.slice(-n).join('\n');
}
const rel = (p) => path.relative(process.cwd(), p) || '.';

// One set-up at a time per checkout: concurrent `npm test` runs would otherwise
// build into the same directories. Taken only once some step has work to do;
// each step re-checks after taking it (the other run may have done the work).
let locked = false;
function lock() {
  if (locked) return;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
  } catch {
    return; // read-only checkout: nothing to build into anyway, let the steps say what is wrong
  }
  const dir = path.join(cacheDir, 'lock');
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'pid'), String(process.pid));
      locked = true;
      const release = () => fs.rmSync(dir, { recursive: true, force: true });
      process.on('exit', release);
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(130));
      return;
    } catch (e) {
      if (e.code !== 'EEXIST') return; // cannot lock (read-only, not our checkout): go on unlocked
    }
    let holder = NaN;
    try {
      holder = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
    } catch {}
    const alive = Number.isInteger(holder) && holder > 0 && (() => {
      try {
        process.kill(holder, 0);
        return true;
      } catch (e) {
        return e.code === 'EPERM';
      }
    })();
    // No pid yet may be a holder between mkdir and write: only a lock older
    // than a few seconds without a live pid is stale.
    if (!alive && Date.now() - mtime(dir) > 5000) {
      fs.rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (!announced) {
      console.log(`setup: waiting for another set-up (pid ${holder || '?'}) in this checkout…`);
      announced = true;
    }
    Atomics.wait(sleeper, 0, 0, 500);
  }
}

// ---------------------------------------------------------------- a. system

function canInstall() {
  if (!which('apt-get')) return null;
  if (process.getuid?.() === 0) return [];
  if (which('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0) return ['sudo', '-n'];
  return null;
}

function apt(prefix, log, args) {
  const cmd = [...prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args];
  return runLogged(log, cmd[0], cmd.slice(1));
}

function systemProblems() {
  const libs = checkFFmpegLibs();
  const tools = missingTools();
  if (opts.test && !which('cmake')) tools.push({ tool: 'cmake (test/build.test.mjs)', pkg: 'cmake' });
  return { libs, tools, ok: libs.ok && tools.length === 0 };
}

function hasZimg() {
  return spawnSync('pkg-config', ['--exists', 'zimg']).status === 0;
}

function hasChromium() {
  return !!which('chromium') || fs.existsSync('/usr/bin/chromium');
}

function stepSystem() {
  let state = systemProblems();
  const wantChromium = opts.test && !hasChromium();
  if (state.ok && !wantChromium && hasZimg()) return why('system: FFmpeg >= 5.1, zimg and tools present');
  lock();
  state = systemProblems();
  const packages = [...DEBIAN_PACKAGES, ...(opts.test ? ['cmake'] : [])];
  const prefix = canInstall();
  let updated = false;
  const update = () => {
    if (updated) return true;
    const u = apt(prefix, 'apt-update', ['update']);
    updated = u.ok;
    if (!u.ok) show(tail(u.logFile, 15));
    return u.ok;
  };

  if (!state.ok) {
    if (prefix) {
      const t = performance.now();
      begin(`system: installing ${packages.join(' ')} with apt-get`);
      if (update()) {
        const res = apt(prefix, 'apt-install', ['install', '-y', '--no-install-recommends', ...packages]);
        if (!res.ok) show(tail(res.logFile, 25));
        else done(`apt-get finished (${secs(t)})`);
      }
      state = systemProblems();
    }
    if (!state.ok) {
      const problems = [...(state.libs.ok ? [] : state.libs.problems), ...state.tools.map((m) => `${m.tool} not found`)];
      die(
        `missing system packages: ${problems.join('; ')}.\n` +
          (prefix ? '  apt-get could not fix it (see .cache/setup/apt-*.log);' : '  Not root and no passwordless sudo, so nothing was installed;') +
          ' install them with:\n' +
          `    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages.join(' ')}\n` +
          '  (FFmpeg >= 5.1 is in Debian 12 and Ubuntu 24.04 or newer; elsewhere set PKG_CONFIG_PATH to an FFmpeg >= 5.1 build.)',
      );
    }
  }

  // Best effort (non-fatal) packages. After a failed install, retry once a day.
  const optional = (pkg, present, purpose) => {
    if (present()) return;
    const failed = path.join(cacheDir, `${pkg}-failed`);
    const warn = (m) => {
      endLine();
      console.warn(`setup: warning: ${m} (${purpose}). Install it with: sudo apt-get install -y --no-install-recommends ${pkg}`);
    };
    if (Date.now() - mtime(failed) < 24 * 3600e3) return warn(`${pkg} missing (apt-get failed at ${new Date(mtime(failed)).toISOString()}; rm ${rel(failed)} to retry now)`);
    if (!prefix) return warn(`${pkg} missing and this user cannot install packages`);
    const t = performance.now();
    begin(`system: installing ${pkg} with apt-get (${purpose})`);
    const res = update() ? apt(prefix, `apt-${pkg}`, ['install', '-y', '--no-install-recommends', pkg]) : { ok: false };
    if (res.ok && present()) done(`installed (${secs(t)})`);
    else {
      fs.mkdirSync(cacheDir, { recursive: true });
      fs.writeFileSync(failed, '');
      warn(`apt-get could not install ${pkg} (see .cache/setup/apt-${pkg}.log)`);
    }
  };
  optional('libzimg-dev', hasZimg, 'Scaler resizes with zimg, about half the CPU of swscale; without it the addon uses swscale');
  if (opts.test) optional('chromium', hasChromium, 'the real-player tests need it');
}

// ---------------------------------------------------------------- b. npm

const DEP_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];
const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));

function depsMatchLock() {
  const pkg = readJson(r('package.json'));
  const lockRoot = readJson(r('package-lock.json')).packages?.[''] ?? {};
  const norm = (o) => JSON.stringify(Object.entries(o ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
  return DEP_FIELDS.every((f) => norm(pkg[f]) === norm(lockRoot[f]));
}

/** True when node_modules holds exactly the tree package-lock.json describes. */
function installedMatchesLock() {
  const want = readJson(r('package-lock.json')).packages ?? {};
  const have = readJson(r('node_modules', '.package-lock.json')).packages ?? {};
  for (const [k, w] of Object.entries(want)) {
    if (k === '') continue;
    const h = have[k];
    if (!h) {
      if (w.optional || w.devOptional) continue; // not installed on this platform
      return false;
    }
    if (h.version !== w.version || (w.integrity && h.integrity && h.integrity !== w.integrity)) return false;
  }
  return Object.keys(have).every((k) => k in want);
}

function npm(log, args) {
  const t = performance.now();
  const res = runLogged(log, 'npm', args);
  if (!res.ok) {
    show(tail(res.logFile, 30));
    die(`\`npm ${args.join(' ')}\` failed (exit ${res.status}); full log: ${rel(res.logFile)}`);
  }
  return secs(t);
}

function npmStale() {
  const hidden = mtime(r('node_modules', '.package-lock.json'));
  const lockM = mtime(r('package-lock.json'));
  if (lockM < 0) return 'no package-lock.json';
  if (hidden < 0) return 'node_modules missing';
  if (mtime(r('package.json')) > hidden && !depsMatchLock()) return 'package.json dependencies changed';
  if (lockM > hidden) {
    if (!installedMatchesLock()) return 'package-lock.json changed';
    fs.utimesSync(r('node_modules', '.package-lock.json'), new Date(), new Date()); // same tree: only the mtime moved
  }
  return null;
}

function stepNpm() {
  const reason = npmStale();
  if (!reason) return why('npm: node_modules matches package-lock.json');
  lock();
  if (!npmStale()) return;
  if (reason === 'no package-lock.json' || reason === 'package.json dependencies changed') {
    begin(`npm: ${reason}; npm install --ignore-scripts`);
    const took = npm('npm-install', ['install', '--ignore-scripts', '--no-audit', '--no-fund']);
    done(`done (${took}); package-lock.json updated: commit it`);
  } else {
    begin(`npm: ${reason}; npm ci --ignore-scripts`);
    done(`done (${npm('npm-ci', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'])})`);
  }
  // --ignore-scripts skipped every install script; run any a dependency has.
  const withScripts = Object.entries(readJson(r('package-lock.json')).packages ?? {})
    .filter(([k, v]) => k !== '' && v.hasInstallScript && fs.existsSync(r(k)))
    .map(([k]) => k.slice(k.lastIndexOf('node_modules/') + 'node_modules/'.length));
  if (withScripts.length) {
    begin(`npm: running the install scripts of ${withScripts.join(', ')}`);
    done(`done (${npm('npm-rebuild', ['rebuild', '--foreground-scripts', ...new Set(withScripts)])})`);
  }
}

// ---------------------------------------------------------------- c. addon

const addonFile = r('build', 'Release', 'ffnode.node');
const nativeSources = () => fs.readdirSync(r('native')).filter((f) => f.endsWith('.cc')).sort();
const sourcesMtime = () => Math.max(mtime(r('binding.gyp')), newest(r('native')));

function prebuildFor() {
  // node-gyp-build's own matching (platform, arch, napi, libc tags), and the
  // FFmpeg major in our avcodec<N> tag (scripts/prebuilds.mjs) must be this system's.
  try {
    const ngb = createRequire(r('package.json'))('node-gyp-build');
    const p = ngb.resolve(root);
    if (!p.startsWith(r('prebuilds') + path.sep)) return null;
    const major = Number.parseInt(spawnSync('pkg-config', ['--modversion', 'libavcodec'], { encoding: 'utf8' }).stdout, 10);
    return path.basename(p).includes(`.avcodec${major}.`) ? p : null;
  } catch {
    return null;
  }
}

function addonStale() {
  if (opts.force) return 'forced';
  const src = sourcesMtime();
  const built = mtime(addonFile);
  if (built < 0) {
    const pre = prebuildFor();
    if (pre && mtime(pre) >= src) {
      why(`addon: using prebuild ${rel(pre)}`);
      return null;
    }
    return 'build/Release/ffnode.node missing';
  }
  return built < src ? 'native sources changed' : null;
}

/** A full `rebuild` is needed when the gyp configuration (binding.gyp, the set of native/*.cc, node) changed. */
function needsConfigure() {
  const makefile = r('build', 'Makefile');
  const targetMk = r('build', 'ffnode.target.mk');
  if (opts.force || mtime(makefile) < 0 || mtime(targetMk) < 0) return true;
  if (mtime(r('binding.gyp')) > mtime(makefile)) return true;
  const mk = fs.readFileSync(targetMk, 'utf8');
  const configured = [...mk.matchAll(/\/native\/([^\s\\/]+)\.o\b/g)].map((m) => `${m[1]}.cc`);
  const wanted = nativeSources();
  return [...new Set(configured)].sort().join() !== wanted.join();
}

function stepAddon() {
  const reason = addonStale();
  if (!reason) return why('addon: build/Release/ffnode.node (or a prebuild) is newer than native/ and binding.gyp');
  lock();
  if (!opts.force && !addonStale()) return;
  let gyp;
  try {
    gyp = fs.realpathSync(r('node_modules', '.bin', 'node-gyp'));
  } catch {
    die('node_modules/.bin/node-gyp not found (did npm ci run?)');
  }
  const full = needsConfigure();
  const args = [gyp, full ? 'rebuild' : 'build', '-j', 'max'];
  // Use the running node's own headers when installed (no download from nodejs.org).
  const prefix = path.dirname(path.dirname(process.execPath));
  if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  const t = performance.now();
  const started = new Date();
  begin(`addon: ${reason}; node-gyp ${full ? 'rebuild' : 'build (incremental)'} -j max`);
  const res = runLogged('node-gyp', process.execPath, args);
  if (!res.ok) {
    // Compiler/linker/gyp diagnostics without node-gyp's info chatter; errors first.
    const lines = fs.readFileSync(res.logFile, 'utf8').split('\n')
      .filter((l) => l && !/^gyp (info|http)|^gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)|^\s*(CXX|SOLINK_MODULE|COPY|TOUCH)\(target\)|^make: (Entering|Leaving)/.test(l));
    const first = lines.findIndex((l) => /error|Error|undefined reference|not found/.test(l));
    const shown = lines.slice(Math.max(0, first - 3), Math.max(0, first - 3) + 60);
    show(shown.join('\n'));
    die(`addon build failed (node-gyp exit ${res.status}); full log: ${rel(res.logFile)}`);
  }
  // make relinks only when an input of the link changed: stamp the output with the
  // build's start time, so an unrelated change in native/ (a README, a removed file)
  // is not retried forever while an edit made during the build still counts as newer.
  fs.utimesSync(addonFile, started, started);
  const warnings = (fs.readFileSync(res.logFile, 'utf8').match(/ warning: /g) ?? []).length;
  // Prove it loads (a missing symbol only shows at dlopen time).
  const load = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addonFile)}).versions()`], { encoding: 'utf8' });
  if (load.status !== 0) die(`build/Release/ffnode.node was built but does not load:\n${load.stderr.trim()}`);
  done(`built ${rel(addonFile)} (${secs(t)}${warnings ? `, ${warnings} compiler warnings in ${rel(res.logFile)}` : ''})`);
}

// ---------------------------------------------------------------- d. typescript

const tsStamp = r('dist', 'index.mjs'); // written last by scripts/esm-entry.mjs

function tsInputsMtime() {
  let m = Math.max(
    newest(r('lib'), (f) => f.endsWith('.ts')),
    newest(r('types'), (f) => f.endsWith('.d.ts')),
    mtime(r('scripts', 'esm-entry.mjs')),
  );
  for (const f of fs.readdirSync(root)) if (/^tsconfig.*\.json$/.test(f)) m = Math.max(m, mtime(r(f)));
  return m;
}

function tsStale() {
  if (opts.force) return 'forced';
  const stamp = mtime(tsStamp);
  if (stamp < 0 || mtime(r('dist', 'index.js')) < 0 || mtime(r('dist', 'index.d.mts')) < 0) return 'dist/ missing';
  return stamp < tsInputsMtime() ? 'lib/ or types/ changed' : null;
}

function stepTs() {
  const reason = tsStale();
  if (!reason) return why('ts: dist/ is newer than lib/, types/ and tsconfig');
  lock();
  if (!opts.force && !tsStale()) return;
  const t = performance.now();
  begin(`ts: ${reason}; npm run build:ts`);
  const res = runLogged('build-ts', 'npm', ['run', '--silent', 'build:ts']);
  if (!res.ok) {
    show(tail(res.logFile, 80));
    die(`TypeScript build failed (exit ${res.status}); full log: ${rel(res.logFile)}`);
  }
  done(`built dist/ (${secs(t)})`);
}

// ---------------------------------------------------------------- e. tap (--test)

// tap builds its Test class for the plugins package.json names; a fresh
// node_modules holds the default build (with the TypeScript and mock plugins
// we turn off). tap rebuilds on its first run, but that run's test processes
// still load the default build: ~1 CPU-s more in each of ~80 processes.
function tapStale() {
  const built = r('node_modules', '@tapjs', 'test', 'test-built', 'dist', 'esm', 'index.js');
  const sig = /export const signature = `([^`]*)`/.exec(fs.existsSync(built) ? fs.readFileSync(built, 'utf8') : '')?.[1];
  if (sig === undefined) return 'no built test class';
  const names = new Set(sig.split('\n').map((l) => l.trim()));
  for (const p of readJson(r('package.json')).tap?.plugin ?? []) {
    const off = p.startsWith('!');
    if (names.has(off ? p.slice(1) : p) === off) return `plugin ${p} not applied`;
  }
  return null;
}

function stepTap() {
  const reason = tapStale();
  if (!reason) return why('tap: built for package.json\'s plugins');
  lock();
  if (!tapStale()) return;
  const t = performance.now();
  begin(`tap: ${reason}; tap build`);
  const res = runLogged('tap-build', r('node_modules', '.bin', 'tap'), ['build']);
  if (!res.ok) {
    show(tail(res.logFile, 30));
    die(`\`tap build\` failed (exit ${res.status}); full log: ${rel(res.logFile)}`);
  }
  done(`built (${secs(t)})`);
}

// ---------------------------------------------------------------- main

stepSystem();
stepNpm();
stepAddon();
stepTs();
if (opts.test) stepTap();
if (didWork) console.log(`setup: ready (${secs(t0)})`);
else why(`setup: everything fresh (${secs(t0)})`);

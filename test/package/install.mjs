// What an npm user gets: `npm pack` (prepack makes the prebuild), the tarball
// installed into an empty project with --ignore-scripts, then:
//   - import and require load the prebuild (addonPath says which file);
//   - a strict TypeScript project compiles against it, a misspelt option does not;
//   - a prebuild for another FFmpeg major is refused with what to do;
//   - the install script without FFmpeg dev files says what to apt-get install;
//   - with no usable prebuild the install script compiles from source, with a
//     line per file, and the result loads.
// The source build is the slow part (~40 s on 2 cores); everything is real.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { root } from '../helpers/media.mjs';

const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
const typesNode = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', '@types', 'node', 'package.json'), 'utf8')).version;
const major = Number.parseInt(spawnSync('pkg-config', ['--modversion', 'libavcodec'], { encoding: 'utf8' }).stdout, 10);
const prebuildName = `ffnode.glibc.avcodec${major}.node`;

// npm test's own npm_* variables (lifecycle event, package paths) must not leak into the inner npm runs.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
function run(cmd, args, cwd, extraEnv = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-install-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
// The from-source fallback compiles the addon (44 s idle, 150 s with the suite's other file running): more than tap's 240 s default per file must be allowed.
t.setTimeout(600_000);
const app = path.join(tmp, 'app');
const installed = path.join(app, 'node_modules', 'ffnode');
const load = `import('ffnode').then((m) => console.log(JSON.stringify({ addon: m.addonPath, v: m.versions().libavcodec })))`;

let tarball;
t.test('npm pack ships dist, the prebuild, assets and the sources for a fallback build', async (t) => {
  const r = run('npm', ['pack', '--json', '--pack-destination', tmp], root, { FFNODE_PREBUILDS: 'host' }); // the Ubuntu prebuild needs a chroot: npm run test:ubuntu
  t.equal(r.status, 0, r.out);
  const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')));
  tarball = path.join(tmp, info.filename);
  const files = info.files.map((f) => f.path);
  for (const want of ['dist/index.mjs', 'dist/index.js', 'dist/index.d.ts', 'dist/index.d.mts', `prebuilds/linux-x64/${prebuildName}`,
    'native/addon.cc', 'binding.gyp', 'scripts/install.mjs', 'scripts/ffmpeg-check.mjs', 'package.json']) {
    t.ok(files.includes(want), `tarball has ${want}`);
  }
  t.ok(files.some((f) => f.startsWith('assets/')), 'tarball has assets/');
  const stray = files.filter((f) => /^(test|\.cache|build|build-cmake|node_modules|examples)\/|^scripts\/(setup|bench|fuzz)/.test(f));
  t.same(stray, [], 'no tests, caches, local builds or dev scripts');
});

t.test('installed with --ignore-scripts, import and require load the prebuild', async (t) => {
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const r = run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', tarball, `@types/node@${typesNode}`], app);
  t.equal(r.status, 0, r.out);
  t.notOk(fs.existsSync(path.join(installed, 'build')), 'nothing was compiled');
  const esm = run(process.execPath, ['-e', load], app);
  t.equal(esm.status, 0, esm.out);
  const got = JSON.parse(esm.stdout);
  t.equal(got.addon, path.join(installed, 'prebuilds', 'linux-x64', prebuildName), 'the prebuild is what loaded');
  t.equal(Number.parseInt(got.v, 10), major, 'it runs on the system libavcodec major');
  const cjs = run(process.execPath, ['-e', `const m = require('ffnode'); console.log(typeof m.transcode, m.addonPath)`], app);
  t.equal(cjs.stdout.trim(), `function ${got.addon}`, cjs.out);
  // With scripts allowed, the install script finds the prebuild and compiles nothing.
  const script = run('npm', ['rebuild', 'ffnode', '--foreground-scripts'], app);
  t.equal(script.status, 0, script.out);
  t.match(script.out, `ffnode: using the prebuilt addon prebuilds/linux-x64/${prebuildName} (libavcodec ${got.v}); nothing to compile`);
  t.notOk(fs.existsSync(path.join(installed, 'build')), 'still nothing compiled');
});

t.test('a strict TypeScript consumer compiles; a misspelt option does not', async (t) => {
  const compilerOptions = { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, types: ['node'] };
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['ok.ts'] }));
  // ok.ts also checks ffnode's .d.ts under the consumer's settings; bad.ts only needs its own error.
  fs.writeFileSync(path.join(app, 'tsconfig.bad.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, skipLibCheck: true }, files: ['bad.ts'] }));
  fs.writeFileSync(path.join(app, 'ok.ts'), [
    "import { transcode, versions, addonPath, FFmpegError } from 'ffnode';",
    "const job = transcode('in.mp4', { out: 'out', ladder: ['720p', '360p'], segmentDuration: 4 });",
    "job.on('progress', (p) => console.log(p.percent?.toFixed(1)));",
    "job.done.catch((e: unknown) => { if (e instanceof FFmpegError) console.log(e.errorName, e.input); });",
    'const v: string = versions().libavcodec;',
    'const p: string = addonPath;',
    'console.log(v, p);',
    '',
  ].join('\n'));
  // one mistake per line; each must be a compile error of its own
  fs.writeFileSync(path.join(app, 'bad.ts'), [
    "import { transcode } from 'ffnode';",
    "transcode('in.mp4', { out: 'out', segmentDuraton: 4 });",
    "transcode('in.mp4', { out: 'out', ladder: ['720'] });",
    "transcode('in.mp4', { out: 'out', preset: 'superfast2' });",
    "transcode('in.mp4', { out: 'out' }).on('progres', () => {});",
    '',
  ].join('\n'));
  const ok = run(tsc, ['-p', 'tsconfig.json'], app);
  t.equal(ok.status, 0, ok.out);
  const bad = run(tsc, ['-p', 'tsconfig.bad.json'], app);
  t.not(bad.status, 0, 'the mistakes fail to compile');
  t.match(bad.out, /bad\.ts\(2,\d+\): error TS2561: .*'segmentDuraton'.*'segmentDuration'/, 'a misspelt option');
  t.match(bad.out, /bad\.ts\(3,\d+\): error TS\d+: .*'"720"'/, "rung '720'");
  t.match(bad.out, /bad\.ts\(4,\d+\): error TS\d+: .*'"superfast2"'/, "preset 'superfast2'");
  t.match(bad.out, /bad\.ts\(5,\d+\): error TS2345: .*'"progres"'/, "event 'progres'");
});

t.test('a prebuild for another FFmpeg major is refused with what to do', async (t) => {
  const dir = path.join(installed, 'prebuilds', 'linux-x64');
  fs.renameSync(path.join(dir, prebuildName), path.join(dir, `ffnode.glibc.avcodec${major - 1}.node`));
  const r = run(process.execPath, ['-e', load], app);
  t.not(r.status, 0);
  t.match(r.out, 'ffnode: no native addon loads on this machine.');
  t.match(r.out, `linked against libavcodec ${major - 1} but runs on libavcodec ${major}`);
  t.match(r.out, 'npm rebuild ffnode --foreground-scripts');
  t.match(r.out, 'libavcodec-dev');
});

t.test('the install script without FFmpeg dev files says what to install', async (t) => {
  const r = run('npm', ['rebuild', 'ffnode', '--foreground-scripts'], app, { PKG_CONFIG_LIBDIR: path.join(tmp, 'no-pkgconfig') });
  t.not(r.status, 0);
  t.match(r.out, 'ffnode: no prebuilt addon loads here:');
  t.match(r.out, `linked against libavcodec ${major - 1}`);
  t.match(r.out, /cannot build the addon from source: libavcodec not found/);
  t.match(r.out, /sudo apt-get install -y --no-install-recommends libavcodec-dev .*g\+\+ make python3/);
  t.notOk(fs.existsSync(path.join(installed, 'build')), 'no compile was attempted');
});

t.test('with no usable prebuild, the install script builds from source with progress', async (t) => {
  const r = run('npm', ['rebuild', 'ffnode', '--foreground-scripts'], app);
  t.equal(r.status, 0, r.out);
  const total = fs.readdirSync(path.join(installed, 'native')).filter((f) => f.endsWith('.cc')).length;
  t.match(r.out, `ffnode: compiling the addon from source against the system FFmpeg (${total} files`);
  const progress = r.out.split('\n').filter((l) => /^ffnode: {3}\[\d+\/\d+\] \S+\.cc$/.test(l));
  t.equal(progress.length, total, 'one progress line per compiled file');
  t.match(r.out, /ffnode: built build\/Release\/ffnode\.node in \d+\.\d s/);
  const esm = run(process.execPath, ['-e', load], app);
  t.equal(esm.status, 0, esm.out);
  t.equal(JSON.parse(esm.stdout).addon, path.join(installed, 'build', 'Release', 'ffnode.node'), 'the source build is what loaded');
  // A second install finds it and compiles nothing.
  const again = run('npm', ['rebuild', 'ffnode', '--foreground-scripts'], app);
  t.equal(again.status, 0, again.out);
  t.match(again.out, 'ffnode: using the addon build/Release/ffnode.node');
  t.notMatch(again.out, 'compiling');
});

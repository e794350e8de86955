// `npm run test:ubuntu`: the packed tarball on Ubuntu 24.04 (FFmpeg 6.1,
// libavcodec 60), in a debootstrapped Ubuntu root (scripts/distro/rootfs.mjs):
// installed into an empty project with --ignore-scripts, it loads the
// avcodec60 prebuild (the avcodec59 one cannot load there and is passed over),
// compiles nothing, and transcodes a synthetic clip into an HLS + DASH ladder
// that this machine's ffprobe then checks.
// Not part of `npm test`: it needs root and the network, and takes ~5 min the
// first time (the root is kept in ~/.cache/ffnode/rootfs/noble).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ubuntuRoot, inRoot } from '../../scripts/distro/rootfs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}
const hostMajor = Number.parseInt(run('pkg-config', ['--modversion', 'libavcodec']).stdout, 10);

t.setTimeout(1_800_000);
if (process.getuid?.() !== 0) {
  t.fail('needs root: debootstrap, mount and chroot');
  process.exit(1);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-ubuntu-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

let tarball;
t.test('both prebuilds are made and packed', async (t) => {
  for (const script of ['prebuilds.mjs', 'prebuild-ubuntu.mjs']) {
    const r = run(process.execPath, [path.join(root, 'scripts', script)], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.equal(r.status, 0, script);
    t.comment(r.out.trim());
  }
  const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp]);
  t.equal(r.status, 0, 'npm pack');
  const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')));
  tarball = path.join(tmp, info.filename);
  const files = info.files.map((f) => f.path);
  for (const major of [hostMajor, 60]) t.ok(files.includes(`prebuilds/linux-x64/ffnode.glibc.avcodec${major}.node`), `the tarball has the avcodec${major} prebuild`);
});

t.test('on Ubuntu 24.04: npm install --ignore-scripts, import, transcode', async (t) => {
  const dir = ubuntuRoot('noble');
  const app = path.join(dir, 'work', 'app');
  fs.rmSync(app, { recursive: true, force: true });
  fs.mkdirSync(app, { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  fs.writeFileSync(path.join(app, 'main.mjs'), `
    import { transcode, addonPath, versions, stats } from 'ffnode';
    const job = transcode('testsrc2=size=640x360:rate=25:duration=4', {
      out: '/out/vod', input: { format: 'lavfi' }, ladder: ['360p', '240p'], preset: 'ultrafast', audio: false, segmentDuration: 2,
    });
    const r = await job.done;
    const s = stats();
    console.log(JSON.stringify({ addon: addonPath, v: versions(), variants: r.variants.map((v) => [v.id, v.height, v.encoder]),
      manifests: r.manifests, live: [s.frames, s.packets, s.objects] }));
  `);
  const out = path.join(tmp, 'out');
  fs.mkdirSync(out);
  fs.copyFileSync(tarball, path.join(dir, 'work', 'ffnode.tgz'));
  inRoot(dir, 'cd /work/app && npm install --ignore-scripts --no-audit --no-fund --prefer-offline /work/ffnode.tgz && node main.mjs > result.json',
    { binds: { '/root/.npm': path.join(os.homedir(), '.npm'), '/out': out } });
  const got = JSON.parse(fs.readFileSync(path.join(app, 'result.json'), 'utf8'));
  t.equal(got.addon, '/work/app/node_modules/ffnode/prebuilds/linux-x64/ffnode.glibc.avcodec60.node', 'the avcodec60 prebuild is what loaded');
  t.match(got.v.ffmpeg, /^6\.1/, `Ubuntu's FFmpeg ${got.v.ffmpeg}`);
  t.equal(Number.parseInt(got.v.libavcodec, 10), 60, `libavcodec ${got.v.libavcodec}`);
  t.notOk(fs.existsSync(path.join(app, 'node_modules', 'ffnode', 'build')), 'nothing was compiled');
  t.same(got.variants.map((v) => v.slice(0, 2)), [['v360p', 360], ['v240p', 240]], `renditions ${JSON.stringify(got.variants)}`);
  t.same(got.live, [0, 0, 0], 'no live native objects at the end');
  const probe = JSON.parse(run('ffprobe', ['-v', 'error', '-of', 'json', '-show_streams', '-show_format', path.join(out, 'vod', 'master.m3u8')]).stdout);
  t.same(probe.streams.map((s) => s.height).sort((a, b) => a - b), [240, 360], 'ffprobe here reads both renditions');
  t.ok(Math.abs(Number(probe.format.duration) - 4) < 0.2, `duration ${probe.format.duration} s`);
  const frames = run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0',
    path.join(out, 'vod', 'manifest.mpd')]).stdout.trim();
  t.equal(Number.parseInt(frames, 10), 100, 'all 100 frames, through the DASH manifest');
});

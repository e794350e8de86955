// The CLI tells the truth: --version, libav's log behind --log-level, the
// encoder actually used, clear messages for a wrong --format and an output
// folder that cannot be made, and Ctrl-C that stops cleanly with exit 130.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { fixtures, ffprobe, root } from './helpers/media.mjs';
import { versions } from '../dist/index.js';

const cli = path.join(root, 'dist', 'cli.js');
const run = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-cli-truth-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

t.test('--version: the package, then the libav it runs on', async (t) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const flag of ['--version', '-v']) {
    const r = run(flag);
    t.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    t.equal(lines[0], `ffnode ${pkg.version}`);
    t.match(lines[1], new RegExp(`^FFmpeg \\S+ \\(libavcodec ${versions().libavcodec.replace(/\./g, '\\.')}, libavformat ${versions().libavformat.replace(/\./g, '\\.')}`));
  }
});

t.test('a wrong --format says so and what to do; libav lines follow --log-level', async (t) => {
  const mp4 = fixtures.h264aac10s();
  const r = run('probe', mp4, '--format', 'mpegts');
  t.equal(r.status, 1);
  const last = r.stderr.trim().split('\n').at(-1);
  t.equal(last, `ffnode: ${mp4} is not MPEG-TS (--format mpegts): End of file; drop --format to let ffnode detect it`);
  const libav = r.stderr.split('\n').filter((l) => l.startsWith('ffnode: libav: '));
  t.ok(libav.length > 0, 'at the default level (warning) the demuxer warnings show, prefixed');
  t.match(libav[0], /^ffnode: libav: \[mpegts @ 0x[0-9a-f]+\] /);
  t.notOk(r.stderr.split('\n').some((l) => l && !l.startsWith('ffnode: ')), 'no raw libav line on stderr');
  const q = run('probe', mp4, '--format', 'mpegts', '--log-level', 'error');
  t.equal(q.stderr.split('\n').filter((l) => l.startsWith('ffnode: libav: ')).length, 0, '--log-level error hides the warnings');
  t.equal(q.status, 1);
  const bad = run('probe', mp4, '--log-level', 'loud');
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--log-level must be one of quiet, error, warning, info, debug, not 'loud'/);
});

t.test('--hw-device cuda without CUDA: says which encoder ran and why', async (t) => {
  const out = path.join(tmp, 'hw');
  const r = run('transcode', fixtures.h264aac10s(), '--out', out, '--ladder', '240p', '--preset', 'ultrafast', '--no-audio', '--quiet', '--hw-device', 'cuda');
  if (versions && /_nvenc/.test(r.stdout)) return t.pass('this machine encodes with NVENC: nothing fell back');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /^ffnode: warning: --hw-device cuda: v240p encoded with libx264 \(software\): cuda: .+/m);
  t.match(r.stdout, /v240p: 426x240 \d+k libx264/);
  t.equal(run('transcode', fixtures.h264aac10s(), '--out', path.join(tmp, 'hw2'), '--ladder', '240p', '--preset', 'ultrafast', '--no-audio', '--quiet', '--hw-device', 'cuda', '--strict').status, 3, '--strict counts the fallback');
});

t.test('--out under /proc: a clear error within seconds, not a spin', async (t) => {
  const started = Date.now();
  const r = run('transcode', fixtures.h264aac10s(), '--out', '/proc/ffnode-test/vod', '--quiet', '--ladder', '240p');
  t.ok(Date.now() - started < 15_000, `exited after ${Date.now() - started} ms`);
  t.equal(r.status, 1, r.stderr);
  t.match(r.stderr, /^ffnode: cannot create the output folder \/proc\/ffnode-test: .*\(ENOENT\)\n$/);
});

t.test('a read-only output mount: EROFS, named', async (t) => {
  const ro = path.join(tmp, 'ro');
  fs.mkdirSync(ro);
  try {
    execFileSync('mount', ['-o', 'bind,ro', ro, ro], { stdio: 'pipe' });
  } catch (e) {
    return t.skip(`cannot bind-mount read-only here (${String(e.stderr ?? e.message).trim()})`);
  }
  t.teardown(() => execFileSync('umount', [ro]));
  const r = run('transcode', fixtures.h264aac10s(), '--out', path.join(ro, 'vod'), '--quiet', '--ladder', '240p');
  t.equal(r.status, 1);
  t.equal(r.stderr, `ffnode: cannot create the output folder ${path.join(ro, 'vod')}: read-only file system (EROFS)\n`);
});

t.test('Ctrl-C stops a transcode: exit 130, manifests list only segments that exist', async (t) => {
  const out = path.join(tmp, 'int');
  const child = spawn(process.execPath, [cli, 'transcode', 'testsrc2=size=640x360:rate=25:duration=600', '--format', 'lavfi',
    '--out', out, '--ladder', '360p', '--segment-duration', '1', '--preset', 'ultrafast', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // SIGINT 2 s after the first segment is out (start-up is slower on a loaded machine)
  for (const end = Date.now() + 60_000; Date.now() < end && !(fs.existsSync(path.join(out, 'v360p')) && fs.readdirSync(path.join(out, 'v360p')).some((f) => /^seg_\d+\.m4s$/.test(f)));)
    await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 2000));
  const sent = Date.now();
  child.kill('SIGINT');
  const code = await new Promise((r) => child.on('exit', (c) => r(c)));
  t.equal(code, 130, stderr);
  t.ok(Date.now() - sent < 3000, `exited ${Date.now() - sent} ms after SIGINT`);
  t.match(stderr, /ffnode: interrupted/);
  const playlist = fs.readFileSync(path.join(out, 'v360p', 'index.m3u8'), 'utf8');
  const segs = playlist.split('\n').filter((l) => l && !l.startsWith('#'));
  t.ok(segs.length > 0, `${segs.length} segments listed`);
  for (const s of segs) t.ok(fs.existsSync(path.join(out, 'v360p', s)), `${s} exists`);
  t.match(playlist, /#EXT-X-ENDLIST/);
  const probe = ffprobe(path.join(out, 'master.m3u8'));
  t.ok(probe.streams.some((s) => s.height === 360), 'ffprobe opens what was left');
  const mpd = fs.readFileSync(path.join(out, 'manifest.mpd'), 'utf8');
  t.match(mpd, /<MPD /);
  t.ok(ffprobe(path.join(out, 'manifest.mpd')).streams.length > 0, 'ffprobe opens the MPD');
});

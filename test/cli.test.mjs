import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixtures, fixture, fixturesDir, h264aac12s, ffprobe, root } from './helpers/media.mjs';

const cli = path.join(root, 'dist', 'cli.js');
const run = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-cli-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

t.test('--help for every command', async (t) => {
  for (const args of [['--help'], ['transcode', '--help'], ['probe', '--help'], ['remux', '--help']]) {
    const r = run(...args);
    t.equal(r.status, 0, `${args.join(' ')} exits 0`);
    t.match(r.stdout, /Usage: ffnode/);
  }
  t.match(run('transcode', '--help').stdout, /--segment-duration/);
});

t.test('transcode writes master.m3u8 and manifest.mpd', async (t) => {
  const out = path.join(tmp, 'vod');
  const r = run('transcode', h264aac12s(60), '--out', out, '--ladder', '480p,360p', '--segment-duration', '4', '--preset', 'ultrafast');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /v480p: 854x480 1400k libx264/);
  t.match(r.stdout, /wrote .*master\.m3u8.*manifest\.mpd/);
  t.ok(fs.existsSync(path.join(out, 'master.m3u8')) && fs.existsSync(path.join(out, 'manifest.mpd')));
  const probe = ffprobe(path.join(out, 'master.m3u8'));
  t.ok(probe.streams.some((s) => s.codec_type === 'video' && s.height === 480), 'ffprobe opens the master playlist');
});

t.test('probe and remux', async (t) => {
  const p = run('probe', fixtures.h264aac10s());
  t.equal(p.status, 0);
  t.match(p.stdout, /#0 video: h264 \(High\) avc1\.64/);
  t.match(p.stdout, /#1 audio: aac \(LC\) mp4a\.40\.2 48000 Hz/);
  const j = JSON.parse(run('probe', fixtures.h264aac10s(), '--json').stdout);
  t.equal(j.streams[0].width, 640);
  const out = path.join(tmp, 'r.ts');
  const r = run('remux', fixtures.h264aac10s(), out);
  t.equal(r.status, 0);
  t.match(r.stdout, /h264_mp4toannexb/);
  t.equal(ffprobe(out).streams.length, 2);
});

t.test('bad input and options: one line on stderr, non-zero exit', async (t) => {
  const cases = [
    [['transcode', '/nonexistent.mp4', '--out', path.join(tmp, 'x')], 1, /^ffnode: avformat_open_input \(\/nonexistent\.mp4\): No such file or directory\n$/],
    [['transcode', fixtures.h264aac10s()], 2, /--out <dir> is required/],
    [['transcode', fixtures.h264aac10s(), '--out', tmp, '--segment-duration', '30'], 2, /--segment-duration must be/],
    [['transcode', fixtures.h264aac10s(), '--out', tmp, '--segment-format', 'webm'], 2, /--segment-format must be/],
    [['transcode', fixtures.h264aac10s(), '--out', tmp, '--ladder', '999p'], 1, /unknown rung '999p'/],
    [['transcode', fixtures.h264aac10s(), '--out', tmp, '--bogus'], 2, /Unknown option '--bogus'/],
    [['nope'], 2, /unknown command 'nope'/],
    [['probe', '/nonexistent.mp4'], 1, /No such file/],
    [['remux', fixtures.h264aac10s()], 2, /expected <input> <output>/],
  ];
  for (const [args, code, re] of cases) {
    const r = run(...args);
    t.equal(r.status, code, `${args.join(' ')} → exit ${code}`);
    t.match(r.stderr, re);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});

// A source whose keyframes (every 1.5 s) miss the 1 s segment grid: a 'source' rung cannot be copied.
const misfit = () => fixture('gop-misfit.mp4', [
  '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30:duration=3', '-an',
  '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '45', '-keyint_min', '45', '-sc_threshold', '0',
]);
const warningLines = (stderr) => stderr.split('\n').filter((l) => l.startsWith('ffnode: warning: '));

t.test('transcode prints what changed the plan; --strict exits 3 with complete outputs', async (t) => {
  const out = path.join(tmp, 'misfit');
  const r = run('transcode', misfit(), '--out', out, '--ladder', 'source,480p', '--segment-duration', '1', '--preset', 'ultrafast', '--no-audio', '--quiet');
  t.equal(r.status, 0, `without --strict the job succeeds (${r.stderr})`);
  const w = warningLines(r.stderr);
  t.equal(w.length, 1, 'one warning line');
  t.match(w[0], /^ffnode: warning: passthrough rung dropped: the ladder asked for a 'source' rung/, 'says what was asked');
  t.match(w[0], /only v480p is produced instead/, 'says what was done instead');
  t.match(w[0], /because no source keyframe at 1\.000 s of the 1 s grid/, 'says why');
  t.match(r.stdout, /v480p: 640x480/);
  t.notMatch(r.stdout, /source:/, 'the dropped rung is not in the result');

  const strictOut = path.join(tmp, 'misfit-strict');
  const s = run('transcode', misfit(), '--out', strictOut, '--ladder', 'source,480p', '--segment-duration', '1', '--preset', 'ultrafast', '--no-audio', '--quiet', '--strict');
  t.equal(s.status, 3, '--strict: exit 3');
  t.equal(warningLines(s.stderr).length, 1);
  t.match(s.stderr, /1 warning with --strict: exit 3/);
  t.ok(fs.existsSync(path.join(strictOut, 'master.m3u8')) && fs.existsSync(path.join(strictOut, 'manifest.mpd')), 'outputs still complete');
  t.match(run('transcode', '--help').stdout, /--strict/);
  t.match(run('--help').stdout, /3 {2}done, but with warnings, and --strict was given/);
});

t.test('an honest job prints no warning and exits 0, also with --strict', async (t) => {
  const r = run('transcode', misfit(), '--out', path.join(tmp, 'honest'), '--ladder', '480p', '--segment-duration', '1', '--preset', 'ultrafast', '--no-audio', '--quiet', '--strict');
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr, '', 'nothing on stderr');
  const m = run('remux', fixtures.h264aac10s(), path.join(tmp, 'honest.mkv'), '--strict');
  t.equal(m.status, 0, m.stderr);
  t.equal(m.stderr, '');
});

t.test('remux warns about the input streams it leaves out', async (t) => {
  const srt = path.join(fixturesDir, 'one-cue.srt');
  if (!fs.existsSync(srt)) fs.mkdirSync(fixturesDir, { recursive: true }), fs.writeFileSync(srt, '1\n00:00:00,000 --> 00:00:01,000\nhello\n');
  const withSubs = fixture('with-subs.mkv', ['-i', fixtures.h264aac10s(), '-i', srt, '-map', '0', '-map', '1', '-c', 'copy', '-c:s', 'srt']);
  const r = run('remux', withSubs, path.join(tmp, 'subs.mp4'));
  t.equal(r.status, 0, r.stderr);
  const w = warningLines(r.stderr);
  t.equal(w.length, 1);
  t.match(w[0], /input stream #2 \(subtitle, subrip\) was not copied: remux keeps audio and video streams .* unless --streams names others/);
  const s = run('remux', withSubs, path.join(tmp, 'subs2.mp4'), '--strict');
  t.equal(s.status, 3, '--strict: exit 3');
  t.ok(fs.statSync(path.join(tmp, 'subs2.mp4')).size > 0, 'the output is still written');
  // libav's own 'Timestamps are unset' note for this copy is not ffnode's warning (see the report of issue 10)
  const chosen = run('remux', withSubs, path.join(tmp, 'subs3.mp4'), '--streams', '0', '--strict', '--log-level', 'error');
  t.equal(chosen.status, 0, 'streams chosen with --streams: nothing to warn about');
  t.equal(chosen.stderr, '');
});

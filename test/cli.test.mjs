import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixtures, h264aac12s, ffprobe, root } from './helpers/media.mjs';

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

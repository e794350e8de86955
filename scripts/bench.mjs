#!/usr/bin/env node
// npm run bench: the same 20 s 1080p30 source transcoded to the same 4-rung
// x264 ladder (same preset, bitrates, GOP, 6 s segments, AAC audio) by ffnode
// and by the ffmpeg CLI (split + scale + 4 × libx264 + hls muxer, fMP4), in one
// run, alternating. Prints wall time, CPU time and peak RSS of each and the
// ratios (ffnode / CLI). Both run as child processes measured the same way
// (getrusage of the children, through python3, which node-gyp needs anyway).
// ffnode resizes with zimg (bicubic, same B/C as swscale's) where the CLI's
// `scale` uses swscale; --zscale adds a third run, the CLI with `zscale`, to
// show how much of the difference is the scaler.
//
//   node scripts/bench.mjs [--rounds 3] [--seconds 20] [--preset veryfast] [--zscale]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RUNGS, cliLadder } from './bench/ladder.mjs';
import { root, testSource } from './bench/source.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '20' }, preset: { type: 'string', default: 'veryfast' }, zscale: { type: 'boolean', default: false } } });
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const preset = values.preset;
const segment = 6;
const rungs = ['1080p', '720p', '480p', '360p'].map((n) => RUNGS[n]);
const source = testSource({ width: 1920, height: 1080, fps: 30, seconds, ext: 'mp4' });

const gop = segment * 30;
function ffmpegArgs(out, zscale = false) {
  return ['ffmpeg', '-nostdin', '-loglevel', 'error', '-y', '-i', source, ...cliLadder({ rungs, preset, fps: 30, segment, out, zscale })];
}
function ffnodeArgs(out) {
  return [process.execPath, path.join(root, 'dist', 'cli.js'), 'transcode', source, '--out', out, '--ladder', rungs.map((r) => r.name).join(','),
    '--segment-duration', String(segment), '--preset', preset, '--quiet'];
}

// Runs a command and returns wall, user+sys CPU and the peak RSS of the process tree's largest member.
const measure = `
import resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
wall = time.monotonic() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(p.returncode, wall, r.ru_utime + r.ru_stime, r.ru_maxrss)
`;
function run(argv) {
  const r = spawnSync('python3', ['-c', measure, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const [code, wall, cpu, rssKb] = r.stdout.trim().split(/\s+/).map(Number);
  if (code !== 0) throw new Error(`${argv.slice(0, 3).join(' ')} … exited with ${code}`);
  return { wall, cpu, rss: rssKb / 1024 };
}

const contestants = ['ffnode', 'cli', ...(values.zscale ? ['cli-zscale'] : [])];
const results = Object.fromEntries(contestants.map((c) => [c, []]));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-bench-'));
console.log(`${seconds} s 1080p30 → ${rungs.map((r) => `${r.name} ${r.kbps}k`).join(', ')}; x264 ${preset}, GOP ${gop}, ${segment} s fMP4 segments, AAC 128k; ${rounds} rounds on ${os.cpus().length} cores`);
for (let i = 0; i < rounds; i++) {
  for (const who of i % 2 ? [...contestants].reverse() : contestants) {
    const out = path.join(tmp, `${who}-${i}`);
    fs.mkdirSync(out, { recursive: true });
    const m = run(who === 'ffnode' ? ffnodeArgs(out) : ffmpegArgs(out, who === 'cli-zscale'));
    results[who].push(m);
    console.log(`  round ${i + 1} ${who.padEnd(10)} wall ${m.wall.toFixed(2)} s  cpu ${m.cpu.toFixed(2)} s  peak RSS ${m.rss.toFixed(0)} MiB`);
    fs.rmSync(out, { recursive: true, force: true });
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const med = Object.fromEntries(contestants.map((c) => [c, Object.fromEntries(['wall', 'cpu', 'rss'].map((k) => [k, median(results[c].map((r) => r[k]))]))]));
const others = contestants.slice(1);
console.log(`\nmedian          ${contestants.map((c) => c.padStart(11)).join('')}   ${others.map((c) => `ffnode/${c}`.padStart(18)).join('')}`);
for (const [k, label, digits] of [['wall', 'wall (s)', 2], ['cpu', 'CPU (s)', 2], ['rss', 'peak RSS (MiB)', 0]]) {
  const cells = contestants.map((c) => med[c][k].toFixed(digits).padStart(11)).join('');
  const ratios = others.map((c) => (med.ffnode[k] / med[c][k]).toFixed(3).padStart(18)).join('');
  console.log(`${label.padEnd(15)}${cells}   ${ratios}`);
}
const wallRatio = med.ffnode.wall / med.cli.wall;
const rssRatio = med.ffnode.rss / med.cli.rss;
const target = wallRatio <= 0.9 && rssRatio <= 1;
console.log(`\ntarget (wall ≤ 0.9 × CLI, peak RSS ≤ CLI): ${target ? 'met' : 'NOT met'} (wall ${wallRatio.toFixed(3)}, RSS ${rssRatio.toFixed(3)})`);

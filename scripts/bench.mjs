#!/usr/bin/env node
// npm run bench: the same 20 s 1080p30 source transcoded to the same 4-rung
// x264 ladder (same preset, bitrates, GOP, 6 s segments, AAC audio) by ffnode
// and by the ffmpeg CLI (split + scale + 4 × libx264 + hls muxer, fMP4), in one
// run, alternating. Prints wall time, CPU time and peak RSS of each and the
// ratios (ffnode / CLI). Both run as child processes measured the same way
// (getrusage of the children, through python3, which node-gyp needs anyway).
//
//   node scripts/bench.mjs [--rounds 3] [--seconds 20] [--preset veryfast]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '20' }, preset: { type: 'string', default: 'veryfast' } } });
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const preset = values.preset;
const segment = 6;
const rungs = [
  { name: '1080p', w: 1920, h: 1080, kbps: 5000 },
  { name: '720p', w: 1280, h: 720, kbps: 2800 },
  { name: '480p', w: 854, h: 480, kbps: 1400 },
  { name: '360p', w: 640, h: 360, kbps: 800 },
];

const cache = path.join(root, '.cache', 'bench');
fs.mkdirSync(cache, { recursive: true });
const source = path.join(cache, `src-1080p30-${seconds}s.mp4`);
if (!fs.existsSync(source)) {
  console.log(`making the ${seconds} s 1080p30 source (once)…`);
  const r = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '16', '-g', '60',
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '192k', '-ac', '2', `${source}.tmp.mp4`], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
  fs.renameSync(`${source}.tmp.mp4`, source);
}

const gop = segment * 30;
function ffmpegArgs(out) {
  const split = `[0:v]split=${rungs.length}${rungs.map((_, i) => `[s${i}]`).join('')};` + rungs.map((r, i) => `[s${i}]scale=${r.w}:${r.h}[o${i}]`).join(';');
  const args = ['-nostdin', '-loglevel', 'error', '-y', '-i', source, '-filter_complex', split];
  rungs.forEach((r, i) => args.push('-map', `[o${i}]`));
  args.push('-map', '0:a', '-c:v', 'libx264', '-preset', preset, '-pix_fmt', 'yuv420p', '-g', String(gop), '-sc_threshold', '0',
    '-force_key_frames', `expr:gte(t,n_forced*${segment})`);
  rungs.forEach((r, i) => args.push(`-b:v:${i}`, `${r.kbps}k`, `-maxrate:v:${i}`, `${Math.round(r.kbps * 1.07)}k`, `-bufsize:v:${i}`, `${Math.round(r.kbps * 1.07 * 2)}k`));
  args.push('-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2', '-f', 'hls', '-hls_time', String(segment), '-hls_playlist_type', 'vod',
    '-hls_segment_type', 'fmp4', '-master_pl_name', 'master.m3u8',
    '-var_stream_map', `${rungs.map((_, i) => `v:${i},agroup:aud`).join(' ')} a:0,agroup:aud`,
    '-hls_segment_filename', path.join(out, 'v%v', 'seg_%d.m4s'), path.join(out, 'v%v', 'index.m3u8'));
  return ['ffmpeg', ...args];
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

const results = { ffnode: [], cli: [] };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-bench-'));
console.log(`${seconds} s 1080p30 → ${rungs.map((r) => `${r.name} ${r.kbps}k`).join(', ')}; x264 ${preset}, GOP ${gop}, ${segment} s fMP4 segments, AAC 128k; ${rounds} rounds on ${os.cpus().length} cores`);
for (let i = 0; i < rounds; i++) {
  for (const who of i % 2 ? ['cli', 'ffnode'] : ['ffnode', 'cli']) {
    const out = path.join(tmp, `${who}-${i}`);
    fs.mkdirSync(out, { recursive: true });
    const m = run(who === 'cli' ? ffmpegArgs(out) : ffnodeArgs(out));
    results[who].push(m);
    console.log(`  round ${i + 1} ${who.padEnd(6)} wall ${m.wall.toFixed(2)} s  cpu ${m.cpu.toFixed(2)} s  peak RSS ${m.rss.toFixed(0)} MiB`);
    fs.rmSync(out, { recursive: true, force: true });
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = {};
for (const k of ['wall', 'cpu', 'rss']) {
  const a = median(results.ffnode.map((r) => r[k]));
  const b = median(results.cli.map((r) => r[k]));
  summary[k] = { ffnode: a, cli: b, ratio: a / b };
}
console.log('\nmedian            ffnode      ffmpeg CLI   ratio (ffnode/CLI)');
console.log(`wall (s)       ${summary.wall.ffnode.toFixed(2).padStart(9)}   ${summary.wall.cli.toFixed(2).padStart(9)}   ${summary.wall.ratio.toFixed(3)}`);
console.log(`CPU (s)        ${summary.cpu.ffnode.toFixed(2).padStart(9)}   ${summary.cpu.cli.toFixed(2).padStart(9)}   ${summary.cpu.ratio.toFixed(3)}`);
console.log(`peak RSS (MiB) ${summary.rss.ffnode.toFixed(0).padStart(9)}   ${summary.rss.cli.toFixed(0).padStart(9)}   ${summary.rss.ratio.toFixed(3)}`);
const target = summary.wall.ratio <= 0.9 && summary.rss.ratio <= 1;
console.log(`\ntarget (wall ≤ 0.9 × CLI, peak RSS ≤ CLI): ${target ? 'met' : 'NOT met'}`);

#!/usr/bin/env node
// npm run bench:live: how many concurrent live 720p30 → 480p + 360p streams
// this machine sustains at ≥ 1.0× real time, ffnode (`serve()`, one process
// for all streams) side by side with the ffmpeg CLI (one process per stream,
// as node-media-server transcodes). Every stream is published over RTMP by
// `ffmpeg -re -stream_loop -1 -i <cached 720p30 FLV> -c copy`, so publishing
// costs little and the same on both sides. Both sides encode the same ladder:
// x264 --preset (veryfast) with tune zerolatency (ffnode's latency 'low'), GOP
// 60 = one 2 s segment, scene cut off, 480p 1400k / 360p 800k (maxrate 1.07×,
// bufsize 2× maxrate), AAC 128k, live fMP4 HLS (6-segment window); ffnode keeps
// it in memory (store 'memory', DASH off), the CLI writes it to tmpfs.
//
// For N = 1, 2, … (each side on its own, alternating sides per N) one step:
// start the side, publish N streams, wait for output, let it warm up
// (--warmup s), then measure for --seconds s: CPU seconds (user + sys from
// /proc/<pid>/stat) and peak RSS (VmHWM) of the transcoding process(es)
// only, and each stream's encoded media time (video frames / 30) against
// wall time. A stream sustains real time when its media advanced ≥ 0.98 ×
// wall and ≤ 1 % of its frames were dropped; a step passes when all do. A
// side stops at its first failing step (or --max).
//
//   node scripts/bench-live.mjs [--seconds 60] [--warmup 5] [--max 8] [--side both|ffnode|ffmpeg] [--preset veryfast]
//
// Results: a table per step, a summary per side, ratios ffnode / ffmpeg, and
// .cache/bench-live.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RUNGS, cliLadder } from './bench/ladder.mjs';
import { freePorts, kill, killAll, killChildrenOnExit, leafPid, listening, sleep, spawnTracked, sumStats, until } from './bench/procs.mjs';
import { errorLine, publishLoop, startServeChild } from './bench/serve-child.mjs';
import { root, testSource } from './bench/source.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    max: { type: 'string', default: '8' },
    side: { type: 'string', default: 'both' },
    preset: { type: 'string', default: 'veryfast' },
    out: { type: 'string', default: path.join(root, '.cache', 'bench-live.json') },
  },
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const max = Number(values.max);
const preset = values.preset;
const sides = values.side === 'both' ? ['ffnode', 'ffmpeg'] : [values.side];
if (!(seconds > 0) || !(warmup >= 0) || !(max >= 1) || !sides.every((s) => s === 'ffnode' || s === 'ffmpeg')) {
  console.error('usage: bench-live.mjs [--seconds S>0] [--warmup S>=0] [--max N>=1] [--side both|ffnode|ffmpeg] [--preset P] [--out FILE]');
  process.exit(2);
}

const FPS = 30;
const SEGMENT = 2;
const LADDER = ['480p', '360p'];
const MIN_SPEED = 0.98; // media seconds per wall second
const MAX_DROPPED = 0.01; // share of frames
const STARTUP_MS = 30_000; // from spawn to every stream's first encoded frames
const STEP_MS = (warmup + seconds) * 1000 + STARTUP_MS + 60_000; // whole step: start, startup, measuring, cleanup
const lifetime = STEP_MS / 1000 + 10; // no ffmpeg child outlives its step by more than this, even if we are SIGKILLed

killChildrenOnExit();
const source = testSource({ width: 1280, height: 720, fps: FPS, seconds: 70, ext: 'flv', crf: 23 });
const tmpRoot = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'ffnode-bench-live-'));
process.on('exit', () => fs.rmSync(tmpRoot, { recursive: true, force: true }));

const publish = (url) => publishLoop(source, url, lifetime);
const exited = (p) => p.exitCode !== null || p.signalCode !== null;

/**
 * The ffmpeg CLI side: one `ffmpeg -listen 1 -i rtmp://…` process per
 * stream, the ladder as cliLadder() writes it with ffnode's low-latency x264
 * settings, live HLS (6-segment window, old segments deleted) into tmpfs.
 * Progress from `-progress pipe:1`.
 */
async function startFfmpeg(n, dir) {
  const ports = await freePorts(n);
  const rungs = LADDER.map((r) => RUNGS[r]);
  const procs = ports.map((port, i) => {
    const out = path.join(dir, `s${i}`);
    fs.mkdirSync(out, { recursive: true });
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', '-listen', '1', '-i', `rtmp://127.0.0.1:${port}/live/s${i}`,
      ...cliLadder({ rungs, preset, fps: FPS, segment: SEGMENT, out,
        // ffnode's latency 'low' (LiveSession): tune zerolatency (no B-frames, no lookahead, sliced threads); a GOP is one segment
        x264: ['-tune', 'zerolatency', '-keyint_min', String(SEGMENT * FPS)],
        hls: ['-hls_list_size', '6', '-hls_flags', 'delete_segments'] })];
    const p = spawnTracked('ffmpeg', args, { lifetime, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stderrText = '';
    p.stderr.on('data', (d) => { p.stderrText = (p.stderrText + d).slice(-2000); });
    p.last = null; // { t, frames, dropped, speed }
    let block = {};
    let buf = '';
    p.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        const eq = line.indexOf('=');
        if (eq < 0) continue;
        const k = line.slice(0, eq), v = line.slice(eq + 1);
        if (k !== 'progress') { block[k] = v; continue; }
        const frames = Number(block.frame) || 0;
        p.last = { t: Date.now(), frames, total: frames, dropped: Number(block.drop_frames) || 0, speed: parseFloat(block.speed) || 0 };
        block = {};
      }
    });
    return { p, port, path: `live/s${i}` };
  });
  if (!(await until(() => procs.every((x) => listening(x.port) || exited(x.p)), 10_000)) || procs.some((x) => exited(x.p)))
    throw new Error(`an ffmpeg listener did not start: ${procs.map((x) => x.p.stderrText).join(' ').trim() || 'timeout'}`);
  return {
    urls: procs.map((x) => `rtmp://127.0.0.1:${x.port}/${x.path}`),
    pids: () => procs.map((x) => leafPid(x.p.pid)),
    alive: () => procs.every((x) => !exited(x.p)),
    why: () => procs.map((x) => errorLine(x.p.stderrText)).filter(Boolean).join(' | '),
    /** per stream: { t, frames, total, dropped, latency } (null until its first progress) */
    async sample() { return procs.map((x) => (x.p.last ? { ...x.p.last, latency: null } : null)); },
    async stop() { for (const x of procs) kill(x.p); },
  };
}

/** The ffnode side: serve() alone in one child process (scripts/bench/serve-child.mjs); snapshots over IPC. */
async function startFfnode(n) {
  const options = { host: '127.0.0.1', httpPort: 0, rtmpPort: 0, store: 'memory', ladder: LADDER, preset, segmentDuration: SEGMENT, hls: true, dash: false,
    audio: { codec: 'aac', bitrate: 128_000, sampleRate: 48_000, channelLayout: 'stereo' }, maxStreams: Math.max(16, n) };
  const server = await startServeChild(options);
  const paths = Array.from({ length: n }, (_, i) => `live/s${i}`);
  return {
    urls: paths.map((p) => `rtmp://127.0.0.1:${server.rtmpPort}/${p}`),
    pids: () => [server.pid],
    alive: server.alive,
    why: server.why,
    async sample() {
      const snap = await server.snapshot();
      if (!snap) return paths.map(() => null);
      return paths.map((p) => {
        const s = snap.streams.find((x) => x.path === p);
        const video = s?.renditions.filter((r) => r.type === 'video') ?? [];
        if (!video.length) return null;
        // the slowest rung is the stream's media time; drops count against all rungs' frames
        return { t: snap.t, frames: Math.min(...video.map((r) => r.frames)), total: video.reduce((a, r) => a + r.frames, 0),
          dropped: video.reduce((a, r) => a + r.dropped, 0), speed: s.speed, latency: s.latency };
      });
    },
    stop: server.stop,
  };
}

/** Worst rung's latency of each stream → { p50: median over streams, p95: max over streams } in ms; null when unknown. */
function latencySummary(samples) {
  const per = samples.map((s) => s?.latency).filter(Boolean).map((l) => {
    const rungs = Object.values(l);
    return { p50: Math.max(...rungs.map((r) => r.p50)), p95: Math.max(...rungs.map((r) => r.p95)) };
  });
  if (!per.length) return null;
  const p50s = per.map((x) => x.p50).sort((a, b) => a - b);
  return { p50: p50s[Math.floor(p50s.length / 2)], p95: Math.max(...per.map((x) => x.p95)) };
}

/** One measured step: `side` transcoding n streams. */
async function step(side, n, deadline) {
  const dir = fs.mkdtempSync(path.join(tmpRoot, `${side}-${n}-`));
  const publishers = [];
  let s = null;
  const result = { side, n, ok: false, reason: null, streams: [], cpu: null, cpuPerStreamMin: null, rssPeak: null, rssPerStream: null, rssIdle: null, latency: null };
  try {
    s = side === 'ffnode' ? await startFfnode(n) : await startFfmpeg(n, dir);
    result.rssIdle = sumStats(s.pids())?.hwm ?? null;
    for (const url of s.urls) publishers.push(publish(url));
    const check = () => {
      if (Date.now() > deadline) throw new Error('step deadline passed');
      const dead = publishers.find(exited);
      if (dead) throw new Error(`a publisher exited (${dead.exitCode ?? dead.signalCode}): ${errorLine(dead.stderrText)}`);
      if (!s.alive()) throw new Error(`the ${side} side exited: ${s.why()}`);
    };
    let started = false;
    const t0 = Date.now();
    while (!started) {
      check();
      if (Date.now() - t0 > STARTUP_MS) throw new Error(`no output from every stream within ${STARTUP_MS / 1000} s`);
      started = (await s.sample()).every((x) => x && x.frames > 0);
      if (!started) await sleep(250);
    }
    await sleep(warmup * 1000);
    check();
    const a = await s.sample();
    const cpuA = { t: Date.now(), ...sumStats(s.pids()) };
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      await sleep(Math.min(1000, end - Date.now()));
      check();
    }
    const b = await s.sample();
    const stats = sumStats(s.pids());
    if (!stats || a.some((x) => !x) || b.some((x) => !x)) throw new Error('lost a process or a stream while measuring');
    const wall = (Date.now() - cpuA.t) / 1000;
    result.streams = a.map((x, i) => {
      const y = b[i];
      const frames = y.frames - x.frames;
      const speed = frames / FPS / ((y.t - x.t) / 1000);
      const dropped = y.dropped - x.dropped;
      const ok = speed >= MIN_SPEED && dropped <= MAX_DROPPED * (y.total - x.total + dropped);
      return { speed: +speed.toFixed(3), frames, dropped, ok, reported: y.speed, latency: y.latency };
    });
    result.cpu = +(stats.cpu - cpuA.cpu).toFixed(2);
    result.cpuPerStreamMin = +((result.cpu / n) * (60 / wall)).toFixed(2);
    result.rssPeak = +stats.hwm.toFixed(1);
    result.rssPerStream = +(stats.hwm / n).toFixed(1);
    result.latency = latencySummary(b);
    result.ok = result.streams.every((x) => x.ok);
    if (!result.ok) result.reason = `below real time: ${result.streams.filter((x) => !x.ok).map((x) => `${x.speed}× ${x.dropped} dropped`).join(', ')}`;
  } catch (e) {
    result.reason = e.message.split('\n')[0].slice(0, 300);
  } finally {
    for (const p of publishers) kill(p);
    await s?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([promise, new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms); })]).finally(() => clearTimeout(t));
}

const fmt = (v, d = 2) => (v === null || v === undefined ? '—' : v.toFixed(d));
const lat = (l) => (l ? `${fmt(l.p50, 0)}/${fmt(l.p95, 0)}` : '—');
function row(r) {
  const speeds = r.streams.length ? `${Math.min(...r.streams.map((x) => x.speed)).toFixed(3)}` : '—';
  return `${r.side.padEnd(7)}${String(r.n).padStart(3)}  ${(r.ok ? 'ok' : 'FAIL').padEnd(5)}${speeds.padStart(10)}${fmt(r.cpu).padStart(10)}${fmt(r.cpuPerStreamMin).padStart(12)}`
    + `${fmt(r.rssPeak, 0).padStart(10)}${fmt(r.rssPerStream, 0).padStart(12)}${lat(r.latency).padStart(14)}${r.reason ? `  ${r.reason}` : ''}`;
}

const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`live 720p30 → ${LADDER.join(' + ')} (+ AAC 128k), x264 ${preset} low latency, GOP ${SEGMENT * FPS}, ${SEGMENT} s fMP4 HLS; `
  + `steps of ${warmup} s warm-up + ${seconds} s measured, N ≤ ${max}; ${os.cpus().length} cores, load average ${load} at start`);
console.log(`real time: every stream's media ≥ ${MIN_SPEED} × wall, ≤ ${MAX_DROPPED * 100} % dropped frames\n`);
console.log(`side     N  pass  min speed   CPU (s)  CPU-s/str/min  RSS (MiB)  RSS/str (MiB)  lat p50/p95 ms`);
const results = [];
const done = new Set();
for (let n = 1; n <= max && done.size < sides.length; n++) {
  for (const side of sides) {
    if (done.has(side)) continue;
    let r;
    try {
      r = await withTimeout(step(side, n, Date.now() + STEP_MS - 10_000), STEP_MS, `${side} N=${n}`);
    } catch (e) {
      killAll(); // the step hung somewhere: none of its children may live on
      r = { side, n, ok: false, reason: e.message, streams: [], cpu: null, cpuPerStreamMin: null, rssPeak: null, rssPerStream: null, latency: null };
    }
    results.push(r);
    console.log(row(r));
    if (!r.ok) done.add(side);
  }
}

const summary = {};
for (const side of sides) {
  const passed = results.filter((r) => r.side === side && r.ok);
  const best = passed.at(-1) ?? null;
  summary[side] = { sustained: best?.n ?? 0, cpuPerStreamMin: best?.cpuPerStreamMin ?? null, rssPerStream: best?.rssPerStream ?? null, rssPeak: best?.rssPeak ?? null,
    rssIdle: best?.rssIdle ?? null, latency: best?.latency ?? null, capped: best?.n === max };
}
console.log('\nsummary (at each side\'s largest sustained N)');
for (const side of sides) {
  const s = summary[side];
  console.log(`  ${side.padEnd(7)} streams sustained ${s.sustained}${s.capped ? '+ (cap)' : ''}, CPU ${fmt(s.cpuPerStreamMin)} CPU-s per stream per minute, `
    + `peak RSS ${fmt(s.rssPerStream, 0)} MiB per stream (${fmt(s.rssPeak, 0)} MiB in all, ${fmt(s.rssIdle, 0)} before the first publish), encode latency p50/p95 ${s.latency ? `${fmt(s.latency.p50, 0)}/${fmt(s.latency.p95, 0)} ms (target < 100 ms: ${s.latency.p95 < 100 ? 'met' : 'NOT met'})` : 'not available'}`);
}
let ratios = null;
if (sides.length === 2) {
  // CPU and RSS compared at the same N: the largest both sustained
  const common = Math.min(summary.ffnode.sustained, summary.ffmpeg.sustained);
  const at = (side) => results.find((r) => r.side === side && r.n === common);
  const a = at('ffnode'), b = at('ffmpeg');
  ratios = { streams: summary.ffmpeg.sustained ? +(summary.ffnode.sustained / summary.ffmpeg.sustained).toFixed(3) : null, atN: common || null,
    cpu: a && b ? +(a.cpuPerStreamMin / b.cpuPerStreamMin).toFixed(3) : null, rss: a && b ? +(a.rssPerStream / b.rssPerStream).toFixed(3) : null };
  console.log(`  ffnode/ffmpeg: streams ${fmt(ratios.streams, 3)}${common ? `; at N=${common}: CPU ${fmt(ratios.cpu, 3)}, RSS ${fmt(ratios.rss, 3)}` : ''}`);
}
fs.mkdirSync(path.dirname(values.out), { recursive: true });
fs.writeFileSync(values.out, JSON.stringify({
  date: new Date().toISOString(), host: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, loadAverageAtStart: load, loadAverageAtEnd: os.loadavg() },
  options: { seconds, warmup, max, sides, preset, ladder: LADDER, fps: FPS, segment: SEGMENT, minSpeed: MIN_SPEED, maxDropped: MAX_DROPPED },
  steps: results, summary, ratios,
}, null, 2));
console.log(`\n→ ${path.relative(process.cwd(), values.out)}; load average at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
process.exit(0);

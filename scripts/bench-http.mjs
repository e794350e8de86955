#!/usr/bin/env node
// npm run bench:http: ffnode's HTTP face under many viewers of live streams,
// side by side with nginx serving the very same files from disk.
//
// ffnode's `serve()` runs alone in a child process with a FileStore in a temp
// directory, transcoding --streams live streams (each published over RTMP by
// `ffmpeg -re -stream_loop -1 -i <cached 360p30 FLV> -c copy`) into --ladder.
// Once every media playlist lists ≥ 3 segments, the same loads hit each side
// in turn while the streams keep transcoding (so every side competes with the
// same encoder load): ffnode's HTTP port, then nginx (Debian's nginx-light,
// installed when missing) serving the store's directory with 1 worker and
// with one per core. Two loads, each --seconds long:
//
//   viewers   --connections simulated players, each on its own keep-alive
//             connection fetching its media playlist and then that
//             playlist's newest segment every --cycle s (default: the segment
//             duration, a live player's pace; --cycle 1 doubles it), spread at random over
//             the period: the latency target is judged here.
//   saturate  autocannon, --connections connections, each alternating the
//             same two requests as fast as the server answers: requests/s.
//
// Per side and load: requests/s, bytes/s, playlist and segment latency
// p50/p99, errors/timeouts/non-2xx, the server's CPU seconds (ffnode's less
// its transcoding, measured with no viewers first) and CPU per 1000
// requests, peak RSS, the load generator's CPU, the streams' encode speed and
// how busy ffnode's JS thread was; ratios ffnode/nginx. Exits 1 when ffnode had any error or non-2xx, or its
// playlist p99 under the viewers load is ≥ 50 ms. Not part of `npm test`.
//
//   node scripts/bench-http.mjs [--seconds 30] [--connections 500] [--streams 2] [--ladder 360p,240p]
//     [--cycle 2] [--loads viewers,saturate] [--sides ffnode,nginx-1,nginx-auto] [--warmup 3]
//     [--baseline 10] [--preset veryfast] [--json FILE]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { saturate } from './bench/http-cannon.mjs';
import { ensureNginx, nginxStats, nginxVersion, startNginx } from './bench/http-nginx.mjs';
import { watchTargets } from './bench/http-targets.mjs';
import { pacedViewers } from './bench/http-viewers.mjs';
import { kill, killChildrenOnExit, procStats, sleep, until } from './bench/procs.mjs';
import { errorLine, publishLoop, startServeChild } from './bench/serve-child.mjs';
import { testSource } from './bench/source.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    connections: { type: 'string', default: '500' },
    streams: { type: 'string', default: '2' },
    ladder: { type: 'string', default: '360p,240p' },
    cycle: { type: 'string' },
    loads: { type: 'string', default: 'viewers,saturate' },
    sides: { type: 'string', default: 'ffnode,nginx-1,nginx-auto' },
    warmup: { type: 'string', default: '3' },
    baseline: { type: 'string', default: '10' },
    preset: { type: 'string', default: 'veryfast' },
    json: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const streams = Number(values.streams);
const ladder = values.ladder.split(',').filter(Boolean);
const SEGMENT = 2;
const cycle = values.cycle === undefined ? SEGMENT : Number(values.cycle);
const loads = values.loads.split(',').filter(Boolean);
const sides = values.sides.split(',').filter(Boolean);
const warmup = Number(values.warmup);
const baseline = Number(values.baseline);
if (!(seconds > 0) || !Number.isInteger(connections) || connections < 1 || !Number.isInteger(streams) || streams < 1 || !ladder.length || !(cycle > 0)
  || !loads.length || !loads.every((l) => l === 'viewers' || l === 'saturate') || !sides.length || !sides.every((s) => ['ffnode', 'nginx-1', 'nginx-auto'].includes(s))
  || !(warmup >= 0) || !(baseline > 0)) {
  console.error('usage: bench-http.mjs [--seconds S>0] [--connections N>=1] [--streams N>=1] [--ladder 360p,240p] [--cycle S>0]\n'
    + '  [--loads viewers,saturate] [--sides ffnode,nginx-1,nginx-auto] [--warmup S>=0] [--baseline S>0] [--preset P] [--json FILE]');
  process.exit(2);
}

// ------------------------------------------------------------ open files
// The load generator holds `connections` sockets, each server as many; the
// children inherit our limit. Node cannot raise it itself, so re-run under
// `ulimit -n` (up to the hard limit) when the soft limit is short.
const NEED_FILES = connections + 1024;
function fileLimits() {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  const n = (v) => (v === 'unlimited' ? Infinity : Number(v));
  return m ? { soft: n(m[1]), hard: n(m[2]) } : { soft: Infinity, hard: Infinity };
}
{
  const { soft, hard } = fileLimits();
  if (soft < NEED_FILES) {
    if (hard < NEED_FILES || process.env.FFNODE_BENCH_HTTP_ULIMIT) {
      console.error(`bench:http: ${connections} connections need about ${NEED_FILES} open files, but the limit is ${soft} (hard ${hard}); raise it (ulimit -n ${NEED_FILES}) or use fewer --connections`);
      process.exit(2);
    }
    const r = spawnSync('sh', ['-c', `ulimit -n ${NEED_FILES} && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
      { stdio: 'inherit', env: { ...process.env, FFNODE_BENCH_HTTP_ULIMIT: '1' } });
    process.exit(r.status ?? 1);
  }
}

const FPS = 30;
const MIN_SEGMENTS = 3; // in every media playlist before any load
const P99_TARGET = 50; // ms, playlists, under the viewers load
const MIN_SPEED = 0.98; // encode speed below which a live stream falls behind (as npm run bench:live judges it)
const STARTUP_MS = 90_000; // server start + first segments of every rendition
const runs = loads.length * sides.length;
const lifetime = (STARTUP_MS + baseline * 1000 + runs * (seconds + warmup + 30) * 1000) / 1000 + 60; // no child outlives us by more than this

killChildrenOnExit();
const source = testSource({ width: 640, height: 360, fps: FPS, seconds: 70, ext: 'flv', crf: 23 });
const nginxBin = sides.some((s) => s.startsWith('nginx')) ? ensureNginxOrExit() : null;
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-bench-http-'));
process.on('exit', () => fs.rmSync(tmpRoot, { recursive: true, force: true }));
const storeDir = path.join(tmpRoot, 'store');
fs.mkdirSync(storeDir);

function ensureNginxOrExit() {
  try {
    return ensureNginx();
  } catch (e) {
    console.error(`bench:http: ${e.message}`);
    process.exit(2);
  }
}

const exited = (p) => p.exitCode !== null || p.signalCode !== null;

/** The ffnode server (serve() alone in a child process) and the video frames of each stream's slowest rung. */
async function startFfnode() {
  const server = await startServeChild({ host: '127.0.0.1', httpPort: 0, rtmpPort: 0, store: storeDir, ladder, preset: values.preset, segmentDuration: SEGMENT,
    hls: true, dash: false, maxStreams: Math.max(16, streams) });
  return {
    ...server,
    port: server.httpPort,
    pids: () => [server.pid],
    /** per stream path: video frames of its slowest rung, at the server's time t (ms); null when unanswered */
    frames: async () => {
      const m = await server.snapshot();
      return m && { t: m.t, elu: m.elu, frames: Object.fromEntries(m.streams.map((x) => [x.path, Math.min(...x.renditions.filter((r) => r.type === 'video').map((r) => r.frames))])) };
    },
  };
}

/** Share of wall time ffnode's JS thread was busy between two snapshots (0–1); null when unknown. */
function loopBusy(a, b) {
  if (!a?.elu || !b?.elu) return null;
  const active = b.elu.active - a.elu.active;
  const idle = b.elu.idle - a.elu.idle;
  return active + idle > 0 ? active / (active + idle) : null;
}

/** Slowest stream's encode speed between two snapshots (media s / wall s); null when unknown. */
function encodeSpeed(a, b) {
  if (!a || !b) return null;
  const speeds = Object.keys(b.frames).map((k) => (b.frames[k] - (a.frames[k] ?? 0)) / FPS / ((b.t - a.t) / 1000));
  return speeds.length === streams ? Math.min(...speeds) : null;
}

const ffnode = await startFfnode();
const paths = Array.from({ length: streams }, (_, i) => `live/s${i}`);
const publishers = paths.map((p) => publishLoop(source, `rtmp://127.0.0.1:${ffnode.rtmpPort}/${p}`, lifetime));
const watcher = watchTargets(storeDir, paths);
const healthy = () => {
  const dead = publishers.find(exited);
  if (dead) throw new Error(`a publisher exited (${dead.exitCode ?? dead.signalCode}): ${errorLine(dead.stderrText)}`);
  if (!ffnode.alive()) throw new Error(`the ffnode server exited: ${ffnode.why()}`);
};
const live = await until(() => { healthy(); watcher.refresh(); return watcher.ready(MIN_SEGMENTS); }, STARTUP_MS, 250);
if (!live) throw new Error(`not every media playlist listed ${MIN_SEGMENTS} segments within ${STARTUP_MS / 1000} s: ${JSON.stringify(watcher.targets)}`);
watcher.start(500);

const servers = { ffnode };
for (const side of sides.filter((s) => s.startsWith('nginx'))) {
  servers[side] = await startNginx({ bin: nginxBin, root: storeDir, workers: side === 'nginx-1' ? 1 : 'auto', tmp: tmpRoot, maxConnections: connections, lifetime });
}
const statsOf = (side) => (side === 'ffnode' ? procStats(ffnode.pids()[0]) : nginxStats(servers[side].pids()));

// Transcoding alone: ffnode's CPU per second with no viewers, subtracted from its CPU under load.
const base = { a: procStats(ffnode.pids()[0]), snap: await ffnode.frames(), t: performance.now() };
await sleep(baseline * 1000);
healthy();
const baseB = procStats(ffnode.pids()[0]);
const transcodeCpuPerS = (baseB.cpu - base.a.cpu) / ((performance.now() - base.t) / 1000);
const baseSnapB = await ffnode.frames();
const baselineSpeed = encodeSpeed(base.snap, baseSnapB);
const baselineLoopBusy = loopBusy(base.snap, baseSnapB);

/** One load against one side, with the server's and the load generator's CPU and memory around it. */
async function measure(load, side) {
  const server = servers[side];
  const port = server.port;
  const targets = watcher.targets;
  if (load === 'saturate' && warmup > 0) await saturate({ port, targets, connections, seconds: warmup });
  healthy();
  const a = statsOf(side);
  const ffA = side === 'ffnode' ? null : procStats(ffnode.pids()[0]);
  const snapA = await ffnode.frames();
  const client = process.cpuUsage();
  const t0 = performance.now();
  let rssPeak = a.rss;
  const sampler = setInterval(() => { const s = statsOf(side); if (s) rssPeak = Math.max(rssPeak, s.rss); }, 250);
  let r;
  try {
    r = load === 'viewers' ? await pacedViewers({ port, targets, viewers: connections, seconds, cycle }) : await saturate({ port, targets, connections, seconds });
  } finally {
    clearInterval(sampler);
  }
  const wall = (performance.now() - t0) / 1000;
  const b = statsOf(side);
  const snapB = await ffnode.frames();
  const used = process.cpuUsage(client);
  healthy();
  if (!b || !server.alive()) throw new Error(`${side} died during the ${load} load`);
  const cpuRaw = b.cpu - a.cpu;
  const speed = encodeSpeed(snapA, snapB);
  // transcoding work is per frame: when the load slowed it down, it cost that much less CPU
  const transcodeShare = speed !== null && baselineSpeed ? Math.min(1.05, speed / baselineSpeed) : 1;
  const cpu = side === 'ffnode' ? Math.max(0, cpuRaw - transcodeCpuPerS * transcodeShare * wall) : cpuRaw;
  // ffnode's own CPU while another side is loaded: its transcoding alone, a check on the baseline
  const ffB = side === 'ffnode' ? null : procStats(ffnode.pids()[0]);
  return {
    ffnodeCpuPerS: side === 'ffnode' ? null : +((ffB.cpu - ffA.cpu) / wall).toFixed(3),
    load, side, ...r, wall: +wall.toFixed(2), serverCpu: +cpu.toFixed(2), serverCpuRaw: +cpuRaw.toFixed(2),
    cpuMsPer1k: r.requests ? +((cpu * 1e6) / r.requests).toFixed(1) : null,
    rssBefore: +a.rss.toFixed(1), rssPeak: +rssPeak.toFixed(1), clientCpu: +((used.user + used.system) / 1e6).toFixed(2),
    encodeSpeed: speed,
    ffnodeLoopBusy: loopBusy(snapA, snapB),
  };
}

// ------------------------------------------------------------ report
const f = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(d));
const cell = (s, w) => String(s).padStart(w);
const nginxWorkers = (side) => (side === 'ffnode' ? '' : ` (${servers[side].workers()}w)`);
function row(r) {
  const cpu = r.side === 'ffnode' ? `${f(r.serverCpu, 2)} (${f(r.serverCpuRaw, 2)})` : f(r.serverCpu, 2);
  return `${(r.side + nginxWorkers(r.side)).padEnd(16)}${cell(f(r.rps, 0), 8)}${cell(f(r.bytesPerSecond / 2 ** 20, 1), 8)}`
    + `${cell(`${f(r.playlist.p50)}/${f(r.playlist.p99)}`, 14)}${cell(`${f(r.segment.p50)}/${f(r.segment.p99)}`, 14)}`
    + `${cell(`${r.errors}/${r.timeouts}/${r.non2xx}`, 10)}${cell(cpu, 15)}${cell(f(r.cpuMsPer1k, 0), 9)}${cell(f(r.rssPeak, 0), 8)}`
    + `${cell(f(r.clientCpu, 2), 9)}${cell(r.encodeSpeed === null ? '—' : `${f(r.encodeSpeed, 3)}×`, 9)}`
    + `${cell(r.ffnodeLoopBusy === null ? '—' : `${f(r.ffnodeLoopBusy * 100, 0)} %`, 7)}${r.late ? `  ${r.late} late cycles` : ''}`;
}

const load0 = os.loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`HTTP: ${connections} viewers of ${streams} live stream(s) (${ladder.join(' + ')} + AAC, ${SEGMENT} s fMP4 HLS, x264 ${values.preset}) — `
  + `${watcher.targets.length} media playlists, each viewer one of them and its newest segment; ${seconds} s per load`);
console.log(`${os.cpus().length} cores (${os.cpus()[0]?.model}), load average ${load0}; Node ${process.version}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE || '4 (default)'}${nginxBin ? `, ${nginxVersion(nginxBin)}` : ''}; `
  + `store ${storeDir} (${spawnSync('stat', ['-f', '-c', '%T', storeDir], { encoding: 'utf8' }).stdout.trim() || '?'})`);
console.log(`transcoding alone: ffnode ${f(transcodeCpuPerS, 2)} CPU-s/s, encode speed ${f(baselineSpeed, 3)}×, JS thread ${f(baselineLoopBusy * 100, 0)} % busy (over ${baseline} s, no viewers)`);
const head = `${'side'.padEnd(16)}${cell('req/s', 8)}${cell('MiB/s', 8)}${cell('pl p50/p99', 14)}${cell('seg p50/p99', 14)} ${cell('err/to/!2xx', 10)}`
  + `${cell('server CPU-s', 15)}${cell('ms/1k', 9)}${cell('RSS', 8)}${cell('client', 9)}${cell('encode', 9)}${cell('loop', 7)}`;

const results = [];
for (const load of loads) {
  console.log(load === 'viewers'
    ? `\nviewers: each connection fetches its playlist then its newest segment every ${cycle} s (${f(connections * 2 / cycle, 0)} req/s offered)`
    : `\nsaturate: autocannon, ${connections} connections alternating playlist / newest segment, no pacing (${warmup} s warm-up first)`);
  console.log(head);
  for (const side of sides) {
    const r = await measure(load, side);
    results.push(r);
    console.log(row(r));
  }
  const ff = results.find((r) => r.load === load && r.side === 'ffnode');
  for (const other of sides.filter((s) => s !== 'ffnode')) {
    const o = results.find((r) => r.load === load && r.side === other);
    if (ff && o) console.log(`  ffnode/${other}: req/s ${f(ff.rps / o.rps, 3)}, CPU per request ${o.cpuMsPer1k ? f(ff.cpuMsPer1k / o.cpuMsPer1k, 2) : '—'}`);
  }
}
const during = results.filter((r) => r.ffnodeCpuPerS !== null).map((r) => f(r.ffnodeCpuPerS, 2));
if (during.length) console.log(`\nffnode transcoding alone: ${f(transcodeCpuPerS, 2)} CPU-s/s with no viewers (subtracted above); ${during.join(', ')} while nginx was loaded`);
const busyClient = results.filter((r) => r.load === 'saturate' && r.clientCpu / r.wall >= 0.9).map((r) => r.side);
if (busyClient.length) console.log(`the load generator used ≥ 90 % of a core against ${busyClient.join(', ')}: there, req/s is a floor of what the server can do`);
const slowed = results.filter((r) => r.encodeSpeed !== null && r.encodeSpeed < MIN_SPEED).map((r) => `${r.side} ${r.load} ${f(r.encodeSpeed, 3)}×`);
if (slowed.length) console.log(`WARNING: the live streams fell below real time (< ${MIN_SPEED}×) during: ${slowed.join(', ')}`);
console.log('\nlatencies in ms (pl: playlist, seg: newest segment); err/to/!2xx: connection errors / timeouts / non-2xx responses;'
  + '\nserver CPU-s: user + system over the load; ffnode\'s less its transcoding (its CPU with no viewers, × the encode speed), raw in parentheses; ms/1k: CPU ms per 1000 requests;'
  + '\nRSS: peak of the server process(es) during the load, MiB; client: the load generator\'s CPU-s; encode: the slowest stream\'s speed during the load;'
  + '\nloop: how busy ffnode\'s JS thread was (event-loop utilisation; while nginx is loaded, for transcoding alone).');

// ------------------------------------------------------------ verdict
const failures = [];
for (const r of results.filter((x) => x.side === 'ffnode')) {
  if (r.errors || r.non2xx) failures.push(`${r.load}: ${r.errors} errors (${r.timeouts} timeouts), ${r.non2xx} non-2xx`);
  if (r.load === 'viewers' && !(r.playlist.p99 < P99_TARGET)) failures.push(`viewers: playlist p99 ${f(r.playlist.p99)} ms ≥ ${P99_TARGET} ms`);
}
const checked = results.some((r) => r.side === 'ffnode');
console.log(!checked ? '\nffnode not measured: nothing to judge'
  : failures.length ? `\nFAIL: ${failures.join('; ')}` : `\nok: ffnode answered every request 2xx${loads.includes('viewers') ? `, playlist p99 < ${P99_TARGET} ms under the viewers load` : ''}`);

if (values.json) {
  fs.mkdirSync(path.dirname(path.resolve(values.json)), { recursive: true });
  fs.writeFileSync(values.json, JSON.stringify({
    date: new Date().toISOString(), host: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, loadAverageAtStart: load0, loadAverageAtEnd: os.loadavg(), node: process.version, nginx: nginxBin && nginxVersion(nginxBin) },
    options: { seconds, connections, streams, ladder, cycle, loads, sides, warmup, baseline, preset: values.preset, segment: SEGMENT },
    uvThreadpoolSize: Number(process.env.UV_THREADPOOL_SIZE) || 4, transcodeCpuPerS, baselineSpeed, baselineLoopBusy, slowed, targets: watcher.targets.map((t) => t.playlist), results, failures,
  }, null, 2));
  console.log(`→ ${values.json}`);
}

watcher.stop();
for (const p of publishers) kill(p);
for (const side of Object.keys(servers)) await servers[side].stop();
process.exit(failures.length ? 1 : 0);

#!/usr/bin/env node
// npm run fuzz — mutated media through Decoder (file and custom I/O), remux,
// Segmenter and transcode, in child workers so a native crash or a hang is
// caught, saved and reproducible. See docs/patterns/fuzzing.md.
//
//   node scripts/fuzz.mjs                      10,000 inputs, seed 1, 2 workers
//   node scripts/fuzz.mjs --count 300 --json   a short run, summary as JSON
//   node scripts/fuzz.mjs --seed 1 --iter 4242 re-run one input (the repro line of a finding)
//
// Exit 0 when every input ended in success or an FFmpegError; 1 on any
// finding (crash, hang, untyped error, leak); 2 on bad arguments.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadSeeds } from './fuzz/seeds.mjs';
import { makeCase, TARGETS } from './fuzz/mutate.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULTS = { count: 10000, seed: 1, jobs: 2, timeout: 10000, transcodeShare: 0.02, targets: TARGETS };

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      count: { type: 'string' }, seed: { type: 'string' }, iter: { type: 'string' }, jobs: { type: 'string' },
      timeout: { type: 'string' }, 'transcode-share': { type: 'string' }, targets: { type: 'string' },
      'crash-dir': { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' }, worker: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const int = (name, v, def, min, max) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) usage(`--${name} must be an integer ${min}..${max}`);
    return n;
  };
  const share = values['transcode-share'] === undefined ? DEFAULTS.transcodeShare : Number(values['transcode-share']);
  if (!(share >= 0 && share <= 1)) usage('--transcode-share must be 0..1');
  const targets = values.targets ? values.targets.split(',') : DEFAULTS.targets;
  if (!targets.length || targets.some((t) => !TARGETS.includes(t))) usage(`--targets takes a comma list of ${TARGETS.join(', ')}`);
  return {
    help: values.help, worker: values.worker, json: values.json, quiet: values.quiet,
    count: int('count', values.count, DEFAULTS.count, 1, 1e9),
    seed: int('seed', values.seed, DEFAULTS.seed, 0, 2 ** 32 - 1),
    iter: values.iter === undefined ? null : int('iter', values.iter, 0, 0, 1e9),
    jobs: int('jobs', values.jobs, DEFAULTS.jobs, 1, 64),
    timeout: int('timeout', values.timeout, DEFAULTS.timeout, 100, 600000),
    transcodeShare: share, targets,
    seedDir: path.join(root, '.cache', 'fuzz', 'seeds'),
    crashDir: path.resolve(values['crash-dir'] ?? path.join(root, '.cache', 'fuzz', 'crashes')),
  };
}

function usage(msg) {
  process.stderr.write(`fuzz: ${msg}\n`);
  process.exit(2);
}

// The command line that re-runs exactly one input.
function reproLine(o, iter) {
  const extra = [];
  if (o.targets !== DEFAULTS.targets) extra.push(`--targets ${o.targets.join(',')}`);
  if (o.transcodeShare !== DEFAULTS.transcodeShare) extra.push(`--transcode-share ${o.transcodeShare}`);
  return `node scripts/fuzz.mjs --seed ${o.seed} --iter ${iter}${extra.length ? ` ${extra.join(' ')}` : ''}`;
}

async function parentMain(o) {
  const seeds = loadSeeds(o.seedDir); // made once here, so workers only read them
  const iters = o.iter === null ? Array.from({ length: o.count }, (_, i) => i) : [o.iter];
  const started = performance.now();
  const counts = { ok: 0, unfit: 0, typed: 0, untyped: 0, leak: 0, crash: 0, hang: 0 };
  const perTarget = Object.fromEntries(o.targets.map((t) => [t, 0]));
  const findings = [];
  const finalStats = [];
  let peakRss = 0; // kernel high-water mark of any worker
  let endRss = 0; // RSS of a worker after its last input (growth shows here)
  let next = 0;
  let done = 0;
  let lastReport = 0;
  const workerArgs = ['--worker', '--seed', String(o.seed), '--targets', o.targets.join(','), '--transcode-share', String(o.transcodeShare)];

  const record = (kind, iter, detail) => {
    const c = makeCase(seeds, o.seed, iter, o);
    fs.mkdirSync(o.crashDir, { recursive: true });
    const base = path.join(o.crashDir, `${kind}-seed${o.seed}-iter${iter}-${c.target}-${path.basename(c.seedName, c.ext)}`);
    fs.writeFileSync(`${base}${c.ext}`, c.data);
    const line = `${kind} ${c.target} ${c.seedName} [${c.ops.join(',')}]: ${detail} — repro: ${reproLine(o, iter)} (input: ${path.relative(root, base)}${c.ext})`;
    fs.writeFileSync(`${base}.txt`, `${line}\n`);
    fs.appendFileSync(path.join(o.crashDir, 'findings.log'), `${new Date().toISOString()} ${line}\n`);
    findings.push(line);
    if (!o.json) process.stderr.write(`fuzz: FINDING ${line}\n`);
  };

  const progress = () => {
    if (o.quiet || o.json || iters.length < 1000) return;
    if (done - lastReport >= iters.length / 10) {
      lastReport = done;
      const s = (performance.now() - started) / 1000;
      process.stderr.write(`fuzz: ${done}/${iters.length} inputs, ${(done / s).toFixed(0)}/s, ${findings.length} findings\n`);
    }
  };

  await new Promise((resolveAll) => {
    let live = 0;
    const start = () => {
      live++;
      const w = { busy: null, timer: null, killedForHang: false, stderr: '' };
      w.proc = fork(fileURLToPath(import.meta.url), workerArgs, { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      w.proc.stderr.on('data', (d) => (w.stderr = (w.stderr + d).slice(-2000)));
      const dispatch = () => {
        if (next >= iters.length) {
          w.proc.send({ type: 'end' });
          return;
        }
        w.busy = iters[next++];
        w.proc.send({ type: 'run', iter: w.busy });
        w.timer = setTimeout(() => {
          w.killedForHang = true;
          w.proc.kill('SIGKILL');
        }, o.timeout);
      };
      w.proc.on('message', (m) => {
        if (m.type === 'ready') return dispatch();
        if (m.type === 'stats') {
          finalStats.push(m.stats);
          peakRss = Math.max(peakRss, m.rss);
          endRss = Math.max(endRss, m.endRss);
          return;
        }
        clearTimeout(w.timer);
        peakRss = Math.max(peakRss, m.rss);
        perTarget[m.target]++;
        counts[m.outcome]++;
        done++;
        const iter = w.busy;
        w.busy = null;
        if (m.outcome === 'untyped' || m.outcome === 'leak') record(m.outcome, iter, m.detail);
        progress();
        dispatch();
      });
      w.proc.on('exit', (code, signal) => {
        clearTimeout(w.timer);
        live--;
        if (w.busy !== null) {
          const iter = w.busy;
          const kind = w.killedForHang ? 'hang' : 'crash';
          counts[kind]++;
          done++;
          perTarget[makeCase(seeds, o.seed, iter, o).target]++;
          const why = w.killedForHang ? `no result within ${o.timeout} ms` : `worker died (${signal ?? `exit code ${code}`})${w.stderr ? `: ${w.stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`;
          record(kind, iter, why);
          progress();
          if (next < iters.length) start();
        }
        if (live === 0) resolveAll();
      });
    };
    for (let i = 0; i < Math.min(o.jobs, iters.length); i++) start();
  });

  const seconds = (performance.now() - started) / 1000;
  const zeroLive = finalStats.length > 0 && finalStats.every((s) => s.frames === 0 && s.packets === 0 && s.objects === 0 && s.leakedFrames === 0 && s.leakedPackets === 0 && s.leakedObjects === 0);
  if (!zeroLive && counts.crash + counts.hang === 0) findings.push(`stats() not zero-live at the end: ${JSON.stringify(finalStats)}`);
  const summary = {
    inputs: done, seconds: Number(seconds.toFixed(2)), perSecond: Number((done / seconds).toFixed(1)), seed: o.seed, jobs: o.jobs,
    ...counts, findings: findings.length, peakRssMB: Math.round(peakRss / 2 ** 20), endRssMB: Math.round(endRss / 2 ** 20), zeroLive, perTarget,
  };
  if (o.json) console.log(JSON.stringify({ ...summary, findingLines: findings }));
  else
    console.log(`fuzz: ${done} inputs in ${seconds.toFixed(1)} s (${summary.perSecond}/s), seed ${o.seed}, ${o.jobs} worker${o.jobs === 1 ? '' : 's'}: ` +
      `ok ${counts.ok}, FFmpegError ${counts.typed}, unfit ${counts.unfit}, untyped ${counts.untyped}, crashes ${counts.crash}, hangs ${counts.hang}, leaks ${counts.leak}; ` +
      `worker RSS peak ${summary.peakRssMB} MB, at the end ${summary.endRssMB} MB; stats zero-live: ${zeroLive ? 'yes' : 'NO'}; ` +
      `targets ${Object.entries(perTarget).map(([k, v]) => `${k} ${v}`).join(', ')}` +
      (findings.length ? `\nfuzz: ${findings.length} finding(s), inputs saved in ${path.relative(root, o.crashDir)}/` : ''));
  process.exit(findings.length ? 1 : 0);
}

const o = options(process.argv.slice(2));
if (o.help) {
  console.log(`Usage: node scripts/fuzz.mjs [options]

  --count N              inputs to run (default ${DEFAULTS.count})
  --seed S               run seed: the same seed gives the same inputs (default ${DEFAULTS.seed})
  --iter K               run only iteration K of the seed (a finding's repro line)
  --jobs J               worker processes (default ${DEFAULTS.jobs})
  --timeout ms           per-input limit before it counts as a hang (default ${DEFAULTS.timeout})
  --transcode-share f    share of inputs that go through transcode() (default ${DEFAULTS.transcodeShare})
  --targets list         ${TARGETS.join(',')} (default all)
  --crash-dir dir        where findings are saved (default .cache/fuzz/crashes)
  --json                 print the summary as one JSON line
  --quiet                no progress lines

Exit 0: no findings; 1: a crash, hang, untyped error or leak (inputs saved); 2: bad arguments.`);
  process.exit(0);
}
if (o.worker) {
  const { workerMain } = await import('./fuzz/worker.mjs');
  await workerMain(o);
} else {
  await parentMain(o);
}

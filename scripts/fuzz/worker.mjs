// A fuzz worker: a child process that runs cases the parent names by iteration
// number and reports each outcome. A native crash or a hang kills only this
// process; the parent sees it, saves the input and starts a new worker.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FFmpegError, setLogLevel, stats } from 'ffnode';
import { loadSeeds } from './seeds.mjs';
import { makeCase } from './mutate.mjs';
import { runCase } from './targets.mjs';

/** Runs one case and classifies it: ok, unfit, typed (FFmpegError), untyped (anything else), leak. */
export async function classify(c, dir) {
  const t0 = performance.now();
  const before = stats();
  let outcome = 'ok';
  let detail = '';
  try {
    if ((await (c.run ? c.run() : runCase(c, dir))) === 'unfit') outcome = 'unfit';
  } catch (e) {
    if (e instanceof FFmpegError) outcome = 'typed';
    else {
      outcome = 'untyped';
      detail = `${e?.constructor?.name ?? typeof e}: ${e?.message ?? String(e)} | ${String(e?.stack ?? '').split('\n').slice(1, 3).map((l) => l.trim()).join(' | ')}`;
    }
  }
  // Frames and packets are freed synchronously: any left by this case is a leak.
  const s = stats();
  if (outcome !== 'untyped' && (s.frames > before.frames || s.packets > before.packets)) {
    outcome = 'leak';
    detail = `left live by the case: ${s.frames - before.frames} frames, ${s.packets - before.packets} packets`;
  }
  return { outcome, detail, ms: performance.now() - t0 };
}

// FFNODE_FUZZ_INJECT=crash@5,hang@7,untyped@9 makes those iterations fail on
// purpose, so test/long/fuzz-short.mjs can prove each kind is detected and saved.
function injected() {
  const m = new Map();
  for (const part of (process.env.FFNODE_FUZZ_INJECT ?? '').split(',').filter(Boolean)) {
    const [kind, at] = part.split('@');
    m.set(Number(at), kind);
  }
  return m;
}

async function inject(kind) {
  if (kind === 'crash') process.kill(process.pid, 'SIGSEGV');
  if (kind === 'hang') await new Promise(() => setInterval(() => {}, 1000));
  if (kind === 'untyped') throw new Error('injected untyped error');
}

// The process's high-water mark (kernel maxrss), so a short spike inside libav counts too.
const peakRss = () => process.resourceUsage().maxRSS * 1024;

export async function workerMain(opts) {
  const inject_ = injected();
  setLogLevel('quiet');
  const seeds = loadSeeds(opts.seedDir);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-fuzz-'));
  process.on('message', async (m) => {
    if (m.type === 'run') {
      const c = makeCase(seeds, opts.seed, m.iter, opts);
      const kind = inject_.get(m.iter);
      const r = kind ? await classify({ ...c, run: () => inject(kind) }, dir) : await classify(c, dir);
      process.send({ type: 'done', iter: m.iter, target: c.target, ...r, rss: peakRss() });
    } else if (m.type === 'end') {
      // Objects close asynchronously; give finalizers a chance so leaks are counted.
      for (let i = 0; i < 3; i++) {
        globalThis.gc?.();
        await new Promise((r) => setTimeout(r, 20));
      }
      fs.rmSync(dir, { recursive: true, force: true });
      process.send({ type: 'stats', stats: stats(), rss: peakRss(), endRss: process.memoryUsage().rss }, () => process.exit(0));
    }
  });
  process.send({ type: 'ready' });
}

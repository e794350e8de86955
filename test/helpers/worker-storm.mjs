// Child process of test/workers.test.mjs: starts worker_threads that use
// ffnode and terminates them mid-operation (or mid-load), some concurrently,
// with randomized delays. Prints one JSON line: stats before/after and what
// the main thread decoded afterwards. A native abort kills this process,
// which is what the parent test checks for.
import { Worker } from 'node:worker_threads';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Decoder, stats } from 'ffnode';

const [file, tsFile, countArg, seedArg] = process.argv.slice(2);
const count = Number(countArg);
let seed = Number(seedArg) >>> 0;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const job = fileURLToPath(new URL('./worker-job.mjs', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-workers-'));
const kinds = ['decode', 'stream', 'transcode', 'remux', 'require'];

async function decodeAll() {
  const dec = await Decoder.open(file);
  let n = 0;
  for await (const f of dec.frames()) {
    n++;
    f.free();
  }
  await dec.close();
  return n;
}

async function settle() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((r) => setImmediate(r));
  }
}

function pick(s) {
  const { frames, packets, objects, leakedFrames, leakedPackets, leakedObjects } = s;
  return { frames, packets, objects, leakedFrames, leakedPackets, leakedObjects };
}

// One worker: terminated `delay` ms after it reports work in flight, or after
// it was created for 'require' (so loading ffnode is what gets cut).
function one(i) {
  const kind = kinds[i % kinds.length];
  const delay = Math.floor(rand() * (kind === 'require' ? 250 : 150));
  const wdir = path.join(dir, String(i));
  fs.mkdirSync(wdir);
  const w = new Worker(job, { workerData: { kind, file, tsFile, dir: wdir } });
  let error = null;
  w.on('error', (e) => (error = e));
  const exited = new Promise((r) => w.once('exit', r));
  let busy = false;
  w.once('message', () => (busy = true));
  const kill = () => setTimeout(() => void w.terminate(), delay);
  if (kind === 'require') kill();
  else w.once('message', kill);
  // busy: the worker had ffnode loaded (and, but for 'require', work in flight) when cut.
  return exited.then(() => ({ kind, delay, busy, error: error && String(error) }));
}

const framesBefore = await decodeAll();
await settle();
const before = pick(stats());
const results = [];
// Waves of up to 5 concurrent workers.
for (let i = 0; i < count; ) {
  const n = Math.min(count - i, 1 + Math.floor(rand() * 5));
  results.push(...(await Promise.all(Array.from({ length: n }, (_, k) => one(i + k)))));
  i += n;
}
await settle();
const after = pick(stats());
const framesAfter = await decodeAll();
fs.rmSync(dir, { recursive: true, force: true });
const cutWhileLoading = results.filter((r) => r.kind === 'require' && !r.busy).length;
console.log(JSON.stringify({ before, after, framesBefore, framesAfter, cutWhileLoading, errors: results.filter((r) => r.error) }));

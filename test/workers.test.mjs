// worker.terminate() with ffnode work in flight (decode, byte-source decode,
// transcode, remux) or while the worker is still loading ffnode must never
// take the process down (it once aborted: a Napi::Error thrown from a strand
// callback during environment teardown), and must not disturb the main
// thread: its stats() are unchanged and it still decodes. The storm runs in
// a child process so an abort is an observable exit signal, not a dead tap.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fixtures } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const storm = fileURLToPath(new URL('./helpers/worker-storm.mjs', import.meta.url));

function runStorm(count, seed) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', storm, fixtures.h264aac10s(), fixtures.mpegts10s(), String(count), String(seed)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

t.test('45 workers terminated mid-decode/transcode/remux/require: the process lives', async (t) => {
  const seed = Number(process.env.FFNODE_STORM_SEED ?? Date.now() % 100000);
  t.comment(`seed ${seed} (FFNODE_STORM_SEED reproduces a run)`);
  // Three storms of 15 at once: the main thread's work overlaps theirs.
  const runs = await Promise.all([0, 1, 2].map((k) => runStorm(15, seed + k)));
  let cutWhileLoading = 0;
  for (const [k, r] of runs.entries()) {
    t.equal(r.signal, null, `storm ${k}: no signal (stderr: ${r.err.slice(-400)})`);
    t.equal(r.code, 0, `storm ${k}: exit code 0`);
    const line = r.out.trim().split('\n').pop() ?? '';
    let res;
    try {
      res = JSON.parse(line);
    } catch {
      t.fail(`storm ${k}: no result line: ${line.slice(0, 200)}`);
      continue;
    }
    t.same(res.after, res.before, `storm ${k}: the main thread's stats() are unchanged`);
    t.equal(res.framesBefore, 300, `storm ${k}: decoded 300 frames before`);
    t.equal(res.framesAfter, 300, `storm ${k}: and still decodes all 300 after`);
    t.same(res.errors, [], `storm ${k}: no worker reported an error event`);
    cutWhileLoading += res.cutWhileLoading;
  }
  // Delays of 0-250 ms spread over the load (import, dlopen, native init): some land mid-require.
  t.ok(cutWhileLoading > 0, `${cutWhileLoading} of 9 'require' workers were terminated while loading ffnode (the rest just after)`);
});

endsWithZeroLive(t);

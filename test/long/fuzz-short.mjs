// A short run of `npm run fuzz` (scripts/fuzz.mjs): 300 mutated inputs through
// Decoder (file and stream), remux, Segmenter and transcode must end in
// success or an FFmpegError — no crash, hang, untyped error or leak. A second
// run injects one of each on purpose to prove the harness catches and saves them.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root } from '../helpers/media.mjs';

const script = path.join(root, 'scripts', 'fuzz.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-fuzz-test-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

function fuzz(args, env = {}) {
  const r = spawnSync(process.execPath, [script, '--json', '--crash-dir', path.join(tmp, args.join('_').replace(/\W+/g, '')), ...args], {
    encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000,
  });
  const last = r.stdout.trim().split('\n').pop();
  let summary = null;
  try {
    summary = JSON.parse(last);
  } catch {
    // reported by the assertions below
  }
  return { status: r.status, summary, stderr: r.stderr };
}

t.test('300 mutated inputs: 0 crashes, hangs, untyped errors, leaks', async (t) => {
  const { status, summary, stderr } = fuzz(['--count', '300', '--seed', '7']);
  t.ok(summary, `a JSON summary (${stderr.slice(-500)})`);
  t.equal(summary.inputs, 300);
  t.same({ crash: summary.crash, hang: summary.hang, untyped: summary.untyped, leak: summary.leak }, { crash: 0, hang: 0, untyped: 0, leak: 0 }, summary.findingLines.join('\n'));
  t.equal(summary.findings, 0);
  t.equal(summary.zeroLive, true, 'workers end with zero live native objects');
  t.equal(status, 0);
  for (const [target, n] of Object.entries(summary.perTarget)) if (target !== 'transcode') t.ok(n > 30, `${target} got ${n} inputs`);
  t.ok(summary.perTarget.transcode > 0, 'transcode ran too');
  t.ok(summary.typed > 0 && summary.ok > 0, 'the mutations reach both outcomes (real inputs and rejected ones)');
  // Only a guard against a runaway (a hang the harness missed): wall time on a
  // loaded or ASan machine is several times a quiet one's (~20 s), so the
  // bound is generous; the findings above are what this test checks.
  t.ok(summary.seconds < 180, `under 180 s (${summary.seconds} s)`);
});

t.test('the harness catches a crash, a hang and an untyped error, and saves each with a repro line', async (t) => {
  const dir = path.join(tmp, 'injected');
  const r = spawnSync(process.execPath, [script, '--json', '--count', '12', '--seed', '3', '--timeout', '2000', '--crash-dir', dir], {
    encoding: 'utf8', env: { ...process.env, FFNODE_FUZZ_INJECT: 'crash@2,hang@4,untyped@6' }, timeout: 120_000,
  });
  const s = JSON.parse(r.stdout.trim().split('\n').pop());
  t.equal(r.status, 1, 'findings: exit 1');
  t.same({ crash: s.crash, hang: s.hang, untyped: s.untyped, inputs: s.inputs }, { crash: 1, hang: 1, untyped: 1, inputs: 12 });
  const saved = fs.readdirSync(dir);
  for (const [kind, iter] of [['crash', 2], ['hang', 4], ['untyped', 6]]) {
    const txt = saved.find((f) => f.startsWith(`${kind}-seed3-iter${iter}-`) && f.endsWith('.txt'));
    t.ok(txt, `${kind} saved`);
    t.match(fs.readFileSync(path.join(dir, txt), 'utf8'), `repro: node scripts/fuzz.mjs --seed 3 --iter ${iter}`);
    t.ok(saved.some((f) => f.startsWith(`${kind}-seed3-iter${iter}-`) && !f.endsWith('.txt')), `${kind} input saved`);
  }
});

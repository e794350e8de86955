// A short run of `npm run fuzz:rtmp` (scripts/fuzz-rtmp.mjs): 20,000 mutated
// handshake/chunk/AMF/connection inputs end in success or an RtmpError — no
// crash, hang or unbounded RSS. Injected crashes and hangs prove the harness sees them.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root } from '../helpers/media.mjs';

const script = path.join(root, 'scripts', 'fuzz-rtmp.mjs');
function fuzz(args) {
  const r = spawnSync(process.execPath, [script, '--json', ...args], { encoding: 'utf8', timeout: 60_000 });
  let summary = null;
  try { summary = JSON.parse(r.stdout.trim().split('\n').pop()); } catch { /* asserted below */ }
  return { status: r.status, summary, stderr: r.stderr };
}

t.test('20,000 iterations: 0 crashes, 0 hangs, bounded RSS', async (t) => {
  const { status, summary, stderr } = fuzz(['--iterations', '20000', '--seed', '11']);
  t.ok(summary, `a JSON summary ${stderr.slice(-400)}`);
  t.same({ crash: summary.crash, hang: summary.hang }, { crash: 0, hang: 0 }, JSON.stringify(summary.crashes));
  t.equal(summary.ok + summary.typed, 20000);
  t.ok(summary.rssOk, `RSS ${summary.maxRssMiB} MiB ≤ ${summary.rssBoundMiB}`);
  for (const k of ['chunk', 'rewritten', 'amf', 'connection']) t.ok(summary.perTarget[k] > 2000, `${k}: ${summary.perTarget[k]}`);
  t.ok(summary.connectionsPublished > 100, `mutated sessions still reach publish (${summary.connectionsPublished})`);
  t.ok(summary.typed > 1000 && summary.ok > 1000, 'both outcomes are reached');
  t.equal(status, 0);
});

t.test('the harness counts an injected crash and an injected hang', async (t) => {
  const c = fuzz(['--iterations', '2000', '--seed', '11', '--inject', 'crash']);
  t.equal(c.summary.crash, 2);
  t.equal(c.status, 1);
  t.match(c.summary.reproduce, /--session \S+fuzz-rtmp-session-\d+\.bin --iter N/, 'the capture is saved for an exact reproduction');
  fs.rmSync(c.summary.sessionFile, { force: true });
  const h = fuzz(['--iterations', '1500', '--seed', '11', '--inject', 'hang', '--iter-ms', '400']);
  fs.rmSync(h.summary.sessionFile, { force: true });
  t.equal(h.summary.hang, 1);
  t.same(h.summary.hangs, [999], 'the hanging iteration is named, the rest still ran');
  t.equal(h.status, 1);
});

t.test('--seed/--iter reproduces one iteration', async (t) => {
  const a = spawnSync(process.execPath, [script, '--seed', '11', '--iter', '123'], { encoding: 'utf8' });
  const b = spawnSync(process.execPath, [script, '--seed', '11', '--iter', '123'], { encoding: 'utf8' });
  t.equal(a.status, 0);
  t.equal(a.stdout, b.stdout);
  t.match(JSON.parse(a.stdout), { iter: 123, seed: 11 });
});

// Ctrl-C in probe and remux (transcode's is in cli-truth): remux finishes the
// output with what it copied — also when the read is blocked on a stalled
// network input — and exits 130; probe stops a silent open at once. The
// library side: remux()'s `stop` signal resolves with stopped: true.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { fixtures, ffprobe, root } from './helpers/media.mjs';
import { remux, stats } from '../dist/index.js';

const cli = path.join(root, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-cli-int-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Serves `file` as MPEG-TS: `first` bytes at once, then nothing more (the
// connection stays open), so a reader blocks mid-stream. `served` resolves once
// the first bytes are out. A request to /silent gets no answer at all.
async function stallingServer(file, first) {
  const data = fs.readFileSync(file);
  let sent;
  const served = new Promise((r) => (sent = r));
  const held = new Set();
  const server = http.createServer((req, res) => {
    held.add(res);
    if (req.url === '/silent') return;
    res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': data.length });
    res.write(data.subarray(0, first), () => sent());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const close = () => {
    for (const res of held) res.destroy();
    server.closeAllConnections?.();
    return new Promise((r) => server.close(r));
  };
  return { url: `http://127.0.0.1:${server.address().port}`, served, close };
}

function spawnCli(args) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  out.exit = new Promise((r) => child.on('exit', (code) => r(code)));
  out.child = child;
  return out;
}

const packets = (file, type) =>
  ffprobe(file, ['-count_packets', '-show_entries', 'stream=codec_type,nb_read_packets'])
    .streams.filter((s) => s.codec_type === type).reduce((n, s) => n + Number(s.nb_read_packets), 0);

t.test('remux: Ctrl-C during a blocked network read finishes the MP4 with what was copied, exit 130', async (t) => {
  const src = fixtures.mpegts10s();
  const size = fs.statSync(src).size;
  const srv = await stallingServer(src, Math.floor(size / 2));
  t.teardown(srv.close);
  const out = path.join(tmp, 'half.mp4');
  const p = spawnCli(['remux', `${srv.url}/in.ts`, out]);
  await srv.served;
  await new Promise((r) => setTimeout(r, 1500)); // the copy has drained the half and now waits for bytes
  const sent = Date.now();
  p.child.kill('SIGINT');
  const code = await p.exit;
  const took = Date.now() - sent;
  t.equal(code, 130, p.stderr);
  t.ok(took < 3000, `exited ${took} ms after SIGINT (the read waits 15 s for bytes otherwise)`);
  const m = p.stderr.match(/ffnode: interrupted: \S+ holds the (\d+) packets copied before it, finished \(trailer written\)/);
  t.ok(m, p.stderr);
  t.match(p.stdout, /wrote .*half\.mp4 \(\d+ bytes\)/);
  // The file is a finished MP4 (moov written) holding about half the input.
  const probe = ffprobe(out, ['-show_entries', 'format=duration,format_name']);
  t.match(probe.format.format_name, /mp4/);
  const dur = Number(probe.format.duration);
  t.ok(dur > 2 && dur < 8, `duration ${dur} s of the 10 s input (half of its bytes were served)`);
  const n = packets(out, 'video') + packets(out, 'audio');
  t.equal(n, Number(m?.[1]), 'ffprobe counts the packets the CLI reported');
});

t.test('probe: Ctrl-C while the input never answers exits 130 at once', async (t) => {
  const srv = await stallingServer(fixtures.mpegts10s(), 0);
  t.teardown(srv.close);
  const p = spawnCli(['probe', `${srv.url}/silent`]);
  await new Promise((r) => setTimeout(r, 1500));
  const sent = Date.now();
  p.child.kill('SIGINT');
  const code = await p.exit;
  t.equal(code, 130, p.stderr);
  t.ok(Date.now() - sent < 2000, `exited ${Date.now() - sent} ms after SIGINT`);
  t.match(p.stderr, /ffnode: interrupted: nothing was written\n$/);
});

t.test('remux(): stop ends a copy cleanly; a stop before the input is open, or before the call, rejects', async (t) => {
  const src = fixtures.mpegts10s();
  const srv = await stallingServer(src, Math.floor(fs.statSync(src).size / 3));
  t.teardown(srv.close);
  const out = path.join(tmp, 'third.mp4');
  const stop = new AbortController();
  const copy = remux(`${srv.url}/in.ts`, out, { stop: stop.signal });
  await srv.served;
  await new Promise((r) => setTimeout(r, 1000));
  stop.abort();
  const r = await copy;
  t.equal(r.stopped, true);
  t.ok(r.packets > 0);
  t.equal(packets(out, 'video') + packets(out, 'audio'), r.packets, 'every packet counted is in the finished file');
  const whole = await remux(src, path.join(tmp, 'whole.mp4'));
  t.equal(whole.stopped, false, 'a copy that reached the end was not stopped');
  t.ok(whole.packets > r.packets, `${whole.packets} packets in all, ${r.packets} before the stop`);

  // A stop during the open (nothing answered yet): nothing to finish, so it rejects.
  const early = new AbortController();
  const silent = remux(`${srv.url}/silent`, path.join(tmp, 'none.mp4'), { stop: early.signal });
  setTimeout(() => early.abort(), 500);
  await t.rejects(silent, { errorName: 'EXIT', message: /stopped by stop\(\) before the input was open/ });
  t.notOk(fs.existsSync(path.join(tmp, 'none.mp4')), 'no output was created');

  const pre = new AbortController();
  pre.abort(new Error('already stopped'));
  await t.rejects(remux(src, path.join(tmp, 'x.mp4'), { stop: pre.signal }), { message: 'already stopped' });
  await t.rejects(remux(src, path.join(tmp, 'x.mp4'), { stop: 'soon' }), { name: 'TypeError', message: /stop must be an AbortSignal/ });
  const s = stats();
  t.same([s.frames, s.packets], [0, 0], 'no frame or packet left');
});

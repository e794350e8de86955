// What the live benchmarks share: ffnode's `serve()` alone in a child process
// (scripts/bench/live-server.mjs, so its CPU and RSS are its own) with
// registry snapshots over IPC, and a cheap live RTMP publisher.
import { fork } from 'node:child_process';
import path from 'node:path';
import { kill, spawnTracked, track, until } from './procs.mjs';
import { root } from './source.mjs';

const exited = (p) => p.exitCode !== null || p.signalCode !== null;

/** The telling line of a child's stderr: its first `…Error: …` line, else its last line. */
export const errorLine = (text) => {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^\w*(Error|Exception)\b/.test(l)) ?? lines.at(-1) ?? '';
};

/**
 * `ffmpeg -re -stream_loop -1 -i source -c copy -f flv url` under `timeout
 * lifetime`: a live publisher that costs little CPU (no encoding), with the
 * tail of its stderr in `stderrText`.
 *
 * @example
 * const p = publishLoop(testSource({ … ext: 'flv' }), 'rtmp://127.0.0.1:1935/live/s0', 120);
 */
export function publishLoop(source, url, lifetime) {
  const p = spawnTracked('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', source, '-c', 'copy', '-f', 'flv', url],
    { lifetime, stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderrText = '';
  p.stderr.on('data', (d) => { p.stderrText = (p.stderrText + d).slice(-2000); });
  return p;
}

/**
 * Forks scripts/bench/live-server.mjs with `serve()` `options` and resolves
 * once it listens (rejects when it exits first or after `timeoutMs`; it is
 * killed then). `snapshot()` asks it for `{ t, streams }` (its registry, see
 * live-server.mjs; null when it does not answer within 5 s); `stop()` closes
 * it gracefully, then kills it.
 *
 * @example
 * const s = await startServeChild({ httpPort: 0, rtmpPort: 0, store: 'memory', ladder: ['360p'] });
 * const snap = await s.snapshot(); // { t, streams: [{ path, renditions: [{ frames, … }] }] }
 * await s.stop();
 */
export async function startServeChild(options, { timeoutMs = 30_000 } = {}) {
  const child = track(fork(path.join(root, 'scripts', 'bench', 'live-server.mjs'), [JSON.stringify(options)], { detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
  child.stderrText = '';
  child.stdout.resume(); // whatever the server logs stays out of the tables
  child.stderr.on('data', (d) => { child.stderrText = (child.stderrText + d).slice(-4000); });
  const waiting = new Map();
  let ids = 0;
  const ready = new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m?.type === 'ready') resolve(m);
      else if (m?.type === 'snapshot') { waiting.get(m.id)?.(m); waiting.delete(m.id); }
    });
    child.once('exit', (code, sig) => reject(new Error(`the ffnode server exited (${code ?? sig}): ${errorLine(child.stderrText)}`)));
  });
  ready.catch(() => {}); // an exit after 'ready' is seen by alive()
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`the ffnode server's start timed out after ${timeoutMs / 1000} s`)), timeoutMs); });
  let ports;
  try {
    ports = await Promise.race([ready, late]);
  } catch (e) {
    kill(child);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return {
    httpPort: ports.httpPort,
    rtmpPort: ports.rtmpPort,
    pid: child.pid,
    alive: () => !exited(child),
    why: () => errorLine(child.stderrText),
    snapshot: () => new Promise((resolve) => {
      if (exited(child) || !child.connected) return resolve(null);
      const id = ++ids;
      waiting.set(id, resolve);
      child.send({ type: 'snapshot', id });
      setTimeout(() => { if (waiting.delete(id)) resolve(null); }, 5000);
    }),
    async stop() {
      if (!exited(child) && child.connected) child.send({ type: 'close' });
      await until(() => exited(child), 4000);
      kill(child);
    },
  };
}

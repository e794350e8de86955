// Benchmark helpers: children that never outlive the benchmark, and what
// /proc says about a process (CPU seconds, peak and current RSS).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

const TICK = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux
const children = new Set();

/** Kills every child spawned through {@link spawnTracked} / {@link track} (their whole process groups). */
export function killAll(signal = 'SIGKILL') {
  for (const c of children) kill(c, signal);
}

/** Kills one tracked child's process group. */
export function kill(child, signal = 'SIGKILL') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, signal); } catch { try { child.kill(signal); } catch { /* gone */ } }
}

let hooked = false;
/** On exit, Ctrl-C, SIGTERM, SIGHUP and uncaught errors: kill every tracked child first. */
export function killChildrenOnExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => killAll());
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      killAll();
      console.error(`\n${sig}: every child killed`);
      process.exit(130);
    });
  }
  process.on('uncaughtException', (e) => { killAll(); console.error(e); process.exit(1); });
  process.on('unhandledRejection', (e) => { killAll(); console.error(e); process.exit(1); });
}

/** Tracks a child spawned elsewhere (it must be `detached`: its own process group). */
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * spawn() in its own process group, tracked for {@link killAll}. With
 * `lifetime` (seconds), the command runs under coreutils `timeout`, so it dies
 * even if this process is SIGKILLed and can't clean up; {@link leafPid} finds
 * the command's own pid under it.
 */
export function spawnTracked(cmd, args, { lifetime, ...options } = {}) {
  const [c, a] = lifetime ? ['timeout', ['-s', 'TERM', '-k', '5', String(Math.ceil(lifetime)), cmd, ...args]] : [cmd, args];
  return track(spawn(c, a, { ...options, detached: true }));
}

/** The pid of the process doing the work: the child's, or its only child's when it runs under `timeout`. */
export function leafPid(pid) {
  try {
    if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'timeout') return pid;
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length === 1 ? Number(kids[0]) : pid;
  } catch {
    return pid;
  }
}

/**
 * What /proc says about a live process: `cpu` = user + system seconds of all
 * its threads, `hwm` = peak RSS (VmHWM) and `rss` = current RSS (VmRSS), in
 * MiB; null when it is gone.
 */
export function procStats(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on; comm may hold spaces
    const cpu = (Number(f[11]) + Number(f[12])) / TICK; // fields 14 utime, 15 stime
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { cpu, hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
  } catch {
    return null;
  }
}

/** Sums {@link procStats} over pids; null when any is gone. */
export function sumStats(pids) {
  const all = pids.map(procStats);
  if (all.some((s) => !s)) return null;
  return all.reduce((a, s) => ({ cpu: a.cpu + s.cpu, hwm: a.hwm + s.hwm, rss: a.rss + s.rss }), { cpu: 0, hwm: 0, rss: 0 });
}

/** n free TCP ports on 127.0.0.1 (held together while choosing, so they differ). */
export async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * Whether something listens on 127.0.0.1:port (or any address), read from
 * /proc/net/tcp: unlike a probe connection, it doesn't use up a one-shot
 * listener such as `ffmpeg -listen 1`.
 */
export function listening(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = fs.readFileSync(file, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[1].endsWith(`:${hex}`) && cols[3] === '0A') return true;
    }
  }
  return false;
}

/** Resolves true once pred() holds (polled every `every` ms), false after `ms`. */
export async function until(pred, ms, every = 100) {
  const end = Date.now() + ms;
  for (;;) {
    if (await pred()) return true;
    if (Date.now() >= end) return false;
    await sleep(every);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The paced load of `npm run bench:http`: `viewers` simulated players, each
// on its own keep-alive connection, each fetching its media playlist and
// then that playlist's newest segment once every `cycle` seconds, their
// cycles spread evenly at random over the period (real players are not in
// step). This is what the latency target is measured under: with a closed
// loop (autocannon, no pacing) latency is just connections ÷ throughput
// (Little's law), whatever the server does.
import http from 'node:http';
import { sleep } from './procs.mjs';
import { Tally } from './http-stats.mjs';

function get(agent, port, path, kind, tally, timeoutMs) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let settled = false;
    const fail = (timeout) => { if (!settled) { settled = true; tally.error(timeout); resolve(false); } };
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let bytes = 0;
      res.on('data', (c) => { bytes += c.length; });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        tally.response(kind, res.statusCode, bytes, performance.now() - t0);
        resolve(true);
      });
      res.on('error', () => fail(false));
    });
    req.setTimeout(timeoutMs, () => { fail(true); req.destroy(); });
    req.on('error', () => fail(false));
  });
}

/**
 * Runs the viewers against 127.0.0.1:`port` for `seconds`; viewer i watches
 * `targets[i % targets.length]` (watchTargets(): the newest segment is read
 * when the cycle gets to it). Requests of cycles that begin in the window are
 * counted; a viewer whose cycle overruns the period starts the next one at
 * once and counts it `late`. Body bytes only.
 *
 * @example
 * const r = await pacedViewers({ port, targets: w.targets, viewers: 500, seconds: 30, cycle: 1 });
 * r.playlist.p99; // ms
 */
export async function pacedViewers({ port, targets, viewers, seconds, cycle, timeout = 10 }) {
  const tally = new Tally();
  const agents = [];
  const period = cycle * 1000;
  const end = performance.now() + seconds * 1000;
  let late = 0;
  let cycles = 0;
  const viewer = async (i) => {
    const target = targets[i % targets.length];
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    let due = performance.now() + Math.random() * period;
    for (let first = true; ; first = false) {
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      else if (!first && wait < -1) late++;
      if (performance.now() >= end) return;
      cycles++;
      // after a failed playlist a player would retry it; here the cycle just ends
      if (await get(agent, port, target.playlist, 'playlist', tally, timeout * 1000)) await get(agent, port, target.segment, 'segment', tally, timeout * 1000);
      due += period;
      if (due < performance.now() - period) due = performance.now(); // never burst to catch up
    }
  };
  await Promise.all(Array.from({ length: viewers }, (_, i) => viewer(i)));
  for (const a of agents) a.destroy();
  return { ...tally.summary(seconds), cycles, late };
}

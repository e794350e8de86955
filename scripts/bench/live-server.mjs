// The ffnode side of `npm run bench:live`, run alone in its own process so
// that its CPU and RSS are measured alone: `serve()` with the benchmark's
// options (JSON in argv[2]); answers the parent's IPC requests with registry
// snapshots (and its event loop's utilisation); exits when the parent says 'close' or goes away.
import * as ffnode from 'ffnode';

const options = JSON.parse(process.argv[2] ?? '{}');
const server = await ffnode.serve(options);
const { registry } = server;

function snapshot() {
  return registry.list().map((s) => ({
    path: s.path, state: s.state, speed: s.speed,
    renditions: s.renditions.map((r) => ({ id: r.id, type: r.type, frames: r.frames, dropped: r.dropped, segments: r.segments })),
    // per-rung encode latency of the current session (frame in → its packet out), ms
    latency: s.renditions.some((r) => r.encodeLatency) ? Object.fromEntries(s.renditions.filter((r) => r.encodeLatency).map((r) => [r.id, r.encodeLatency])) : null,
  }));
}

let closing = false;
async function close(code) {
  if (closing) return;
  closing = true;
  const t = setTimeout(() => process.exit(code), 3000);
  t.unref();
  try { await server.close(); } finally { process.exit(code); }
}

process.on('message', (m) => {
  // elu: cumulative event-loop idle/active ms, so the parent can tell how busy the JS thread was between two snapshots
  if (m?.type === 'snapshot') process.send({ type: 'snapshot', id: m.id, t: Date.now(), streams: snapshot(), elu: performance.eventLoopUtilization() });
  else if (m?.type === 'close') close(0);
});
process.on('disconnect', () => close(0)); // the parent died: never outlive it
process.send({ type: 'ready', rtmpPort: server.rtmpPort, httpPort: server.httpPort });

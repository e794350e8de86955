// The ffnode side of `npm run bench:live`, run alone in its own process so
// that its CPU and RSS are measured alone: `serve()` with the benchmark's
// options (JSON in argv[2]); answers the parent's IPC requests with registry
// snapshots; exits when the parent says 'close' or goes away.
import * as ffnode from 'ffnode';

// Encode latency lives in each LiveSession's stats; when a stream object
// doesn't expose its session, the sessions the registry starts are noted here
// (by their Presentation, which the stream does expose).
const sessions = new WeakMap();
const { LiveSession } = ffnode;
if (typeof LiveSession?.start === 'function') {
  const start = LiveSession.start;
  LiveSession.start = function (input, o, ...rest) {
    const session = start.call(this, input, o, ...rest);
    if (o?.presentation) sessions.set(o.presentation, session);
    return session;
  };
}

const options = JSON.parse(process.argv[2] ?? '{}');
const server = await ffnode.serve(options);
const { registry } = server;

/**
 * Per-rung encode latency (frame in → its packet out) of a stream's current
 * session, as { [rung]: { p50, p95 } } in ms; null when the registry doesn't
 * expose it.
 */
function latencyOf(path) {
  const stream = registry.stream?.(path);
  const session = stream?.session ?? (stream?.presentation && sessions.get(stream.presentation));
  const stats = session?.stats ?? stream?.stats ?? null;
  const rungs = stats?.latency ?? null;
  if (!rungs || typeof rungs !== 'object') return null;
  const out = {};
  for (const [id, v] of Object.entries(rungs)) if (v && typeof v.p50 === 'number') out[id] = { p50: v.p50, p95: v.p95 };
  return Object.keys(out).length ? out : null;
}

function snapshot() {
  return registry.list().map((s) => ({
    path: s.path, state: s.state, speed: s.speed,
    renditions: s.renditions.map((r) => ({ id: r.id, type: r.type, frames: r.frames, dropped: r.dropped, segments: r.segments })),
    latency: latencyOf(s.path),
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
  if (m?.type === 'snapshot') process.send({ type: 'snapshot', id: m.id, t: Date.now(), streams: snapshot() });
  else if (m?.type === 'close') close(0);
});
process.on('disconnect', () => close(0)); // the parent died: never outlive it
process.send({ type: 'ready', rtmpPort: server.rtmpPort, httpPort: server.httpPort });

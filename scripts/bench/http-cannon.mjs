// The saturating load of `npm run bench:http`: autocannon, `connections`
// keep-alive connections, each one a viewer that alternates a GET of its
// media playlist and a GET of that playlist's newest segment as fast as the
// server answers (no pacing, pipelining 1).
import autocannon from 'autocannon';
import { Tally } from './http-stats.mjs';

/**
 * Runs autocannon against 127.0.0.1:`port` for `seconds`. Connection i
 * watches `targets[i % targets.length]` (from watchTargets(): the segment
 * path is read when each request is built, so it follows the live edge).
 * Latencies are kept per kind: a per-connection closure notes which request
 * of the pair a response answers (autocannon calls a request's onResponse
 * just before it emits the client's 'response' with the timing).
 * Resolves to Tally.summary() plus autocannon's own error counts.
 *
 * @example
 * const r = await saturate({ port, targets: w.targets, connections: 500, seconds: 30 });
 * r.rps; r.playlist.p99; r.errors;
 */
export async function saturate({ port, targets, connections, seconds, timeout = 10 }) {
  const tally = new Tally();
  let next = 0;
  const setupClient = (client) => {
    const target = targets[next++ % targets.length];
    // autocannon appends every body chunk to a string (binary → UTF-8 text)
    // for onResponse/verifyBody; neither is used here, and for segments that
    // copying would make the load generator, not the server, the bottleneck
    if (typeof client.pipelinedRequests?.addBody === 'function') client.pipelinedRequests.addBody = () => {};
    let kind = null;
    client.setRequests([
      { method: 'GET', setupRequest: (r) => ({ ...r, path: target.playlist }), onResponse: () => { kind = 'playlist'; } },
      { method: 'GET', setupRequest: (r) => ({ ...r, path: target.segment }), onResponse: () => { kind = 'segment'; } },
    ]);
    client.on('response', (status, bytes, ms) => tally.response(kind, status, bytes, ms));
  };
  const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections, duration: seconds, timeout, pipelining: 1, setupClient });
  const s = tally.summary(result.duration);
  // connection errors and timeouts as autocannon counts them (a timeout also drops the connection)
  return { ...s, errors: result.errors, timeouts: result.timeouts, autocannon: { rps: result.requests.average, non2xx: result.non2xx, total: result.requests.total } };
}

#!/usr/bin/env node
// Fuzzes the RTMP ingest parsers in-process: mutated handshake / chunk-stream /
// AMF0 byte streams, seeded from a real ffmpeg publish session captured at start
// (or, without ffmpeg, a session written by our own ChunkWriter). Counts:
//   crash  — anything thrown that is not an RtmpError, or an 'EBUG' RtmpError
//   hang   — an iteration over --iter-ms (watched from the main thread, so an
//            endless loop is caught too; the worker is restarted after it)
//   rss    — the process RSS must stay under --rss-mib
// Reproduce one input with `--seed S --iter N` (every iteration's RNG derives
// from seed and index). Usage:
//   node scripts/fuzz-rtmp.mjs [--iterations 1000000] [--seed 1] [--iter N] [--session FILE] [--json]
// With findings, the capture is saved and the summary prints the exact reproduce command.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prng } from './fuzz/mutate.mjs';

const SELF = fileURLToPath(import.meta.url);

function args() {
  const a = process.argv.slice(2);
  const get = (k, d) => { const i = a.indexOf(k); return i >= 0 ? a[i + 1] : d; };
  return {
    iterations: Number(get('--iterations', get('--count', 1_000_000))),
    seed: Number(get('--seed', 1)),
    iter: get('--iter', undefined) === undefined ? undefined : Number(get('--iter')),
    iterMs: Number(get('--iter-ms', 2000)),
    rssMiB: Number(get('--rss-mib', 512)),
    json: a.includes('--json'),
    session: get('--session', ''), // a saved capture: exact reproduction of a finding
    inject: get('--inject', ''), // 'crash' | 'hang': proves the harness catches them (every 1000th iteration)
  };
}

// mulberry32 (shared with the media fuzzer) over a hash of (seed, index):
// any iteration is reproducible alone
function rng(seed, index) {
  return prng((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0);
}

const INTERESTING = [0, 1, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xff, 3, 8, 9, 18, 20];

function mutate(buf, r, from = 0) {
  const b = Buffer.from(buf);
  const n = 1 + Math.floor(r() * 8);
  let out = b;
  for (let k = 0; k < n && out.length > from; k++) {
    const at = from + Math.floor(r() * (out.length - from));
    const op = Math.floor(r() * 7);
    if (op === 0) out[at] ^= 1 << Math.floor(r() * 8);
    else if (op === 1) out[at] = INTERESTING[Math.floor(r() * INTERESTING.length)];
    else if (op === 2) out[at] = Math.floor(r() * 256);
    else if (op === 3 && at + 3 <= out.length) out.fill(0xff, at, at + 3); // 0xffffff: extended ts / huge length
    else if (op === 4) out = Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + Math.floor(r() * 64)))]);
    else if (op === 5) { const len = Math.floor(r() * 64); out = Buffer.concat([out.subarray(0, at), out.subarray(at, at + len), out.subarray(at)]); }
    else out = out.subarray(0, at); // truncate
  }
  return out;
}

class FakeSocket extends EventEmitter {
  remoteAddress = '127.0.0.1';
  destroyed = false;
  setNoDelay() {}
  setTimeout() {}
  pause() {}
  resume() {}
  write() { return true; }
  end(cb) { if (cb) cb(); }
  destroy() { this.destroyed = true; }
}

async function loadLib() {
  return import('ffnode');
}

/** Builds the seed corpus: the captured session (or a synthetic one) split into parts. */
async function seeds(lib, sessionFile) {
  const { captureFfmpegPublish } = await import('./rtmp-capture.mjs');
  let session = null;
  let source = 'ffmpeg';
  if (sessionFile && fs.existsSync(sessionFile)) {
    session = fs.readFileSync(sessionFile);
    source = sessionFile;
  } else {
    try { session = await captureFfmpegPublish({ RtmpServer: lib.RtmpServer, seconds: 1 }); } catch { session = null; }
  }
  if (!session) {
    source = 'synthetic';
    const w = new lib.ChunkWriter();
    const hs = Buffer.concat([Buffer.from([3]), Buffer.alloc(3072, 7)]);
    const cmd = (csid, sid, ...v) => w.write({ csid, type: 20, streamId: sid, timestamp: 0, payload: lib.encodeAmf0(...v) });
    const parts = [hs, cmd(3, 0, 'connect', 1, { app: 'live', tcUrl: 'rtmp://x/live' }), cmd(3, 0, 'releaseStream', 2, null, 'a'),
      cmd(3, 0, 'FCPublish', 3, null, 'a'), cmd(3, 0, 'createStream', 4, null), cmd(8, 1, 'publish', 5, null, 'a', 'live'),
      w.write({ csid: 4, type: 18, streamId: 1, timestamp: 0, payload: lib.encodeAmf0('@setDataFrame', 'onMetaData', { videocodecid: 7, audiocodecid: 10 }) })];
    for (let i = 0; i < 50; i++) {
      parts.push(w.write({ csid: 6, type: 9, streamId: 1, timestamp: i * 40, payload: Buffer.concat([Buffer.from([i % 25 ? 0x27 : 0x17, 1, 0, 0, 0]), Buffer.alloc(300 + i * 10, i)]) }));
      parts.push(w.write({ csid: 4, type: 8, streamId: 1, timestamp: i * 23, payload: Buffer.from([0xaf, 1, ...Buffer.alloc(200, i)]) }));
    }
    session = Buffer.concat(parts);
  }
  const body = session.subarray(3073);
  const messages = [];
  try { new lib.ChunkParser((m) => messages.push({ ...m, payload: Buffer.from(m.payload) })).push(body); } catch { /* a capture cut mid-message */ }
  const amf = messages.filter((m) => m.type === 20 || m.type === 18).map((m) => m.payload);
  return { source, session, body, messages, amf };
}

function isTyped(lib, e) {
  return e instanceof lib.RtmpError && e.errorName !== 'EBUG';
}

/** One iteration: returns 'ok' | 'typed'; throws on a crash. */
async function runOne(lib, corpus, seed, i, inject = '') {
  if (inject && i % 1000 === 999) {
    if (inject === 'crash') throw new TypeError('injected crash');
    if (inject === 'hang') for (;;);
  }
  const r = rng(seed, i);
  const target = ['chunk', 'chunk', 'amf', 'connection', 'rewritten'][Math.floor(r() * 5)];
  let outcome = 'ok';
  let published = 0;
  const guard = (fn) => {
    try { fn(); } catch (e) {
      if (!isTyped(lib, e)) throw Object.assign(new Error(`${target}: ${e?.stack ?? e}`), { target });
      outcome = 'typed';
    }
  };
  if (target === 'amf') {
    const p = corpus.amf[Math.floor(r() * corpus.amf.length)] ?? Buffer.alloc(0);
    guard(() => lib.decodeAmf0(mutate(p, r)));
  } else if (target === 'chunk' || target === 'rewritten') {
    let input;
    if (target === 'chunk') input = corpus.body.subarray(0, 64 + Math.floor(r() * 6000));
    else {
      // a few consecutive messages re-chunked by our writer at a random chunk size and csid
      const w = new lib.ChunkWriter();
      const start = Math.floor(r() * corpus.messages.length);
      const size = [1, 2, 64, 128, 1000, 4096, 65536][Math.floor(r() * 7)];
      const parts = [w.write({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: Buffer.from([size >>> 24, (size >> 16) & 255, (size >> 8) & 255, size & 255]) })];
      w.chunkSize = size;
      for (const m of corpus.messages.slice(start, start + 1 + Math.floor(r() * 4))) {
        parts.push(w.write({ ...m, csid: [3, 63, 64, 319, 320, 65599][Math.floor(r() * 6)], timestamp: r() < 0.2 ? 0xffffff + Math.floor(r() * 1e6) : m.timestamp }));
      }
      input = Buffer.concat(parts);
    }
    const data = mutate(input, r);
    guard(() => {
      const flv = new lib.FlvWriter();
      const p = new lib.ChunkParser((m) => {
        if (m.type === 20 || m.type === 18) guard(() => lib.decodeAmf0(m.payload));
        else if (m.type === 8 || m.type === 9) guard(() => flv.media(m.type, m.timestamp, m.payload));
      }, { maxMessageLength: 1 << 20, maxBufferedBytes: 4 << 20 });
      for (let o = 0; o < data.length;) { const n = 1 + Math.floor(r() * 1500); p.push(data.subarray(o, o + n)); o += n; }
    });
  } else {
    // the whole connection state machine on a fake socket: handshake, commands, publish, media
    const end = 3073 + Math.floor(r() * 12000);
    const data = mutate(corpus.session.subarray(0, end), r, r() < 0.2 ? 0 : 3073);
    const sock = new FakeSocket();
    const conn = new lib.RtmpConnection(sock, () => undefined, { handshakeTimeoutMs: 60_000, idleTimeoutMs: 60_000, limits: { maxMessageLength: 1 << 20, maxBufferedBytes: 4 << 20 } });
    let bug = null;
    conn.on('error', (e) => { if (!isTyped(lib, e)) bug = e; else outcome = 'typed'; });
    conn.on('publish', (ev) => { published++; ev.stream.resume(); });
    for (let o = 0; o < data.length;) {
      const n = 1 + Math.floor(r() * 3000);
      sock.emit('data', data.subarray(o, o + n));
      o += n;
      await null; // lets the publish gate (a promise) answer, as the socket's next read would
    }
    conn.close();
    if (bug) throw Object.assign(new Error(`connection: ${bug.stack}`), { target });
  }
  return { target, outcome, published };
}

async function workerMain() {
  const lib = await loadLib();
  const { corpus, seed, start, end, heartbeat, inject } = workerData;
  const hb = new Int32Array(heartbeat);
  const tally = { ok: 0, typed: 0, crash: 0, published: 0, perTarget: {}, crashes: [] };
  for (let i = start; i < end; i++) {
    Atomics.store(hb, 0, i);
    try {
      const { target, outcome, published } = await runOne(lib, corpus, seed, i, inject);
      tally[outcome]++;
      tally.published += published;
      tally.perTarget[target] = (tally.perTarget[target] ?? 0) + 1;
    } catch (e) {
      tally.crash++;
      if (tally.crashes.length < 20) tally.crashes.push({ iter: i, message: String(e.message).slice(0, 600) });
    }
    if ((i - start) % 1000 === 999) {
      await new Promise((r) => setImmediate(r)); // let the connection's timers/promises settle
      parentPort.postMessage({ progress: i + 1, tally });
    }
  }
  parentPort.postMessage({ done: end, tally });
}

async function main() {
  const o = args();
  const lib = await loadLib();
  const corpus = await seeds(lib, o.session);
  if (o.iter !== undefined) {
    const res = await runOne(lib, corpus, o.seed, o.iter, o.inject);
    console.log(JSON.stringify({ iter: o.iter, seed: o.seed, ...res }));
    return;
  }
  const t0 = performance.now();
  const total = { ok: 0, typed: 0, crash: 0, hang: 0, published: 0, perTarget: {}, crashes: [], hangs: [] };
  let maxRss = process.memoryUsage().rss;
  let next = 0;
  let printed = 0;
  while (next < o.iterations) {
    const heartbeat = new SharedArrayBuffer(4);
    const hb = new Int32Array(heartbeat);
    Atomics.store(hb, 0, -1); // the watchdog starts once the worker has loaded (startup is not an iteration)
    const w = new Worker(SELF, { workerData: { corpus, seed: o.seed, start: next, end: o.iterations, heartbeat, inject: o.inject } });
    let last = { ok: 0, typed: 0, crash: 0, published: 0, perTarget: {}, crashes: [] };
    const result = await new Promise((resolve) => {
      let seen = -1, since = performance.now();
      const timer = setInterval(() => {
        maxRss = Math.max(maxRss, process.memoryUsage().rss);
        const cur = Atomics.load(hb, 0);
        if (cur < 0) return;
        if (cur !== seen) { seen = cur; since = performance.now(); return; }
        if (performance.now() - since > o.iterMs) { clearInterval(timer); w.terminate(); resolve({ hangAt: cur }); }
      }, Math.min(250, o.iterMs / 4));
      w.on('message', (m) => {
        last = m.tally;
        if (!o.json && m.progress && Math.floor(m.progress / 100000) > Math.floor(printed / 100000) && (printed = m.progress)) console.error(`fuzz-rtmp: ${m.progress} iterations, rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
        if (m.done !== undefined) { clearInterval(timer); resolve({ done: m.done }); }
      });
      w.on('error', (e) => { clearInterval(timer); resolve({ workerError: e, at: Math.max(next, Atomics.load(hb, 0)) }); });
    });
    // tallies of the finished part (after a hang, counts since the last report are lost, not miscounted)
    for (const k of ['ok', 'typed', 'crash', 'published']) total[k] += last[k];
    for (const [k, v] of Object.entries(last.perTarget)) total.perTarget[k] = (total.perTarget[k] ?? 0) + v;
    total.crashes.push(...last.crashes);
    if (result.done !== undefined) { next = result.done; await w.terminate(); }
    else if (result.hangAt !== undefined) { total.hang++; total.hangs.push(result.hangAt); next = result.hangAt + 1; }
    else { total.crash++; total.crashes.push({ iter: result.at, message: `worker died: ${result.workerError?.message}` }); next = result.at + 1; await w.terminate(); }
  }
  maxRss = Math.max(maxRss, process.memoryUsage().rss);
  let sessionFile = o.session || null;
  if ((total.crash || total.hang) && !sessionFile) {
    // ffmpeg's capture varies slightly run to run: keep the one these findings came from
    sessionFile = path.join(os.tmpdir(), `fuzz-rtmp-session-${process.pid}.bin`);
    fs.writeFileSync(sessionFile, corpus.session);
  }
  const summary = {
    iterations: o.iterations, seed: o.seed, seedSource: corpus.source, seedBytes: corpus.session.length,
    ok: total.ok, typed: total.typed, crash: total.crash, hang: total.hang, perTarget: total.perTarget,
    connectionsPublished: total.published,
    maxRssMiB: Math.round(maxRss / 1048576), rssBoundMiB: o.rssMiB, rssOk: maxRss / 1048576 <= o.rssMiB,
    sessionFile, reproduce: sessionFile ? `node scripts/fuzz-rtmp.mjs --seed ${o.seed} --session ${sessionFile} --iter N` : null,
    seconds: Math.round((performance.now() - t0) / 100) / 10, crashes: total.crashes.slice(0, 10), hangs: total.hangs.slice(0, 10),
  };
  console.log(o.json ? JSON.stringify(summary) : JSON.stringify(summary, null, 2));
  process.exitCode = summary.crash || summary.hang || !summary.rssOk ? 1 : 0;
}

if (isMainThread) main().catch((e) => { console.error(e); process.exitCode = 2; });
else workerMain();

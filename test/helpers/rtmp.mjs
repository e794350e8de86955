// Shared helpers for the RTMP ingest tests: an ffmpeg publisher and an FLV drain.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Decoder, RtmpServer } from 'ffnode';

/** Starts `ffmpeg … -f flv rtmp://127.0.0.1:PORT/<path>`; resolves { code, stderr } when it exits. */
export function publishWithFfmpeg(port, path, { seconds = 4, extra = [], realtime = true } = {}) {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', ...(realtime ? ['-re'] : []),
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-t', String(seconds), ...extra,
    '-f', 'flv', `rtmp://127.0.0.1:${port}/${path}`];
  const p = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise((resolve) => p.on('close', (code) => resolve({ code, stderr })));
  return { process: p, done };
}

/** Decodes an FLV Readable to its end: { video, audio, codecs } frame counts. */
export async function decodeFlv(stream) {
  const dec = await Decoder.open(stream, { format: 'flv' });
  const vi = dec.video?.index, ai = dec.audio?.index;
  const codecs = { video: dec.video?.codec, audio: dec.audio?.codec };
  let video = 0, audio = 0;
  for (;;) {
    const batch = await dec.read();
    if (!batch) break;
    if (batch.streamIndex === vi) video += batch.frames.length;
    else if (batch.streamIndex === ai) audio += batch.frames.reduce((n, f) => n + (f.nbSamples ?? f.samples ?? 0), 0);
    for (const f of batch.frames) f.free();
  }
  await dec.close();
  return { video, audio, codecs };
}

/** Opens a raw TCP socket to the server; resolves once connected. */
export function rawSocket(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** Resolves when the socket closes (or after ms, with false). */
export function closed(socket, ms) {
  return new Promise((resolve) => {
    if (socket.destroyed && socket.readyState === 'closed') return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    socket.once('close', () => { clearTimeout(t); resolve(true); });
    socket.on('error', () => {});
  });
}

/**
 * A minimal scripted RTMP client for hostile/edge tests: handshake, then
 * commands/media written with our ChunkWriter; replies parsed with ChunkParser.
 */
export async function rtmpClient(port, { ChunkWriter, ChunkParser, decodeAmf0, encodeAmf0 }) {
  const s = await rawSocket(port);
  s.on('error', () => {});
  const w = new ChunkWriter();
  const replies = [];
  let waiters = [];
  const parser = new ChunkParser((m) => {
    const v = m.type === 20 ? decodeAmf0(m.payload) : null;
    replies.push({ ...m, amf: v });
    waiters = waiters.filter((f) => !f());
  });
  let hsBuf = Buffer.alloc(0);
  let hsDone = false;
  const hsReady = new Promise((resolve) => {
    s.on('data', (d) => {
      if (hsDone) return parser.push(d);
      hsBuf = Buffer.concat([hsBuf, d]);
      if (hsBuf.length >= 3073) {
        hsDone = true;
        s.write(hsBuf.subarray(1, 1537)); // C2 = S1
        resolve();
        if (hsBuf.length > 3073) parser.push(hsBuf.subarray(3073));
      }
    });
  });
  s.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(1536, 1)]));
  await hsReady;
  const api = {
    socket: s,
    replies,
    send(csid, type, streamId, payload, timestamp = 0) { s.write(w.write({ csid, type, streamId, timestamp, payload })); },
    command(streamId, ...v) { api.send(3, 20, streamId, encodeAmf0(...v)); },
    /** resolves with the first reply matching pred (or null after ms) */
    waitFor(pred, ms = 3000) {
      return new Promise((resolve) => {
        const hit = replies.find(pred);
        if (hit) return resolve(hit);
        const t = setTimeout(() => resolve(null), ms);
        waiters.push(() => { const h = replies.find(pred); if (h) { clearTimeout(t); resolve(h); return true; } return false; });
      });
    },
    async publish(app, name) {
      api.command(0, 'connect', 1, { app });
      await api.waitFor((m) => m.amf?.[0] === '_result' && m.amf[1] === 1);
      api.command(0, 'createStream', 2, null);
      await api.waitFor((m) => m.amf?.[0] === '_result' && m.amf[1] === 2);
      api.command(1, 'publish', 3, null, name, 'live');
      return api.waitFor((m) => m.amf?.[0] === 'onStatus');
    },
  };
  return api;
}

/**
 * An RtmpServer closed at the end of test `t`; `errors` collects its
 * clientError events. `opts` override the timeouts (default 5 s each).
 */
export function serveRtmp(t, opts = {}) {
  const server = new RtmpServer({ idleTimeoutMs: 5000, handshakeTimeoutMs: 5000, ...opts });
  const errors = [];
  server.on('clientError', (e) => errors.push(e));
  t.teardown(() => server.close());
  return { server, errors };
}

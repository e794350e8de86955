// A small real PublishTarget for the ingest tests: each publish opens a real
// Decoder on the source's input with its inputOptions, decodes every frame
// (counting video/audio frames and timestamps) and ends its Publication when
// the decoder ends or fails. No media mocks.
import { spawn } from 'node:child_process';
import { Decoder, StreamRefused } from 'ffnode';

export class IngestTarget {
  /**
   * @param {object} [o]
   * @param {(source) => StreamRefused | undefined} [o.refuse] refuse a publish (thrown from publish())
   * @param {boolean} [o.awaitOpen] publish() resolves only once the Decoder opened (a registry that opens first)
   */
  constructor({ refuse, awaitOpen = false } = {}) {
    this.refuse = refuse;
    this.awaitOpen = awaitOpen;
    /** every admitted session, in order */
    this.sessions = [];
    this.live = new Map();
    this.refusals = [];
  }

  async publish(source) {
    const why = this.refuse?.(source) ?? (this.live.has(source.path) ? new StreamRefused(`${source.path} is already live`, 'EBUSY') : undefined);
    if (why) {
      this.refusals.push({ path: source.path, reason: why.reason, code: why.errorName });
      throw why;
    }
    const s = {
      source, path: source.path, protocol: source.protocol, video: 0, audio: 0, samples: 0, firstPts: null, lastPts: null,
      codecs: null, error: null, opened: false, decoder: null, startedAt: Date.now(), endedAt: null, abort: new AbortController(),
    };
    this.sessions.push(s);
    this.live.set(source.path, s);
    let opened;
    const openedP = new Promise((r) => { opened = r; });
    s.ended = this.#run(s, opened).then((end) => {
      s.endedAt = Date.now();
      if (this.live.get(s.path) === s) this.live.delete(s.path);
      return end;
    });
    if (this.awaitOpen) await Promise.race([openedP, s.ended]);
    return { path: source.path, ended: s.ended };
  }

  async #run(s, opened) {
    let dec;
    try {
      dec = await Decoder.open(s.source.input, { ...s.source.inputOptions, signal: s.abort.signal });
      s.decoder = dec;
      s.opened = true;
      s.codecs = { video: dec.video?.codec ?? null, audio: dec.audio?.codec ?? null };
      opened();
      const vi = dec.video?.index, ai = dec.audio?.index;
      for (;;) {
        const batch = await dec.read();
        if (!batch) break;
        for (const f of batch.frames) {
          if (batch.streamIndex === vi) {
            s.video++;
            if (s.firstPts === null) s.firstPts = f.pts;
            s.lastPts = f.pts;
          } else if (batch.streamIndex === ai) {
            s.audio++;
            s.samples += f.nbSamples ?? 0;
          }
          f.free();
        }
      }
      return { reason: 'ended' };
    } catch (error) {
      s.error = error;
      return { reason: 'error', error };
    } finally {
      opened();
      await dec?.close();
    }
  }

  /** Kicks the path's session: closes its decoder (the session then ends) and the publisher. */
  async kick(path) {
    const s = this.live.get(path);
    if (!s) return false;
    s.source.close('kicked');
    s.abort.abort(new Error('kicked'));
    await s.ended;
    return true;
  }

  /** Ends every session (an open still waiting, e.g. a listener's, too). */
  async closeAll() {
    for (const s of this.sessions) s.abort.abort(new Error('closed'));
    await Promise.all(this.sessions.map((s) => s.ended));
  }

  /** Resolves with the nth session (0-based) once it exists. */
  async session(n, timeoutMs = 20000) {
    const t0 = Date.now();
    while (!this.sessions[n]) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`no session #${n} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.sessions[n];
  }
}

/** `seconds` of H.264/AAC (320x240, 25 fps, GOP 25) MPEG-TS made by the ffmpeg CLI. */
export function makeTs(seconds) {
  const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac',
    '-t', String(seconds), '-f', 'mpegts', 'pipe:1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const parts = [];
  p.stdout.on('data', (d) => parts.push(d));
  return new Promise((resolve) => p.on('close', () => resolve(Buffer.concat(parts))));
}

/** Waits until `cond()` is true (polling), or throws after timeoutMs. */
export async function until(cond, timeoutMs = 20000, what = 'condition') {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

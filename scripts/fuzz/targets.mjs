// What the fuzzer feeds mutated bytes to. Every target frees and closes all it
// made, whatever happens, so a live frame/packet/object afterwards is a leak.
import fs from 'node:fs';
import path from 'node:path';
import { Decoder, Segmenter, MemoryStore, remux, transcode } from 'ffnode';

const MAX_FRAMES = 200; // caps work on inputs that declare huge durations
const MAX_PACKETS = 400;

async function drainFrames(dec) {
  let n = 0;
  for await (const batch of dec.batches()) {
    for (const f of batch.frames) f.free();
    n += batch.frames.length;
    if (n >= MAX_FRAMES) break;
  }
}

// Byte chunks of varied sizes, as a network or pipe would deliver them.
async function* chunks(data, rnd) {
  for (let at = 0; at < data.length; ) {
    const len = 1 + Math.floor(rnd() * (rnd() < 0.3 ? 64 : 16384));
    yield data.subarray(at, at + len);
    at += len;
    if (rnd() < 0.05) await new Promise((r) => setImmediate(r));
  }
}

const REMUX_FORMATS = [['mp4', '.mp4'], ['matroska', '.mkv'], ['mpegts', '.ts'], ['flv', '.flv'], ['mov', '.mov']];

/** target name → async (case, { file, dir }) => void */
export const RUNNERS = {
  async 'decode-file'(c, io) {
    const dec = await Decoder.open(io.file, { timeoutMs: 5000 });
    try {
      await drainFrames(dec);
    } finally {
      await dec.close();
    }
  },

  async 'decode-stream'(c) {
    const dec = await Decoder.open(chunks(c.data, c.rnd), { timeoutMs: 5000 });
    try {
      await drainFrames(dec);
    } finally {
      await dec.close();
    }
  },

  async remux(c, io) {
    const [format, ext] = REMUX_FORMATS[Math.floor(c.rnd() * REMUX_FORMATS.length)];
    await remux(io.file, path.join(io.dir, `out${ext}`), { format, timeoutMs: 5000, ...(c.rnd() < 0.3 ? { copyTs: true } : {}) });
  },

  async segmenter(c, io) {
    const dec = await Decoder.open(io.file, { decode: false, timeoutMs: 5000 });
    let seg = null;
    let batch = [];
    try {
      // Segmenter.open takes streams of a known codec (an unknown one is a TypeError, by contract).
      const chosen = dec.streams.filter((s) => (s.mediaType === 'video' || s.mediaType === 'audio') && s.codec !== 'none');
      if (!chosen.length) return;
      const map = new Map(chosen.map((s, i) => [s.index, i]));
      seg = await Segmenter.open({
        format: c.rnd() < 0.5 ? 'cmaf' : 'mpegts',
        streams: chosen.map((s) => ({ parameters: s, timeBase: s.timeBase })),
        segmentDuration: 0.2,
      });
      let n = 0;
      const flush = async () => {
        try {
          await seg.write(batch);
        } finally {
          for (const p of batch) p.free();
          batch = [];
        }
      };
      for await (const p of dec.packets()) {
        if (!map.has(p.streamIndex) || ++n > MAX_PACKETS) {
          p.free();
          if (n > MAX_PACKETS) break;
          continue;
        }
        p.streamIndex = map.get(p.streamIndex);
        batch.push(p);
        if (batch.length >= 8) await flush();
      }
      if (batch.length) await flush();
      await seg.finish();
    } finally {
      for (const p of batch) p.free(); // a read that failed mid-batch
      await seg?.close();
      await dec.close();
    }
  },

  // The whole pipeline, kept cheap: one tiny rung, ultrafast, short segments.
  // transcode() needs a video stream with a size (it throws a TypeError
  // otherwise, by contract), so inputs without one are counted as 'unfit'.
  async transcode(c, io) {
    const probe = await Decoder.open(io.file, { decode: false, timeoutMs: 5000 });
    const v = probe.video;
    await probe.close();
    if (!v || !v.width || !v.height) return 'unfit';
    const job = transcode(io.file, {
      out: new MemoryStore(), ladder: [{ height: 32, bitrate: 50_000, preset: 'ultrafast' }], segmentDuration: 1,
      encoderThreads: 1, input: { timeoutMs: 5000 }, ...(c.rnd() < 0.5 ? { audio: false } : {}),
    });
    job.on('warning', () => {});
    await job.done;
  },
};

/** Writes the case to the worker's scratch file and runs its target; resolves 'unfit' when the input cannot be that target's input. */
export async function runCase(c, dir) {
  const file = path.join(dir, `in${c.ext}`);
  fs.writeFileSync(file, c.data);
  return RUNNERS[c.target](c, { file, dir });
}

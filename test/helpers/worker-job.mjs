// Worker side of test/workers.test.mjs: loads ffnode and keeps native work in
// flight (decode, byte-source decode, transcode, remux, Remuxer recording) until terminated.
// Posts 'busy' once the first operation is under way, so the parent can
// terminate it mid-operation; 'require' jobs are terminated while loading.
import { parentPort, workerData } from 'node:worker_threads';
import fs from 'node:fs';
import path from 'node:path';

const { kind, file, tsFile, dir } = workerData;
const ff = await import('ffnode');
if (kind === 'require') parentPort.postMessage('busy');

let told = false;
const busy = () => {
  if (!told) parentPort.postMessage('busy');
  told = true;
};

// Frames deliberately held (never freed): teardown must free them without
// touching the dead environment.
const held = [];

async function decodeLoop(source) {
  for (;;) {
    const dec = await ff.Decoder.open(source());
    busy();
    for await (const f of dec.frames()) {
      if (held.length < 3) held.push(f.ref());
      f.free();
    }
    await dec.close();
  }
}

switch (kind) {
  case 'decode':
    await decodeLoop(() => file);
    break;
  case 'stream':
    await decodeLoop(() => fs.createReadStream(tsFile, { highWaterMark: 4096 })); // MPEG-TS: streamable
    break;
  case 'remux':
    for (let i = 0; ; i++) {
      const p = ff.remux(file, path.join(dir, `r${i % 2}.mkv`));
      busy();
      await p;
    }
  case 'record': // a Remuxer recording packets, never closed: teardown frees it
    for (let i = 0; ; i++) {
      const dec = await ff.Decoder.open(tsFile, { decode: false });
      const rec = await ff.Remuxer.open(path.join(dir, `rec${i % 2}.mp4`), {
        streams: dec.streams.map((s) => ({ parameters: s, timeBase: s.timeBase })),
      });
      for (let p; (p = await dec.readPacket()); ) {
        const w = rec.write(p);
        p.free();
        busy();
        await w;
      }
      await rec.close();
      await dec.close();
    }
  case 'transcode':
    for (let i = 0; ; i++) {
      // A MemoryStore: Node 20's own fs binding can abort the process when a
      // worker is terminated inside fs.promises.mkdir (ToLocalChecked in
      // node_file.cc, fixed upstream by nodejs/node#53869), which is not ours
      // to test here (docs/patterns/threading.md).
      const job = ff.transcode(file, { out: new ff.MemoryStore(), ladder: ['240p'], segmentDuration: 2, preset: 'ultrafast', dash: false });
      job.once('progress', busy);
      setTimeout(busy, 50);
      await job.done;
    }
  default:
    break;
}

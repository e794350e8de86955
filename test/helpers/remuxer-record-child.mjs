// Child process of test/remuxer-object.test.mjs: records a file's packets
// through a Remuxer. `half`: after the first video packet at or past 5 s is
// written, prints HALF and waits to be killed (SIGKILL) mid-recording;
// `full`: closes cleanly and prints DONE with the result.
import { Decoder, Remuxer } from 'ffnode';

const [src, out, mode] = process.argv.slice(2);
const dec = await Decoder.open(src, { decode: false });
const streams = dec.streams;
const rec = await Remuxer.open(out, { streams: streams.map((s) => ({ parameters: s, timeBase: s.timeBase, frameRate: s.frameRate })) });
const start = streams[0].startTime ?? 0;
for (let p; (p = await dec.readPacket()); ) {
  const video = streams[p.streamIndex].mediaType === 'video';
  const t = p.pts === null ? 0 : (p.pts * p.timeBase[0]) / p.timeBase[1] - start;
  const written = rec.write(p);
  p.free();
  await written;
  if (mode === 'half' && video && t >= 5) {
    process.stdout.write('HALF\n');
    setInterval(() => {}, 1000); // never closes: the parent kills us
    await new Promise(() => {});
  }
}
const r = await rec.close();
await dec.close();
process.stdout.write(`DONE ${JSON.stringify(r)}\n`);

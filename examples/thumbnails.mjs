// Thumbnails every N seconds: decode the video, take the first frame at or
// after each multiple of N, scale it to a small RGB picture and encode it as
// PNG. Run: node examples/thumbnails.mjs [input] [outDir] [everySeconds] [width]
// Without an input it makes a 4 s sample.
import fs from 'node:fs';
import path from 'node:path';
import { Decoder, Scaler, Encoder } from 'ffnode';
import { checkFreed } from './support/lifecycle.mjs';
import { makeSample } from './support/sample.mjs';

const outDir = path.resolve(process.argv[3] ?? 'out/thumbnails');
const input = process.argv[2] ?? await makeSample(path.join(outDir, 'sample.mp4'));
const every = Number(process.argv[4] ?? 1);
const width = Number(process.argv[5] ?? 160);
fs.mkdirSync(outDir, { recursive: true });

const dec = await Decoder.open(input);
const v = dec.video;
if (!v) throw new Error(`${input} has no video stream`);
const height = Math.round((width * v.height) / v.width / 2) * 2; // keep the aspect ratio, even
const scaler = new Scaler({ width, height, format: 'rgb24' });

const written = [];
let next = 0;
for await (const frame of dec.frames('video')) {
  const t = (frame.pts * frame.timeBase[0]) / frame.timeBase[1];
  if (t + 1e-6 >= next) {
    const small = await scaler.scale(frame);
    // One PNG encoder per picture: each picture is a whole file of its own.
    const png = await Encoder.open({ codec: 'png', width, height, pixelFormat: 'rgb24', timeBase: frame.timeBase });
    const packets = [...(await png.encode(small)), ...(await png.encode(null))];
    const file = path.join(outDir, `thumb_${String(written.length).padStart(4, '0')}.png`);
    fs.writeFileSync(file, Buffer.concat(packets.map((p) => p.data())));
    for (const p of packets) p.free();
    await png.close();
    small.free();
    written.push({ file, at: Number(t.toFixed(3)) });
    console.log(`${file}  at ${t.toFixed(3)} s`);
    while (next <= t + 1e-6) next += every; // the next multiple of N after this frame
  }
  frame.free();
}
scaler.close();
await dec.close();

console.log(`${written.length} thumbnails of ${width}x${height}, one every ${every} s, in ${outDir}`);
const left = checkFreed();
console.log('result:', JSON.stringify({ width, height, thumbnails: written, stats: left }));

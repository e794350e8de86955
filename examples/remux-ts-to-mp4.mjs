// Remux MPEG-TS → MP4: copy the streams into another container without
// re-encoding (what `ffmpeg -i in.ts -c copy out.mp4` does). `remux()` adds
// the bitstream filters MP4 needs (H.264 Annex B → avcC, AAC ADTS → ASC).
// Run: node examples/remux-ts-to-mp4.mjs [input.ts] [output.mp4]
// Without an input it makes a 4 s .ts sample.
import path from 'node:path';
import { remux, Decoder } from 'ffnode';
import { checkFreed } from './support/lifecycle.mjs';
import { makeSample } from './support/sample.mjs';

const output = path.resolve(process.argv[3] ?? 'out/remux/out.mp4');
const input = process.argv[2] ?? await makeSample(path.join(path.dirname(output), 'sample.ts'));

const t0 = performance.now();
const result = await remux(input, output, {
  // +faststart moves the index to the front so a browser can start playing at once.
  options: { movflags: '+faststart' },
});
const ms = performance.now() - t0;

for (const s of result.streams) {
  console.log(`  input stream ${s.inputIndex} → output ${s.outputIndex}: ${s.packets} packets${s.bsf ? `, bitstream filter ${s.bsf}` : ''}`);
}
console.log(`${input} → ${output}: ${result.packets} packets, ${result.bytes} bytes in ${ms.toFixed(0)} ms`);

// Read it back to show what the MP4 holds (demux only: decode: false).
const check = await Decoder.open(output, { decode: false });
console.log(`output: ${check.info.format}, ${check.info.duration?.toFixed(3)} s, streams: ${check.streams.map((s) => s.codec).join(', ')}`);
await check.close();

const left = checkFreed();
console.log('result:', JSON.stringify({ input, output, packets: result.packets, bytes: result.bytes, streams: result.streams, stats: left }));

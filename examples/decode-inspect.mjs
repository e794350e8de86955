// Decode a file and look at what is inside: the container, its streams, and
// every decoded frame (type, timestamp, keyframe, size). No output file.
// Run: node examples/decode-inspect.mjs [input] [framesToList]
// Without an input it makes a 4 s sample (H.264 + AAC, a keyframe every second).
import path from 'node:path';
import { Decoder } from 'ffnode';
import { checkFreed } from './support/lifecycle.mjs';
import { makeSample } from './support/sample.mjs';

const input = process.argv[2] ?? await makeSample(path.resolve('out/decode-inspect/sample.mp4'));
const toList = Number(process.argv[3] ?? 10);

const dec = await Decoder.open(input);
const { info } = dec;
console.log(`${input}: ${info.format}, ${info.duration?.toFixed(3)} s, ${Math.round(info.bitRate / 1000)} kb/s`);
for (const s of info.streams) {
  const what = s.mediaType === 'video' ? `${s.width}x${s.height} ${s.pixelFormat ?? ''} ${s.frameRate?.join('/')} fps` : `${s.sampleRate} Hz ${s.channelLayout ?? s.channels + ' ch'}`;
  console.log(`  stream ${s.index}: ${s.mediaType} ${s.codec} ${what}`);
}

// Per stream: frames, keyframes, picture types, first and last timestamp.
const seen = new Map();
let listed = 0;
for await (const batch of dec.batches()) { // every stream, in file order
  for (const frame of batch.frames) {
    const type = frame.mediaType;
    const t = (frame.pts * frame.timeBase[0]) / frame.timeBase[1]; // pts in seconds
    const s = seen.get(type) ?? { frames: 0, keyframes: 0, keyframeTimes: [], pictTypes: {}, first: t, last: t };
    s.frames++;
    s.last = t;
    if (frame.keyFrame) {
      s.keyframes++;
      if (type === 'video') s.keyframeTimes.push(Number(t.toFixed(3)));
    }
    if (type === 'video') s.pictTypes[frame.pictType] = (s.pictTypes[frame.pictType] ?? 0) + 1;
    seen.set(type, s);
    if (type === 'video' && listed++ < toList) {
      console.log(`  video frame pts=${frame.pts} (${t.toFixed(3)} s) ${frame.pictType}${frame.keyFrame ? ' key' : ''} ${frame.width}x${frame.height} ${frame.format}, ${frame.size} bytes`);
    }
    frame.free(); // every frame is a reference to native memory: free it when done
  }
}
await dec.close();

for (const [type, s] of seen) {
  console.log(`${type}: ${s.frames} frames, ${s.keyframes} keyframes, ${s.first.toFixed(3)}–${s.last.toFixed(3)} s`, type === 'video' ? s.pictTypes : '');
}
const left = checkFreed();
// One machine-readable line for scripts (and the example's test).
console.log('result:', JSON.stringify({ input, streams: Object.fromEntries(seen), stats: left }));

// Scale + encode one file: decode → resize → H.264 (and the audio → AAC) →
// an MP4 file. The low-level objects, the way `ffmpeg -vf scale -c:v libx264`
// would do it. Run: node examples/scale-encode.mjs [input] [output.mp4] [height]
// Without an input it makes a 4 s 320x240 sample.
import path from 'node:path';
import { Decoder, Scaler, Resampler, Encoder, Remuxer } from 'ffnode';
import { checkFreed } from './support/lifecycle.mjs';
import { makeSample } from './support/sample.mjs';

const output = path.resolve(process.argv[3] ?? 'out/scale-encode/out.mp4');
const input = process.argv[2] ?? await makeSample(path.join(path.dirname(output), 'sample.mp4'));
const targetHeight = Number(process.argv[4] ?? 180);

const t0 = performance.now();
const dec = await Decoder.open(input);
const v = dec.video;
const a = dec.audio;
if (!v) throw new Error(`${input} has no video stream`);
const height = targetHeight;
const width = Math.round((v.width * height) / v.height / 2) * 2; // keep the aspect ratio; x264 wants even sizes

const scaler = new Scaler({ width, height, format: 'yuv420p' });
const fps = v.frameRate ?? [25, 1];
const venc = await Encoder.open({
  codec: 'libx264', width, height, pixelFormat: 'yuv420p', frameRate: fps, timeBase: v.timeBase,
  bitRate: 300_000, preset: 'veryfast', gop: Math.round((2 * fps[0]) / fps[1]), // a keyframe every 2 s
});
const aenc = a && await Encoder.open({ codec: 'aac', sampleRate: 48000, channelLayout: 'stereo', sampleFormat: 'fltp', bitRate: 96_000 });
const resampler = aenc && new Resampler({ sampleRate: 48000, channelLayout: 'stereo', format: 'fltp', frameSize: aenc.frameSize });

const streams = [{ parameters: venc.parameters, timeBase: venc.timeBase, frameRate: fps }];
if (aenc) streams.push({ parameters: aenc.parameters, timeBase: aenc.timeBase });
// fragmented: false writes a classic MP4 (index at the end, `+faststart` not applied).
const mux = await Remuxer.open(output, { streams, fragmented: false });
const write = async (packets, streamIndex) => {
  for (const p of packets) {
    p.streamIndex = streamIndex;
    await mux.write(p); // the Remuxer takes its own reference...
    p.free();           // ...so ours goes right away
  }
};

let frames = 0;
for await (const batch of dec.batches()) {
  for (const frame of batch.frames) {
    if (batch.streamIndex === v.index) {
      const small = await scaler.scale(frame);
      await write(await venc.encode(small), 0);
      small.free();
      frames++;
    } else if (aenc && batch.streamIndex === a.index) {
      for (const chunk of await resampler.convert(frame)) {
        await write(await aenc.encode(chunk), 1);
        chunk.free();
      }
    }
    frame.free();
  }
}
// Flush: the resampler's tail, then each encoder's delayed packets.
if (aenc) {
  for (const chunk of await resampler.convert(null)) {
    await write(await aenc.encode(chunk), 1);
    chunk.free();
  }
  await write(await aenc.encode(null), 1);
}
await write(await venc.encode(null), 0);
const { packets, bytes } = await mux.close();
await venc.close();
await aenc?.close();
resampler?.close();
scaler.close();
await dec.close();

const ms = performance.now() - t0;
console.log(`${input} (${v.width}x${v.height}) → ${output}`);
console.log(`${frames} frames scaled to ${width}x${height} and encoded with ${venc.selection.encoder} (${venc.parameters.codecString})${aenc ? ', audio aac' : ''}; ${packets} packets, ${bytes} bytes in ${ms.toFixed(0)} ms`);
const left = checkFreed();
console.log('result:', JSON.stringify({ output, width, height, frames, packets, bytes, stats: left }));

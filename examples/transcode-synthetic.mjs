// Transcodes a synthetic source (lavfi test pattern + tone) into CMAF
// segments: decode → scale → H.264, resample → AAC, → Segmenter. Prints what it
// produced. Run: node examples/transcode-synthetic.mjs [outDir] [seconds]
import fs from 'node:fs';
import path from 'node:path';
import { Decoder, Scaler, Resampler, Encoder, Segmenter, versions } from 'ffnode';
import { checkFreed } from './support/lifecycle.mjs';

const outDir = path.resolve(process.argv[2] ?? 'out/synthetic');
const seconds = Number(process.argv[3] ?? 6);
const segmentDuration = 2;
fs.mkdirSync(outDir, { recursive: true });

const source = `testsrc2=size=1280x720:rate=30:duration=${seconds}[out0];sine=frequency=440:sample_rate=44100:duration=${seconds}[out1]`;
const dec = await Decoder.open(source, { format: 'lavfi' });
const v = dec.video;
const a = dec.audio;

const scaler = new Scaler({ width: 640, height: 360, format: 'yuv420p' });
const venc = await Encoder.open({
  codec: 'libx264', width: 640, height: 360, pixelFormat: 'yuv420p', frameRate: v.frameRate, timeBase: v.timeBase,
  bitRate: 800_000, maxRate: 856_000, bufSize: 1_200_000, preset: 'veryfast', gop: 60, sceneCut: false,
});
const aenc = await Encoder.open({ codec: 'aac', sampleRate: 48000, channelLayout: 'stereo', sampleFormat: 'fltp', bitRate: 128_000 });
const resampler = new Resampler({ sampleRate: 48000, channelLayout: 'stereo', format: 'fltp', frameSize: aenc.frameSize });
const seg = await Segmenter.open({
  format: 'cmaf', segmentDuration,
  streams: [{ parameters: venc.parameters, timeBase: venc.timeBase }, { parameters: aenc.parameters, timeBase: aenc.timeBase }],
});
fs.writeFileSync(path.join(outDir, 'init.mp4'), seg.init);

// Packets go to the segmenter in time order across both streams.
const queues = [[], []];
const seconds_ = (p) => ((p.dts ?? p.pts) * p.timeBase[0]) / p.timeBase[1];
const written = [];
async function emit(stream, packets, final = false) {
  for (const p of packets) p.streamIndex = stream;
  queues[stream].push(...packets);
  const ready = [];
  while ((queues[0].length && queues[1].length) || (final && (queues[0].length || queues[1].length))) {
    const [q0, q1] = queues;
    const q = !q1.length || (q0.length && seconds_(q0[0]) <= seconds_(q1[0])) ? q0 : q1;
    ready.push(q.shift());
  }
  if (!ready.length) return;
  for (const s of await seg.write(ready)) save(s);
  for (const p of ready) p.free();
}
function save(s) {
  const name = `seg_${s.sequence}.m4s`;
  fs.writeFileSync(path.join(outDir, name), s.data);
  written.push({ name, start: s.start.toFixed(3), duration: s.duration.toFixed(3), bytes: s.size, keyframe: s.startsWithKeyframe });
}

const t0 = performance.now();
let videoFrames = 0;
let nextKey = 0;
for await (const batch of dec.batches()) {
  for (const frame of batch.frames) {
    if (batch.streamIndex === v.index) {
      const t = (frame.pts * frame.timeBase[0]) / frame.timeBase[1];
      const small = await scaler.scale(frame);
      if (t >= nextKey) {
        small.keyFrame = true; // IDR on the segment grid
        nextKey += segmentDuration;
      }
      await emit(0, await venc.encode(small));
      small.free();
      videoFrames++;
    } else if (batch.streamIndex === a.index) {
      for (const chunk of await resampler.convert(frame)) {
        await emit(1, await aenc.encode(chunk));
        chunk.free();
      }
    }
    frame.free();
  }
}
for (const chunk of await resampler.convert(null)) {
  await emit(1, await aenc.encode(chunk));
  chunk.free();
}
await emit(1, await aenc.encode(null));
await emit(0, await venc.encode(null), true);
for (const s of await seg.finish()) save(s);
const ms = performance.now() - t0;

await seg.close();
await venc.close();
await aenc.close();
scaler.close();
resampler.close();
await dec.close();

console.log(`ffnode on FFmpeg ${versions().ffmpeg}`);
console.log(`source: ${source}`);
console.log(`video: ${venc.selection.encoder} ${venc.parameters.codecString} 640x360, audio: aac ${aenc.parameters.codecString}`);
console.log(`encoded ${videoFrames} video frames in ${ms.toFixed(0)} ms (${((seconds * 1000) / ms).toFixed(1)}× real time)`);
console.log(`wrote ${outDir}/init.mp4 (${seg.init.length} bytes) and ${written.length} segments:`);
console.table(written);
checkFreed();

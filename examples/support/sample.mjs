// Makes a short H.264 + AAC sample file with ffnode itself (lavfi test
// pattern + tone → encoders → Remuxer), so every example runs without an
// input of your own. Not an example on its own: the others import it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Decoder, Encoder, Resampler, Remuxer } from 'ffnode';

/**
 * Writes `seconds` of 320x240 25 fps video with a keyframe every `gop` frames
 * and 48 kHz stereo AAC to `file` (container from the extension: .mp4, .ts, ...).
 * Returns the path.
 */
export async function makeSample(file, { seconds = 4, width = 320, height = 240, gop = 25 } = {}) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const graph = `testsrc2=size=${width}x${height}:rate=25:duration=${seconds}[out0];sine=frequency=440:sample_rate=48000:duration=${seconds}[out1]`;
  const dec = await Decoder.open(graph, { format: 'lavfi' });
  const v = dec.video;
  const venc = await Encoder.open({
    codec: 'libx264', width, height, pixelFormat: 'yuv420p', frameRate: v.frameRate, timeBase: v.timeBase,
    bitRate: 400_000, preset: 'ultrafast', gop, sceneCut: false,
  });
  const aenc = await Encoder.open({ codec: 'aac', sampleRate: 48000, channelLayout: 'stereo', sampleFormat: 'fltp', bitRate: 96_000 });
  const resampler = new Resampler({ sampleRate: 48000, channelLayout: 'stereo', format: 'fltp', frameSize: aenc.frameSize });
  const mux = await Remuxer.open(file, {
    fragmented: false, // a classic MP4 with its index at the end, like most files users have
    streams: [
      { parameters: venc.parameters, timeBase: venc.timeBase, frameRate: v.frameRate },
      { parameters: aenc.parameters, timeBase: aenc.timeBase },
    ],
  });
  // The Remuxer interleaves by timestamp; each packet says its output stream.
  const write = async (packets, streamIndex) => {
    for (const p of packets) {
      p.streamIndex = streamIndex;
      await mux.write(p);
      p.free();
    }
  };
  for await (const batch of dec.batches()) {
    for (const frame of batch.frames) {
      if (batch.streamIndex === v.index) await write(await venc.encode(frame), 0);
      else for (const chunk of await resampler.convert(frame)) {
        await write(await aenc.encode(chunk), 1);
        chunk.free();
      }
      frame.free();
    }
  }
  for (const chunk of await resampler.convert(null)) {
    await write(await aenc.encode(chunk), 1);
    chunk.free();
  }
  await write(await aenc.encode(null), 1);
  await write(await venc.encode(null), 0);
  await mux.close();
  await venc.close();
  await aenc.close();
  resampler.close();
  await dec.close();
  return file;
}

/** A fresh temporary directory for an example's default output. */
export function tempDir(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ffnode-${name}-`));
}

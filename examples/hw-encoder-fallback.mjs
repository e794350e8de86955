// Hardware encoder selection with fallback: ask for any GPU encoder
// (hwDevice: 'auto' tries cuda, vaapi, qsv, videotoolbox), and fall back to
// the software encoder when none opens. ffnode really creates the device and
// opens the encoder before choosing it, and says what it chose and why.
// Run: node examples/hw-encoder-fallback.mjs [hwDevice: auto|cuda|vaapi|qsv|videotoolbox] [seconds]
import { Decoder, Encoder, FFmpegError } from 'ffnode';
import { checkFreed } from './support/lifecycle.mjs';

const hwDevice = process.argv[2] ?? 'auto';
const seconds = Number(process.argv[3] ?? 2);

// The device types that open on this machine (device creation only).
const devices = await Encoder.hardware();
console.log(`hardware devices that open here: ${devices.length ? devices.join(', ') : 'none'}`);

const dec = await Decoder.open(`testsrc2=size=640x360:rate=25:duration=${seconds}`, { format: 'lavfi' });
const v = dec.video;
const enc = await Encoder.open({
  codec: 'h264',           // a codec, not an encoder: ffnode picks h264_nvenc / h264_vaapi / ... or libx264
  hwDevice,
  fallback: 'software',    // the default; 'error' rejects instead (below)
  width: 640, height: 360, pixelFormat: 'yuv420p', frameRate: v.frameRate, timeBase: v.timeBase,
  bitRate: 1_000_000, gop: 50, preset: 'veryfast',
});
const { selection } = enc;
if (selection.hardware) console.log(`using hardware: ${selection.encoder} on ${selection.hardware} (${selection.reason})`);
else console.log(`no hardware encoder opened; fell back to software ${selection.encoder} because: ${selection.reason}`);

// Encode a few seconds to show the chosen encoder works (hardware frames are uploaded for you).
let packets = 0;
let bytes = 0;
const count = (list) => {
  for (const p of list) {
    packets++;
    bytes += p.size;
    p.free();
  }
};
for await (const frame of dec.frames('video')) {
  count(await enc.encode(frame));
  frame.free();
}
count(await enc.encode(null));
console.log(`encoded ${packets} packets (${bytes} bytes) of ${seconds} s with ${selection.encoder}, ${enc.parameters.codecString}`);
await enc.close();
await dec.close();

// When a GPU is a must (e.g. a box sized for it), fallback: 'error' rejects with the reason per device.
let strict = null;
try {
  const hw = await Encoder.open({ codec: 'h264', hwDevice, fallback: 'error', width: 640, height: 360, frameRate: [25, 1], timeBase: [1, 25] });
  strict = { encoder: hw.selection.encoder };
  await hw.close();
} catch (e) {
  if (!(e instanceof FFmpegError)) throw e;
  strict = { error: e.errorName, message: e.message };
  console.log(`with fallback: 'error' the open fails: ${e.errorName}: ${e.message}`);
}

const left = checkFreed();
console.log('result:', JSON.stringify({ devices, selection, packets, bytes, strict, stats: left }));

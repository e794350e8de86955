/**
 * ffnode: FFmpeg's libav* for Node.js. Ref-counted native media objects whose
 * work runs off the event loop, composed into adaptive-bitrate pipelines.
 *
 * @example
 * import { Decoder, Scaler, Encoder, stats } from 'ffnode';
 * const dec = await Decoder.open('testsrc2=size=1280x720:rate=30:duration=2', { format: 'lavfi' });
 * const scaler = new Scaler({ width: 640, height: 360 });
 * const enc = await Encoder.open({ codec: 'libx264', width: 640, height: 360, frameRate: [30, 1], timeBase: [1, 30] });
 * for await (using frame of dec.frames()) {
 *   using small = await scaler.scale(frame);
 *   for (const p of await enc.encode(small)) p.free();
 * }
 * for (const p of await enc.encode(null)) p.free();
 * await enc.close(); scaler.close(); await dec.close();
 * console.log(stats()); // all zero
 */
export { FFmpegError, isEOF, isAgain, isClosed } from './errors.js';
export { Frame, Packet, FramePool } from './media/frame.js';
export { Decoder } from './media/decoder.js';
export type { DecoderOptions, ByteSource, StreamSelector, DecodedBatch, InputInfo, StreamInfo } from './media/decoder.js';
export { Scaler } from './media/scaler.js';
export type { ScalerOptions } from './media/scaler.js';
export { Resampler } from './media/resampler.js';
export type { ResamplerOptions } from './media/resampler.js';
export { Encoder } from './media/encoder.js';
export type { CodecParameters, EncoderOptions, EncoderSelection, HwDeviceType } from './media/encoder.js';
export { remux } from './media/remuxer.js';
export type { RemuxOptions, RemuxResult, RemuxCallOptions } from './media/remuxer.js';
export { Segmenter } from './media/segmenter.js';
export type { SegmentInfo, SegmenterOptions } from './media/segmenter.js';
export { stats, versions, setLogLevel } from './stats.js';
export type { Stats } from './stats.js';
export type { Rational, AVOptions, MediaType, VideoFrameInit, AudioFrameInit, PacketInit } from '../types/binding.js';

/**
 * The contract between native/ (C++ addon) and lib/ (TypeScript).
 * Every method that touches codec, container or I/O work returns a Promise and
 * runs off the event loop. Timestamps are plain numbers in the stated time base;
 * `null` means "no timestamp" (AV_NOPTS_VALUE). Rationals are `[num, den]`.
 */

export type Rational = [number, number];
export type MediaType = 'video' | 'audio' | 'subtitle' | 'data' | 'attachment' | 'unknown';
export type OptionValue = string | number | boolean;
export type AVOptions = Record<string, OptionValue | undefined>;

/** library versions the addon runs on (libavdevice: the one it loads on first device input) */
export interface Versions {
  ffmpeg: string; libavcodec: string; libavformat: string; libavutil: string;
  libswscale: string; libswresample: string; libavdevice: string;
  /** null when built without zimg: every resize runs on swscale */
  zimg: string | null;
}

export interface NativeStats {
  frames: number; packets: number; objects: number;
  frameBytes: number; packetBytes: number; poolBytes: number;
  leakedFrames: number; leakedPackets: number; leakedObjects: number;
}

/**
 * Every numeric field follows the argument vocabulary (docs/patterns/error-handling.md):
 * a wrong type is a TypeError, NaN/fractions/out-of-range values a RangeError naming
 * the field; limits are `LIMITS` (width/height 1..16384, time base terms 1..2^31-1, ...).
 */
export interface VideoFrameInit { width: number; height: number; format?: string; pts?: number | null; timeBase?: Rational }
export interface AudioFrameInit { sampleRate: number; channelLayout?: string; format?: string; nbSamples: number; pts?: number | null; timeBase?: Rational }

export declare class Frame {
  private constructor();
  static video(init: VideoFrameInit): Frame;
  static audio(init: AudioFrameInit): Frame;
  ref(): Frame;
  free(): void;
  data(plane?: number): Buffer;
  linesize(plane?: number): number;
  toJSON(): object;
  readonly freed: boolean;
  readonly mediaType: 'video' | 'audio' | 'unknown';
  readonly width: number;
  readonly height: number;
  /** pixel format (video) or sample format (audio) name, e.g. 'yuv420p', 'fltp' */
  readonly format: string | null;
  pts: number | null;
  duration: number | null;
  timeBase: Rational;
  /** true for a decoded keyframe, or after `keyFrame = true`; setting true asks an encoder for an IDR here */
  keyFrame: boolean;
  /** true only when `keyFrame = true` was set from JS (an IDR request encoders honour) */
  readonly keyRequested: boolean;
  readonly pictType: string;
  readonly sampleRate: number;
  readonly channelLayout: string | null;
  readonly channels: number;
  readonly nbSamples: number;
  readonly planes: number;
  readonly size: number;
}

/** pts/dts: integers within ±2^62 or null; duration 0..2^62; streamIndex 0..999; keyFrame a boolean. */
export interface PacketInit { pts?: number | null; dts?: number | null; duration?: number; streamIndex?: number; timeBase?: Rational; keyFrame?: boolean }

export declare class Packet {
  private constructor();
  static fromBuffer(data: Buffer, init?: PacketInit): Packet;
  ref(): Packet;
  free(): void;
  data(): Buffer;
  toJSON(): object;
  readonly freed: boolean;
  pts: number | null;
  dts: number | null;
  duration: number;
  timeBase: Rational;
  streamIndex: number;
  keyFrame: boolean;
  readonly size: number;
}

export declare class FramePool {
  constructor(init: { width: number; height: number; format?: string });
  /** a frame whose buffers come from (and return to) the pool */
  get(): Frame;
  close(): void;
  readonly width: number; readonly height: number; readonly format: string;
  /** bytes allocated by the pool (free + in use) */
  readonly bytes: number;
  readonly allocated: number;
}

/** codec parameters of a stream as the demuxer/encoder sees them */
export interface CodecParameters {
  mediaType: MediaType;
  codec: string;             // e.g. 'h264', 'aac'
  profile: string | null;    // e.g. 'High', 'LC'
  level: number | null;
  bitRate: number;
  width?: number; height?: number; pixelFormat?: string | null;
  sampleRate?: number; channels?: number; channelLayout?: string | null; sampleFormat?: string | null;
  frameSize?: number;
  /** video: frames of reordering (B-frames); the first dts is this many frames before the first pts */
  videoDelay?: number;
  /** audio: priming samples before the first real one (AAC: 1024) */
  initialPadding?: number;
  /** RFC 6381 codecs string, e.g. 'avc1.64001f', 'mp4a.40.2' */
  codecString: string | null;
  extradata: Buffer | null;
}

export interface StreamInfo extends CodecParameters {
  index: number;
  timeBase: Rational;
  frameRate: Rational | null;   // avg_frame_rate, or r_frame_rate when unknown
  duration: number | null;      // seconds
  startTime: number | null;     // seconds
  nbFrames: number;
  decodable: boolean;
}

export interface InputInfo {
  format: string;       // demuxer name
  duration: number | null; // seconds
  bitRate: number;
  startTime: number | null;
  streams: StreamInfo[];
}

export interface DecoderOpenOptions {
  format?: string;            // demuxer, e.g. 'lavfi', 'mpegts'
  options?: AVOptions;        // demuxer/protocol AVOptions
  /** ms for any single blocking open/read; 0 disables. Default 15000 for network URLs, 0 otherwise */
  timeoutMs?: number;
  /** ms for the whole open (open + stream probing); 0 disables. Default: timeoutMs */
  openTimeoutMs?: number;
  /** open decoders (default true); false = demux only */
  decode?: boolean;
  /** decoder threads per stream (0 = auto) */
  threads?: number;
  /** pixel rate (w×h×fps) up to which video decodes on one thread (0 = off) */
  oneThreadUpTo?: number;
  /** read input from pushInput() instead of a URL */
  customIO?: boolean;
  /** let probing pick the hls demuxer (see DecoderOptions.allowPlaylists for the risk) */
  allowPlaylists?: boolean;
}

/** what one read() produced: every frame a packet yielded, for one stream */
export interface DecodedBatch { streamIndex: number; frames: Frame[] }

export declare class Decoder {
  constructor();
  open(url: string, opts?: DecoderOpenOptions): Promise<InputInfo>;
  /** next demuxed packet (timeBase = its stream's), or null at end of input */
  readPacket(): Promise<Packet | null>;
  /** decodes one packet of stream packet.streamIndex; returns all frames it yielded */
  decodePacket(packet: Packet): Promise<Frame[]>;
  /** flushes one stream's decoder (end of input): returns the frames it held */
  flushStream(streamIndex: number): Promise<Frame[]>;
  /** reads + decodes until some stream yields frames; at EOF flushes every decoder; null when done */
  read(): Promise<DecodedBatch | null>;
  /** seek to `seconds` (keyframe at or before); decoders are flushed */
  seek(seconds: number, streamIndex?: number): Promise<void>;
  /** custom I/O: queue bytes; returns false when the buffer is over its high-water mark */
  pushInput(chunk: Buffer): boolean;
  endInput(): void;
  /** resolves when the input buffer has room again (or the decoder closed) */
  inputDrained(): Promise<void>;
  /** aborts a blocked open/read now (it fails with EXIT); sync */
  interrupt(): void;
  close(): Promise<void>;
  readonly closed: boolean;
  /** packets or frames the decoders rejected (corrupt data, unsupported features) and that were skipped */
  readonly decodeErrors: number;
  /** decodeErrors of one stream (0 for an unknown index or before open) */
  streamDecodeErrors(streamIndex: number): number;
}

export interface ScalerOptions {
  width: number; height: number; format?: string;  // output
  /** sws algorithm: 'bicubic' (default), 'bilinear', 'fast_bilinear', 'lanczos', 'area', 'point' */
  algorithm?: string;
  /** 'auto' (default): zimg for same-format resizes when built with it, else swscale; or force one */
  backend?: 'auto' | 'swscale' | 'zimg';
  /** pool frames kept free for reuse (default 8) */
  poolSize?: number;
}
export declare class Scaler {
  constructor(opts: ScalerOptions);
  /** scales into a pooled frame; pts/timeBase/keyFrame carried over */
  scale(frame: Frame): Promise<Frame>;
  close(): void;
  readonly closed: boolean;
}

export interface ResamplerOptions {
  sampleRate: number; channelLayout?: string; format?: string; // output
  /** emit frames of exactly this many samples (the encoder's frame size); 0 = as they come */
  frameSize?: number;
}
export declare class Resampler {
  constructor(opts: ResamplerOptions);
  /** converts; returns 0..n frames (pts in 1/sampleRate). null flushes (last frame may be short) */
  convert(frame: Frame | null): Promise<Frame[]>;
  close(): void;
  readonly closed: boolean;
}

export type HwDeviceType = 'cuda' | 'vaapi' | 'qsv' | 'videotoolbox';

/** x264's presets; x265 has the same names (hardware encoders get them mapped: native/encoder_options.cc). */
export type X264Preset = 'ultrafast' | 'superfast' | 'veryfast' | 'faster' | 'fast' | 'medium' | 'slow' | 'slower' | 'veryslow' | 'placebo';
export type X265Preset = X264Preset;
/** x264's tunes. */
export type X264Tune = 'film' | 'animation' | 'grain' | 'stillimage' | 'psnr' | 'ssim' | 'fastdecode' | 'zerolatency';
/** x265's tunes (a subset of x264's names). */
export type X265Tune = 'psnr' | 'ssim' | 'grain' | 'zerolatency' | 'fastdecode' | 'animation';
declare const unlistedBrand: unique symbol;
/**
 * The escape hatch of the name unions: a string they don't list (an encoder's
 * own preset such as nvenc's 'p4'), passed to libav as is. Made by
 * `unlisted('p4')`; a plain string literal never is one, so a typo such as
 * 'superfast2' still fails to compile.
 */
export type Unlisted = string & { readonly [unlistedBrand]: true };
/** An encoder preset: x264/x265's names, or {@link Unlisted}. */
export type Preset = X264Preset | Unlisted;
/** An encoder tune: x264/x265's names, or {@link Unlisted}. */
export type Tune = X264Tune | X265Tune | Unlisted;
export interface EncoderOptions {
  codec: string;                 // 'libx264', 'aac', 'h264_nvenc', ... or 'h264' (generic)
  // video
  width?: number; height?: number; pixelFormat?: string; frameRate?: Rational;
  // audio
  sampleRate?: number; channelLayout?: string; sampleFormat?: string;
  timeBase?: Rational;
  bitRate?: number; maxRate?: number; bufSize?: number; crf?: number;
  preset?: Preset; tune?: Tune; profile?: string; level?: string;
  gop?: number; minKeyint?: number; sceneCut?: boolean; bFrames?: number; threads?: number;
  /** emit global headers (extradata) – needed by mp4/CMAF; default true */
  globalHeader?: boolean;
  options?: AVOptions;
  hwDevice?: HwDeviceType | 'auto';
  device?: string | number;
  fallback?: 'software' | 'error';
}
export interface EncoderSelection { encoder: string; hardware: HwDeviceType | null; reason: string }
export declare class Encoder {
  constructor();
  open(opts: EncoderOptions): Promise<EncoderSelection>;
  /** sends a frame (null = flush) and returns every packet ready (timeBase = encoder's) */
  encode(frame: Frame | null): Promise<Packet[]>;
  readonly parameters: CodecParameters | null;
  readonly timeBase: Rational | null;
  readonly frameSize: number;
  readonly selection: EncoderSelection | null;
  close(): Promise<void>;
  readonly closed: boolean;
  /** device types whose device really opens here */
  static hardware(): Promise<HwDeviceType[]>;
}

export interface RemuxOptions {
  format?: string;                // output muxer; guessed from the path when absent
  inputFormat?: string;
  inputOptions?: AVOptions;
  options?: AVOptions;            // muxer options, e.g. { movflags: '+frag_keyframe+empty_moov' }
  streams?: number[];             // input stream indices to keep (default: all audio/video)
  timeoutMs?: number;
  /** keep input timestamps; by default the output starts at 0, as with the ffmpeg CLI */
  copyTs?: boolean;
  /**
   * Let content probing pick the HLS demuxer (default false). A playlist
   * opens every URL it lists — segments, keys, variant playlists — so an
   * upload or stream that is secretly a playlist could make the remuxer read
   * other local files or reach internal hosts. Off, a playlist input is
   * refused with errorName 'EPERM' before anything it names is opened. On,
   * its nested opens are still held to the input's protocols (a network
   * playlist never reaches `file:`) and to TLS verification. Set it only for
   * sources you trust (e.g. `https://…/live.m3u8`). An explicit `format`
   * ('hls', 'dash', 'concat', ...) also allows that demuxer; dash, concat
   * and imf open what they list without TLS options in FFmpeg 5.1, so while
   * TLS verification is on they may not reach TLS at all (docs/ingest/network-inputs.md).
   */
  allowPlaylists?: boolean;
}
export interface RemuxResult {
  packets: number;
  streams: { inputIndex: number; outputIndex: number; packets: number; bsf: string | null }[];
  bytes: number;
  /** true when `stop` ended the copy before the input did; the output is still complete (trailer written) */
  stopped: boolean;
}
export declare class Remuxer {
  constructor();
  run(input: string, output: string, opts?: RemuxOptions): Promise<RemuxResult>;
  interrupt(): void;
  /** ends the running copy early but cleanly: the run resolves with `stopped: true` */
  stop(): void;
  close(): Promise<void>;
  readonly closed: boolean;
}

/** One output stream of a Remuxer: what a Decoder's StreamInfo (or an Encoder) gives. */
export interface RemuxerStream {
  /** codec parameters, e.g. a Decoder StreamInfo (extradata included) */
  parameters: CodecParameters;
  /** time base of the packets written to this stream (a packet's own timeBase wins when set) */
  timeBase: Rational;
  /** nominal frame rate: numbers packets without timestamps, and is stored in the container */
  frameRate?: Rational | null;
}
export interface RemuxerOpenOptions {
  /** muxer name ('mp4', 'matroska', 'mpegts', ...); default: guessed from the output's extension */
  format?: string;
  streams: RemuxerStream[];
  /** muxer and protocol AVOptions; unknown names fail the open */
  options?: AVOptions;
  /**
   * Crash-safe output (default true for mp4/mov and matroska/webm): fragmented
   * MP4 (`movflags=+frag_keyframe+empty_moov+default_base_moof` unless
   * `options.movflags` is given) or Matroska clusters of at most 1 s, each
   * flushed to the file as it is completed, so a killed process leaves a
   * playable file. false: a classic mp4 (moov written by close()).
   */
  fragmented?: boolean;
  /** keep the packets' timestamps; by default the output starts at 0 (the first packet written) */
  copyTs?: boolean;
  /** ms without progress before a blocked write fails ETIMEDOUT (default 15000 for network outputs, else none) */
  timeoutMs?: number;
}
export interface RemuxerResult { packets: number; bytes: number; streams: { index: number; packets: number; bsf: string | null }[] }
export declare class RemuxWriter {
  constructor();
  open(output: string, opts: RemuxerOpenOptions): Promise<void>;
  write(packet: Packet): Promise<void>;
  interrupt(): void;
  close(): Promise<RemuxerResult>;
  readonly closed: boolean;
}

export interface SegmenterStream { parameters: CodecParameters; timeBase: Rational }
export interface SegmenterOptions {
  format: 'cmaf' | 'mpegts';
  streams: SegmenterStream[];
  /** target seconds; cut at the first keyframe of stream 0 at or after each multiple */
  segmentDuration: number;
  /**
   * seconds added to every timestamp (default 0). Renditions of one
   * presentation use the same offset, large enough for every stream's
   * negative start (B-frame dts, audio priming), so they share one timeline.
   */
  timeOffset?: number;
  /**
   * seconds (0..segmentDuration/2): a keyframe this much before a grid point
   * still opens that segment — the one grid rule (lib/transcoding/grid.ts).
   * Default: half a frame when the cut stream's parameters carry `frameRate`
   * (a Decoder StreamInfo), else 0.
   */
  gridTolerance?: number;
}
export interface SegmentInfo {
  sequence: number; start: number; duration: number; size: number;
  startsWithKeyframe: boolean; data: Buffer;
}
export declare class Segmenter {
  constructor();
  open(opts: SegmenterOptions): Promise<{ init: Buffer | null }>;
  /** packet.streamIndex selects the segmenter stream; returns segments completed by it */
  write(packets: Packet[]): Promise<SegmentInfo[]>;
  /** closes the last segment */
  finish(): Promise<SegmentInfo[]>;
  close(): Promise<void>;
  readonly closed: boolean;
}

export interface Binding {
  Frame: typeof Frame; Packet: typeof Packet; FramePool: typeof FramePool;
  Decoder: typeof Decoder; Scaler: typeof Scaler; Resampler: typeof Resampler;
  Encoder: typeof Encoder; Remuxer: typeof Remuxer; RemuxWriter: typeof RemuxWriter; Segmenter: typeof Segmenter;
  stats(): NativeStats;
  // `name: never`: the addon passes only the names of lib/errors.ts ErrorName
  // (native/common.cc), so a constructor typed with that union fits.
  setErrorClass(ctor: new (message: string, code: number, name: never, op: string) => Error): void;
  versions(): Versions;
  setLogLevel(level: LibavLogLevel): void;
  /** one listener for libav's log lines (null: back to stderr); called on the main thread */
  onLog(listener: ((level: LibavLogLine['level'], line: string) => void) | null): void;
  /** lines dropped because the listener's queue was full */
  logDropped(): number;
}

/** libav log levels, least to most verbose */
export type LibavLogLevel = 'quiet' | 'panic' | 'fatal' | 'error' | 'warning' | 'info' | 'verbose' | 'debug';
/** one line of libav's log as onLog delivers it */
export interface LibavLogLine { level: 'fatal' | 'error' | 'warning' | 'info' | 'verbose' | 'debug'; line: string }

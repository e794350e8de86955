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
export { LIMITS, ENUMS } from './media/validate.js';
export { Decoder } from './media/decoder.js';
export type { DecoderOptions, ByteSource, StreamSelector, DecodedBatch, InputInfo, StreamInfo } from './media/decoder.js';
export { Scaler } from './media/scaler.js';
export type { ScalerOptions } from './media/scaler.js';
export { Resampler } from './media/resampler.js';
export type { ResamplerOptions } from './media/resampler.js';
export { Encoder } from './media/encoder.js';
export type { CodecParameters, EncoderOptions, EncoderSelection, HwDeviceType } from './media/encoder.js';
export { remux, Remuxer } from './media/remuxer.js';
export type { RemuxOptions, RemuxResult, RemuxCallOptions, RemuxerOpenOptions, RemuxerResult, RemuxerStream } from './media/remuxer.js';
export { Segmenter } from './media/segmenter.js';
export type { SegmentInfo, SegmenterOptions } from './media/segmenter.js';
export { transcode, Transcode, sharedTimeOffset } from './transcoding/transcode.js';
export type { TranscodeOptions, TranscodeResult, Progress } from './transcoding/transcode.js';
export { resolveLadder, RUNGS, DEFAULT_LADDER, MIN_BITRATE } from './transcoding/ladder.js';
export { balancedEncoderThreads, ONE_THREAD_DECODE } from './transcoding/threads.js';
export { LiveSession } from './transcoding/live-session.js';
export type { LiveSessionOptions, LiveSessionResult, LiveSessionStats, LiveContinuation, LiveSegmentEvent, LiveStartedEvent, OverloadPriority } from './transcoding/live-session.js';
export { ThreadBudget, threadBudget } from './transcoding/thread-budget.js';
export type { ThreadLease } from './transcoding/thread-budget.js';
export type { LatencySummary } from './transcoding/latency.js';
export type { Variant, VariantSpec, SourceVideo } from './transcoding/ladder.js';
export { KeyframeGrid, gridTolerance, reachesGridPoint } from './transcoding/grid.js';
export { SourceTimeline, DISCONTINUOUS_FORMATS } from './transcoding/timeline.js';
export type { Discontinuity } from './transcoding/timeline.js';
export type { AudioOptions } from './transcoding/audio-rendition.js';
export type { Rendition, MediaSegment, SegmentStore, StoredObject, ByteRange, PresentationMode, PresentationOptions, SegmentFormat } from './delivery/types.js';
export { Presentation, MASTER_KEY, MPD_KEY, playlistKey, initKey, segmentKey } from './delivery/presentation.js';
export { MemoryStore } from './delivery/memory-store.js';
export { FileStore } from './delivery/fs-store.js';
export { CachedStore } from './delivery/cached-store.js';
export type { CachedStoreOptions } from './delivery/cached-store.js';
export { PrefixStore } from './delivery/prefix-store.js';
export type { FileStoreOptions } from './delivery/fs-store.js';
export { renderMediaPlaylist, renderMasterPlaylist, mediaPlaylistVersion, hlsTargetDuration, formatExtinf } from './delivery/hls.js';
export type { PlaylistSegment, MediaPlaylistOptions, MasterEntry, MasterPlaylistOptions } from './delivery/hls.js';
export { renderMpd, buildSegmentTimeline, isoDuration, dashFrameRate } from './delivery/dash.js';
export type { MpdOptions, MpdRepresentation, MpdSegment, TimelineEntry } from './delivery/dash.js';
export { BandwidthMeter, measureBandwidth, nominalBandwidth } from './delivery/bandwidth.js';
export type { Bandwidth } from './delivery/bandwidth.js';
export { stats, versions } from './stats.js';
export { setLogLevel, onLog, logDropped, type LibavLogLevel, type LibavLogLine } from './log.js';
export type { Versions } from './stats.js';
export type { Stats } from './stats.js';
export type { Rational, AVOptions, MediaType, VideoFrameInit, AudioFrameInit, PacketInit } from '../types/binding.js';
export { RtmpServer, RtmpConnection, RtmpError, ChunkParser, ChunkWriter, RTMP_MESSAGE_TYPES, decodeAmf0, encodeAmf0, Handshake, FlvWriter, unsupportedCodec } from './server/rtmp/index.js';
export type { RtmpServerOptions, ServerPublishGate, RtmpConnectionOptions, PublishRequest, PublishEvent, PublishGate, RtmpMessage, ChunkLimits, AmfValue, AmfObject, AmfLimits } from './server/rtmp/index.js';
export { StreamRefused } from './server/errors.js';
export { parseStreamPath } from './server/types.js';
export type { IngestProtocol, IngestSource, StreamState, StreamPath, RefusalCode, Publication, PublishTarget, RenditionSnapshot, StreamSnapshot, StreamDirectory } from './server/types.js';
export { attachRtmp, createPushHandler, REFUSAL_STATUS, PushBody, probePushFormat, PullSource, checkPullUrl, PULL_SCHEMES, ListenerSource, checkListenerUrl, backoffDelay, resolveBackoff, BACKOFF_DEFAULTS } from './server/ingest/index.js';
export type { AttachRtmpOptions, PushHandlerOptions, PushBodyOptions, PushBodyEnd, PullSourceOptions, PullStopReason, ListenerSourceOptions, BackoffOptions } from './server/ingest/index.js';
export { DemoSource, demoGraph, probeDemoClock, DEMO_PATH } from './server/ingest/demo.js';
export type { DemoSourceOptions, DemoClock } from './server/ingest/demo.js';
export { serve } from './server/serve.js';
export type { ServeOptions, LiveServer } from './server/serve.js';
export { validateServeOptions, loadServeConfig, ConfigError } from './server/config.js';
export { createHandler } from './server/http/handler.js';
export type { HandlerOptions, HandlerSource, RequestHandler, Next, CorsOrigins, TokenOptions } from './server/http/types.js';
export { ViewerTracker } from './server/viewers.js';
export type { ViewerTrackerOptions } from './server/viewers.js';
export { LiveMetrics } from './server/metrics.js';
export type { LiveMetricsOptions, RequestRoute } from './server/metrics.js';
export { TimedStore } from './server/timed-store.js';
export type { ApiStream } from './server/http/api.js';
export type { PublishContext, PublishAuthOptions } from './server/options.js';
export { signUrl } from './server/auth/sign-url.js';
export type { SignUrlOptions } from './server/auth/sign-url.js';
export { resolveRequestPath } from './server/http/request-path.js';
export { StreamRegistry } from './server/registry.js';
export type { RegistryOptions } from './server/options.js';
export { LiveStream } from './server/stream.js';
export { Recorder } from './server/recorder.js';
export type { RecorderOptions, RecordingResult } from './server/recorder.js';
export { IngestMeter } from './server/ingest-meter.js';

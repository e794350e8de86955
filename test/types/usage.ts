// Valid usages: every line here must compile in a strict consumer.
import { EventEmitter, once } from 'node:events';
import {
  FFmpegError, LiveSession, PullSource, RtmpServer, StreamRegistry, MemoryStore, transcode, unlisted, resolveLadder,
  type ErrorName, type LadderSpec, type LiveSegmentEvent, type Progress, type PublisherInfo, type RecordingResult, type RtmpConnection,
  type RtmpError, type RungName, type Discontinuity, type Publication, type TranscodeEvents, type EncoderOptions,
  type HandlerSource, type PublishTarget, type StreamDirectory,
} from 'ffnode';

// Exact type equality: `expectType<Equal<A, B>>(true)` fails unless A is B.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
declare function expectType<T extends true>(ok: T): void;

const ladder: LadderSpec = ['1080p', { height: 540, bitrate: 1_800_000 }, '360p', { passthrough: true }];
const job = transcode('input.mp4', {
  out: 'public/vod', ladder, segmentDuration: 4, segmentFormat: 'cmaf', mode: 'vod', preset: 'veryfast', hwDevice: 'auto',
});
job.on('progress', (p) => {
  expectType<Equal<typeof p, Progress>>(true);
  console.log(p.percent?.toFixed(1), p.speed.toFixed(2));
});
job.once('warning', (w) => expectType<Equal<typeof w, string>>(true));
job.on('discontinuity', (d) => expectType<Equal<typeof d, Discontinuity>>(true));
job.off('progress', () => {}).removeAllListeners('warning');
expectType<Equal<Parameters<TranscodeEvents['progress'][0] extends Progress ? () => void : never>, []>>(true);
// node:events helpers still take ffnode's emitters
void once(job, 'progress');

// escape hatch: a preset the unions don't list, for an encoder's own names
transcode('input.mp4', { out: 'vod', ladder: [{ height: 720, codec: 'h264_nvenc', preset: unlisted('p4') }] });
const enc: EncoderOptions = { codec: 'libx265', preset: 'slow', tune: 'grain' };
const nvenc: EncoderOptions = { codec: 'h264_nvenc', preset: unlisted('p7'), tune: unlisted('hq') };
void enc; void nvenc;
const rung: RungName = '720p';
resolveLadder({ width: 1920, height: 1080, frameRate: 30 }, [rung, '240p']);

const registry = new StreamRegistry({ store: new MemoryStore(), ladder: ['480p', '360p'], preset: 'superfast', latency: 'low', segmentFormat: 'ts' });
registry.on('publish', (path, who) => {
  expectType<Equal<typeof path, string>>(true);
  expectType<Equal<typeof who, PublisherInfo>>(true);
});
registry.on('segment', (path, s) => expectType<Equal<[typeof path, typeof s], [string, LiveSegmentEvent]>>(true));
registry.on('recorded', (_path, r) => expectType<Equal<typeof r, RecordingResult>>(true));
registry.on('end', (_path, { recording }) => expectType<Equal<typeof recording, string | null>>(true));
registry.on('error', (_path, e) => expectType<Equal<typeof e, Error>>(true));
registry.stream('live/cam1')?.on('started', (info) => console.log(info.encoders));

// A registry of the user's own on a plain EventEmitter still fits the HTTP face (typed maps stay compatible).
declare const parts: StreamDirectory & PublishTarget;
const own: NonNullable<Extract<HandlerSource, { registry?: unknown }>['registry']> = Object.assign(new EventEmitter(), parts);
void own;

const rtmp = new RtmpServer();
rtmp.on('publish', (ev, conn) => {
  expectType<Equal<typeof conn, RtmpConnection>>(true);
  conn.on('close', () => {});
  void ev.stream;
});
rtmp.on('clientError', (e, conn) => {
  expectType<Equal<typeof e, RtmpError>>(true);
  if (e.errorName === 'ELIMIT' && conn === null) console.log('refused before it was a connection');
});

const pull = new PullSource(registry, { path: 'live/cam1', url: 'rtmp://127.0.0.1/live/src' });
pull.on('connected', (pub) => expectType<Equal<typeof pub, Publication>>(true));
pull.on('attempt', ({ attempt, delayMs }) => console.log(attempt + delayMs));
pull.on('stopped', (why) => expectType<Equal<typeof why, 'stopped' | 'maxAttempts' | 'refused' | 'kicked' | 'takeover' | 'shutdown'>>(true));

declare const session: LiveSession;
session.on('dropped', (d) => expectType<Equal<typeof d, Record<string, number>>>(true));
session.on('stats', (s) => console.log(s.startup));

export async function finish(): Promise<void> {
  try {
    await job.done;
  } catch (e) {
    if (e instanceof FFmpegError) {
      expectType<Equal<typeof e.input, string | null>>(true);
      const name: ErrorName = e.errorName;
      if (name === 'ENOENT' || name === 'DEMUXER_NOT_FOUND' || name === 'ESTORE') console.log(e.input, e.operation, e.code);
    }
  }
}

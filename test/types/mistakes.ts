// Each mistake below must be a compile error: an unused @ts-expect-error
// fails tsc, so a union or event map that goes loose fails the test.
import { FFmpegError, RtmpServer, StreamRegistry, MemoryStore, transcode, type EncoderOptions, type RungName } from 'ffnode';

// @ts-expect-error misspelt option (segmentDurations)
transcode('in.mp4', { out: 'vod', segmentDurations: 4 });
// @ts-expect-error unknown rung name: '720' is not '720p'
transcode('in.mp4', { out: 'vod', ladder: ['720'] });
// @ts-expect-error unknown rung name in a typed variable
const r: RungName = '4k';
// @ts-expect-error preset that x264 does not have
transcode('in.mp4', { out: 'vod', preset: 'superfast2' });
// @ts-expect-error a tune that is not x264's or x265's
const e1: EncoderOptions = { codec: 'libx264', tune: 'zerolatancy' };
// @ts-expect-error a plain string is not the escape hatch (unlisted())
const e2: EncoderOptions = { codec: 'h264_nvenc', preset: 'p4' as string };
// @ts-expect-error segment format that does not exist
transcode('in.mp4', { out: 'vod', segmentFormat: 'fmp4' });
// @ts-expect-error presentation mode that does not exist
transcode('in.mp4', { out: 'vod', mode: 'vod-live' });
// @ts-expect-error hardware device type that does not exist
transcode('in.mp4', { out: 'vod', hwDevice: 'nvidia' });
// @ts-expect-error latency mode that does not exist
new StreamRegistry({ store: new MemoryStore(), latency: 'ultra' });

const job = transcode('in.mp4', { out: 'vod' });
// @ts-expect-error misspelt event name
job.on('progres', () => {});
// @ts-expect-error wrong listener argument type (progress is a Progress, not a number)
job.on('progress', (p: number) => p);
// @ts-expect-error emitting an event with the wrong argument
job.emit('warning', 42);
// @ts-expect-error misspelt registry event
new StreamRegistry({ store: new MemoryStore() }).on('unpublished', () => {});
// @ts-expect-error registry listeners get the path first, not the info
new StreamRegistry({ store: new MemoryStore() }).on('publish', (who: { protocol: string }) => who);
// @ts-expect-error RtmpServer has no 'connection' event
new RtmpServer().on('connection', () => {});

declare const err: FFmpegError;
// @ts-expect-error an errorName ffnode never produces
if (err.errorName === 'ENOFILE') console.log(err.input);
// @ts-expect-error input is string | null: not usable as a string unchecked
err.input.length;

void r; void e1; void e2;

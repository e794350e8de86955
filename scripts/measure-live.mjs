#!/usr/bin/env node
// Startup drops and encode latency of a LiveSession against transcode()'s live
// 'drop' policy, on an FLV byte stream from the ffmpeg CLI (1280x720 30 fps,
// paced with -re) into a 720p/360p ladder. `node scripts/measure-live.mjs [seconds]`
// (docs/transcoding/live-session.md, docs/server/overload.md).
import { spawn } from 'node:child_process';
import { LiveSession, Presentation, MemoryStore, transcode } from 'ffnode';

const seconds = Number(process.argv[2] ?? 5);
const flv = () =>
  spawn('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-c:a', 'aac', '-f', 'flv', 'pipe:1'],
  { stdio: ['ignore', 'pipe', 'inherit'] }).stdout;
const ladder = ['720p', '360p'];

const job = await transcode(flv(), { out: new MemoryStore(), mode: 'live', segmentDuration: 2, ladder, input: { format: 'flv' }, slowVariantPolicy: 'drop' }).done;
console.log(`transcode (mode live, slowVariantPolicy 'drop'): dropped ${job.renditions.map((c) => `${c.id} ${c.dropped}`).join(', ')}`);

for (const latency of ['low', 'normal']) {
  const presentation = new Presentation({ store: new MemoryStore(), mode: 'live', segmentFormat: 'cmaf', segmentDuration: 2 });
  const r = await LiveSession.start(flv(), { presentation, inputOptions: { format: 'flv' }, ladder, latency }).done;
  await presentation.close();
  const lat = Object.entries(r.stats.latency).map(([id, l]) => `${id} p50 ${l.p50.toFixed(1)} / p95 ${l.p95.toFixed(1)} ms`).join(', ');
  console.log(`LiveSession latency '${latency}': ${r.reason}, startupDropped ${r.startupDropped}, dropped ${Object.entries(r.stats.dropped).map(([k, v]) => `${k} ${v}`).join(', ')}; encode latency ${lat}`);
}

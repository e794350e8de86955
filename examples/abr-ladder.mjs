// The ABR ladder to a folder: one call transcodes a file into several
// renditions with aligned keyframes and writes HLS (master.m3u8 + one
// playlist per rendition) and DASH (manifest.mpd) over one set of CMAF
// segments. Serve the folder with any static web server.
// Run: node examples/abr-ladder.mjs [input] [outDir] [rungs, e.g. 480p,240p] [segmentSeconds]
// Without an input it makes a 4 s sample.
import fs from 'node:fs';
import path from 'node:path';
import { transcode } from 'ffnode';
import { checkFreed } from './support/lifecycle.mjs';
import { makeSample } from './support/sample.mjs';

const outDir = path.resolve(process.argv[3] ?? 'out/abr-ladder');
const input = process.argv[2] ?? await makeSample(path.join(path.dirname(outDir), 'abr-ladder-sample.mp4'));
// Rung names from the command line, else a named rung and a custom one.
const ladder = process.argv[4]?.split(',') ?? ['240p', { height: 144, bitrate: 150_000 }];
const segmentDuration = Number(process.argv[5] ?? 2);
fs.rmSync(outDir, { recursive: true, force: true }); // start clean: no segments of an earlier run

const job = transcode(input, {
  out: outDir,              // a directory (FileStore), or any SegmentStore (see custom-segment-store.mjs)
  ladder,                   // rung names ('1080p' … '144p', 'source') or { height, bitrate, frameRate }
  segmentDuration,          // IDR frames are forced on this grid in every rung, so players can switch anywhere
  segmentFormat: 'cmaf',    // fMP4 segments shared by HLS and DASH ('ts': HLS only)
  preset: 'veryfast',
  signal: AbortSignal.timeout(120_000), // give up on a stuck input
});
job.on('progress', (p) => process.stdout.write(`\r${p.percent?.toFixed(0) ?? '?'}%  ${p.fps.toFixed(0)} fps  ${p.speed.toFixed(2)}x `));
job.on('warning', (w) => console.warn(`\nwarning: ${w}`)); // the plan changed (a rung dropped, a bitrate raised, ...)
const result = await job.done;
process.stdout.write('\n');

for (const v of result.variants) console.log(`  ${v.id}: ${v.width}x${v.height} ${Math.round(v.bitrate / 1000)} kb/s, ${v.encoder}`);
for (const r of result.renditions) console.log(`  ${r.id}: ${r.frames} frames, ${r.segments} segments, ${r.bytes} bytes`);
console.log(`${input} → ${outDir}: ${result.duration.toFixed(2)} s in ${result.wallSeconds.toFixed(2)} s; manifests: ${result.manifests.join(', ')}`);
const left = checkFreed();
console.log('result:', JSON.stringify({ outDir, manifests: result.manifests, renditions: result.renditions, warnings: result.warnings, stats: left }));

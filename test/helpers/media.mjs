// Shared media helpers for the tests: fixtures generated once with the ffmpeg
// CLI from lavfi sources, and ffprobe as an independent oracle.
//
//   import { fixtures, fixture, ffprobe, countFrames, keyframeTimes } from './helpers/media.mjs';
//   const file = fixtures.h264aac10s();            // .cache/fixtures/h264aac10s-<hash>.mp4
//   t.equal(countFrames(file), 300);
//
// Fixtures live in .cache/fixtures/ (gitignored), named by a hash of the ffmpeg
// arguments, so changing a recipe makes a new file and an unchanged one is
// never regenerated. Each is written to a temporary name and renamed, so tap's
// parallel jobs never see half a file (two jobs may both generate the same
// fixture the first time; the last rename wins and both files are complete).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixturesDir = path.join(root, '.cache', 'fixtures');

const MAX_BUFFER = 1 << 30;

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: MAX_BUFFER });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr.trim()}`);
  return r.stdout;
}

function writeAtomic(final, write) {
  fs.mkdirSync(path.dirname(final), { recursive: true });
  const ext = path.extname(final);
  const tmp = path.join(path.dirname(final), `.${path.basename(final)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp${ext}`);
  try {
    write(tmp);
    fs.renameSync(tmp, final);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return final;
}

/** Runs the ffmpeg CLI (quiet, non-interactive); throws with its stderr on failure. */
export function ffmpeg(args) {
  return run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', ...args]);
}

/**
 * Returns the path of a media file made by `ffmpeg <ffmpegArgs> <out>`, generating
 * it on first use. `name` gives the base name and extension (the extension picks
 * the container), e.g. `fixture('gray.mkv', ['-f', 'lavfi', '-i', 'testsrc2=d=1', '-c:v', 'ffv1'])`.
 * @param {string} name
 * @param {string[]} ffmpegArgs
 * @returns {string}
 */
export function fixture(name, ffmpegArgs) {
  const ext = path.extname(name);
  const hash = createHash('sha256').update(JSON.stringify([name, ffmpegArgs])).digest('hex').slice(0, 12);
  const file = path.join(fixturesDir, `${path.basename(name, ext)}-${hash}${ext}`);
  if (fs.existsSync(file)) return file;
  return writeAtomic(file, (tmp) => ffmpeg(['-y', ...ffmpegArgs, tmp]));
}

const testsrc = (size, seconds, rate = 30) => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`];
const sine = (seconds, freq = 440) => ['-f', 'lavfi', '-i', `sine=frequency=${freq}:sample_rate=48000:duration=${seconds}`];
// Keyframe every 2 s exactly (GOP aligned to a segment grid), no scene-cut IDRs.
const x264 = (gop) => ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0'];
const aac = ['-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2'];
const avMux = [...testsrc('640x360', 10), ...sine(10), '-map', '0:v:0', '-map', '1:a:0', ...x264(60), ...aac];

/** Ready-made fixtures (each returns the file path, generating it once). */
export const fixtures = {
  /** 640x360 30 fps 10 s H.264 (keyframe every 60 frames) + AAC 48 kHz stereo, MP4: 300 video frames. */
  h264aac10s: () => fixture('h264aac10s.mp4', avMux),
  /** 1280x720 30 fps 5 s H.264 yuv420p, MP4, video only: 150 frames. */
  video720p5s: () => fixture('video720p5s.mp4', [...testsrc('1280x720', 5), '-an', ...x264(60)]),
  /** 5 s 440 Hz sine, AAC 48 kHz stereo in M4A. */
  audio5s: () => fixture('audio5s.m4a', [...sine(5), '-vn', ...aac]),
  /** Same streams as h264aac10s, in MPEG-TS. */
  mpegts10s: () => fixture('mpegts10s.ts', avMux),
};

/**
 * ffprobe's JSON for a file: always -show_streams -show_format; add e.g.
 * ['-select_streams', 'v:0', '-show_frames'] or ['-show_packets'].
 * @param {string} file
 * @param {string[]} [extraArgs]
 */
export function ffprobe(file, extraArgs = []) {
  return JSON.parse(run('ffprobe', ['-v', 'error', '-of', 'json', '-show_streams', '-show_format', ...extraArgs, file]));
}

/** Number of frames ffprobe decodes from one stream (default the first video stream). */
export function countFrames(file, streamSpec = 'v:0') {
  const out = run('ffprobe', ['-v', 'error', '-select_streams', streamSpec, '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]);
  const n = Number.parseInt(out.trim().split('\n')[0], 10);
  if (!Number.isFinite(n)) throw new Error(`countFrames: no stream ${streamSpec} in ${file}`);
  return n;
}

/** Presentation times (seconds, ascending) of the keyframe packets of a stream. */
export function keyframeTimes(file, streamSpec = 'v:0') {
  const out = run('ffprobe', ['-v', 'error', '-select_streams', streamSpec, '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', file]);
  return out
    .split('\n')
    .map((l) => l.trim().split(','))
    .filter(([pts, flags]) => flags?.includes('K') && pts !== 'N/A')
    .map(([pts]) => Number(pts))
    .sort((a, b) => a - b);
}

/**
 * A copy of the first `bytes` bytes of a file (negative: all but the last -bytes),
 * for truncated-input tests. Cached next to the fixtures.
 */
export function truncatedCopy(file, bytes) {
  const size = fs.statSync(file).size;
  const keep = Math.max(0, Math.min(size, bytes < 0 ? size + bytes : bytes));
  const ext = path.extname(file);
  const out = path.join(fixturesDir, 'derived', `${path.basename(file, ext)}-first${keep}${ext}`);
  if (fs.existsSync(out) && fs.statSync(out).size === keep) return out;
  return writeAtomic(out, (tmp) => {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(keep);
      fs.readSync(fd, buf, 0, keep, 0);
      fs.writeFileSync(tmp, buf);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/** A file of `bytes` deterministic pseudo-random bytes (xorshift32 from `seed`); `ext` picks the name. */
export function garbageFile(bytes, { seed = 1, ext = '.bin' } = {}) {
  const out = path.join(fixturesDir, 'derived', `garbage-${bytes}-${seed}${ext}`);
  if (fs.existsSync(out) && fs.statSync(out).size === bytes) return out;
  const buf = Buffer.alloc(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf[i] = x & 0xff;
  }
  return writeAtomic(out, (tmp) => fs.writeFileSync(tmp, buf));
}

/** 1280x720 30 fps 12 s H.264 (keyframe every `gop` frames) + AAC 48 kHz stereo, MP4. */
export function h264aac12s(gop = 60) {
  return fixture(`h264aac12s-g${gop}.mp4`, [
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30:duration=12', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=12',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-ac', '2', '-b:a', '128k', '-shortest',
  ]);
}

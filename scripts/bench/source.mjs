// Benchmark sources: synthetic test media made once with the ffmpeg CLI (lavfi
// testsrc2 + sine, x264 ultrafast) and cached under .cache/bench.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cacheDir = path.join(root, '.cache', 'bench');

/**
 * The cached path of a `seconds` long testsrc2 + 440 Hz sine source of
 * width×height at fps, H.264 (ultrafast, `crf`, GOP 2 s) + AAC 192k stereo
 * 48 kHz, in container `ext` ('mp4', 'flv'); made on first use.
 *
 * @example
 * const src = testSource({ width: 1280, height: 720, fps: 30, seconds: 66, ext: 'flv' });
 */
export function testSource({ width, height, fps, seconds, ext, crf = 16 }) {
  fs.mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, `src-${height}p${fps}-${seconds}s${crf === 16 ? '' : `-crf${crf}`}.${ext}`);
  if (fs.existsSync(file)) return file;
  console.log(`making the ${seconds} s ${height}p${fps} source (once): ${path.relative(root, file)}`);
  const tmp = `${file}.tmp.${ext}`;
  const r = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', String(crf), '-g', String(2 * fps),
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '192k', '-ac', '2', tmp], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`making ${file} failed (ffmpeg exited with ${r.status})`);
  fs.renameSync(tmp, file);
  return file;
}

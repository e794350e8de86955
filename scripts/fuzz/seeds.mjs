// Seed inputs for the fuzzer: tiny real files (~0.5 s, 96x64) in every container
// and codec family ffnode reads, made once with the ffmpeg CLI and cached in
// .cache/fuzz/seeds. Small on purpose: each fuzz iteration should take ms.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const v = (rate = 10) => ['-f', 'lavfi', '-i', `testsrc2=size=96x64:rate=${rate}:duration=0.5`];
const a = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000:duration=0.5'];
const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '3', '-bf', '1'];
const aac = ['-c:a', 'aac', '-b:a', '16k', '-ac', '1'];
const av = [...v(), ...a, '-map', '0:v', '-map', '1:a'];

/** name → ffmpeg arguments (the output path is appended). */
export const SEED_SPECS = {
  'h264-aac.mp4': [...av, ...x264, ...aac],
  'h264-aac-frag.mp4': [...av, ...x264, ...aac, '-movflags', '+frag_keyframe+empty_moov+default_base_moof'],
  'h264-aac.ts': [...av, ...x264, ...aac],
  'h264-aac.flv': [...av, ...x264, ...aac],
  'h264-aac.mkv': [...av, ...x264, ...aac],
  'vp8.webm': [...v(), '-c:v', 'libvpx', '-b:v', '50k', '-g', '3'],
  'vp9.webm': [...v(), '-c:v', 'libvpx-vp9', '-b:v', '50k', '-g', '3', '-deadline', 'realtime', '-cpu-used', '8'],
  'hevc.mp4': [...v(), '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=none:keyint=3', '-tag:v', 'hvc1'],
  'pcm.wav': [...a, '-c:a', 'pcm_s16le'],
  'audio.mp3': [...a, '-c:a', 'libmp3lame', '-b:a', '32k'],
  'audio.aac': [...a, ...aac, '-f', 'adts'],
  'audio.flac': [...a, '-c:a', 'flac'],
  'raw.h264': [...v(), ...x264, '-f', 'h264'],
  'image.png': ['-f', 'lavfi', '-i', 'testsrc2=size=48x32:rate=1:duration=1', '-frames:v', '1', '-c:v', 'png'],
  'mjpeg.avi': [...v(), '-c:v', 'mjpeg', '-q:v', '10'],
};

/**
 * Returns [{ name, ext, data }] for every seed, generating missing ones.
 * @param {string} dir cache folder
 */
export function loadSeeds(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const seeds = [];
  for (const [name, args] of Object.entries(SEED_SPECS)) {
    const ext = path.extname(name);
    const hash = createHash('sha256').update(JSON.stringify(args)).digest('hex').slice(0, 10);
    const file = path.join(dir, `${path.basename(name, ext)}-${hash}${ext}`);
    if (!fs.existsSync(file)) {
      const tmp = `${file}.${process.pid}.tmp${ext}`;
      const r = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args, tmp], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`fuzz: could not make seed ${name}: ${r.error?.message ?? r.stderr.trim()}`);
      fs.renameSync(tmp, file);
    }
    seeds.push({ name, ext, data: fs.readFileSync(file) });
  }
  return seeds;
}

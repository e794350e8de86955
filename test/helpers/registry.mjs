// Shared by the registry tests: an ingest source fed by the ffmpeg CLI, and
// small waits.
import { spawn } from 'node:child_process';

/** An IngestSource fed by `ffmpeg -re … -f flv pipe:1` (killable: a publisher that drops). */
export function ffmpegSource(path, { seconds = 6, size = '320x240', rate = 25 } = {}) {
  const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', String(rate), '-c:a', 'aac', '-t', String(seconds), '-f', 'flv', 'pipe:1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  return {
    process: p,
    source: { path, protocol: 'demo', remoteAddress: null, input: p.stdout, inputOptions: { format: 'flv' }, close: () => p.kill('SIGKILL') },
  };
}

export const once = (em, ev) => new Promise((r) => em.once(ev, (...a) => r(a)));
export const text = async (store, key) => (await store.get(key))?.toString() ?? null;

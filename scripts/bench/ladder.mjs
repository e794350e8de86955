// The ffmpeg CLI's side of the benchmarks: the same ladder ffnode encodes,
// as one CLI command (split + scale + N × libx264 + AAC + hls muxer, fMP4).

/** ffnode's named rungs (lib/transcoding/ladder.ts RUNGS) at 16:9. */
export const RUNGS = {
  '1080p': { name: '1080p', w: 1920, h: 1080, kbps: 5000 },
  '720p': { name: '720p', w: 1280, h: 720, kbps: 2800 },
  '480p': { name: '480p', w: 854, h: 480, kbps: 1400 },
  '360p': { name: '360p', w: 640, h: 360, kbps: 800 },
};

/**
 * The CLI arguments, after the input, that encode `rungs` like ffnode does:
 * x264 `preset`, GOP = one `segment` with IDRs forced on the segment grid,
 * scene cut off, maxrate 1.07 × bitrate, bufsize 2 × maxrate, AAC 128k 48 kHz
 * stereo, `segment` s fMP4 HLS under `out`. `x264` adds encoder options (e.g.
 * ['-bf', '0']); `hls` adds/overrides hls muxer options; `zscale` resizes
 * with zimg instead of swscale.
 *
 * @example
 * ['-i', src, ...cliLadder({ rungs: [RUNGS['480p']], preset: 'veryfast', fps: 30, segment: 2, out })]
 */
export function cliLadder({ rungs, preset, fps, segment, out, x264 = [], hls = ['-hls_playlist_type', 'vod'], zscale = false, input = 0 }) {
  const resize = (r) => (zscale ? `zscale=w=${r.w}:h=${r.h}:filter=bicubic:param_a=0:param_b=0.6` : `scale=${r.w}:${r.h}`);
  const split = `[${input}:v]split=${rungs.length}${rungs.map((_, i) => `[s${i}]`).join('')};` + rungs.map((r, i) => `[s${i}]${resize(r)}[o${i}]`).join(';');
  const args = ['-filter_complex', split];
  rungs.forEach((_, i) => args.push('-map', `[o${i}]`));
  args.push('-map', `${input}:a`, '-c:v', 'libx264', '-preset', preset, '-pix_fmt', 'yuv420p', '-g', String(segment * fps), '-sc_threshold', '0', '-force_key_frames', `expr:gte(t,n_forced*${segment})`, ...x264);
  rungs.forEach((r, i) => args.push(`-b:v:${i}`, `${r.kbps}k`, `-maxrate:v:${i}`, `${Math.round(r.kbps * 1.07)}k`, `-bufsize:v:${i}`, `${Math.round(r.kbps * 1.07 * 2)}k`));
  args.push('-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2', '-f', 'hls', '-hls_time', String(segment), ...hls,
    '-hls_segment_type', 'fmp4', '-master_pl_name', 'master.m3u8',
    '-var_stream_map', `${rungs.map((_, i) => `v:${i},agroup:aud`).join(' ')} a:0,agroup:aud`,
    '-hls_segment_filename', `${out}/v%v/seg_%d.m4s`, `${out}/v%v/index.m3u8`);
  return args;
}

/**
 * Can the source video be copied as a ladder rung? Only when it is a local
 * file (a live, network or stream input is never read ahead: it may not end,
 * and its bytes are the session's), H.264 or HEVC, and the frame that opens
 * every point of the segment grid — by the grid's one rule (grid.ts) — is a
 * keyframe: the segmenter cuts at keyframes, so any other GOP would give the
 * copied rung segment boundaries the encoded rungs don't share. Nor when the
 * source's timestamps jump (a copied rung can't be re-based like decoded
 * frames) — by the timeline's rule: dts going back always, a gap ahead only
 * in formats whose timestamps may be discontinuous (elsewhere, e.g. MP4, a
 * gap is a variable-frame-rate pause the encoded rungs keep too) — or its
 * sequence parameter set changes mid-stream (a new picture size or format the
 * rung's init segment and manifest entry wouldn't describe).
 */
import { Decoder } from '../media/decoder.js';
import { DISCONTINUOUS_FORMATS } from './timeline.js';
import type { ByteSource } from '../media/decoder.js';
import { localPaths } from '../media/same-file.js';
import { gridTolerance, reachesGridPoint } from './grid.js';

export interface PassthroughCheck {
  ok: boolean;
  reason: string;
}

/** Why `input` must not be scanned ahead (a stream, a network URL, a live device or filter graph), or null for a local file. */
export function unscannable(input: string | ByteSource, format?: string): string | null {
  if (typeof input !== 'string') return 'a stream input cannot be scanned ahead for its keyframes';
  if (localPaths(input).length === 0) return `a network or live input (${input.split(':')[0]}:) is never read ahead to check its keyframes: it may not end, and its bytes are the session's`;
  if (format === 'lavfi') return 'a filter-graph (lavfi) input may be live or endless and is never read ahead to check its keyframes';
  return null;
}

/** Scans the video keyframes of a file input (demux only, no decoding); never reads a live/network/stream input. */
export async function checkPassthrough(input: string | ByteSource, segmentDuration: number, format?: string, allowPlaylists?: boolean): Promise<PassthroughCheck> {
  const refused = unscannable(input, format);
  if (refused || typeof input !== 'string') return { ok: false, reason: refused ?? '' };
  const dec = await Decoder.open(input, { decode: false, ...(format ? { format } : {}), ...(allowPlaylists ? { allowPlaylists } : {}) });
  try {
    const v = dec.video;
    if (!v) return { ok: false, reason: 'no video stream' };
    if (v.codec !== 'h264' && v.codec !== 'hevc') return { ok: false, reason: `the source is ${v.codec}, not H.264/HEVC` };
    const fps = v.frameRate ? v.frameRate[0] / v.frameRate[1] : 30;
    const tolerance = gridTolerance(fps);
    // The same rule as SourceTimeline: only these formats re-base a gap ahead.
    const aheadIsJump = dec.info.format.split(',').some((f) => DISCONTINUOUS_FORMATS.has(f));
    const far = Math.max(1, 10 / fps);
    const keys: number[] = [];
    let origin: number | null = null;
    let last = 0;
    let lastDts: number | null = null;
    let sps: Buffer | null = null;
    let problem: string | null = null;
    for await (const p of dec.packets('video')) {
      try {
        const t = ((p.pts ?? p.dts ?? 0) * p.timeBase[0]) / p.timeBase[1];
        origin ??= t;
        last = Math.max(last, t);
        if (p.keyFrame) keys.push(t - origin);
        if (problem) continue;
        if (p.dts !== null) {
          const d = (p.dts * p.timeBase[0]) / p.timeBase[1];
          if (lastDts !== null && (d <= lastDts || (aheadIsJump && d - lastDts > far)))
            problem = `the source timestamps jump from ${lastDts.toFixed(3)} s to ${d.toFixed(3)} s (an encoder restart or a wrap); copied packets can't be re-based as decoded frames are`;
          lastDts = d;
        }
        if (p.keyFrame) {
          const s = inBandSps(p.data(), v.codec === 'hevc');
          if (s && sps && !s.equals(sps)) problem = `the source's sequence parameter set changes at ${(t - origin).toFixed(3)} s (a new picture size or format mid-stream), which the copied rung's init segment and manifest entry wouldn't describe`;
          sps ??= s;
        }
      } finally {
        p.free();
      }
    }
    if (problem) return { ok: false, reason: problem };
    keys.sort((a, b) => a - b);
    const end = last - (origin ?? 0);
    for (let g = 0; g < end - tolerance; g += segmentDuration) {
      // The frame that opens grid point g (the first one reaching it) lies in
      // [g - τ, g + τ) for τ = half a frame: it must be a keyframe.
      if (!keys.some((k) => reachesGridPoint(k, g, tolerance) && !reachesGridPoint(k, g + 2 * tolerance, tolerance))) {
        return { ok: false, reason: `no source keyframe at ${g.toFixed(3)} s of the ${segmentDuration} s grid (keyframes at ${keys.slice(0, 6).map((k) => k.toFixed(2)).join(', ')}${keys.length > 6 ? ', …' : ''}), so a copy could not be cut where the encoded rungs are` };
      }
    }
    return { ok: true, reason: `source keyframes fall on every ${segmentDuration} s grid point` };
  } finally {
    await dec.close();
  }
}

/** The first SPS NAL unit of an Annex B access unit (h264 type 7, HEVC type 33), or null. */
function inBandSps(data: Buffer, hevc: boolean): Buffer | null {
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] !== 0 || data[i + 1] !== 0 || data[i + 2] !== 1) continue;
    const h = data[i + 3]!;
    if ((hevc ? (h >> 1) & 0x3f : h & 0x1f) !== (hevc ? 33 : 7)) continue;
    let end = data.indexOf(Buffer.from([0, 0, 1]), i + 4);
    if (end < 0) end = data.length;
    else if (data[end - 1] === 0) end--;
    return data.subarray(i + 3, end);
  }
  return null;
}

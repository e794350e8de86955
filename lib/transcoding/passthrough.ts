/**
 * Can the source video be copied as a ladder rung? Only when it is H.264 or
 * HEVC and it has a keyframe at every point of the segment grid (within half
 * a frame): the segmenter cuts at keyframes, so any other GOP would give the
 * copied rung segment boundaries the encoded rungs don't share.
 */
import { Decoder } from '../media/decoder.js';
import type { ByteSource } from '../media/decoder.js';

export interface PassthroughCheck {
  ok: boolean;
  reason: string;
}

/** Scans the video keyframes of a file input (demux only, no decoding). */
export async function checkPassthrough(input: string | ByteSource, segmentDuration: number, format?: string, allowPlaylists?: boolean): Promise<PassthroughCheck> {
  if (typeof input !== 'string') return { ok: false, reason: 'a stream input cannot be scanned ahead for its keyframes' };
  const dec = await Decoder.open(input, { decode: false, ...(format ? { format } : {}), ...(allowPlaylists ? { allowPlaylists } : {}) });
  try {
    const v = dec.video;
    if (!v) return { ok: false, reason: 'no video stream' };
    if (v.codec !== 'h264' && v.codec !== 'hevc') return { ok: false, reason: `the source is ${v.codec}, not H.264/HEVC` };
    const fps = v.frameRate ? v.frameRate[0] / v.frameRate[1] : 30;
    const tolerance = 0.5 / fps;
    const keys: number[] = [];
    let origin: number | null = null;
    let last = 0;
    for await (const p of dec.packets('video')) {
      const t = ((p.pts ?? p.dts ?? 0) * p.timeBase[0]) / p.timeBase[1];
      origin ??= t;
      last = Math.max(last, t);
      if (p.keyFrame) keys.push(t - origin);
      p.free();
    }
    keys.sort((a, b) => a - b);
    const end = last - (origin ?? 0);
    for (let g = 0; g < end - tolerance; g += segmentDuration) {
      if (!keys.some((k) => Math.abs(k - g) <= tolerance)) {
        return { ok: false, reason: `no source keyframe at ${g.toFixed(3)} s of the ${segmentDuration} s grid (keyframes at ${keys.slice(0, 6).map((k) => k.toFixed(2)).join(', ')}${keys.length > 6 ? ', …' : ''}), so a copy could not be cut where the encoded rungs are` };
      }
    }
    return { ok: true, reason: `source keyframes fall on every ${segmentDuration} s grid point` };
  } finally {
    await dec.close();
  }
}

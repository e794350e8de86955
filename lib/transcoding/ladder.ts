/**
 * Ladder: the list of video variants (rungs) an input is transcoded into.
 * The default ladder is derived from the source: 1080p 5000k, 720p 2800k,
 * 480p 1400k, 360p 800k — never upscaled, aspect ratio kept, even sizes.
 *
 * @example
 * resolveLadder({ width: 1280, height: 720, frameRate: 30 }, ['720p', '360p']);
 * // → [{ id: 'v720p', width: 1280, height: 720, bitrate: 2_800_000, ... }, { id: 'v360p', width: 640, height: 360, ... }]
 */
import type { HwDeviceType, Preset } from '../../types/binding.js';

/** What a caller may say about one rung; everything else is derived. */
export interface VariantSpec {
  /** output height in pixels (width follows the source aspect ratio unless given); ignored for passthrough */
  height?: number;
  width?: number;
  /** target bitrate in bits/s (ignored when `crf` is set) */
  bitrate?: number;
  maxrate?: number;
  bufsize?: number;
  /** constant-quality mode instead of a bitrate */
  crf?: number;
  /** encoder name (default 'libx264') */
  codec?: string;
  /** encoder preset (default 'veryfast'); {@link Preset} */
  preset?: Preset;
  profile?: string;
  /** output frames per second (≤ the source's; lower rates drop frames evenly) */
  frameRate?: number;
  hwDevice?: HwDeviceType | 'auto';
  /** copy the source video instead of encoding (H.264/HEVC whose keyframes fit the segment grid) */
  passthrough?: boolean;
  id?: string;
}

/** A rung with every value decided. */
export interface Variant {
  id: string;
  width: number;
  height: number;
  bitrate: number;
  maxrate: number;
  bufsize: number;
  crf?: number;
  codec: string;
  preset: Preset;
  profile?: string;
  frameRate: number;
  hwDevice?: HwDeviceType | 'auto';
  passthrough: boolean;
}

export interface SourceVideo {
  width: number;
  height: number;
  frameRate: number;
}

/**
 * The named rungs. Exact: '720' or '4k' does not compile; a height the names
 * don't list is a {@link VariantSpec} (`{ height: 900 }`).
 *
 * @example
 * const top: RungName = '1080p';
 */
export type RungName = '2160p' | '1440p' | '1080p' | '720p' | '480p' | '360p' | '240p';

/**
 * A ladder as callers give it: rung names and/or specs.
 *
 * @example
 * const ladder: LadderSpec = ['1080p', { height: 540, bitrate: 1_800_000 }, '360p'];
 */
export type LadderSpec = readonly (RungName | VariantSpec)[];

/** Named rungs with their default bitrates (bits/s). */
export const RUNGS: Readonly<Record<RungName, { height: number; bitrate: number }>> = {
  '2160p': { height: 2160, bitrate: 14_000_000 },
  '1440p': { height: 1440, bitrate: 9_000_000 },
  '1080p': { height: 1080, bitrate: 5_000_000 },
  '720p': { height: 720, bitrate: 2_800_000 },
  '480p': { height: 480, bitrate: 1_400_000 },
  '360p': { height: 360, bitrate: 800_000 },
  '240p': { height: 240, bitrate: 400_000 },
};

export const DEFAULT_LADDER = ['1080p', '720p', '480p', '360p'] as const;

/**
 * The least bitrate a derived rung gets (bits/s). Pixel-count scaling gives a
 * picture a few pixels tall (64×8) almost nothing — 0 after rounding — which
 * no encoder can use; a rung that asked for no bitrate gets at least this.
 */
export const MIN_BITRATE = 64_000;

const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2);

// Bitrate for a height that is not a named rung: scale by pixel count from the
// nearest named rung (bits per pixel stay about constant).
function bitrateFor(height: number): number {
  const named = Object.values(RUNGS).reduce((a, b) => (Math.abs(b.height - height) < Math.abs(a.height - height) ? b : a));
  return Math.round((named.bitrate * (height * height)) / (named.height * named.height) / 1000) * 1000;
}

/**
 * Resolves names ('720p') or specs into rungs for this source: rungs taller
 * than the source are dropped (never upscale); if none is left, one rung at
 * the source size is used. Rungs come out tallest first, ids unique. Rungs
 * the caller named that are dropped are reported through `defaults.warn`.
 * `defaults.preset` applies to rungs that do not name their own.
 */
export function resolveLadder(
  source: SourceVideo,
  ladder: LadderSpec = DEFAULT_LADDER,
  defaults: { preset?: Preset; warn?: (w: string) => void } = {},
): Variant[] {
  if (!Array.isArray(ladder) || ladder.length === 0) throw new TypeError('ladder: expected a non-empty list of rung names or specs');
  const specs = ladder.map((r): VariantSpec => {
    if (typeof r === 'string') {
      const named = Object.hasOwn(RUNGS, r) ? (RUNGS as Readonly<Record<string, { height: number; bitrate: number }>>)[r] : undefined; // JS callers may pass any string
      if (!named) throw new RangeError(`ladder: unknown rung '${r}' (known: ${Object.keys(RUNGS).join(', ')})`);
      return { height: named.height, bitrate: named.bitrate };
    }
    if (!r || typeof r !== 'object') throw new TypeError('ladder: each rung is a name or a spec object');
    if (!r.passthrough && (!Number.isInteger(r.height) || r.height < 2)) throw new TypeError('ladder: each spec needs an integer height >= 2');
    return r;
  });
  const fitting = specs.filter((s) => s.passthrough || s.height! <= source.height);
  const chosen = fitting.length ? fitting : [{ height: source.height }];
  // The default ladder is cut to the source by design; rungs the caller named are worth a word.
  if ((ladder as unknown) !== DEFAULT_LADDER && fitting.length < specs.length) {
    const dropped = ladder.filter((_, i) => !specs[i]!.passthrough && specs[i]!.height! > source.height).map((r) => (typeof r === 'string' ? r : r.id ?? `${r.height}p`));
    defaults.warn?.(`rung${dropped.length > 1 ? 's' : ''} ${dropped.join(', ')} dropped: asked for, but taller than the ${source.width}x${source.height} source and rungs are never upscaled; ` +
      (fitting.length ? `the ladder is ${fitting.map((s) => (s.passthrough ? 'source' : `${s.height}p`)).join(', ')}` : `one rung at the source's height (${source.height}p) instead`));
  }
  const out = chosen.map((s) => toVariant(source, { ...(defaults.preset ? { preset: defaults.preset } : {}), ...s }, defaults.warn)).sort((a, b) => b.height - a.height || b.bitrate - a.bitrate);
  const seen = new Set<string>();
  for (const v of out) {
    if (seen.has(v.id)) throw new RangeError(`ladder: two rungs are both '${v.id}'; give them distinct ids`);
    seen.add(v.id);
  }
  return out;
}

function toVariant(source: SourceVideo, s: VariantSpec, warn?: (w: string) => void): Variant {
  const passthrough = s.passthrough === true;
  const height = passthrough ? source.height : even(s.height!);
  const width = passthrough ? source.width : even(s.width ?? (source.width * height) / source.height);
  let bitrate = s.bitrate ?? bitrateFor(height);
  if (s.bitrate === undefined && bitrate < MIN_BITRATE) {
    warn?.(`rung ${width}x${height}: asked for the derived bitrate (${bitrate} b/s, scaled by pixel count from the nearest named rung), raised it to the ${MIN_BITRATE / 1000} kb/s minimum: a rung needs a usable rate however small its picture`);
    bitrate = MIN_BITRATE;
  }
  const maxrate = s.maxrate ?? Math.round(bitrate * 1.07);
  const frameRate = Math.min(s.frameRate ?? source.frameRate, source.frameRate);
  if (!(frameRate > 0)) throw new RangeError('ladder: frameRate must be > 0');
  const v: Variant = {
    id: s.id ?? (passthrough ? 'source' : `v${height}p${frameRate < source.frameRate ? Math.round(frameRate) : ''}`),
    width,
    height,
    bitrate,
    maxrate,
    bufsize: s.bufsize ?? maxrate * 2,
    codec: s.codec ?? 'libx264',
    preset: s.preset ?? 'veryfast',
    frameRate,
    passthrough,
  };
  if (s.crf !== undefined) v.crf = s.crf;
  if (s.profile !== undefined) v.profile = s.profile;
  if (s.hwDevice !== undefined) v.hwDevice = s.hwDevice;
  return v;
}

/**
 * The argument vocabulary of the whole API (docs/patterns/error-handling.md).
 *
 * - wrong JS type, or a name that is not one of the allowed ones → `TypeError`
 *   (as Web IDL does for enums)
 * - right type but NaN, ±Infinity, a fraction where an integer is needed, or
 *   out of range → `RangeError`
 * - absent (`undefined`/`null`) optional fields take their default.
 *
 * Messages name the call and the field, then what was expected and what came:
 * `Frame.video: width must be an integer 1..16384, got 12.5`. The native
 * classes (Frame, Packet, FramePool) check with the same words and the same
 * {@link LIMITS} (native/validate.h mirrors them; test/validation.test.mjs
 * probes every limit on both sides), so nothing is coerced silently anywhere.
 */

/** Limits every entry point enforces. */
export const LIMITS = Object.freeze({
  /** frame width/height, pixels */
  maxDimension: 16384,
  /** audio sample rate, Hz */
  maxSampleRate: 768000,
  /** samples per audio frame (and a Resampler's frameSize) */
  maxNbSamples: 1 << 20,
  /** channels in one channel layout (swresample's limit) */
  maxChannels: 64,
  /** packet stream index (libavformat opens at most 1000 streams) */
  maxStreamIndex: 999,
  /** each term of a time base or frame rate (AVRational holds ints) */
  maxRationalTerm: 2147483647,
  /**
   * Segmenter `timeOffset`, seconds: 10^7 s (~115 days), for days-long live
   * streams continued across reconnects; in µs and in a 90 kHz time base it
   * stays far below the 2^52 timestamps the segmenter accepts
   */
  maxTimeOffset: 10_000_000,
  /** |timestamp| in any time base: 2^62, far from the int64 "no timestamp" marker */
  maxTimestamp: 2 ** 62,
});

/** The closed sets of names option objects accept (pixel/sample formats and channel layouts are libav's, checked natively). */
export const ENUMS = Object.freeze({
  segmentFormat: Object.freeze(['cmaf', 'mpegts'] as const),
  scalerBackend: Object.freeze(['auto', 'swscale', 'zimg'] as const),
  scalerAlgorithm: Object.freeze(['bicubic', 'bilinear', 'fast_bilinear', 'lanczos', 'area', 'point', 'spline'] as const),
  hwDevice: Object.freeze(['cuda', 'vaapi', 'qsv', 'videotoolbox', 'auto'] as const),
  fallback: Object.freeze(['software', 'error'] as const),
});

/** How a received value reads in a message: `12.5`, `NaN`, `'abc'`, `an object`. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'function') return 'a function';
  return typeof v === 'symbol' ? 'a symbol' : 'an object';
}

const absent = (v: unknown): boolean => v === undefined || v === null;
const fail = (Ctor: typeof TypeError, owner: string, name: string, what: string, v: unknown): never => {
  throw new Ctor(`${owner}: ${name} must be ${what}, got ${describe(v)}`);
};

/** An integer `min..max` (required). */
export function checkInt(owner: string, name: string, v: unknown, min: number, max: number): void {
  const what = `an integer ${min}..${max}`;
  if (typeof v !== 'number') fail(TypeError, owner, name, what, v);
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) fail(RangeError, owner, name, what, v);
}

/** Like {@link checkInt} but `undefined`/`null` are allowed (the default applies). */
export function checkOptionalInt(owner: string, name: string, v: unknown, min: number, max: number): void {
  if (!absent(v)) checkInt(owner, name, v, min, max);
}

/** A frame dimension 1..{@link LIMITS.maxDimension}. */
export function checkDimension(owner: string, name: string, v: unknown): void {
  checkInt(owner, name, v, 1, LIMITS.maxDimension);
}

/** An optional string. */
export function checkString(owner: string, name: string, v: unknown): void {
  if (!absent(v) && typeof v !== 'string') fail(TypeError, owner, name, 'a string', v);
}

/** An optional finite number `min..max` (fractions allowed). */
export function checkNumber(owner: string, name: string, v: unknown, min: number, max: number): void {
  if (absent(v)) return;
  const what = `a number ${min}..${max}`;
  if (typeof v !== 'number') fail(TypeError, owner, name, what, v);
  if (!((v as number) >= min && (v as number) <= max)) fail(RangeError, owner, name, what, v);
}

/** An optional boolean. */
export function checkBoolean(owner: string, name: string, v: unknown): void {
  if (!absent(v) && typeof v !== 'boolean') fail(TypeError, owner, name, 'a boolean', v);
}

/** An optional name from a closed set (TypeError otherwise, as Web IDL enums do). */
export function checkEnum(owner: string, name: string, v: unknown, allowed: readonly string[]): void {
  if (absent(v)) return;
  if (typeof v !== 'string' || !allowed.includes(v)) fail(TypeError, owner, name, allowed.map((a) => `'${a}'`).join(' | '), v);
}

/**
 * An optional time base or frame rate: `[num, den]`, both integers
 * 1..{@link LIMITS.maxRationalTerm}. Not an array of two numbers: TypeError;
 * `[0, 0]`, negative, fractional or too large terms: RangeError.
 */
export function checkRational(owner: string, name: string, v: unknown): void {
  if (absent(v)) return;
  const what = `[num, den] with integers 1..${LIMITS.maxRationalTerm}`;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number')) fail(TypeError, owner, name, what, v);
  const [n, d] = v as [number, number];
  if (![n, d].every((x) => Number.isInteger(x) && x >= 1 && x <= LIMITS.maxRationalTerm))
    throw new RangeError(`${owner}: ${name} must be ${what}, got [${describe(n)}, ${describe(d)}]`);
}

/** An optional plain options object. */
export function checkObject(owner: string, name: string, v: unknown): void {
  if (absent(v)) return;
  if (typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) fail(TypeError, owner, name, 'an object', v);
}

/**
 * The demo source: a live lavfi test pattern with a running clock and a
 * tone, published into the registry like any other stream (protocol
 * 'demo'), so a fresh `npm start` has something to watch. It is a pulled
 * source whose "URL" is a lavfi graph: when its publication ends it
 * publishes again after PullSource's backoff. See docs/server/player.md.
 */
import { existsSync } from 'node:fs';
import { Decoder } from '../../media/decoder.js';
import type { IngestSource, PublishTarget } from '../types.js';
import type { BackoffOptions } from './backoff.js';
import { PullSource } from './pull.js';

/**
 * Where the demo publishes unless told otherwise.
 *
 * @example
 * `${server.url}/${DEMO_PATH}/master.m3u8`; // http://127.0.0.1:8080/live/demo/master.m3u8
 */
export const DEMO_PATH = 'live/demo';

/**
 * Options of a {@link DemoSource}.
 *
 * @example
 * const o: DemoSourceOptions = { path: 'test/pattern', width: 640, height: 360, fps: 25 };
 */
export interface DemoSourceOptions {
  /** stream path `<app>/<name>` (default {@link DEMO_PATH}) */
  path?: string;
  /** picture size (default 960x540: with the default ladder that is 480p + 360p, light on a small machine) */
  width?: number;
  height?: number;
  /** frames per second (default 30) */
  fps?: number;
  /**
   * seconds each publication lasts (default: endless); then the input ends
   * and the demo publishes again after the backoff, as a camera that drops
   * out would (within the reconnect grace, the same stream continues)
   */
  duration?: number;
  /** the backoff between publications (PullSource's) */
  reconnect?: BackoffOptions;
}

/**
 * The clock drawn on the picture: the font drawtext uses (a font file's
 * absolute path, or a fontconfig family name), or why there is none.
 *
 * @example
 * const c: DemoClock = { font: '/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf' };
 */
export type DemoClock = { font: string } | { font: null; why: string };

// Fonts tried in order (Debian/Ubuntu, Fedora, Arch, macOS, Windows); with
// none of them drawtext asks fontconfig for a sans font.
const FONTS = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/dejavu-sans-mono-fonts/DejaVuSansMono-Bold.ttf',
  '/usr/share/fonts/TTF/DejaVuSansMono-Bold.ttf',
  '/System/Library/Fonts/Supplemental/Arial Bold.ttf',
  'C:/Windows/Fonts/arialbd.ttf',
];

const LIMITS = { width: [16, 3840], height: [16, 2160], fps: [1, 60] } as const;

// A font path as a filter option value inside a graph: quoted for the graph
// level, ':' escaped for the option level. Paths with other special
// characters are not offered (none of FONTS has any).
const SAFE_PATH = /^[A-Za-z0-9 _.\/:-]+$/;
const graphValue = (v: string): string => `'${v.replace(/:/g, '\\:')}'`;
const isFile = (font: string): boolean => font.startsWith('/') || /^[A-Za-z]:\//.test(font);
const fontOption = (font: string): string => (isFile(font) ? `fontfile=${graphValue(font)}` : `font=${font}`);

/**
 * The demo's lavfi graph: `testsrc2` with the wall-clock time drawn over it
 * (when a font is given), and a 440 Hz tone that beeps once a second. The
 * `realtime`/`arealtime` filters pace both to the wall clock, as a camera would.
 *
 * @example
 * demoGraph({ width: 960, height: 540, fps: 30, font: '/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf' });
 * // "testsrc2=size=960x540:rate=30,drawtext=…,realtime[out0];sine=…,arealtime[out1]"
 */
export function demoGraph(o: { width: number; height: number; fps: number; font: string | null; duration?: number }): string {
  for (const k of ['width', 'height', 'fps'] as const) {
    const [min, max] = LIMITS[k];
    if (!Number.isInteger(o[k]) || o[k] < min || o[k] > max) throw new RangeError(`demo: ${k} must be an integer from ${min} to ${max}, got ${o[k]}`);
  }
  if (o.duration !== undefined && !(Number.isFinite(o.duration) && o.duration > 0 && o.duration <= 86_400 * 365))
    throw new RangeError(`demo: duration must be a number of seconds > 0, got ${o.duration}`);
  const end = o.duration === undefined ? '' : `:duration=${o.duration}`;
  const size = Math.round(o.height / 8);
  if (o.font !== null && (!SAFE_PATH.test(o.font) || (!isFile(o.font) && !/^[A-Za-z][A-Za-z ]*$/.test(o.font))))
    throw new TypeError(`demo: font must be a plain absolute path or a family name, got ${JSON.stringify(o.font)}`);
  const clock = o.font === null ? '' : `,drawtext=${fontOption(o.font)}:text='%{localtime\\:%T}':fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=${Math.round(size / 5)}:x=(w-tw)/2:y=h-th-${Math.round(size / 2)}`;
  return `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}${end}${clock},realtime[out0];sine=frequency=440:beep_factor=2:sample_rate=48000${end},volume=0.3,arealtime[out1]`;
}

let clockProbe: Promise<DemoClock> | null = null;

/**
 * Finds out, once per process, whether this libavfilter can draw the clock:
 * drawtext exists (it needs FreeType) and a font loads. Opens a tiny graph
 * with drawtext and each candidate font; the first that opens wins.
 *
 * @example
 * const clock = await probeDemoClock();
 * if (clock.font === null) console.warn(`no clock: ${clock.why}`);
 */
export function probeDemoClock(): Promise<DemoClock> {
  clockProbe ??= (async (): Promise<DemoClock> => {
    // the font files that exist, then whatever fontconfig calls Sans
    const fonts = [...FONTS.filter((f) => existsSync(f)), 'Sans'];
    let why = '';
    for (const font of fonts) {
      try {
        const dec = await Decoder.open(`color=size=32x32:rate=1:duration=1,drawtext=${fontOption(font)}:text=x`, { format: 'lavfi', decode: false, timeoutMs: 10_000 });
        await dec.close();
        return { font };
      } catch (e) {
        why = (e as Error).message;
      }
    }
    return { font: null, why: `libavfilter's drawtext found no usable font (${why}); it needs FFmpeg built with libfreetype and a font such as Debian's fonts-dejavu-core` };
  })();
  return clockProbe;
}

/**
 * Publishes the demo (see {@link demoGraph}) into a publish target, again
 * after a backoff whenever its publication ends. Events and methods are
 * PullSource's; `url` is the lavfi graph. Create it with
 * {@link DemoSource.create}, which probes for the clock first.
 *
 * @example
 * const demo = await DemoSource.create(registry, { path: 'live/demo' });
 * if (demo.clock.font === null) console.warn(`demo without a clock: ${demo.clock.why}`);
 * demo.start(); // http://127.0.0.1:8080/live/demo/master.m3u8
 * // later: demo.stop(); await registry.close();
 */
export class DemoSource extends PullSource {
  /** the clock on the picture, or why there is none */
  readonly clock: DemoClock;

  /**
   * Builds the demo source for `target`. Rejects (TypeError/RangeError)
   * for bad options, or when this FFmpeg has no lavfi input device at all.
   *
   * @example
   * const demo = await DemoSource.create(registry, { path: 'live/demo', duration: 60 }); // a new session every minute
   */
  static async create(target: PublishTarget, opts: DemoSourceOptions = {}): Promise<DemoSource> {
    const clock = await probeDemoClock();
    if (clock.font === null) {
      // without the clock the demo still needs lavfi itself
      try {
        await (await Decoder.open('color=size=32x32:rate=1:duration=1', { format: 'lavfi', decode: false, timeoutMs: 10_000 })).close();
      } catch (e) {
        throw new Error(`demo: this FFmpeg cannot open a lavfi graph (libavdevice's lavfi input): ${(e as Error).message}`);
      }
    }
    return new DemoSource(target, opts, clock);
  }

  // Built by create(), which probes the clock first.
  private constructor(target: PublishTarget, opts: DemoSourceOptions, clock: DemoClock) {
    const graph = demoGraph({ width: opts.width ?? 960, height: opts.height ?? 540, fps: opts.fps ?? 30, font: clock.font, ...(opts.duration !== undefined ? { duration: opts.duration } : {}) });
    super(target, { path: opts.path ?? DEMO_PATH, url: graph, ...(opts.reconnect ? { reconnect: opts.reconnect } : {}) });
    this.clock = clock;
  }

  /** The graph is ours (demoGraph), not a URL. */
  protected override checkUrl(graph: string): void {
    if (typeof graph !== 'string' || graph === '') throw new TypeError('demo: the lavfi graph must be a non-empty string');
  }

  protected override describe(stallTimeoutMs: number): Pick<IngestSource, 'protocol' | 'inputOptions'> {
    return { protocol: 'demo', inputOptions: { format: 'lavfi', timeoutMs: stallTimeoutMs } };
  }
}

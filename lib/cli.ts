#!/usr/bin/env node
/**
 * The `ffnode` command line: transcode (ABR ladder → HLS/DASH), probe, remux,
 * serve (the live server: RTMP/HTTP publish in, HLS/DASH out).
 * Errors are one line on stderr and a non-zero exit. Anything that changed the
 * plan (a dropped rung, a stream left out) is printed as it happens as
 * `ffnode: warning: …` on stderr; `--strict` turns warnings into exit code 3.
 *
 * @example
 * npx ffnode transcode input.mp4 --out public/vod --ladder 720p,360p --segment-duration 4
 * npx ffnode probe input.mp4 --json
 * npx ffnode remux input.ts output.mp4
 * npx ffnode serve --ladder 720p,480p --http-port 8080 --rtmp-port 1935
 */
import { parseArgs } from 'node:util';
import { Decoder } from './media/decoder.js';
import { remux, type RemuxResult } from './media/remuxer.js';
import { transcode, type Progress } from './transcoding/transcode.js';
import { ConfigError, resolveServeOptions, type ServeOptions } from './server/config.js';
import { describeEvent } from './server/live-server.js';
import { stats, versions } from './stats.js';
import { setLogLevel } from './log.js';
import { OutputDirError } from './delivery/mkdirs.js';
import { createRequire } from 'node:module';
import type { HwDeviceType } from '../types/binding.js';
import { unlisted } from './unlisted.js';
import type { RungName } from './transcoding/ladder.js';

const HELP: Record<string, string> = {
  main: `ffnode — FFmpeg libav* for Node.js, built for adaptive-bitrate streaming

Usage: ffnode <command> [options]

Commands:
  transcode <input> --out <dir>   ABR ladder → CMAF/TS segments + HLS and DASH manifests
  probe <input> [--json]          streams, codecs, durations
  remux <input> <output>          stream copy into another container
  serve                           live server: publish over RTMP/HTTP, watch HLS/DASH

Run 'ffnode <command> --help' for a command's options.

Global options (before or after the command):
  -v, --version                    ffnode's version, and the libav versions it runs on
  --log-level <level>              libav's own log lines, as 'ffnode: libav: ...' on stderr:
                                   quiet | error | warning (default) | info | debug

Warnings (something asked for was changed or left out, and why) go to stderr
as 'ffnode: warning: ...' the moment they happen.

Exit codes:
  0  done
  1  failed (input, codec or output error; one line on stderr)
  2  usage error
  3  done, but with warnings, and --strict was given
  130 interrupted (Ctrl-C / SIGINT / SIGTERM): transcode keeps its finished
      segments and the manifests that list them; remux finishes the output
      with what it copied (trailer written, playable); probe stops at once.
      A second Ctrl-C (1 s or more later) exits at once`,
  transcode: `Usage: ffnode transcode <input> --out <dir> [options]

Writes <dir>/master.m3u8 (HLS) and <dir>/manifest.mpd (DASH) with one folder per rendition.

Options:
  --out <dir>                 output directory (required)
  --ladder <rungs>            comma-separated rungs, e.g. 1080p,720p,480p,360p (default: derived
                              from the source, never upscaled); 'source' adds a passthrough rung
  --hls / --no-hls            write HLS playlists (default on)
  --dash / --no-dash          write a DASH MPD (default on for cmaf)
  --segment-duration <s>      target segment duration, 1-10 seconds (default 6)
  --segment-format <f>        cmaf (default) or ts
  --preset <name>             x264 preset for every rung (default veryfast)
  --hw-device <type>          auto | cuda | vaapi | qsv (falls back to software, with a
                              warning that names the encoder used and why)
  --no-audio                  no audio rendition
  --format <name>             input format (e.g. lavfi, mpegts)
  --allow-playlists           accept an HLS playlist as the input: it opens every URL it lists,
                              so use it only for sources you trust (default: refused)
  --quiet                     no progress output
  --strict                    exit 3 if anything changed the plan (each printed as
                              'ffnode: warning: ...'); the job still runs to the end
                              and leaves complete outputs, so every warning is reported
  -h, --help                  this help`,
  probe: `Usage: ffnode probe <input> [--json] [--format <name>] [--allow-playlists]

Prints the container and every stream (codec, RFC 6381 string, size, rate, duration).`,
  remux: `Usage: ffnode remux <input> <output> [--format <muxer>] [--streams 0,1] [--copyts] [--allow-playlists] [--strict]

Copies streams without re-encoding; bitstream filters are inserted as the target needs.
Input streams that are not copied (by default only audio and video are), and copied
streams that got no packets, are reported as 'ffnode: warning: ...'; with --strict
they make the exit code 3 (the output is still written).
Ctrl-C ends the copy early, as 'q' does in ffmpeg: the output is finished with the
packets copied so far (a blocked network read is cut short) and the exit code is 130.`,
  serve: `Usage: ffnode serve [options]

Live server: publish to rtmp://HOST:RTMP-PORT/<app>/<name> (or HTTP PUT/POST of
MPEG-TS/FLV to http://HOST:HTTP-PORT/<app>/<name>); each stream is transcoded
into an ABR ladder, watched at http://HOST:HTTP-PORT/<app>/<name>/master.m3u8
(HLS) or .../manifest.mpd (DASH). GET /api/streams lists the streams.

Options:
  --host <addr>               interface to listen on (default 127.0.0.1; 0.0.0.0 for all)
  --http-port <n>             HTTP port (default 8080; 0: any free port, printed on start)
  --rtmp-port <n>             RTMP port (default 1935; 0: any free port, printed on start)
  --config <file>             JSON file with the options of serve() (camelCase keys, e.g.
                              {"httpPort": 8080, "ladder": ["720p", "480p"]}); flags override it
  --ladder <rungs>            comma-separated rungs, e.g. 720p,480p (default: derived from each
                              stream, never upscaled); 'source' adds a passthrough rung
  --preset <name>             x264 preset (default veryfast)
  --segment-duration <s>      target segment duration, 1-10 seconds (default 2)
  --store <memory|dir>        keep segments in memory (default) or in a directory
  --record <dir>              record each stream's source to <dir>/<app>/<name>/<time>.mp4
                              and keep its presentation as VOD when it ends
  --reconnect-grace <s>       seconds a dropped publisher may come back (default 10)
  --max-streams <n>           streams at once (default 16)
  --on-conflict <policy>      a second publisher on a live path: refuse (default) or takeover
  --demo                      also publish a live test pattern with a clock and a tone at
                              live/demo (config file: "demo": {"path": "app/name"} for another path)
  -h, --help                  this help

The player page is at http://HOST:HTTP-PORT/ (streams, quality, latency, stats).

Environment (overrides --config, overridden by flags):
  FFNODE_HOST, FFNODE_HTTP_PORT, FFNODE_RTMP_PORT

Publish/unpublish/reconnect events are printed one line each; stream warnings
(a rung dropped, a recording that stopped) and errors go to stderr as
'ffnode: warning: ...' and 'ffnode: error: ...'. Ctrl-C (SIGINT) or SIGTERM ends every stream
(recordings finalised) and exits 0 within 5 s, printing the native objects still
alive ('live native objects at exit: frames=0 packets=0 objects=0'); a second
Ctrl-C (1 s or more after the first) exits 130 at once.`,
};

class UsageError extends Error {}

/** Exit code after Ctrl-C (128 + SIGINT), as shells report it. */
const EXIT_INTERRUPTED = 130;

// Ctrl-C aborts the running job through its signal; the command then exits 130
// once the job has stopped (finished outputs left consistent). A second Ctrl-C
// (1 s or more later) exits at once.
// `kept` says what the interrupted command leaves behind, for its last line.
function interruptible(kept: string): AbortController {
  const ac = new AbortController();
  let at = 0;
  const onSignal = (signal: string): void => {
    if (at && Date.now() - at >= REPEAT_MS) process.exit(EXIT_INTERRUPTED);
    if (at) return;
    at = Date.now();
    process.stderr.write(`\nffnode: ${signal}: stopping (Ctrl-C again to exit at once)\n`);
    ac.abort(new Interrupted(kept));
    setTimeout(() => process.exit(EXIT_INTERRUPTED), 5000).unref();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  return ac;
}

class Interrupted extends Error {
  constructor(readonly kept: string) {
    super('interrupted');
  }
}

// Opening with a forced --format that does not match the input fails deep in
// libav ('End of file', 'Invalid data'): say what is wrong and what to do.
function explainFormat(e: unknown, input: string, format: string | undefined): unknown {
  const err = e as { operation?: string; message?: string };
  if (!format || !/^avformat_(open_input|find_stream_info)$/.test(err?.operation ?? '')) return e;
  const why = (err.message ?? '').replace(/^[^:]*\([^)]*\):\s*/, '');
  return new Error(`${input} is not ${format === 'mpegts' ? 'MPEG-TS' : format} (--format ${format}): ${why}; drop --format to let ffnode detect it`, { cause: e });
}

function fail(message: string, code = 1): never {
  process.stderr.write(`ffnode: ${message}\n`);
  process.exit(code);
}

/** A signal this soon after the first is the same one delivered twice (see cmdServe). */
const REPEAT_MS = 1000;

/** Exit code when --strict was given and something changed the plan. */
const EXIT_WARNINGS = 3;

// Prints each warning the moment it happens (clearing a progress bar first)
// and counts them for --strict.
class Warnings {
  count = 0;
  constructor(private readonly tty: boolean) {}
  print(w: string): void {
    this.count++;
    process.stderr.write(`${this.tty ? '\r\x1b[K' : ''}ffnode: warning: ${w}\n`);
  }
  /** With --strict, any warning makes the exit code 3 (after the outputs are complete). */
  finish(strict: boolean | undefined): void {
    if (strict && this.count > 0) {
      process.stderr.write(`ffnode: ${this.count} warning${this.count === 1 ? '' : 's'} with --strict: exit ${EXIT_WARNINGS}\n`);
      process.exitCode = EXIT_WARNINGS;
    }
  }
}

function bar(p: Progress): string {
  const pct = p.percent ?? 0;
  const width = 24;
  const filled = Math.round((pct / 100) * width);
  const eta = p.eta === null ? '--:--' : `${Math.floor(p.eta / 60)}:${String(Math.round(p.eta % 60)).padStart(2, '0')}`;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct.toFixed(1).padStart(5)}%  ${p.fps.toFixed(1)} fps  ${p.speed.toFixed(2)}x  ETA ${eta}`;
}

async function cmdTranscode(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      out: { type: 'string' }, ladder: { type: 'string' }, hls: { type: 'boolean' }, dash: { type: 'boolean' },
      'no-hls': { type: 'boolean' }, 'no-dash': { type: 'boolean' }, 'no-audio': { type: 'boolean' },
      'segment-duration': { type: 'string' }, 'segment-format': { type: 'string' }, preset: { type: 'string' },
      'hw-device': { type: 'string' }, format: { type: 'string' }, quiet: { type: 'boolean' }, 'allow-playlists': { type: 'boolean' },
      strict: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(HELP.transcode);
  if (positionals.length !== 1) throw new UsageError('transcode: expected exactly one input (see --help)');
  if (!values.out) throw new UsageError('transcode: --out <dir> is required');
  const segmentDuration = values['segment-duration'] === undefined ? 6 : Number(values['segment-duration']);
  if (!(segmentDuration >= 1 && segmentDuration <= 10)) throw new UsageError('transcode: --segment-duration must be a number from 1 to 10');
  const fmt = values['segment-format'] ?? 'cmaf';
  if (fmt !== 'cmaf' && fmt !== 'ts') throw new UsageError(`transcode: --segment-format must be cmaf or ts, not '${fmt}'`);
  const hw = values['hw-device'];
  if (hw !== undefined && !['auto', 'cuda', 'vaapi', 'qsv', 'videotoolbox'].includes(hw)) throw new UsageError(`transcode: --hw-device must be auto, cuda, vaapi, qsv or videotoolbox`);
  const ladder = values.ladder?.split(',').map((r) => r.trim()).filter(Boolean).map((r) => (r === 'source' ? { passthrough: true } : (r as RungName))); // resolveLadder refuses unknown names
  const hls = values['no-hls'] ? false : values.hls;
  const dash = values['no-dash'] ? false : values.dash;
  if (hls === false && dash === false) throw new UsageError('transcode: --no-hls and --no-dash leave nothing to write');
  const ac = interruptible('finished segments and the manifests that list them are kept');
  const tty = process.stderr.isTTY && !values.quiet;
  const job = transcode(positionals[0]!, {
    out: values.out, segmentDuration, segmentFormat: fmt, signal: ac.signal,
    ...(ladder ? { ladder } : {}), ...(hls !== undefined ? { hls } : {}),
    ...(dash !== undefined ? { dash } : {}), ...(values.preset ? { preset: unlisted(values.preset) } : {}), // any name: libav judges it
    ...(hw ? { hwDevice: hw as HwDeviceType | 'auto' } : {}), ...(values['no-audio'] ? { audio: false as const } : {}),
    ...(values.format || values['allow-playlists'] ? { input: { ...(values.format ? { format: values.format } : {}), ...(values['allow-playlists'] ? { allowPlaylists: true } : {}) } } : {}),
  });
  const warnings = new Warnings(tty);
  job.on('warning', (w: string) => warnings.print(w)); // result.warnings holds the same, in order
  let lastLine = 0;
  job.on('progress', (p: Progress) => {
    if (values.quiet) return;
    if (tty) process.stderr.write(`\r${bar(p)}`);
    else if (Date.now() - lastLine > 5000) {
      lastLine = Date.now();
      process.stderr.write(`${bar(p)}\n`);
    }
  });
  const r = await job.done.catch((e: unknown) => {
    throw ac.signal.aborted ? ac.signal.reason : explainFormat(e, positionals[0]!, values.format);
  });
  if (tty) process.stderr.write('\n');
  for (const w of r.warnings.slice(warnings.count)) warnings.print(w); // any the events did not deliver
  if (hw) {
    // a software encoder where hardware was asked for: say which and why
    const soft = r.variants.filter((v) => !v.passthrough && !/_(nvenc|vaapi|qsv|videotoolbox)$/.test(v.encoder));
    for (const reason of new Set(soft.map((v) => v.reason)))
      warnings.print(`--hw-device ${hw}: ${soft.filter((v) => v.reason === reason).map((v) => v.id).join(', ')} encoded with ${soft.find((v) => v.reason === reason)!.encoder} (software): ${reason}`);
  }
  for (const v of r.variants) console.log(`${v.id}: ${v.width}x${v.height} ${v.passthrough ? 'copy' : `${Math.round(v.bitrate / 1000)}k ${v.encoder}`}`);
  for (const c of r.renditions) console.log(`${c.id}: ${c.segments} segments, ${(c.bytes / 1e6).toFixed(2)} MB`);
  console.log(`wrote ${r.manifests.join(', ')} in ${values.out} (${r.duration.toFixed(2)} s of media in ${r.wallSeconds.toFixed(2)} s)`);
  warnings.finish(values.strict);
}

async function cmdProbe(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, format: { type: 'string' }, 'allow-playlists': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return void console.log(HELP.probe);
  if (positionals.length !== 1) throw new UsageError('probe: expected exactly one input (see --help)');
  const ac = interruptible('nothing was written');
  const dec = await Decoder.open(positionals[0]!, { decode: false, signal: ac.signal, ...(values.format ? { format: values.format } : {}), ...(values['allow-playlists'] ? { allowPlaylists: true } : {}) })
    .catch((e: unknown) => { throw ac.signal.aborted ? ac.signal.reason : explainFormat(e, positionals[0]!, values.format); });
  try {
    const info = dec.info;
    if (values.json) {
      console.log(JSON.stringify(info, (k, v) => (k === 'extradata' ? (v ? Buffer.from(v.data ?? v).toString('base64') : null) : v), 2));
      return;
    }
    console.log(`${positionals[0]}: ${info.format}, ${info.duration?.toFixed(3) ?? '?'} s, ${Math.round(info.bitRate / 1000)} kb/s`);
    for (const s of info.streams) {
      const detail = s.mediaType === 'video'
        ? `${s.width}x${s.height} ${s.pixelFormat ?? ''} ${s.frameRate ? (s.frameRate[0] / s.frameRate[1]).toFixed(3) : '?'} fps`
        : s.mediaType === 'audio' ? `${s.sampleRate} Hz ${s.channelLayout ?? `${s.channels} ch`}` : '';
      console.log(`  #${s.index} ${s.mediaType}: ${s.codec}${s.profile ? ` (${s.profile})` : ''} ${s.codecString ?? ''} ${detail} ${Math.round(s.bitRate / 1000)} kb/s`);
    }
  } finally {
    await dec.close();
  }
}

async function cmdRemux(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { format: { type: 'string' }, streams: { type: 'string' }, copyts: { type: 'boolean' }, 'allow-playlists': { type: 'boolean' }, strict: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return void console.log(HELP.remux);
  if (positionals.length !== 2) throw new UsageError('remux: expected <input> <output> (see --help)');
  const streams = values.streams?.split(',').map((s) => Number(s));
  if (streams && streams.some((s) => !Number.isInteger(s) || s < 0)) throw new UsageError('remux: --streams takes stream indices, e.g. 0,1');
  // Ctrl-C ends the copy the way ffmpeg's 'q' does: reading stops and the
  // output is finished (trailer written), so what was copied plays.
  const ac = interruptible('nothing was written');
  const r = await remux(positionals[0]!, positionals[1]!, { stop: ac.signal, ...(values.format ? { format: values.format } : {}), ...(streams ? { streams } : {}), ...(values.copyts ? { copyTs: true } : {}), ...(values['allow-playlists'] ? { allowPlaylists: true } : {}) })
    .catch((e: unknown) => { throw ac.signal.aborted ? ac.signal.reason : e; });
  for (const s of r.streams) console.log(`stream #${s.inputIndex} → #${s.outputIndex}: ${s.packets} packets${s.bsf ? ` (${s.bsf})` : ''}`);
  console.log(`wrote ${positionals[1]} (${r.bytes} bytes)`);
  if (r.stopped) fail(`interrupted: ${positionals[1]} holds the ${r.packets} packets copied before it, finished (trailer written)`, EXIT_INTERRUPTED);
  const warnings = new Warnings(false);
  for (const w of await remuxWarnings(positionals[0]!, r, streams !== undefined, values['allow-playlists'] === true)) warnings.print(w);
  warnings.finish(values.strict);
}

// What the copy left out: input streams not copied, copied streams without packets.
async function remuxWarnings(input: string, r: RemuxResult, chosen: boolean, allowPlaylists: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const s of r.streams)
    if (s.packets === 0) out.push(`stream #${s.inputIndex} was copied as #${s.outputIndex} but got no packets, so that output track is empty, because the input holds no packets for it`);
  // Re-probing a network input would fetch it a second time (a live or
  // one-shot URL may not even answer again): only local inputs are listed.
  if (chosen || /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(input) && !input.startsWith('file:')) return out;
  let streams: { index: number; mediaType: string; codec: string }[];
  try {
    const dec = await Decoder.open(input, { decode: false, allowPlaylists });
    streams = dec.info.streams;
    await dec.close();
  } catch {
    return out; // the input could be copied but not probed again (e.g. a live URL): nothing more to say
  }
  const copied = new Set(r.streams.map((s) => s.inputIndex));
  for (const s of streams)
    if (!copied.has(s.index))
      out.push(`input stream #${s.index} (${s.mediaType}, ${s.codec}) was not copied: remux keeps audio and video streams (not cover art) unless --streams names others`);
  return out;
}

// Flag → ServeOptions key, for the flags that carry a value.
const SERVE_FLAGS: Partial<Record<keyof ServeOptions, string>> = {
  host: 'host', httpPort: 'http-port', rtmpPort: 'rtmp-port', ladder: 'ladder', preset: 'preset',
  segmentDuration: 'segment-duration', store: 'store', record: 'record', reconnectGrace: 'reconnect-grace',
  maxStreams: 'max-streams', onConflict: 'on-conflict',
};

async function cmdServe(args: string[]): Promise<void> {
  const options = Object.fromEntries(Object.values(SERVE_FLAGS).map((f) => [f, { type: 'string' as const }]));
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...options, config: { type: 'string' }, demo: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return void console.log(HELP.serve);
  if (positionals.length) throw new UsageError(`serve: unexpected argument '${positionals[0]}' (see --help)`);
  const flags: Partial<Record<keyof ServeOptions, string>> = {};
  const flagNames: Partial<Record<keyof ServeOptions, string>> = {};
  for (const [key, flag] of Object.entries(SERVE_FLAGS) as [keyof ServeOptions, string][]) {
    const v = (values as Record<string, unknown>)[flag];
    if (typeof v === 'string') flags[key] = v;
    flagNames[key] = `--${flag}`;
  }
  let opts: ServeOptions;
  try {
    opts = resolveServeOptions({ file: values.config as string | undefined, env: process.env, flags, flagNames });
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`serve: ${e.message}`);
    throw e;
  }
  if (values.demo && !opts.demo) opts = { ...opts, demo: true };
  const { serve } = await import('./server/serve.js'); // the registry loads only for this command
  const server = await serve(opts);
  const log = (line: string): void => void process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  for (const name of ['publish', 'unpublish', 'reconnect'] as const) server.registry.on(name, (...args: unknown[]) => log(`${name} ${describeEvent(args)}`));
  server.registry.on('error', (...args: unknown[]) => process.stderr.write(`ffnode: error: ${describeEvent(args)}\n`));
  server.registry.on('warning', (...args: unknown[]) => process.stderr.write(`ffnode: warning: ${describeEvent(args)}\n`));
  console.log(`ffnode serve: RTMP ${server.rtmpUrl}, HTTP ${server.url}, store ${opts.store ?? 'memory'}`);
  if (opts.http?.playerPage !== false) console.log(`\n  Open ${server.url}/ in a browser: the player page (streams, quality, latency, stats)\n`);
  const hint = `ffmpeg -re -i input.mp4 -c copy -f flv ${server.rtmpPort === 1935 ? server.rtmpUrl.replace(/:1935$/, '') : server.rtmpUrl}/live/mine`;
  console.log(`  publish: ${server.rtmpUrl}/<app>/<name>   e.g. ${hint}`);
  console.log(`  watch:   ${server.url}/<app>/<name>/master.m3u8   (DASH: ${server.url}/<app>/<name>/manifest.mpd)`);
  if (opts.api !== false && !server.adminUrl) console.log(`  streams: ${server.url}/api/streams`);
  else if (server.adminUrl) console.log(`  streams: ${server.adminUrl}/api/streams`);
  if (opts.demo) console.log(`  demo:    ${typeof opts.demo === 'object' && opts.demo.path ? opts.demo.path : 'live/demo'} (test pattern, clock, tone)`);

  let stoppingAt = 0;
  const stop = (signal: string): void => {
    if (stoppingAt) {
      // `npm start` forwards the terminal's Ctrl-C to us, which got it too:
      // that copy is the same keypress, not a second one
      if (Date.now() - stoppingAt < REPEAT_MS) return;
      process.stderr.write(`ffnode: ${signal} again: exit 130\n`);
      process.exit(130);
    }
    stoppingAt = Date.now();
    log(`${signal}: closing (ending every stream)`);
    setTimeout(() => fail('serve: could not close within 5 s', 1), 5000).unref();
    server.close().then(
      () => {
        const s = stats();
        log(`closed; live native objects at exit: frames=${s.frames} packets=${s.packets} objects=${s.objects}`);
        process.exit(0);
      },
      (e: unknown) => fail(`serve: close: ${(e as Error)?.message ?? e}`, 1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

const LOG_LEVELS = ['quiet', 'error', 'warning', 'info', 'debug'] as const;

// Global flags anywhere on the line: --version, --log-level <level>.
function globals(argv: string[]): { rest: string[]; version: boolean } {
  const rest: string[] = [];
  let version = false;
  let level: string = 'warning';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--version' || a === '-v') version = true;
    else if (a === '--log-level') level = argv[++i] ?? '';
    else if (a.startsWith('--log-level=')) level = a.slice('--log-level='.length);
    else rest.push(a);
  }
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not '${level}'`);
  setLogLevel(level as (typeof LOG_LEVELS)[number]);
  return { rest, version };
}

function printVersion(): void {
  const pkg = createRequire(__filename)('../package.json') as { version: string };
  const v = versions();
  console.log(`ffnode ${pkg.version}`);
  console.log(`FFmpeg ${v.ffmpeg} (libavcodec ${v.libavcodec}, libavformat ${v.libavformat}, libavutil ${v.libavutil}, libswscale ${v.libswscale}, libswresample ${v.libswresample})${v.zimg ? `, zimg ${v.zimg}` : ''}`);
}

async function main(argv: string[]): Promise<void> {
  const g = globals(argv);
  if (g.version) return printVersion();
  const [cmd, ...rest] = g.rest;
  if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') return void console.log(HELP.main);
  const commands: Record<string, (a: string[]) => Promise<void>> = { transcode: cmdTranscode, probe: cmdProbe, remux: cmdRemux, serve: cmdServe };
  const run = commands[cmd];
  if (!run) throw new UsageError(`unknown command '${cmd}' (commands: transcode, probe, remux, serve)`);
  await run(rest);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError) fail(e.message, 2);
  if (e instanceof Interrupted) fail(`interrupted: ${e.kept}`, EXIT_INTERRUPTED);
  for (let c: unknown = e; c; c = (c as { cause?: unknown }).cause) if (c instanceof OutputDirError) fail(c.message, 1);
  const err = e as { code?: string; message?: string };
  if (err?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || err?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || err?.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') fail(err.message ?? String(e), 2);
  fail(err?.message ?? String(e), 1);
});

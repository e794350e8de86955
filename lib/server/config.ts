/**
 * `ffnode serve` configuration: the options type, and the one validator that
 * a JSON config file, environment variables and command-line flags all go
 * through, so every mistake is reported the same way, naming the key.
 * Precedence (lowest first): defaults, config file, environment, flags.
 */
import { readFileSync } from 'node:fs';
import type { RtmpServerOptions } from './rtmp/server.js';
import type { PublishAuthOptions, RegistryOptions } from './options.js';
import type { CorsOrigins } from './http/types.js';
import { RUNGS } from '../transcoding/ladder.js';
import { checkPullUrl, type PullSourceOptions } from './ingest/pull.js';
import { checkListenerUrl, type ListenerSourceOptions } from './ingest/listener.js';

/**
 * Options of {@link serve}: the registry's options (everything but the store
 * object) plus where to listen and what to store into.
 *
 * @example
 * const opts: ServeOptions = { httpPort: 0, rtmpPort: 0, ladder: ['720p', '480p'], store: 'memory' };
 */
export interface ServeOptions extends Omit<RegistryOptions, 'store'> {
  /** interface both servers listen on (default '127.0.0.1') */
  host?: string;
  /** HTTP port (default 8080; 0: any free port) */
  httpPort?: number;
  /** RTMP port (default 1935; 0: any free port) */
  rtmpPort?: number;
  /** 'memory' (default): a MemoryStore; otherwise a directory for a FileStore */
  store?: 'memory' | string;
  /** RTMP server bounds (timeouts, connection limit, chunk limits) */
  rtmp?: RtmpServerOptions;
  /** sources the server pulls (rtsp, rtmp, srt, http(s), hls, udp URLs), each kept connected with backoff */
  pull?: PullSourceOptions[];
  /** SRT/UDP listener URLs, each feeding one stream path */
  listen?: ListenerSourceOptions[];
  /** publish and playback authorisation (docs/server/auth.md) */
  auth?: PublishAuthOptions & {
    /** every request under `/<app>/<name>/` must be signed (`?exp=…&sig=…`); two secrets during a rotation */
    playbackSecret?: string | readonly string[];
  };
  /** the HTTP face (docs/delivery/http.md) */
  http?: {
    /** CORS origins: media (default '*'), API and metrics (default none) */
    cors?: { media?: CorsOrigins; api?: CorsOrigins };
    /** gzip/brotli for manifests and JSON when asked (default true) */
    compression?: boolean;
    /** the player page at `/` (default true) */
    playerPage?: boolean;
  };
  /**
   * the JSON API (and `/metrics`): a bearer token, and optionally its own
   * listener (`host`/`port`) so it is not reachable where players are;
   * false: not served (docs/server/api.md)
   */
  api?: false | { token?: string | readonly string[]; host?: string; port?: number };
  /** Prometheus metrics at `/metrics` (default on; its own token, else the API's); false: not served */
  metrics?: false | { token?: string | readonly string[] };
  /** publish the built-in demo source (a live test pattern with a clock and a tone) at `live/demo`, or at `path` */
  demo?: boolean | { path?: string };
}

/** A configuration value that is not acceptable; `key` names it as the user wrote it. */
export class ConfigError extends Error {
  /** the key ('' for the whole configuration) */
  readonly key: string;
  /** what is wrong with it */
  readonly detail: string;
  constructor(key: string, detail: string) {
    super(`${key || 'the configuration'} ${detail}`);
    this.name = 'ConfigError';
    this.key = key;
    this.detail = detail;
  }
}

type Check = (v: unknown, key: string) => unknown;
type Shape = Readonly<Record<string, Check>>;

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? 'an object' : String(v));

const str: Check = (v, key) => {
  if (typeof v !== 'string' || v === '') throw new ConfigError(key, `must be a non-empty string, got ${describe(v)}`);
  return v;
};
const bool: Check = (v, key) => {
  if (typeof v !== 'boolean') throw new ConfigError(key, `must be true or false, got ${describe(v)}`);
  return v;
};
const num = (min: number, max: number, integer = false): Check => (v, key) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max)
    throw new ConfigError(key, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${describe(v)}`);
  return v;
};
const oneOf = (...values: string[]): Check => (v, key) => {
  if (typeof v !== 'string' || !values.includes(v)) throw new ConfigError(key, `must be ${values.map((x) => `'${x}'`).join(' or ')}, got ${describe(v)}`);
  return v;
};
const object = (shape: Shape, required: readonly string[] = []): Check => (v, key) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(key, `must be an object, got ${describe(v)}`);
  for (const k of required) if ((v as Record<string, unknown>)[k] === undefined) throw new ConfigError(`${key}.${k}`, 'is required');
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(v)) {
    const check = Object.hasOwn(shape, k) ? shape[k] : undefined; // never a prototype's member ('constructor', '__proto__')
    const sub = key ? `${key}.${k}` : k;
    if (!check) throw new ConfigError(sub, `is not a known key (known${key ? ` in ${key}` : ''}: ${Object.keys(shape).join(', ')})`);
    if (value !== undefined) out[k] = check(value, sub);
  }
  return out;
};
const falseOr = (check: Check): Check => (v, key) => (v === false ? false : check(v, key));
const port = num(0, 65535, true);
const positiveInt = num(1, 2 ** 31 - 1, true);

const rung: Check = (v, key) => {
  if (typeof v === 'string') {
    if (v !== 'source' && !Object.hasOwn(RUNGS, v)) throw new ConfigError(key, `is an unknown rung ${JSON.stringify(v)} (known: ${Object.keys(RUNGS).join(', ')}, source)`);
    return v === 'source' ? { passthrough: true } : v;
  }
  return object({
    height: positiveInt, width: positiveInt, bitrate: positiveInt, maxrate: positiveInt, bufsize: positiveInt,
    crf: num(0, 63), codec: str, preset: str, profile: str, frameRate: num(1, 240), hwDevice: oneOf('auto', 'cuda', 'vaapi', 'qsv', 'videotoolbox'),
    passthrough: bool, id: str,
  })(v, key);
};
const ladder: Check = (v, key) => {
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError(key, `must be a non-empty list of rungs (e.g. ["720p", "480p"]), got ${describe(v)}`);
  return v.map((r, i) => rung(r, `${key}[${i}]`));
};

const backoff = object({ initialDelayMs: num(0, 3_600_000), maxDelayMs: num(0, 3_600_000), factor: num(1, 100), jitter: num(0, 1) });
const source = (extra: Shape, checkUrl: (url: string, o: Record<string, unknown>) => unknown): Check => (v, key) => {
  const o = object({ path: str, url: str, reconnect: backoff, stallTimeoutMs: num(0, 3_600_000, true), maxAttempts: positiveInt, ...extra }, ['path', 'url'])(v, key) as Record<string, unknown>;
  try {
    checkUrl(o.url as string, o);
  } catch (e) {
    throw new ConfigError(`${key}.url`, `is not usable: ${(e as Error).message}`);
  }
  return o;
};
const list = (check: Check): Check => (v, key) => {
  if (!Array.isArray(v)) throw new ConfigError(key, `must be a list, got ${describe(v)}`);
  return v.map((x, i) => check(x, `${key}[${i}]`));
};

const secret = (minLength: number): Check => (v, key) => {
  const one = (x: unknown, k: string): string => {
    if (typeof x !== 'string' || x.length < minLength) throw new ConfigError(k, `must be a string of at least ${minLength} characters, got ${typeof x === 'string' ? `${x.length} characters` : describe(x)}`);
    return x;
  };
  if (!Array.isArray(v)) return one(v, key);
  if (v.length < 1 || v.length > 2) throw new ConfigError(key, `must be one secret or a list of two (during a rotation), got ${v.length}`);
  return v.map((x, i) => one(x, `${key}[${i}]`));
};
const origins: Check = (v, key) => {
  if (v === false || v === '*') return v;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !/^https?:\/\/[^/\s]+$/.test(x)))
    throw new ConfigError(key, `must be '*', false or a list of origins like "https://example.com", got ${describe(v)}`);
  return v;
};

const SERVE_SHAPE: Shape = {
  host: str,
  httpPort: port,
  rtmpPort: port,
  store: str,
  ladder,
  preset: str,
  segmentDuration: num(1, 10),
  segmentFormat: oneOf('cmaf', 'ts'),
  windowSize: num(2, 100, true),
  latency: oneOf('low', 'normal'),
  audio: falseOr(object({ codec: str, bitrate: positiveInt, sampleRate: positiveInt, channelLayout: str, language: str })),
  hls: bool,
  dash: bool,
  reconnectGrace: num(0, 3600),
  onConflict: oneOf('refuse', 'takeover'),
  maxStreams: num(1, 10_000, true),
  record: falseOr(object({ dir: str, format: oneOf('mp4', 'mkv') }, ['dir'])),
  utcTiming: object({ schemeIdUri: str, value: str }, ['schemeIdUri', 'value']),
  rtmp: object({
    handshakeTimeoutMs: positiveInt, idleTimeoutMs: positiveInt, highWaterMark: positiveInt, maxQueuedBytes: positiveInt, maxConnections: positiveInt,
    limits: object({ maxChunkSize: positiveInt, maxMessageLength: positiveInt, maxChunkStreams: positiveInt, maxBufferedBytes: positiveInt }),
  }),
  pull: list(source({ hls: bool }, (url, o) => checkPullUrl(url, o.hls === true))),
  listen: list(source({}, (url) => checkListenerUrl(url))),
  auth: object({ publishSecret: secret(16), playbackSecret: secret(16) }),
  http: object({ cors: object({ media: origins, api: origins }), compression: bool, playerPage: bool }),
  api: falseOr(object({ token: secret(16), host: str, port })),
  metrics: falseOr(object({ token: secret(16) })),
  demo: (v, key) => (typeof v === 'boolean' ? v : object({ path: str })(v, key)),
};

/**
 * Checks a configuration object (parsed JSON, camelCase keys of
 * {@link ServeOptions}) and returns a copy: unknown keys, wrong types and
 * out-of-range values throw a {@link ConfigError} naming the key (nested
 * keys as `rtmp.idleTimeoutMs`, list items as `ladder[1]`). Ladder rung
 * 'source' becomes `{ passthrough: true }`.
 *
 * @example
 * validateServeOptions({ httpPort: 8080, ladder: ['720p'] }); // { httpPort: 8080, ladder: ['720p'] }
 * validateServeOptions({ httpport: 8080 });  // ConfigError: httpport is not a known key (known: host, httpPort, ...)
 * validateServeOptions({ rtmpPort: 70000 }); // ConfigError: rtmpPort must be an integer from 0 to 65535, got 70000
 */
export function validateServeOptions(value: unknown): ServeOptions {
  return object(SERVE_SHAPE)(value, '') as ServeOptions;
}

/**
 * Reads and validates a JSON config file; errors name the file and the key.
 *
 * @example
 * loadServeConfig('serve.json'); // { httpPort: 8080, record: { dir: '/srv/rec' } }
 */
export function loadServeConfig(file: string): ServeOptions {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, `cannot be read: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, `is not valid JSON: ${(e as Error).message}`);
  }
  try {
    return validateServeOptions(value);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${file}: ${e.key || 'the top level'}`, e.detail);
    throw e;
  }
}

/** Environment variables that override the config file (flags override them). */
export const ENV_OVERRIDES = { FFNODE_HOST: 'host', FFNODE_HTTP_PORT: 'httpPort', FFNODE_RTMP_PORT: 'rtmpPort' } as const;

/**
 * Secrets from the environment (so they stay out of files and process
 * lists): each is one secret, or two separated by a comma during a rotation.
 */
export const ENV_SECRETS = {
  FFNODE_PUBLISH_SECRET: ['auth', 'publishSecret'],
  FFNODE_PLAYBACK_SECRET: ['auth', 'playbackSecret'],
  FFNODE_API_TOKEN: ['api', 'token'],
} as const;

/**
 * Parses a string given on the command line or in the environment as the
 * named option's value: numbers for numeric keys (strictly decimal), the
 * string itself otherwise. `name` (a flag or variable) is what errors report.
 *
 * @example
 * optionFromText('httpPort', '8080', '--http-port'); // 8080
 * optionFromText('httpPort', '80x', '--http-port');  // ConfigError: --http-port must be a number, got "80x"
 */
export function optionFromText(key: keyof ServeOptions, text: string, name: string): unknown {
  const check = SERVE_SHAPE[key]!;
  let value: unknown = text;
  if (key === 'ladder') value = text.split(',').map((r) => r.trim()).filter(Boolean);
  else if (key === 'record') value = { dir: text };
  else if (check === bool) value = text === 'true' ? true : text === 'false' ? false : text;
  else if (['httpPort', 'rtmpPort', 'segmentDuration', 'windowSize', 'reconnectGrace', 'maxStreams'].includes(key)) {
    if (!/^\d+(\.\d+)?$/.test(text.trim())) throw new ConfigError(name, `must be a number, got ${JSON.stringify(text)}`);
    value = Number(text);
  }
  return check(value, name);
}

/**
 * Merges the layers of configuration, lowest precedence first: the config
 * file, the environment ({@link ENV_OVERRIDES}), then the flags. Each
 * layer is validated on its own, so an error names where the value came from.
 *
 * @example
 * resolveServeOptions({ file: 'serve.json', env: process.env, flags: { httpPort: '9000' } });
 */
export function resolveServeOptions(layers: {
  file?: string | undefined;
  env?: Readonly<Record<string, string | undefined>>;
  /** option values as text, keyed by ServeOptions key, with the flag names for errors */
  flags?: Partial<Record<keyof ServeOptions, string>>;
  flagNames?: Partial<Record<keyof ServeOptions, string>>;
}): ServeOptions {
  const out: Record<string, unknown> = layers.file ? { ...loadServeConfig(layers.file) } : {};
  for (const [name, key] of Object.entries(ENV_OVERRIDES)) {
    const text = layers.env?.[name];
    if (text !== undefined && text !== '') out[key] = optionFromText(key, text, name);
  }
  for (const [name, [section, key]] of Object.entries(ENV_SECRETS)) {
    const text = layers.env?.[name];
    if (text === undefined || text === '') continue;
    const parts = text.split(',');
    const value = secret(16)(parts.length === 1 ? parts[0] : parts, name);
    const current = out[section];
    if (current === false) throw new ConfigError(name, `is set but the configuration turns ${section} off`);
    out[section] = { ...(current as object | undefined), [key]: value };
  }
  for (const [key, text] of Object.entries(layers.flags ?? {})) {
    if (text === undefined) continue;
    const k = key as keyof ServeOptions;
    out[k] = optionFromText(k, text, layers.flagNames?.[k] ?? k);
  }
  return out as ServeOptions;
}

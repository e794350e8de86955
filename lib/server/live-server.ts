/**
 * How `serve()` puts the live server together: a store, the registry, an
 * RTMP server feeding it, and an HTTP server with createHandler() (media,
 * player page, API, metrics, push). The parts that build the registry and connect ingests
 * are passed in (lib/server/serve.ts passes the real ones), so this wiring
 * and its shutdown can be tested with stand-ins.
 */
import type { TypedEmitter } from '../typed-emitter.js';
import type { RegistryEvents } from './stream.js';
import http from 'node:http';
import { PullSource } from './ingest/pull.js';
import { ListenerSource } from './ingest/listener.js';
import { DemoSource } from './ingest/demo.js';
import type { AddressInfo } from 'node:net';
import { FileStore } from '../delivery/fs-store.js';
import { MemoryStore } from '../delivery/memory-store.js';
import { CachedStore } from '../delivery/cached-store.js';
import type { SegmentStore } from '../delivery/types.js';
import type { ServeOptions } from './config.js';
import { createHandler } from './http/handler.js';
import type { HandlerOptions } from './http/types.js';
import { LiveMetrics } from './metrics.js';
import { ViewerTracker } from './viewers.js';
import { TimedStore } from './timed-store.js';
import type { RegistryOptions } from './options.js';
import { RtmpServer } from './rtmp/server.js';
import type { PublishTarget, StreamDirectory } from './types.js';

/** What the live server needs of a registry. */
export interface LiveRegistry extends PublishTarget, StreamDirectory, TypedEmitter<RegistryEvents> {
  /** ends every stream (recordings finalised) */
  close(): Promise<void>;
}

/** The parts `serve()` is built from. */
export interface LiveServerParts<R extends LiveRegistry> {
  createRegistry(options: RegistryOptions): R;
  attachRtmp(rtmp: RtmpServer, registry: R): unknown;
  createPushHandler(registry: R): (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

/** A running live server: see {@link serve}. */
export interface LiveServerOf<R extends LiveRegistry> {
  registry: R;
  rtmp: RtmpServer;
  http: http.Server;
  /** the API's own listener, when `api.port` was given (the API and /metrics are then only there) */
  admin: http.Server | null;
  store: SegmentStore;
  /** viewer counts, shared by every handler made from this server */
  viewers: ViewerTracker;
  /** the server's Prometheus metrics, shared by every handler made from this server */
  metrics: LiveMetrics;
  /** what `createHandler(server)` defaults to: the CORS, tokens and playback secret this server was started with */
  handlerOptions: HandlerOptions;
  /** the bound HTTP port (the real one when 0 was asked for) */
  httpPort: number;
  /** the bound RTMP port */
  rtmpPort: number;
  /** base URL of the HTTP server, e.g. `http://127.0.0.1:8080` */
  url: string;
  /** base URL of the API listener when it has its own (`api.port`), else null */
  adminUrl: string | null;
  /** RTMP base URL publishers append `/<app>/<name>` to, e.g. `rtmp://127.0.0.1:1935` */
  rtmpUrl: string;
  /**
   * Shuts down gracefully: stops accepting connections, ends the publishers,
   * waits for the registry to end every stream (recordings finalised).
   * Rejects if that takes longer than {@link CLOSE_TIMEOUT_MS} (every socket
   * is closed anyway). Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/** How long close() waits for the registry before giving up. */
export const CLOSE_TIMEOUT_MS = 4500;

/** The host part of a URL for a listening address (wildcards → loopback, IPv6 in brackets). */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function registryOptions(options: ServeOptions, store: SegmentStore): RegistryOptions {
  const { host: _h, httpPort: _hp, rtmpPort: _rp, store: _s, rtmp: _r, pull: _p, listen: _l, http: _http, api: _a, metrics: _m, demo: _d, auth, ...rest } = options;
  const { playbackSecret: _ps, ...publishAuth } = auth ?? {};
  return { ...rest, store, ...(auth ? { auth: publishAuth } : {}) };
}

/** The handler options a server's options imply. */
function handlerOptionsOf(options: ServeOptions): HandlerOptions {
  const api = options.api;
  const metricsToken = options.metrics === false ? undefined : (options.metrics?.token ?? (api ? api.token : undefined));
  return {
    ...(options.http?.cors ? { cors: options.http.cors } : {}),
    ...(options.http?.compression !== undefined ? { compression: options.http.compression } : {}),
    ...(options.http?.playerPage !== undefined ? { playerPage: options.http.playerPage } : {}),
    api: api === false ? false : { ...(api?.token !== undefined ? { token: api.token } : {}) },
    metrics: options.metrics === false ? false : { ...(metricsToken !== undefined ? { token: metricsToken } : {}) },
    ...(options.auth?.playbackSecret !== undefined ? { playbackSecret: options.auth.playbackSecret } : {}),
  };
}

const listen = (server: http.Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });

/**
 * Starts a live server from the given parts; {@link serve} is this with the
 * real registry and ingests.
 *
 * @example
 * const server = await startLiveServer({ httpPort: 0, rtmpPort: 0 }, { createRegistry, attachRtmp, createPushHandler });
 * console.log(server.url); await server.close();
 */
export async function startLiveServer<R extends LiveRegistry>(options: ServeOptions, parts: LiveServerParts<R>): Promise<LiveServerOf<R>> {
  const host = options.host ?? '127.0.0.1';
  // A directory store is read through a memory cache of what the server wrote:
  // players ask for the live window, which is then never a file-system call.
  const store: SegmentStore = !options.store || options.store === 'memory' ? new MemoryStore() : new CachedStore(new FileStore(options.store));
  // Writes are timed for /metrics; the handlers read the store itself.
  const timed = new TimedStore(store);
  const registry = parts.createRegistry(registryOptions(options, timed));
  // A stream's failure must not bring the server down when nobody listens.
  registry.on('error', (path: unknown, e: unknown) => {
    if (registry.listenerCount('error') === 1) process.emitWarning(`ffnode serve: ${String(path)}: ${(e as Error)?.message ?? e}`);
  });
  const rtmp = new RtmpServer(options.rtmp ?? {});
  // An accept error (EMFILE under load) must cost a connection, not the server.
  rtmp.on('error', (e: Error) => process.emitWarning(`ffnode serve: RTMP server: ${e.message}`));
  parts.attachRtmp(rtmp, registry);
  const viewers = new ViewerTracker();
  const metrics = new LiveMetrics({ registry, viewers });
  timed.onWrite = (kind, seconds) => metrics.observeStoreWrite(kind, seconds);
  registry.on('end', (path: string) => viewers.forget(path));
  const handlerOptions = handlerOptionsOf(options);
  const source = { store, registry, viewers, metrics, handlerOptions, push: parts.createPushHandler(registry) };
  // With its own listener the API (and /metrics) is served only there.
  const separateApi = options.api !== false && options.api?.port !== undefined;
  const handler = createHandler(source, separateApi ? { api: false, metrics: false } : {});
  // Node's default requestTimeout (300 s) would cut an HTTP push, a request
  // body that lasts as long as the stream; headersTimeout still bounds the headers.
  const server = http.createServer({ requestTimeout: 0 }, handler);
  const admin = separateApi ? http.createServer(createHandler(source, { playerPage: false, push: false })) : null;

  let rtmpPort: number;
  let httpPort: number;
  let adminUrl: string | null = null;
  let demo: DemoSource | null = null;
  try {
    rtmpPort = await rtmp.listen(options.rtmpPort ?? 1935, host);
    httpPort = await listen(server, options.httpPort ?? 8080, host);
    server.on('error', (e: Error) => process.emitWarning(`ffnode serve: HTTP server: ${e.message}`));
    if (admin && options.api) {
      const adminHost = options.api.host ?? host;
      const adminPort = await listen(admin, options.api.port!, adminHost);
      admin.on('error', (e: Error) => process.emitWarning(`ffnode serve: API server: ${e.message}`));
      adminUrl = `http://${urlHost(adminHost)}:${adminPort}`;
    }
    if (options.demo) {
      demo = await DemoSource.create(registry, options.demo === true ? {} : options.demo);
      if (demo.clock.font === null) process.emitWarning(`ffnode serve: the demo runs without its clock: ${demo.clock.why}`);
    }
  } catch (e) {
    await Promise.allSettled([rtmp.close(), registry.close()]);
    server.close();
    admin?.close();
    metrics.close();
    throw e;
  }

  // Pulled sources, listeners and the demo publish like any publisher; a failing one
  // retries with backoff and is reported, never thrown.
  const sources: PullSource[] = [
    ...(options.pull ?? []).map((o) => new PullSource(registry, o)),
    ...(options.listen ?? []).map((o) => new ListenerSource(registry, o)),
    ...(demo ? [demo] : []),
  ];
  for (const s of sources) {
    s.on('error', (e: unknown) => process.emitWarning(`ffnode serve: ${s.path} (${s === demo ? 'demo' : s.url}): ${(e as Error)?.message ?? e}`));
  }
  let closing: Promise<void> | undefined;
  // Started once the caller has the server, so its registry listeners see their first 'publish'.
  setImmediate(() => {
    if (!closing) for (const s of sources) void s.start();
  });
  const shutdown = async (): Promise<void> => {
    for (const s of sources) s.stop();
    server.close(); // stop accepting; idle keep-alive sockets go now, busy ones after the registry
    server.closeIdleConnections();
    admin?.close();
    admin?.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the streams did not end within ${CLOSE_TIMEOUT_MS / 1000} s`)), CLOSE_TIMEOUT_MS);
    });
    try {
      await Promise.race([Promise.all([rtmp.close(), registry.close()]), deadline]);
    } finally {
      clearTimeout(timer);
      server.closeAllConnections();
      admin?.closeAllConnections();
      metrics.close();
    }
  };

  const h = urlHost(host);
  return {
    registry, rtmp, http: server, admin, store, viewers, metrics, handlerOptions, httpPort, rtmpPort,
    url: `http://${h}:${httpPort}`,
    adminUrl,
    rtmpUrl: `rtmp://${h}:${rtmpPort}`,
    close: () => (closing ??= shutdown()),
  };
}

/**
 * One log line's worth of a registry event's arguments: strings as they are,
 * errors by their message, objects by their path, publisher, reason and error.
 *
 * @example
 * describeEvent([{ path: 'live/cam1', protocol: 'rtmp', remoteAddress: '10.0.0.7:50122' }]); // 'live/cam1 rtmp from 10.0.0.7:50122'
 * describeEvent(['live/cam1', new Error('decoder failed')]);                                // 'live/cam1 decoder failed'
 */
export function describeEvent(args: readonly unknown[]): string {
  return args.map((a) => {
    if (typeof a === 'string') return a;
    if (a instanceof Error) return a.message;
    if (!a || typeof a !== 'object') return a === undefined ? '' : String(a);
    const e = a as { path?: string; protocol?: string; remoteAddress?: string | null; publisher?: { protocol?: string; remoteAddress?: string | null } | null; reason?: string; error?: { message?: string } };
    const protocol = e.protocol ?? e.publisher?.protocol;
    const from = e.remoteAddress ?? e.publisher?.remoteAddress;
    return [e.path, protocol && `${protocol}${from ? ` from ${from}` : ''}`, e.reason && `(${e.reason})`, e.error?.message && `error: ${e.error.message}`]
      .filter(Boolean).join(' ');
  }).filter(Boolean).join(' ');
}

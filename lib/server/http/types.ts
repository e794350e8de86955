/**
 * The HTTP face's vocabulary: what `createHandler()` serves from, its
 * options, and the shape of a request handler that fits node:http, Express
 * (as middleware) and Fastify (as a raw route).
 */
import type { TypedEmitter } from '../../typed-emitter.js';
import type { RegistryEvents } from '../stream.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SegmentStore } from '../../delivery/types.js';
import type { PublishTarget, StreamDirectory } from '../types.js';
import type { ViewerTracker } from '../viewers.js';
import type { LiveMetrics } from '../metrics.js';

/** Express's `next`: called for a request the handler does not own (or with an error). */
export type Next = (err?: unknown) => void;

/**
 * A request handler: `http.createServer(handler)`, `app.use(handler)`, or a
 * Fastify route that hands `req.raw`/`reply.raw` over.
 */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse, next?: Next) => void;

/** Origins allowed to read responses cross-origin: every origin, a list, or none. */
export type CorsOrigins = '*' | readonly string[] | false;

/** A live registry as the HTTP face sees it. */
export interface HandlerRegistry extends StreamDirectory, PublishTarget, TypedEmitter<RegistryEvents> {}

/**
 * What a handler serves from: a store alone (media only), or a live server
 * (or anything shaped like one) whose registry adds the player page, the
 * JSON API, `/metrics` and HTTP push. A LiveServer is one.
 */
export type HandlerSource = SegmentStore | {
  store: SegmentStore;
  registry?: HandlerRegistry;
  /** viewer counts shared by every handler of this server */
  viewers?: ViewerTracker;
  /** the server's Prometheus metrics, shared by every handler of this server */
  metrics?: LiveMetrics;
  /** the HTTP push ingest to use instead of one built on the registry */
  push?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** the options the server was started with (a handler given the server uses them as its defaults) */
  handlerOptions?: HandlerOptions;
};

/** Bearer-token protected endpoint options. */
export interface TokenOptions {
  /** `Authorization: Bearer <token>` required when set; two tokens may be active during a rotation */
  token?: string | readonly string[];
}

/**
 * Options of {@link createHandler}.
 *
 * @example
 * const opts: HandlerOptions = { cors: { media: ['https://example.com'] }, api: { token: process.env.API_TOKEN } };
 */
export interface HandlerOptions {
  /** CORS: media (default '*'), API and metrics (default none) */
  cors?: { media?: CorsOrigins; api?: CorsOrigins };
  /** gzip/brotli for playlists, MPDs and JSON when the client asks (default true) */
  compression?: boolean;
  /** the player page at `/` (default true when the source has a registry) */
  playerPage?: boolean;
  /** the JSON API at `/api` (default on when the source has a registry); false: not served */
  api?: TokenOptions | false;
  /** Prometheus metrics at `/metrics` (default on when the source has metrics); false: not served */
  metrics?: TokenOptions | false;
  /** HTTP push ingest on PUT/POST `/<app>/<name>` (default true when the source has a registry) */
  push?: boolean;
  /** signed playback: every request under `/<app>/<name>/` needs `?exp=…&sig=…` (see docs/server/auth.md) */
  playbackSecret?: string | readonly string[];
}

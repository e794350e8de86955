/**
 * The player page at `/` and its assets under `/player/`: static files from
 * the package's assets/player/ (no build step), plus hls.js and dash.js from
 * node_modules under `/player/vendor/`. Both are optional peer dependencies:
 * a missing one is a 404 naming the package to install, and the page says
 * so. Every response carries a Content-Security-Policy that allows only this
 * origin (and blob: media and workers, which MSE players need). See
 * docs/server/player.md.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { RoutedPath } from './request-path.js';
import { methodNotAllowed, sendBody, sendText } from './respond.js';

/**
 * What the player route needs.
 *
 * @example
 * const o: PlayerRouteOptions = { apiBase: 'api', vendor: { dash: null } }; // as if dashjs were not installed
 */
export interface PlayerRouteOptions {
  /** the page asks the API for streams; absent when the API is off */
  apiBase?: string;
  /**
   * where the player libraries are, instead of resolving them from
   * node_modules: a file, or null for "not installed"
   */
  vendor?: Partial<Record<PlayerLibraryId, string | null>>;
}

/**
 * The player route: returns false when `p` is not one of its paths.
 *
 * @example
 * if (!(await player(req, res, resolvedPath))) next();
 */
export type PlayerRoute = (req: IncomingMessage, res: ServerResponse, p: RoutedPath) => Promise<boolean>;

/**
 * The player libraries the page can load.
 *
 * @example
 * const id: PlayerLibraryId = 'dash';
 */
export type PlayerLibraryId = 'hls' | 'dash';

/**
 * Each player library: its file name under `/player/vendor/`, the npm
 * package that has it, and the module specifier of the browser bundle.
 *
 * @example
 * PLAYER_LIBRARIES.dash.file; // 'dash.all.min.js'
 */
export const PLAYER_LIBRARIES: Readonly<Record<PlayerLibraryId, { file: string; pkg: string; specifier: string }>> = {
  hls: { file: 'hls.min.js', pkg: 'hls.js', specifier: 'hls.js/dist/hls.min.js' },
  // dashjs exports only '.', whose "require" condition is the UMD bundle that defines window.dashjs
  dash: { file: 'dash.all.min.js', pkg: 'dashjs', specifier: 'dashjs' },
};

/**
 * The page's policy: scripts, styles, API calls and media only from this
 * origin; blob: for the MediaSource URLs and hls.js's worker; no frames.
 *
 * @example
 * res.setHeader('Content-Security-Policy', PLAYER_CSP);
 */
export const PLAYER_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
  "media-src 'self' blob:", "connect-src 'self'", "worker-src 'self' blob:",
  "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

// dist/server/http/player.js → the package root
const ROOT = path.resolve(__dirname, '..', '..', '..');
const ASSETS = path.join(ROOT, 'assets', 'player');
const STATIC: Readonly<Record<string, string>> = {
  'player.js': 'text/javascript; charset=utf-8',
  'player.css': 'text/css; charset=utf-8',
};

/**
 * Where a player library's browser bundle is: resolved from this module
 * (ffnode's own node_modules, or the application's above it), then from
 * the working directory; null when it is not installed.
 *
 * @example
 * resolvePlayerLibrary('hls'); // '/app/node_modules/hls.js/dist/hls.min.js'
 */
export function resolvePlayerLibrary(id: PlayerLibraryId): string | null {
  const { specifier } = PLAYER_LIBRARIES[id];
  for (const from of [__filename, path.join(process.cwd(), 'index.js')]) {
    try {
      return createRequire(from).resolve(specifier);
    } catch { /* not there: try the next place */ }
  }
  return null;
}

interface Cached {
  body: Buffer;
  etag: string;
}

const withEtag = (body: Buffer): Cached => ({ body, etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"` });

// Files read once per process (assets are small and never change under a
// running server; the vendor bundles are about 1.4 MB together).
const files = new Map<string, Promise<Cached>>();
const cached = (file: string): Promise<Cached> => {
  let c = files.get(file);
  if (!c) {
    c = readFile(file).then(withEtag);
    c.catch(() => files.delete(file)); // a file that appears later is read then
    files.set(file, c);
  }
  return c;
};

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const HEADERS = { 'Content-Security-Policy': PLAYER_CSP, 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-cache' };

function send(req: IncomingMessage, res: ServerResponse, type: string, c: Cached): void {
  if (req.headers['if-none-match'] === c.etag) {
    res.writeHead(304, { ...HEADERS, ETag: c.etag });
    res.end();
    return;
  }
  sendBody(req, res, 200, type, c.body, { ...HEADERS, ETag: c.etag });
}

/**
 * Creates the player route (`/`, `/player/*`).
 *
 * @example
 * const player = createPlayerRoute({ apiBase: 'api' });
 */
export function createPlayerRoute(o: PlayerRouteOptions): PlayerRoute {
  const vendor = {} as Record<PlayerLibraryId, string | null>;
  const ids = Object.keys(PLAYER_LIBRARIES) as PlayerLibraryId[];
  for (const id of ids) {
    const given = o.vendor?.[id];
    vendor[id] = given !== undefined ? given : resolvePlayerLibrary(id);
  }
  const served = ids.filter((id) => vendor[id] !== null);
  const apiBase = (o.apiBase ?? '').replace(/^\/+|\/+$/g, '');
  // The page's only variable parts, in body data-* attributes (no inline script: the CSP forbids them).
  const render = (html: string): string => html
    .replace('{{api}}', escapeHtml(apiBase))
    .replace('{{players}}', served.join(' '))
    .replace('{{missing}}', ids.filter((id) => vendor[id] === null).map((id) => PLAYER_LIBRARIES[id].pkg).join(' '))
    .replace('{{vendor}}', served.map((id) => `<script src="player/vendor/${PLAYER_LIBRARIES[id].file}" defer></script>`).join('\n'));
  // rendered once per route: its API base and libraries are fixed
  let page: Promise<Cached> | null = null;
  const pageOnce = (): Promise<Cached> => {
    const p = (page ??= readFile(path.join(ASSETS, 'index.html'), 'utf8').then((html) => withEtag(Buffer.from(render(html), 'utf8'))));
    p.catch(() => (page = null));
    return p;
  };

  return async (req, res, p) => {
    const [first, second, third, ...rest] = p.segments;
    let answer: (() => Promise<void>) | null = null;
    if (first === undefined) {
      answer = async () => {
        // Mounted under a prefix (Express `app.use('/tv', …)`), `/tv` must
        // become `/tv/`: the page's URLs are relative to it.
        const original = (req as { originalUrl?: unknown }).originalUrl;
        if (typeof original === 'string') {
          const [pathname, query] = original.split(/\?(.*)/s, 2);
          if (pathname !== undefined && !pathname.endsWith('/')) {
            res.writeHead(301, { Location: `${pathname}/${query ? `?${query}` : ''}`, 'Content-Length': 0 });
            res.end();
            return;
          }
        }
        send(req, res, 'text/html; charset=utf-8', await pageOnce());
      };
    } else if (first === 'player' && second !== undefined && third === undefined && STATIC[second]) {
      answer = async () => send(req, res, STATIC[second]!, await cached(path.join(ASSETS, second)));
    } else if (first === 'player' && second === 'vendor' && third !== undefined && rest.length === 0) {
      const id = ids.find((i) => PLAYER_LIBRARIES[i].file === third);
      if (id === undefined) return false;
      answer = async () => {
        const file = vendor[id];
        const { pkg } = PLAYER_LIBRARIES[id];
        if (file === null) return sendText(req, res, 404, `${pkg} is not installed: npm install ${pkg} (an optional peer dependency of ffnode, for the player page)`, HEADERS);
        send(req, res, 'text/javascript; charset=utf-8', await cached(file));
      };
    }
    if (!answer) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      methodNotAllowed(req, res, 'GET, HEAD');
      return true;
    }
    try {
      await answer();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== 'ENOENT') throw e;
      sendText(req, res, 500, `the player page's files are missing (${err.path ?? 'assets/player'}): reinstall ffnode`, HEADERS);
    }
    return true;
  };
}

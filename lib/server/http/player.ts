/**
 * The player page at `/` and its assets under `/player/`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RoutedPath } from './request-path.js';

/** What the player route needs. */
export interface PlayerRouteOptions {
  /** the page asks the API for streams; absent when the API is off */
  apiBase?: string;
}

/** The player route: returns false when `p` is not one of its paths. */
export type PlayerRoute = (req: IncomingMessage, res: ServerResponse, p: RoutedPath) => Promise<boolean>;

/**
 * Creates the player route (`/`, `/player/*`).
 *
 * @example
 * const player = createPlayerRoute({ apiBase: '/api' });
 */
export function createPlayerRoute(_o: PlayerRouteOptions): PlayerRoute {
  return async () => false;
}

/**
 * Prometheus metrics of a live server (prom-client).
 */
import type { HandlerRegistry } from './http/types.js';
import type { ViewerTracker } from './viewers.js';

/** What the metrics see. */
export interface LiveMetricsOptions {
  registry?: HandlerRegistry;
  viewers?: ViewerTracker;
}

/** A route label: what kind of resource a request was for. */
export type RequestRoute = 'playlist' | 'mpd' | 'init' | 'segment' | 'api' | 'metrics' | 'player' | 'push' | 'other';

/**
 * The server's metrics registry.
 *
 * @example
 * const metrics = new LiveMetrics({ registry });
 * const { contentType, body } = await metrics.render();
 */
export class LiveMetrics {
  constructor(readonly options: LiveMetricsOptions = {}) {}
  /** Counts one HTTP response. */
  observeRequest(_route: RequestRoute, _status: number, _bytes: number, _seconds: number): void {}
  /** Observes one store write (segment, init or manifest). */
  observeStoreWrite(_kind: 'segment' | 'init' | 'manifest', _seconds: number): void {}
  /** The exposition text. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '' };
  }
  /** Stops listening to the registry. */
  close(): void {}
}

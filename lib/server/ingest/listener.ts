/**
 * Listening ingest: a libavformat listener URL (`udp://0.0.0.0:PORT`,
 * `srt://0.0.0.0:PORT?mode=listener`) waits, without an open timeout, for a
 * publisher pushing MPEG-TS; once it sends, a stall timeout applies; when the
 * publisher leaves (SRT disconnect, or UDP silence for stallTimeoutMs), the
 * listener re-arms: the next publisher is a new session on the same path.
 * See docs/ingest/listeners.md.
 */
import type { IngestSource } from '../types.js';
import { PullSource, type PullSourceOptions } from './pull.js';

/** Options of a {@link ListenerSource}: those of a PullSource but `hls`. */
export type ListenerSourceOptions = Omit<PullSourceOptions, 'hls'>;

/**
 * Checks a listener URL: `udp://HOST:PORT` or `srt://HOST:PORT?mode=listener`.
 * @throws TypeError saying what is wrong
 *
 * @example
 * checkListenerUrl('srt://0.0.0.0:9001?mode=listener'); // 'srt'
 */
export function checkListenerUrl(url: string): 'srt' | 'udp' {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`ListenerSource: not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'srt:' && u.protocol !== 'udp:') throw new TypeError(`ListenerSource: unsupported scheme '${u.protocol.replace(/:$/, '')}' in ${url}; supported: srt (mode=listener), udp (RTMP has its own server: RtmpServer)`);
  if (!u.port) throw new TypeError(`ListenerSource: ${url} names no port`);
  if (u.protocol === 'srt:' && u.searchParams.get('mode') !== 'listener') throw new TypeError(`ListenerSource: ${url} is not a listener; add ?mode=listener`);
  return u.protocol === 'srt:' ? 'srt' : 'udp';
}

/**
 * Publishes what a listener URL receives, re-arming after each publisher
 * (a new publish on the same path; the backoff applies when sessions keep
 * failing, e.g. the port is taken). Events and methods are PullSource's.
 * Each publish is `{ protocol: 'srt' | 'udp', input: url, inputOptions:
 * { format: 'mpegts', openTimeoutMs: 0, timeoutMs: stallTimeoutMs } }`.
 *
 * @example
 * const udp = new ListenerSource(registry, { path: 'live/udp1', url: 'udp://0.0.0.0:9000', stallTimeoutMs: 5000 });
 * udp.start(); // ffmpeg -re -i in.mp4 -c:v libx264 -c:a aac -f mpegts udp://server:9000
 */
export class ListenerSource extends PullSource {
  constructor(target: ConstructorParameters<typeof PullSource>[0], opts: ListenerSourceOptions) {
    super(target, { ...opts, hls: false });
  }

  protected override checkUrl(url: string): void {
    checkListenerUrl(url);
  }

  protected override describe(stallTimeoutMs: number): Pick<IngestSource, 'protocol' | 'inputOptions'> {
    const { inputOptions } = super.describe(stallTimeoutMs);
    return {
      protocol: checkListenerUrl(this.url),
      // the open waits for the publisher for ever; reads stall out after stallTimeoutMs
      inputOptions: { format: 'mpegts', ...inputOptions, openTimeoutMs: 0, timeoutMs: stallTimeoutMs },
    };
  }
}

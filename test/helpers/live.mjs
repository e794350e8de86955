// Shared helpers for the live-server end-to-end tests: a real `serve()` on
// free ports, real ffmpeg CLI publishers over RTMP (killable and restartable,
// like a camera that drops and comes back), HTTP fetches of what players
// fetch, HLS playlist parsing, and polling.
//
//   import { startLive, ffmpegPublisher, getText, parseMedia, parseMaster, waitFor } from './helpers/live.mjs';
//   const live = await startLive(t, { ladder: ['360p', '240p'], segmentDuration: 1 });
//   const pub = ffmpegPublisher(live.server, 'live/cam1', { size: '640x360', fps: 30 });
//   await waitFor(async () => (await getText(`${live.server.url}/live/cam1/master.m3u8`)).status === 200);
//   await pub.kill();  pub.start();  // drop and return, same path
import { spawn } from 'node:child_process';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The registry events the tests record (path first, then the event's value). */
export const REGISTRY_EVENTS = ['publish', 'unpublish', 'reconnect', 'end', 'segment', 'error', 'warning', 'dropped'];

/**
 * Starts `serve()` on 127.0.0.1 with free ports and an in-memory store (small
 * ladder, ultrafast: a 2-core machine runs several of these), closed at the
 * end of `t`. Every registry event is recorded in `events` with its wall time.
 * @param {import('tap').Test} t
 * @param {object} [options] serve() options (override the defaults here)
 */
export async function startLive(t, options = {}) {
  const { serve } = await import('ffnode');
  const server = await serve({
    host: '127.0.0.1', httpPort: 0, rtmpPort: 0, store: 'memory',
    ladder: ['360p', '240p'], preset: 'ultrafast', segmentDuration: 1, ...options,
  });
  const events = [];
  for (const name of REGISTRY_EVENTS) server.registry.on(name, (path, value) => events.push({ name, path, value, at: Date.now() }));
  t.teardown(() => server.close().catch((e) => t.comment(`server.close: ${e.message}`)));
  /** events of one kind (and path) */
  const of = (name, path) => events.filter((e) => e.name === name && (path === undefined || e.path === path));
  return { server, events, of };
}

/**
 * A real publisher: `ffmpeg -re` from lavfi (testsrc2 + a sine tone), H.264
 * ultrafast with a keyframe every second (`-g` = fps), AAC, FLV over RTMP to
 * `rtmp://127.0.0.1:<rtmpPort>/<path>`. Runs until killed (or `seconds`).
 * `kill()` SIGKILLs it (a crash: no FLV end, no deleteStream) and resolves
 * when it is gone; `start()` starts a new ffmpeg on the same path. Every run's
 * start time, exit code and stderr are in `runs`.
 * @param {{ rtmpPort: number }} server
 * @param {string} path `<app>/<name>`
 * @param {{ size?: string, fps?: number, seconds?: number, extra?: string[], start?: boolean }} [o]
 */
export function ffmpegPublisher(server, path, { size = '640x360', fps = 30, seconds, extra = [], start = true } = {}) {
  const runs = [];
  let current = null;
  const api = {
    runs,
    get process() { return current?.process ?? null; },
    /** starts a new ffmpeg (the previous one must be gone); returns its run record */
    start() {
      if (current && current.code === undefined) throw new Error(`${path}: a publisher is still running`);
      const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re',
        '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0',
        '-c:a', 'aac', '-b:a', '64k', ...(seconds ? ['-t', String(seconds)] : []), ...extra,
        '-f', 'flv', `rtmp://127.0.0.1:${server.rtmpPort}/${path}`];
      const p = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      const run = { process: p, startedAt: Date.now(), code: undefined, signal: undefined, stderr: '' };
      p.stderr.on('data', (d) => { run.stderr += d; });
      run.done = new Promise((resolve) => p.on('close', (code, signal) => {
        Object.assign(run, { code, signal, endedAt: Date.now() });
        resolve(run);
      }));
      runs.push(run);
      current = run;
      return run;
    },
    /** SIGKILLs the running ffmpeg; resolves when it has exited */
    async kill() {
      if (!current || current.code !== undefined || current.signal) return current?.done;
      current.process.kill('SIGKILL');
      return current.done;
    },
    /** the current run's exit */
    get done() { return current?.done; },
  };
  if (start) api.start();
  return api;
}

/** Kills every publisher at the end of `t` (a failed test must not leave ffmpeg running). */
export function killAtEnd(t, ...publishers) {
  t.teardown(() => Promise.all(publishers.map((p) => p.kill())));
}

/** GET `url` as text: { status, text, ms } (never throws on HTTP errors; a network error is status 0). */
export async function getText(url, { method = 'GET' } = {}) {
  const t0 = Date.now();
  try {
    const r = await fetch(url, { method, cache: 'no-store' });
    return { status: r.status, text: method === 'HEAD' ? '' : await r.text(), ms: Date.now() - t0, type: r.headers.get('content-type') };
  } catch (e) {
    return { status: 0, text: String(e?.cause?.message ?? e.message), ms: Date.now() - t0 };
  }
}

/** GET `url` as bytes: { status, body: Buffer }. */
export async function getBytes(url) {
  try {
    const r = await fetch(url, { cache: 'no-store' });
    return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
  } catch (e) {
    return { status: 0, body: Buffer.alloc(0), error: e };
  }
}

/**
 * Polls `cond` (sync or async) every `interval` ms until it returns a truthy
 * value, which is returned; throws after `timeout` ms with `what` in the message.
 */
export async function waitFor(cond, { timeout = 20_000, interval = 100, what = 'condition' } = {}) {
  const t0 = Date.now();
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() - t0 > timeout) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(interval);
  }
}

/**
 * Parses an HLS media playlist strictly enough for the motion checks. Each
 * segment: { uri, duration, sequence, discontinuity (a tag before it),
 * discontinuityNumber (EXT-X-DISCONTINUITY-SEQUENCE + the tags up to it),
 * pdt (the EXT-X-PROGRAM-DATE-TIME text before it, or null), pdtMs, map (the
 * EXT-X-MAP URI in force) }.
 * @param {string} text
 */
export function parseMedia(text) {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (lines[0] !== '#EXTM3U') throw new Error(`not a playlist: ${JSON.stringify(text.slice(0, 40))}`);
  const pl = { targetDuration: null, mediaSequence: 0, discontinuitySequence: 0, endList: false, playlistType: null, segments: [], tags: new Set() };
  let next = { discontinuity: false, pdt: null, duration: null };
  let map = null;
  let discs = 0;
  for (const line of lines.slice(1)) {
    if (line.startsWith('#')) {
      const [tag, value = ''] = [line.split(':')[0], line.slice(line.indexOf(':') + 1)];
      pl.tags.add(tag);
      if (tag === '#EXT-X-TARGETDURATION') pl.targetDuration = Number(value);
      else if (tag === '#EXT-X-MEDIA-SEQUENCE') pl.mediaSequence = Number(value);
      else if (tag === '#EXT-X-DISCONTINUITY-SEQUENCE') pl.discontinuitySequence = Number(value);
      else if (tag === '#EXT-X-DISCONTINUITY') next.discontinuity = true;
      else if (tag === '#EXT-X-PROGRAM-DATE-TIME') next.pdt = value;
      else if (tag === '#EXT-X-MAP') map = /URI="([^"]+)"/.exec(value)?.[1] ?? null;
      else if (tag === '#EXTINF') next.duration = Number(value.split(',')[0]);
      else if (tag === '#EXT-X-ENDLIST') pl.endList = true;
      else if (tag === '#EXT-X-PLAYLIST-TYPE') pl.playlistType = value;
      continue;
    }
    if (next.duration == null) throw new Error(`segment ${line} has no EXTINF`);
    if (next.discontinuity) discs++;
    pl.segments.push({
      uri: line, duration: next.duration, sequence: pl.mediaSequence + pl.segments.length, discontinuity: next.discontinuity,
      discontinuityNumber: pl.discontinuitySequence + discs, pdt: next.pdt, pdtMs: next.pdt ? Date.parse(next.pdt) : NaN, map,
    });
    next = { discontinuity: false, pdt: null, duration: null };
  }
  pl.totalDuration = pl.segments.reduce((a, s) => a + s.duration, 0);
  return pl;
}

/**
 * Parses an HLS master playlist: { variants: [{ uri, bandwidth, resolution, codecs, audio }], media: [{ type, groupId, uri }] }.
 * @param {string} text
 */
export function parseMaster(text) {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (lines[0] !== '#EXTM3U') throw new Error(`not a playlist: ${JSON.stringify(text.slice(0, 40))}`);
  const attrs = (s) => Object.fromEntries([...s.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)].map(([, k, v]) => [k, v.replace(/^"|"$/g, '')]));
  const out = { variants: [], media: [] };
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].startsWith('#EXT-X-STREAM-INF:')) {
      const a = attrs(lines[i].slice(18));
      out.variants.push({ uri: lines[++i], bandwidth: Number(a.BANDWIDTH), resolution: a.RESOLUTION, codecs: a.CODECS, audio: a.AUDIO });
    } else if (lines[i].startsWith('#EXT-X-MEDIA:')) {
      const a = attrs(lines[i].slice(13));
      out.media.push({ type: a.TYPE, groupId: a['GROUP-ID'], uri: a.URI });
    }
  }
  return out;
}

/** Resolves a playlist-relative URI. */
export const resolveUrl = (uri, base) => new URL(uri, base).href;

/**
 * The media playlists of a master (variants, then renditions with a URI), as absolute URLs.
 * @param {string} masterUrl
 * @param {string} text the master's text
 */
export function mediaPlaylistUrls(masterUrl, text) {
  const m = parseMaster(text);
  return [...m.variants.map((v) => v.uri), ...m.media.filter((x) => x.uri).map((x) => x.uri)].map((u) => resolveUrl(u, masterUrl));
}

/**
 * The first moment `masterUrl` is playable: 200 for the master and every
 * media playlist it names lists ≥ 1 segment. Polls every `interval` ms;
 * resolves with { at (Date.now()), master, playlists: { url: parsed } }.
 */
export async function waitPlayable(masterUrl, { timeout = 30_000, interval = 50 } = {}) {
  return waitFor(async () => {
    const m = await getText(masterUrl);
    if (m.status !== 200) return null;
    const urls = mediaPlaylistUrls(masterUrl, m.text);
    if (urls.length === 0) return null;
    const playlists = {};
    for (const u of urls) {
      const r = await getText(u);
      if (r.status !== 200) return null;
      const p = parseMedia(r.text);
      if (p.segments.length === 0) return null;
      playlists[u] = p;
    }
    return { at: Date.now(), master: m.text, playlists };
  }, { timeout, interval, what: `${masterUrl} to be playable` });
}

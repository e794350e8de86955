// Real-player harness: hls.js and dash.js (the DASH-IF player, npm `dashjs`)
// in Debian's headless chromium, driven by playwright-core. Proves that an HLS
// or DASH output plays in a real MSE player, not just that it parses.
//
//   import { serveDir, launchBrowser, playHls, playDash, summary } from './helpers/player.mjs';
//   const server = await serveDir(outDir);           // t.teardown(server.close)
//   const browser = await launchBrowser();           // t.teardown(browser.close)
//   const page = await browser.newPage();            // reusable: each play reloads the page
//   const r = await playHls(page, `${server.url}/master.m3u8`,
//     { seconds: 4, startLevel: { width: 320 }, switchToLevel: { width: 640 } });
//   t.comment(summary(r));
//   t.equal(r.fatal, null); t.ok(r.currentTime >= 4); t.equal(r.forcedSwitch.width, 640);
//   // playDash(page, `${server.url}/manifest.mpd`, { seconds: 4, startRepresentation, switchToRepresentation })
//
// A result is plain data (see PlayResult). `fatal` is the one check that it
// played: besides the players' own fatal errors it carries the harness's stall
// and time-out errors, since players can retry forever or freeze silently.
//
// The player page and libraries are served by the same server as the media
// (same origin: no CORS to get wrong in the test). Only /usr/bin/chromium is
// used: playwright never downloads a browser here (closed network).
import * as fs from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

const require = createRequire(import.meta.url);

export const CHROMIUM = '/usr/bin/chromium';

// Required on this machine: no network, no GPU, no sandbox for root; autoplay
// without a gesture so the muted <video> starts by itself.
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

// Files the player page needs, by URL under /__player/.
const LIBS = {
  'hls.min.js': require.resolve('hls.js/dist/hls.min.js'),
  // dashjs exports only ".", whose "require" condition is the UMD bundle
  // (dist/modern/umd/dash.all.min.js) that defines window.dashjs.
  'dash.all.min.js': require.resolve('dashjs'),
};

const TYPES = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.m4s': 'video/mp4',
  '.mp4': 'video/mp4',
  '.cmfv': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.cmfa': 'audio/mp4',
  '.m4v': 'video/mp4',
  '.ts': 'video/mp2t',
  '.aac': 'audio/aac',
  '.vtt': 'text/vtt',
  '.webm': 'video/webm',
  '.js': 'text/javascript',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
};

/**
 * Serves `dir` read-only on 127.0.0.1 (random port), plus the player page and
 * libraries under /__player/. Supports single byte ranges (byte-range HLS and
 * DASH SegmentBase need them). Every request is logged in `requests`, so a
 * test can check which segments (which rungs) the player actually fetched.
 * @param {string} dir
 * @returns {Promise<{ url: string, requests: { path: string, status: number }[], close: () => Promise<void> }>}
 */
export async function serveDir(dir) {
  const root = path.resolve(dir);
  const requests = [];
  const server = http.createServer((req, res) => {
    let p;
    try {
      p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return send(res, 400, 'bad path', 'text/plain', () => requests.push({ path: req.url, status: 400 }));
    }
    const file = p === '/__player/' ? null : p.startsWith('/__player/') ? LIBS[p.slice(10)] : path.join(root, p);
    const log = (status) => requests.push({ path: p, status });
    // path.join normalises '..'; anything that lands outside root is refused.
    if (p === '/__player/') return send(res, 200, PAGE, TYPES['.html'], log);
    if (!file || (!file.startsWith(root + path.sep) && !Object.values(LIBS).includes(file))) return send(res, 404, 'not found', 'text/plain', log);
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) return send(res, 404, 'not found', 'text/plain', log);
      sendFile(req, res, file, st.size, log);
    });
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const close = () => new Promise((resolve) => {
    server.closeAllConnections(); // keep-alive sockets from chromium would hold close() open
    server.close(() => resolve());
  });
  return { url, requests, close };
}

function send(res, status, body, type, log) {
  log(status);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

function sendFile(req, res, file, size, log) {
  const headers = { 'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', 'accept-ranges': 'bytes', 'cache-control': 'no-store' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  let start = 0;
  let end = size - 1;
  let status = 200;
  if (m && (m[1] || m[2])) {
    start = m[1] ? Number(m[1]) : Math.max(0, size - Number(m[2])); // "-N": the last N bytes
    end = m[1] && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    if (start > end || start >= size) {
      log(416);
      res.writeHead(416, { 'content-range': `bytes */${size}` });
      return res.end();
    }
    status = 206;
    headers['content-range'] = `bytes ${start}-${end}/${size}`;
  }
  log(status);
  res.writeHead(status, { ...headers, 'content-length': end - start + 1 });
  if (req.method === 'HEAD' || size === 0) return res.end();
  fs.createReadStream(file, { start, end }).pipe(res);
}

/**
 * Starts Debian's chromium (never a downloaded one) with a fresh temporary
 * profile. `close()` ends the browser and deletes the profile; call it in a
 * teardown. A process exit without teardown also kills it (playwright does, and
 * so does an 'exit' hook here); a run killed outright (tap's timeout) can leave
 * its browser and profile behind, and the next launch removes those.
 * @returns {Promise<{ context: import('playwright-core').BrowserContext, version: string, newPage: () => Promise<import('playwright-core').Page>, close: () => Promise<void> }>}
 */
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  const userDataDir = tempDir('chromium');
  const killSync = () => removeProfile(userDataDir);
  process.once('exit', killSync);
  // A persistent context is playwright's only way to pass --user-data-dir.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000, env: browserEnv(),
  }).catch((e) => {
    process.off('exit', killSync);
    killSync();
    throw e;
  });
  let closed;
  const close = () => (closed ??= context.close().catch(() => {}).finally(() => {
    process.off('exit', killSync);
    killSync(); // normally finds no process left: just removes the profile
  }));
  return { context, version: context.browser()?.version() ?? '', newPage: () => context.newPage(), close };
}

// The browser never gets the sanitizer runtime that an ASan test run preloads
// into node (chromium's launcher script dies under it).
function browserEnv() {
  const env = { ...process.env };
  for (const k of ['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']) delete env[k];
  return env;
}

/**
 * A new directory os.tmpdir()/ffnode-harness-<kind>-<pid>-XXXXXX, deleted when this
 * process exits. Directories of dead processes (a run killed outright, e.g. by
 * tap's timeout) are deleted here first, with any browser still using them.
 * @param {string} kind
 * @returns {string}
 */
export function tempDir(kind) {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const owner = Number(/^ffnode-harness-[a-z]+-(\d+)-\w{6}$/.exec(name)?.[1]);
    if (owner && !isAlive(owner)) removeProfile(path.join(os.tmpdir(), name));
  }
  if (!/^[a-z]+$/.test(kind)) throw new Error(`tempDir: kind must be [a-z]+, not ${kind}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ffnode-harness-${kind}-${process.pid}-`));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** SIGKILLs the processes started with this profile dir (found by their command line), then deletes it. */
function removeProfile(dir) {
  const flag = `--user-data-dir=${dir}`;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(flag)) process.kill(Number(pid), 'SIGKILL');
    } catch { /* gone meanwhile, or not ours to read */ }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/**
 * Records a page's traffic to `origin`, one player test at a time: `next()`
 * starts a test and empties both lists, and a response counts only in the test
 * its request was made in (a segment still in flight when the last player
 * stopped answers during the next test: one such 200 was once counted against
 * an unsigned hls.js test).
 * @param {import('playwright-core').Page} page
 * @param {string} origin only URLs that start with it
 * @returns {{ requests: string[], responses: { url: string, path: string, status: number }[], next: () => void }}
 */
export function trafficOf(page, origin) {
  const requests = [];
  const responses = [];
  const testOf = new WeakMap();
  let current = 0;
  page.on('request', (r) => {
    testOf.set(r, current);
    if (r.url().startsWith(origin)) requests.push(r.url());
  });
  page.on('response', (r) => {
    if (r.url().startsWith(origin) && testOf.get(r.request()) === current) responses.push({ url: r.url(), path: new URL(r.url()).pathname, status: r.status() });
  });
  const next = () => { current++; requests.length = 0; responses.length = 0; };
  return { requests, responses, next };
}

/**
 * Plays an HLS URL (from `serveDir`) in hls.js, muted, until `seconds` of media
 * time; with `switchToLevel`, at `switchAt` turns ABR off, switches to that index
 * of `result.levels` (hls.currentLevel: immediate switch) and plays on until the
 * video shows the level's width and `afterSwitch` more seconds have played.
 * @param {import('playwright-core').Page} page
 * @param {string} url
 * @param {PlayOptions & { switchToLevel?: Level, startLevel?: Level }} [opts] startLevel: pin this level from the start (ABR off)
 * @returns {Promise<PlayResult>}
 */
export function playHls(page, url, { switchToLevel, startLevel, ...opts } = {}) {
  return play(page, url, { ...opts, kind: 'hls', switchTo: switchToLevel, start: startLevel });
}

/**
 * Plays a DASH URL in dash.js (v5 API), muted, like `playHls`; the switch turns
 * autoSwitchBitrate.video off and calls setRepresentationForTypeByIndex('video',
 * i, true) (forceReplace: the buffered old-quality media is replaced).
 * @param {import('playwright-core').Page} page
 * @param {string} url
 * @param {PlayOptions & { switchToRepresentation?: Level, startRepresentation?: Level }} [opts]
 * @returns {Promise<PlayResult>}
 */
export function playDash(page, url, { switchToRepresentation, startRepresentation, ...opts } = {}) {
  return play(page, url, { ...opts, kind: 'dash', switchTo: switchToRepresentation, start: startRepresentation });
}

/**
 * @typedef {number | { width: number, height?: number }} Level an index into result.levels, or the first level of that size
 *
 * @typedef {object} PlayOptions
 * @property {number} [seconds=4] media time to reach (currentTime)
 * @property {number} [switchAt] media time of the forced switch (default seconds / 2; later if a pinned start level is not shown yet)
 * @property {number} [afterSwitch=1] media seconds that must play once the new width shows
 * @property {number} [timeoutMs] wall-clock limit (default (seconds + 20) s); on expiry timedOut: true and a fatal 'timeout' error
 * @property {number} [stallMs=5000] currentTime or the decoded-frame count frozen this long while playing: stalled: true and a fatal 'stall' error
 * @property {object} [config] hls.js config / dash.js settings merged into the defaults
 * @property {string} [pageUrl] the player page's URL when the media comes from another origin (a live server
 *   sending CORS headers): `${(await serveDir(emptyDir)).url}/__player/`; default: /__player/ on the media's server
 * @property {boolean} [relative] live streams: `seconds` and `switchAt` count from the media time of the
 *   first 'playing' (result.startTime), since a live player starts wherever the live edge is. A live test can
 *   also end the run early from Node with `page.evaluate(() => window.stopPlay())`, and read the video
 *   element meanwhile (`page.evaluate(() => document.getElementById('v').currentTime)`).
 *
 * @typedef {object} PlayResult
 * @property {string} player 'hls.js' | 'dash.js'
 * @property {string} version the player library's version
 * @property {{ index: number, bitrate: number, width: number, height: number, codecs: string, id?: string }[]} levels video levels / representations, in the player's index order
 * @property {object[]} audioTracks hls.js audioTracks (name, groupId, lang) / dash.js audio representations
 * @property {{ fatal: boolean, source: string, type?: string, details?: string, code?: number, message?: string, url?: string }[]} errors
 * @property {object|null} fatal the first fatal error: the player's own (hls.js fatal; any dash.js ERROR or
 *   PLAYBACK_ERROR), a <video> error, or the harness's (source 'harness': stall, timeout, no such level)
 * @property {number} currentTime media time reached
 * @property {number} duration
 * @property {boolean} ended
 * @property {boolean} timedOut
 * @property {boolean} stalled
 * @property {[number, number][]} buffered video.buffered ranges at the end (seconds)
 * @property {number} videoWidth
 * @property {number} videoHeight
 * @property {{ ms: number, t: number, w: number, h: number, f: number, lat?: number, pdt?: number, now?: number }[]} timeline every 250 ms of wall time: currentTime, videoWidth/Height, totalVideoFrames;
 *   live only: lat = the player's own live latency (hls.latency / dash.js getCurrentLiveLatency, s), pdt = hls.js playingDate (ms
 *   since the epoch, from EXT-X-PROGRAM-DATE-TIME) and now = Date.now() when sampled
 * @property {number|null} startTime media time of the first 'playing' event
 * @property {{ droppedVideoFrames: number, totalVideoFrames: number }} quality video.getVideoPlaybackQuality()
 * @property {number} stalls 'waiting' events after the first 'playing'
 * @property {{ level: number, at: number }[]} switches LEVEL_SWITCHED / QUALITY_CHANGE_RENDERED (video) in order
 * @property {null|{ to: number, requestedAt: number, widthBefore: number, reported: boolean, shownAt: number|null, width: number, height: number, playedAfter: number, framesAfter: number }} forcedSwitch
 *   shownAt: media time when the player had reported the switch and videoWidth/Height were the new level's
 * @property {string[]} pageErrors uncaught page exceptions
 * @property {number} wallMs
 */

async function play(page, url, o) {
  const pageErrors = [];
  const onError = (e) => pageErrors.push(String(e?.stack ?? e));
  page.on('pageerror', onError);
  const t0 = Date.now();
  const seconds = o.seconds ?? 4;
  const args = {
    kind: o.kind, src: url, seconds, start: o.start ?? null, switchTo: o.switchTo ?? null,
    switchAt: o.switchAt ?? seconds / 2, afterSwitch: o.afterSwitch ?? 1, stallMs: o.stallMs ?? 5000,
    timeoutMs: o.timeoutMs ?? (seconds + 20) * 1000, config: o.config ?? {}, relative: !!o.relative,
  };
  try {
    await page.goto(o.pageUrl ?? new URL('/__player/', url).href);
    // The page's own timeout ends run(); the extra 10 s only covers a hung page.
    let timer;
    const hung = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`player page hung past ${args.timeoutMs + 10_000} ms`)), args.timeoutMs + 10_000);
    });
    const result = await Promise.race([page.evaluate((a) => window.run(a), args), hung]).finally(() => clearTimeout(timer));
    return { ...result, pageErrors, wallMs: Date.now() - t0 };
  } finally {
    page.off('pageerror', onError);
  }
}

/**
 * One line for t.comment / assertion messages: what played, how far, what went wrong.
 * @param {PlayResult} r
 */
// Stall warnings are load noise on a 2-core machine, not a defect of the
// stream. 'aborted' is hls.js's INTERNAL_ABORTED, never fatal: the player
// cancelling its own request (a level switch, a loader reset), not a failure
// of the server; a refused or broken request is a different error.
export const LOAD_NOISE = new Set(['bufferStalledError', 'bufferNudgeOnStall', 'aborted']);
// H.264 with B-frames in CMAF starts its first picture a few frames after 0
// (dts 0, pts = the reorder delay; tfdt can't go negative and hls.js ignores
// edit lists). When a loaded machine stalls the start, hls.js reports jumping
// that gap. A jump from 0 to under 0.3 s is that; any other hole is a defect.
const startGap = (e) => e.details === 'bufferSeekOverHole' && /seeking from 0 to 0?\.[0-2]\d*$/.test(e.message ?? '');

/**
 * The checks a transcoder test makes on a good 2-rung output (320x180 and
 * 640x360 H.264 + one audio rendition) played with a pinned start on the low
 * rung and a forced switch to the high one.
 * @param {import('tap').Test} t
 * @param {PlayResult} r
 * @param {{ server: { requests: { path: string }[] }, segmentPath: (rung: number) => RegExp, benign?: string[] }} o
 *   segmentPath(0|1): the low/high rung's segment URL path
 */
export function assertPlaysLadder(t, r, { server, segmentPath, benign = [] }) {
  const ignore = new Set([...LOAD_NOISE, ...benign]);
  t.comment(summary(r));
  t.equal(r.fatal, null, 'no fatal error');
  t.same(r.errors.filter((e) => !ignore.has(e.details) && !startGap(e)), [], 'no player errors');
  t.ok(r.currentTime >= 4, `played >= 4 s (${r.currentTime.toFixed(2)})`);
  t.same(r.levels.map((l) => [l.width, l.height]), [[320, 180], [640, 360]], 'both rungs, lowest bitrate first');
  t.ok(r.levels.every((l) => /^avc1\.[0-9a-f]{6}$/.test(l.codecs.split(',')[0]) && l.bitrate > 0), `H.264 codecs strings and bandwidths (${r.levels.map((l) => l.codecs)})`);
  t.equal(r.audioTracks.length, 1, 'one audio rendition');
  const f = r.forcedSwitch;
  t.equal(f?.widthBefore, 320, 'pinned to the low rung before the switch');
  t.ok(f?.reported, 'the player reported the switch');
  t.same([f?.width, f?.height], [640, 360], 'the video shows the new rung');
  t.ok(f?.playedAfter >= 1 && f?.framesAfter >= 15, `playback went on after the switch (${f?.framesAfter} frames)`);
  const after = r.timeline.filter((s) => s.w === 640 && s.t >= f?.shownAt);
  t.ok(after.length >= 2 && after.at(-1).t > after[0].t && after.at(-1).f > after[0].f, 'time and frames advance at the new width');
  // Headless chromium on a loaded machine presents fewer frames than it plays
  // (dash.js counted 50 in 5 s in a fresh-clone suite run, hls.js 99): a floor
  // of one second's worth still fails a video that does not decode.
  t.ok(r.quality.totalVideoFrames >= 30, `frames rendered (${r.quality.totalVideoFrames})`);
  t.ok(r.quality.droppedVideoFrames <= r.quality.totalVideoFrames / 2, 'most frames not dropped');
  t.ok(server.requests.some((q) => segmentPath(0).test(q.path)) && server.requests.some((q) => segmentPath(1).test(q.path)), 'segments of both rungs fetched');
}

export function summary(r) {
  const f = r.forcedSwitch;
  const sw = f ? ` switch->${f.to} ${f.widthBefore}->${f.width}px${f.shownAt != null ? ` shown@${f.shownAt.toFixed(2)} +${f.playedAfter.toFixed(2)}s/${f.framesAfter}fr` : ' NOT SHOWN'}` : '';
  const errs = r.errors.map((e) => `${e.fatal ? 'FATAL ' : ''}${e.source}:${e.details ?? e.type ?? e.code ?? ''} ${e.message ?? ''}`.trim());
  return `${r.player} ${r.version}: t=${r.currentTime.toFixed(2)}/${r.duration} ${r.videoWidth}x${r.videoHeight} ` +
    `levels=[${r.levels.map((l) => `${l.width}x${l.height}@${Math.round(l.bitrate / 1000)}k`).join(' ')}] ` +
    `frames=${r.quality.totalVideoFrames} dropped=${r.quality.droppedVideoFrames} stalls=${r.stalls}${sw} ${r.wallMs}ms` +
    (errs.length ? ` errors: ${errs.join(' | ')}` : '');
}

// The player page. run() does the whole playback in the page and resolves to
// the PlayResult, so Node makes one evaluate() call and no polling round-trips.
const PAGE_SCRIPT = () => {
  const v = document.getElementById('v');
  const H = { errors: [], switches: [], levels: [], audioTracks: [], timeline: [], stalls: 0, playing: false };
  const now = () => performance.now();
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const err = (e) => H.errors.push(e);
  const fatal = () => H.errors.find((e) => e.fatal) ?? null;
  v.addEventListener('playing', () => {
    H.playing = true;
    H.startTime ??= v.currentTime;
  });
  window.stopPlay = () => { H.stop = true; };
  v.addEventListener('waiting', () => { if (H.playing) H.stalls++; });
  v.addEventListener('error', () => err({ fatal: true, source: 'video', code: v.error?.code, message: v.error?.message }));
  let player;
  let doSwitch;
  // A level is an index into H.levels or { width, height? } (the first match; -1 if none).
  const pick = (sel) => (typeof sel === 'number' ? sel : H.levels.findIndex((l) => l.width === sel.width && (sel.height == null || l.height === sel.height)));
  const startIndex = (sel) => {
    const i = pick(sel);
    if (!H.levels[i]) err({ fatal: true, source: 'harness', type: 'level', message: `no start level ${JSON.stringify(sel)} in ${H.levels.length}` });
    return i;
  };

  function startHls(a) {
    const hls = (player = new window.Hls({ ...a.config }));
    H.version = window.Hls.version;
    const E = window.Hls.Events;
    hls.on(E.ERROR, (_, d) => err({
      fatal: !!d.fatal, source: 'hls.js', type: d.type, details: d.details,
      url: d.frag?.url ?? d.url ?? d.context?.url, code: d.response?.code, message: String(d.error?.message ?? d.reason ?? ''),
    }));
    hls.on(E.MANIFEST_PARSED, () => {
      H.levels = hls.levels.map((l, index) => ({ index, bitrate: l.bitrate, width: l.width, height: l.height, codecs: [l.videoCodec, l.audioCodec].filter(Boolean).join(','), url: l.url[0] }));
      if (a.start != null) hls.loadLevel = startIndex(a.start); // manual level from the first fragment: ABR off
    });
    // hls.audioTracks is filled once the first level's AUDIO group is known.
    hls.on(E.AUDIO_TRACKS_UPDATED, (_, d) => {
      H.audioTracks = d.audioTracks.map((t) => ({ name: t.name, groupId: t.groupId, lang: t.lang, default: t.default, url: t.url }));
    });
    hls.on(E.LEVEL_SWITCHED, (_, d) => H.switches.push({ level: d.level, at: v.currentTime }));
    doSwitch = (i) => { hls.currentLevel = i; }; // manual level (ABR off) + buffer flush: immediate switch
    hls.loadSource(a.src);
    hls.attachMedia(v);
  }

  function startDash(a) {
    const { dashjs } = window;
    const p = (player = dashjs.MediaPlayer().create());
    const E = dashjs.MediaPlayer.events;
    const manual = { streaming: { abr: { autoSwitchBitrate: { video: false } } } };
    p.updateSettings({ debug: { logLevel: dashjs.Debug.LOG_LEVEL_WARNING } });
    p.updateSettings(a.config);
    if (a.start != null) p.updateSettings(manual);
    // dash.js has no fatal flag: a well-formed stream raises no ERROR at all.
    p.on(E.ERROR, (e) => err({ fatal: true, source: 'dash.js', type: 'error', code: e.error?.code, message: String(e.error?.message ?? e.error ?? '') }));
    p.on(E.PLAYBACK_ERROR, (e) => err({ fatal: true, source: 'dash.js', type: 'playbackError', code: e.error?.code, message: String(e.error?.message ?? '') }));
    p.on(E.STREAM_INITIALIZED, () => {
      H.levels = p.getRepresentationsByType('video').map((r, index) => ({ index, id: r.id, bitrate: r.bandwidth, width: r.width, height: r.height, codecs: r.codecs }));
      H.audioTracks = p.getRepresentationsByType('audio').map((r) => ({ id: r.id, bitrate: r.bandwidth, codecs: r.codecs, lang: r.mediaInfo?.lang }));
      // Too late for the first segment (already requested at dash.js's own pick); forceReplace swaps it.
      if (a.start != null) p.setRepresentationForTypeByIndex('video', startIndex(a.start), true);
    });
    p.on(E.QUALITY_CHANGE_RENDERED, (e) => {
      if (e.mediaType === 'video') H.switches.push({ level: H.levels.findIndex((l) => l.id === e.newRepresentation?.id), at: v.currentTime });
    });
    doSwitch = (i) => {
      p.updateSettings(manual);
      p.setRepresentationForTypeByIndex('video', i, true);
    };
    H.version = p.getVersion();
    p.initialize(v, a.src, true);
  }

  window.run = async (a) => {
    const t0 = now();
    const frames = () => v.getVideoPlaybackQuality().totalVideoFrames;
    // Live: times count from the first 'playing' (never reached before it).
    const base = () => (a.relative ? (H.startTime ?? Infinity) : 0);
    const live = () => {
      if (!a.relative || !player) return {};
      const lat = a.kind === 'hls' ? player.latency : player.getCurrentLiveLatency?.();
      const pdt = a.kind === 'hls' ? player.playingDate?.getTime() : undefined;
      return { lat: Number.isFinite(lat) ? lat : undefined, pdt: Number.isFinite(pdt) ? pdt : undefined, now: Date.now() };
    };
    const sampler = setInterval(() => H.timeline.push({ ms: Math.round(now() - t0), t: v.currentTime, w: v.videoWidth, h: v.videoHeight, f: frames(), ...live() }), 250);
    let timedOut = false;
    let stalled = false;
    const last = { t: -1, tAt: now(), f: -1, fAt: now() };
    const stall = (what) => {
      stalled = true;
      err({ fatal: true, source: 'harness', type: 'stall', message: `${what} for ${a.stallMs} ms at currentTime ${v.currentTime}` });
    };
    // Why waiting must stop: a fatal error, the end, a stall or the time limit. A
    // stall or time-out is recorded as a fatal harness error: players often
    // retry forever without a fatal error of their own (a 404 segment in every
    // rung in hls.js), or say nothing while the picture freezes and the audio
    // clock runs on (an unparseable video segment in dash.js), and that must fail.
    const blocked = () => {
      if (fatal() || v.ended) return true;
      const playing = H.playing && !v.paused;
      if (v.currentTime !== last.t) [last.t, last.tAt] = [v.currentTime, now()];
      else if (playing && now() - last.tAt > a.stallMs) stall('currentTime stuck');
      if (frames() !== last.f) [last.f, last.fAt] = [frames(), now()];
      else if (playing && v.videoWidth > 0 && now() - last.fAt > a.stallMs) stall('no new video frame');
      if (now() - t0 > a.timeoutMs) {
        timedOut = true;
        err({ fatal: true, source: 'harness', type: 'timeout', message: `${a.timeoutMs} ms passed at currentTime ${v.currentTime}` });
      }
      return !!fatal();
    };
    // Polls cond every 50 ms until it holds (true) or playback is blocked (false).
    const until = async (cond) => {
      while (!cond()) {
        if (blocked()) return false;
        await sleep(50);
      }
      return true;
    };
    let forcedSwitch = null;
    try {
      (a.kind === 'hls' ? startHls : startDash)(a);
      // dash.js starts playback itself (initialize(..., autoplay)): a play()
      // here would fire the video's 'play' before dash.js listens for it, so
      // its PLAYBACK_STARTED never comes and a live MPD is never refreshed.
      if (a.kind === 'hls') v.play().catch((e) => err({ fatal: false, source: 'video', type: 'play', message: String(e) }));
      // A pinned start level must be on screen before the switch: dash.js has
      // already requested its first segment at its own pick when the pin is set,
      // so under load the pin can show only after switchAt.
      const startShown = () => a.start == null || (H.levels[pick(a.start)]?.width === v.videoWidth && H.levels[pick(a.start)]?.height === v.videoHeight);
      if (a.switchTo != null && (await until(() => H.stop || (v.currentTime >= base() + a.switchAt && H.levels.length > 0 && startShown()))) && !H.stop) {
        const to = pick(a.switchTo);
        const target = H.levels[to];
        forcedSwitch = { to, requestedAt: v.currentTime, widthBefore: v.videoWidth, reported: false, shownAt: null, width: 0, height: 0, playedAfter: 0, framesAfter: 0 };
        let shownFrames = 0;
        if (!target) err({ fatal: true, source: 'harness', type: 'level', message: `no level ${JSON.stringify(a.switchTo)} in ${H.levels.length}` });
        else {
          doSwitch(to);
          // The last reported level, not a new event: hls.js reports nothing when already on it.
          const reported = () => H.switches.at(-1)?.level === to;
          // Shown = the player reported the switch and the decoder outputs the new size.
          if (await until(() => reported() && v.videoWidth === target.width && v.videoHeight === target.height)) {
            Object.assign(forcedSwitch, { reported: true, shownAt: v.currentTime });
            shownFrames = frames();
            await until(() => H.stop || v.currentTime >= forcedSwitch.shownAt + a.afterSwitch);
          }
          Object.assign(forcedSwitch, { reported: reported(), width: v.videoWidth, height: v.videoHeight });
          if (forcedSwitch.shownAt != null) Object.assign(forcedSwitch, { playedAfter: v.currentTime - forcedSwitch.shownAt, framesAfter: frames() - shownFrames });
        }
      }
      await until(() => H.stop || v.currentTime >= base() + a.seconds);
    } catch (e) {
      err({ fatal: true, source: 'harness', message: String(e?.stack ?? e) });
    } finally {
      clearInterval(sampler);
    }
    const q = v.getVideoPlaybackQuality();
    const result = {
      player: a.kind === 'hls' ? 'hls.js' : 'dash.js', version: H.version ?? '', levels: H.levels, audioTracks: H.audioTracks,
      errors: H.errors, fatal: fatal(), currentTime: v.currentTime, duration: v.duration, ended: v.ended, timedOut, stalled,
      buffered: Array.from({ length: v.buffered.length }, (_, i) => [v.buffered.start(i), v.buffered.end(i)]),
      videoWidth: v.videoWidth, videoHeight: v.videoHeight, timeline: H.timeline,
      quality: { droppedVideoFrames: q.droppedVideoFrames, totalVideoFrames: q.totalVideoFrames },
      stalls: H.stalls, switches: H.switches, forcedSwitch, startTime: H.startTime ?? null,
    };
    try {
      player?.destroy?.(); // hls.js; dash.js uses reset()
      player?.reset?.();
    } catch { /* teardown of a player that already failed */ }
    // Structured clone drops functions; JSON also turns NaN (unknown duration) into null.
    return JSON.parse(JSON.stringify(result));
  };
};

const PAGE = `<!doctype html>
<meta charset="utf-8"><link rel="icon" href="data:,"><title>ffnode player harness</title>
<video id="v" muted playsinline></video>
<script src="/__player/hls.min.js"></script>
<script src="/__player/dash.all.min.js"></script>
<script>(${PAGE_SCRIPT})();</script>
`;

// The player page at `/` in Debian's chromium: the live server with a real
// ffmpeg RTMP publisher; the page lists the stream, plays it with hls.js and
// with dash.js, switches renditions with its quality picker, shows the live
// latency and the API's stats — with no console error. Also: the page with
// the API off (`/?src=`), with no streams, with a player library missing,
// and its HTTP side (CSP, ETag, methods, an Express mount).
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import { CHROMIUM, launchBrowser } from './helpers/player.mjs';
import { startLive, ffmpegPublisher, killAtEnd, waitPlayable, waitFor, getText } from './helpers/live.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { createHandler, MemoryStore, StreamRegistry } from '../dist/index.js';
import { createPlayerRoute, PLAYER_CSP } from '../dist/server/http/player.js';
import { resolveRequestPath } from '../dist/server/http/request-path.js';

t.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is installed`);

const PATH = 'live/cam';
const live = await startLive(t, { ladder: ['360p', '240p'], segmentDuration: 1 });
const { server } = live;
const pub = ffmpegPublisher(server, PATH, { size: '640x360', fps: 30 });
killAtEnd(t, pub);
await waitPlayable(`${server.url}/${PATH}/master.m3u8`, { timeout: 60_000 });

/** An HTTP server on a free port for `handler`, closed at the end. */
async function listen(handler) {
  const s = http.createServer(handler);
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => {
    s.closeAllConnections();
    s.close(() => resolve());
  }));
  return `http://127.0.0.1:${s.address().port}`;
}

const browser = await launchBrowser();
t.teardown(browser.close);

/** A fresh page that records console errors and uncaught exceptions. */
async function openPage(url) {
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { page, errors };
}

const videoState = (page) => page.evaluate(() => {
  const v = document.getElementById('video');
  return { t: v.currentTime, h: v.videoHeight, paused: v.paused };
});

/** Waits until the video has played `seconds` past the first time it was seen moving. */
async function playsFor(page, seconds, timeout = 45_000) {
  const start = await waitFor(async () => {
    const s = await videoState(page);
    return s.t > 0 && !s.paused ? s : null;
  }, { timeout, what: 'playback to start' });
  const end = await waitFor(async () => {
    const s = await videoState(page);
    return s.t >= start.t + seconds ? s : null;
  }, { timeout, what: `${seconds} s of playback from ${start.t}` });
  return { from: start.t, to: end.t };
}

const text = (page, selector) => page.locator(selector).textContent();

t.test('API on: lists the stream, plays it with hls.js, switches quality, shows latency and stats', async (t) => {
  const { page, errors } = await openPage(`${server.url}/`);
  t.teardown(() => page.close());
  const item = page.locator(`#streams button[data-path="${PATH}"]`);
  await item.waitFor({ timeout: 15_000 });
  t.match(await item.textContent(), /live\/cam\s*live/, 'the stream is listed as live');
  await item.click();
  const played = await playsFor(page, 3);
  t.ok(played.to - played.from >= 3, `currentTime advanced ≥ 3 s (${played.from.toFixed(2)} → ${played.to.toFixed(2)})`);
  t.match(await text(page, '#status'), /with hls\.js 1\./, 'hls.js plays it');

  const options = await page.locator('#quality option').evaluateAll((os) => os.map((o) => ({ value: o.value, height: Number(o.dataset.height ?? 0) })));
  t.same(options.map((o) => o.height), [0, 360, 240], 'the picker lists Auto and both renditions, tallest first');
  const before = (await videoState(page)).h;
  const target = options.find((o) => o.height && o.height !== before);
  t.ok(target, `a rendition other than the one on screen (${before}p)`);
  await page.selectOption('#quality', target.value);
  await waitFor(async () => (await videoState(page)).h === target.height, { timeout: 30_000, what: `the video to show ${target.height}p` });
  t.pass(`picking ${target.height}p switched the video from ${before}p to ${target.height}p`);
  const after = await playsFor(page, 1);
  t.ok(after.to > after.from, 'it plays on after the switch');
  t.equal(await page.locator('#quality').inputValue(), target.value, 'the picker shows the manual choice');

  const latency = await waitFor(() => page.locator('#latency').getAttribute('data-seconds'), { timeout: 10_000, what: 'a latency' });
  t.ok(Number(latency) > 0 && Number(latency) < 30, `live latency shown as a number (${latency} s; text ${await text(page, '#latency')})`);
  t.match(await text(page, '#latency'), /^\d+\.\d s$/, 'formatted in seconds');

  await page.locator('#stats tr[data-stat=encoders]').waitFor({ timeout: 10_000 });
  t.match(await text(page, '#stats tr[data-stat=ingest] td'), /^\d+(\.\d+)? [kM]b\/s$/, 'ingest bitrate');
  t.match(await text(page, '#stats tr[data-stat=speed] td'), /^\d+\.\d\d×$/, 'speed');
  t.match(await text(page, '#stats tr[data-stat=dropped] td'), /^\d+$/, 'dropped frames');
  t.match(await text(page, '#stats tr[data-stat=encoders] td'), /libx264/, 'encoders');
  t.equal(await page.locator('#renditions tbody tr').count(), 3, 'one row per rendition (2 video + audio)');
  // the stats refresh: uptime moves between two API polls
  const up1 = await text(page, '#stats tbody tr:nth-child(3) td');
  await waitFor(async () => (await text(page, '#stats tbody tr:nth-child(3) td')) !== up1, { timeout: 10_000, what: 'the stats to refresh' });
  t.pass(`stats refreshed (uptime ${up1} → ${await text(page, '#stats tbody tr:nth-child(3) td')})`);
  t.same(errors, [], 'no console errors or page errors');
});

t.test('dash.js mode plays the same stream, with its own quality list and latency', async (t) => {
  const { page, errors } = await openPage(`${server.url}/?src=${PATH}&player=dash`);
  t.teardown(() => page.close());
  const played = await playsFor(page, 3);
  t.ok(played.to - played.from >= 3, `currentTime advanced ≥ 3 s (${played.from.toFixed(2)} → ${played.to.toFixed(2)})`);
  t.match(await text(page, '#status'), /manifest\.mpd with dash\.js 5\./, 'dash.js plays the MPD');
  t.ok(await page.locator('input[name=engine][value=dash]').isChecked(), 'the toggle shows DASH');
  const heights = await page.locator('#quality option').evaluateAll((os) => os.map((o) => Number(o.dataset.height ?? 0)));
  t.same(heights, [0, 360, 240], 'representations listed');
  const latency = await waitFor(() => page.locator('#latency').getAttribute('data-seconds'), { timeout: 15_000, what: 'a latency' });
  t.ok(Number(latency) > 0, `dash.js live latency shown (${latency} s)`);
  // the toggle goes back to hls.js on the same stream
  await page.locator('input[name=engine][value=hls]').check();
  await waitFor(async () => /with hls\.js/.test(await text(page, '#status')), { timeout: 20_000, what: 'hls.js to take over' });
  const again = await playsFor(page, 1);
  t.ok(again.to > again.from, 'hls.js plays after the toggle');
  t.same(errors, [], 'no console errors or page errors');
});

t.test('API off: the page plays /?src=<app>/<name> and says the list is off', async (t) => {
  const url = await listen(createHandler(server, { api: false }));
  t.equal((await getText(`${url}/api/streams`)).status, 404, 'no API on this handler');
  const { page, errors } = await openPage(`${url}/?src=${PATH}`);
  t.teardown(() => page.close());
  t.match(await text(page, '#list-status'), /API\) is off/, 'the list says the API is off');
  const played = await playsFor(page, 3);
  t.ok(played.to - played.from >= 3, `currentTime advanced ≥ 3 s (${played.from.toFixed(2)} → ${played.to.toFixed(2)})`);
  t.equal(await page.locator('#stats').isHidden(), true, 'no stats without the API');
  // a pasted manifest URL plays too (how a signed ?exp=…&sig=… URL is given)
  await page.fill('#src', `${url}/${PATH}/manifest.mpd`);
  await page.click('#open button');
  await waitFor(async () => /with dash\.js/.test(await text(page, '#status')), { timeout: 20_000, what: 'dash.js to play the pasted MPD' });
  t.ok(await page.locator('input[name=engine][value=dash]').isChecked(), 'an .mpd URL selects dash.js');
  const again = await playsFor(page, 1);
  t.ok(again.to > again.from, 'the pasted manifest URL plays');
  t.same(errors, [], 'no console errors or page errors');
});

t.test('no streams: the page says so; an unknown stream fails gracefully', async (t) => {
  const registry = new StreamRegistry({ store: new MemoryStore() });
  t.teardown(() => registry.close());
  const url = await listen(createHandler({ store: new MemoryStore(), registry }));
  const { page, errors } = await openPage(`${url}/`);
  t.teardown(() => page.close());
  await waitFor(async () => /No streams yet/.test(await text(page, '#list-status')), { timeout: 10_000, what: 'the empty-list message' });
  t.equal(await page.locator('#streams li').count(), 0, 'nothing listed');
  t.match(await text(page, '#status'), /Pick a stream/);
  t.same(errors, [], 'no console errors for an empty server');
  await page.fill('#src', 'live/nothing');
  await page.click('#open button');
  await waitFor(async () => /player stopped: .*404/.test(await text(page, '#status')), { timeout: 20_000, what: 'the 404 to be reported' });
  t.match(await text(page, '#status'), /manifestLoadError \(HTTP 404\)/, 'the page reports the 404');
  t.same(errors.filter((e) => !/status of 404/.test(e)), [], 'only the 404 itself is logged (by chromium), no page error');
  await page.fill('#src', 'not a path');
  await page.click('#open button');
  t.match(await text(page, '#status'), /Not a stream path/, 'a bad entry is explained');
});

t.test('a missing player library: a 404 naming the package, and the page says which to install', async (t) => {
  const route = createPlayerRoute({ vendor: { dash: null } });
  const url = await listen((req, res) => {
    const p = resolveRequestPath(req.url);
    route(req, res, p).then((served) => { if (!served) res.writeHead(404).end(); });
  });
  const r = await getText(`${url}/player/vendor/dash.all.min.js`);
  t.equal(r.status, 404);
  t.match(r.text, /dashjs is not installed: npm install dashjs/);
  t.equal((await getText(`${url}/player/vendor/hls.min.js`)).status, 200, 'hls.js is still served');
  const { page, errors } = await openPage(`${url}/`);
  t.teardown(() => page.close());
  t.match(await text(page, '#notice'), /dashjs \(npm install dashjs\)/, 'the page names the package to install');
  t.ok(await page.locator('input[name=engine][value=dash]').isDisabled(), 'the DASH choice is disabled');
  t.ok(await page.locator('input[name=engine][value=hls]').isEnabled(), 'HLS still available');
  t.same(errors, [], 'no console errors (the page does not load what is missing)');
});

t.test('HTTP: CSP on the page, cached assets, methods, unknown paths, an Express mount', async (t) => {
  const page = await fetch(`${server.url}/`);
  t.equal(page.status, 200);
  t.equal(page.headers.get('content-security-policy'), PLAYER_CSP);
  t.match(PLAYER_CSP, /script-src 'self';/);
  t.notMatch(PLAYER_CSP, /unsafe-inline|unsafe-eval/, 'no inline scripts or eval allowed');
  t.match(page.headers.get('content-type'), /^text\/html/);
  const html = await page.text();
  t.notMatch(html, /<script>|<script [^>]*>[^<]/, 'no inline script');
  t.match(html, /data-api="api"/);
  const js = await fetch(`${server.url}/player/player.js`);
  t.match(js.headers.get('content-type'), /^text\/javascript/);
  const etag = js.headers.get('etag');
  await js.arrayBuffer();
  t.equal((await fetch(`${server.url}/player/player.js`, { headers: { 'if-none-match': etag } })).status, 304, 'ETag revalidation');
  const vendor = await fetch(`${server.url}/player/vendor/hls.min.js`, { method: 'HEAD' });
  t.equal(vendor.status, 200);
  t.ok(Number(vendor.headers.get('content-length')) > 100_000, 'hls.js bundle served');
  t.equal((await getText(`${server.url}/`, { method: 'DELETE' })).status, 405);
  t.equal((await getText(`${server.url}/player/nope.js`)).status, 404);
  t.equal((await getText(`${server.url}/player/vendor/nope.js`)).status, 404);
  // fetch() would normalise the '..' away: a raw request keeps it
  const raw = await new Promise((resolve, reject) => http.get(`${server.url}/player/../package.json`, { path: '/player/../package.json' }, (res) => {
    res.resume();
    resolve(res.statusCode);
  }).on('error', reject));
  t.equal(raw, 400, 'no escape from the assets');

  const { default: express } = await import('express');
  const app = express();
  app.use('/tv', createHandler(server));
  app.use((req, res) => res.status(418).send('express'));
  const url = await listen(app);
  const bare = await fetch(`${url}/tv?src=${PATH}`, { redirect: 'manual' });
  t.equal(bare.status, 301, '/tv redirects');
  t.equal(bare.headers.get('location'), `/tv/?src=${PATH}`, 'to /tv/ (the page URLs are relative), query kept');
  t.equal((await fetch(`${url}/tv/`)).status, 200);
  t.equal((await fetch(`${url}/tv/player/player.css`)).status, 200);
  t.equal((await fetch(`${url}/other`)).status, 418, 'other paths go on to Express');
});

t.test('close', async () => {
  await pub.kill();
  await server.close();
});

endsWithZeroLive(t);

// Signed playback end to end: serve() with a playback secret, the ffmpeg CLI
// publishing a live stream over signed RTMP, hls.js and dash.js in chromium
// given only a signed manifest URL. Every request the page made to the
// server carried the token; the manifests the server wrote for a live stream
// name every URI with it (m3u8-parser, mpd-parser); missing, tampered,
// expired and other-stream tokens get 403 on the master, a media playlist,
// an init segment and a media segment, whatever the stream.
import t from 'tap';
import fs from 'node:fs';
import { Parser as M3u8Parser } from 'm3u8-parser';
import { parse as parseMpd } from 'mpd-parser';
import { signUrl } from '../dist/index.js';
import { CHROMIUM, serveDir, launchBrowser, playHls, playDash, summary, tempDir, LOAD_NOISE, trafficOf } from './helpers/player.mjs';
import { startLive, ffmpegPublisher, killAtEnd, waitFor, getText } from './helpers/live.mjs';

t.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is installed`);

const PUBLISH = 'publish-secret-0123456789abcdef';
const PLAYBACK_NEW = 'playback-secret-new-0123456789';
const PLAYBACK_OLD = 'playback-secret-old-0123456789';
const PATH = 'live/sec';
const SEG = 1;

// A rotation in progress: new and old playback secrets both valid.
const live = await startLive(t, { ladder: ['360p', '240p'], segmentDuration: SEG, auth: { publishSecret: PUBLISH, playbackSecret: [PLAYBACK_NEW, PLAYBACK_OLD] } });
const { server } = live;
const base = `${server.url}/${PATH}`;
const pubUrl = signUrl(`rtmp://127.0.0.1:${server.rtmpPort}/${PATH}`, PUBLISH, { expiresIn: 600 });
const pub = ffmpegPublisher(server, pubUrl.replace(/^rtmp:\/\/[^/]+\//, ''), { size: '640x360', fps: 30 });
killAtEnd(t, pub);

const sign = (url, secret = PLAYBACK_NEW, o = { expiresIn: 600 }) => signUrl(url, secret, o);
const TOKEN = (() => {
  const u = new URL(sign(`${base}/master.m3u8`));
  return { exp: u.searchParams.get('exp'), sig: u.searchParams.get('sig') };
})();
const withToken = (u) => `${u}?exp=${TOKEN.exp}&sig=${TOKEN.sig}`;
const tokenOf = (u) => {
  const q = new URL(u).searchParams;
  return q.getAll('exp').length === 1 && q.getAll('sig').length === 1 ? `${q.get('exp')}/${q.get('sig')}` : null;
};
const m3u8 = (text) => {
  const p = new M3u8Parser();
  p.push(text);
  p.end();
  return p.manifest;
};

// Playable once every media playlist lists a segment (fetched signed, as a player would).
const ready = await waitFor(async () => {
  const m = await getText(withToken(`${base}/master.m3u8`));
  if (m.status !== 200) return null;
  const parsed = m3u8(m.text);
  const lists = [...parsed.playlists.map((p) => p.uri), ...Object.values(parsed.mediaGroups.AUDIO ?? {}).flatMap((g) => Object.values(g).map((x) => x.uri))];
  const media = [];
  for (const uri of lists) {
    const url = new URL(uri, `${base}/master.m3u8`).href;
    const r = await getText(url);
    if (r.status !== 200 || m3u8(r.text).segments.length === 0) return null;
    media.push({ url, text: r.text });
  }
  return { master: m.text, media };
}, { timeout: 40_000, interval: 100, what: `${PATH} to be playable with a signed URL` });

// The page comes from its own origin (the live server sends CORS headers), and
// every request the page makes is recorded.
const [pageOrigin, browser] = await Promise.all([serveDir(tempDir('page')), launchBrowser()]);
t.teardown(() => Promise.all([browser.close(), pageOrigin.close()]));
const pageUrl = `${pageOrigin.url}/__player/`;
const page = await browser.newPage();
const { requests, responses, next: nextTest } = trafficOf(page, server.url);

t.test('the live manifests the server writes carry the token in every URI', async (t) => {
  const master = m3u8(ready.master);
  const uris = [...master.playlists.map((p) => p.uri), ...Object.values(master.mediaGroups.AUDIO).flatMap((g) => Object.values(g).map((x) => x.uri))];
  t.equal(uris.length, 3, 'two variants and an audio rendition');
  t.ok(uris.every((u) => tokenOf(new URL(u, base + '/').href) === `${TOKEN.exp}/${TOKEN.sig}`), `each carries the token (${uris[0]})`);
  for (const { url, text } of ready.media) {
    const p = m3u8(text);
    const all = [...p.segments.map((s) => s.uri), ...p.segments.filter((s) => s.map).map((s) => s.map.uri)];
    t.ok(all.length >= 2 && all.every((u) => tokenOf(new URL(u, url).href) === `${TOKEN.exp}/${TOKEN.sig}`), `${new URL(url).pathname}: ${all.length} segment and init URIs, all with the token`);
  }
  const mpdUrl = withToken(`${base}/manifest.mpd`);
  const mpd = await getText(mpdUrl);
  t.equal(mpd.status, 200, 'the MPD');
  const parsed = parseMpd(mpd.text, { manifestUri: mpdUrl });
  const resolved = [];
  const walk = (v) => {
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'resolvedUri' && typeof x === 'string') resolved.push(x);
      else walk(x);
    }
  };
  walk(parsed);
  t.ok(resolved.length >= 6, `mpd-parser resolves ${resolved.length} segment and init URLs`);
  t.same(resolved.filter((u) => tokenOf(u) !== `${TOKEN.exp}/${TOKEN.sig}`), [], 'each carries the token');
  t.match(mpd.text, /media="[^"]*\$Number\$[^"]*\?exp=\d+&amp;sig=/, 'the SegmentTemplate stays a $Number$ template');
  // another token (the old secret of the rotation) is carried as given
  const old = new URL(sign(`${base}/master.m3u8`, PLAYBACK_OLD));
  const viaOld = await getText(old.href);
  t.equal(viaOld.status, 200, 'the old secret of the rotation still plays');
  t.ok(m3u8(viaOld.text).playlists.every((p) => p.uri.endsWith(`?exp=${old.searchParams.get('exp')}&sig=${old.searchParams.get('sig')}`)), "and the manifest carries that request's token");
  t.equal((await getText(withToken(`${base}/master.m3u8`).replace('?', '?foo=<x>&'))).status, 200, 'other query parameters are ignored');
});

t.test('missing, tampered, expired and other-stream tokens: 403 for every kind of file', async (t) => {
  const media = ready.media[0];
  const p = m3u8(media.text);
  const strip = (u) => u.split('?')[0];
  const files = {
    master: `${base}/master.m3u8`,
    'media playlist': strip(media.url),
    init: strip(new URL(p.segments.at(-1).map.uri, media.url).href),
    segment: strip(new URL(p.segments.at(-1).uri, media.url).href),
    mpd: `${base}/manifest.mpd`,
  };
  const now = Math.floor(Date.now() / 1000);
  const tampered = TOKEN.sig[3] === 'A' ? `${TOKEN.sig.slice(0, 3)}B${TOKEN.sig.slice(4)}` : `${TOKEN.sig.slice(0, 3)}A${TOKEN.sig.slice(4)}`;
  const other = new URL(sign(`${server.url}/live/other/master.m3u8`)).searchParams;
  const expired = new URL(sign(`${base}/master.m3u8`, PLAYBACK_NEW, { exp: now - 2 })).searchParams;
  const third = new URL(sign(`${base}/master.m3u8`, 'a-third-secret-0123456789abc')).searchParams;
  const bad = {
    missing: ['', /missing token/],
    tampered: [`?exp=${TOKEN.exp}&sig=${tampered}`, /bad signature/],
    'tampered exp': [`?exp=${Number(TOKEN.exp) + 1}&sig=${TOKEN.sig}`, /bad signature/],
    expired: [`?${expired}`, /expired/],
    'other stream': [`?${other}`, /bad signature/],
    'a third secret': [`?${third}`, /bad signature/],
    'publish signature': [`?${new URL(signUrl(`${server.url}/${PATH}`, PUBLISH, { expiresIn: 60 })).searchParams}`, /bad signature/],
    duplicated: [`?exp=${TOKEN.exp}&sig=${TOKEN.sig}&sig=${TOKEN.sig}`, /malformed token/],
  };
  for (const [kind, url] of Object.entries(files)) {
    const good = await fetch(withToken(url));
    t.equal(good.status, 200, `${kind}: 200 with the token`);
    await good.arrayBuffer();
    for (const [what, [q, reason]] of Object.entries(bad)) {
      const r = await fetch(url + q);
      const body = await r.text();
      t.equal(r.status, 403, `${kind}, ${what}: 403`);
      t.match(body, reason, `${kind}, ${what}: says ${reason}`);
      t.notOk(body.includes(TOKEN.sig), 'the refusal does not echo a signature');
    }
    t.equal((await fetch(withToken(url), { method: 'HEAD' })).status, 200, `${kind}: HEAD with the token`);
    t.equal((await fetch(url, { method: 'HEAD' })).status, 403, `${kind}: HEAD without`);
  }
  t.equal((await fetch(withToken(`${server.url}/live/other/master.m3u8`))).status, 403, "this stream's token on another stream: 403");
});

function checkRequests(t, kind) {
  t.ok(requests.length >= 5, `${kind}: ${requests.length} requests to the live server`);
  const unsigned = requests.filter((u) => tokenOf(u) !== `${TOKEN.exp}/${TOKEN.sig}`);
  t.same(unsigned, [], `${kind}: every request carried the token`);
  t.same(responses.filter((r) => r.status !== 200 && r.status !== 206), [], `${kind}: no refused request`);
  t.ok(requests.some((u) => /\.m4s\?/.test(u)) && requests.some((u) => /init[^/]*\.mp4\?/.test(u)), `${kind}: segments and inits fetched signed`);
}

t.test('hls.js plays the signed master; every request carried the token', async (t) => {
  nextTest();
  const r = await playHls(page, withToken(`${base}/master.m3u8`), { relative: true, seconds: 6, timeoutMs: 40_000, config: { liveSyncDurationCount: 2 }, pageUrl });
  t.comment(summary(r));
  t.equal(r.fatal, null, 'no fatal error');
  t.same(r.errors.filter((e) => !(LOAD_NOISE.has(e.details) && !e.fatal)), [], 'no player errors');
  t.ok(r.currentTime - r.startTime >= 6, `currentTime advanced 6 s (from ${r.startTime?.toFixed(2)} to ${r.currentTime.toFixed(2)})`);
  t.ok(r.quality.totalVideoFrames >= 60, `frames rendered (${r.quality.totalVideoFrames})`);
  checkRequests(t, 'hls.js');
  t.ok(requests.filter((u) => /\/index\.m3u8\?/.test(u)).length >= 3, 'the live media playlists were reloaded, signed');
});

t.test('dash.js plays the signed MPD; every request carried the token', async (t) => {
  nextTest();
  const r = await playDash(page, withToken(`${base}/manifest.mpd`), { relative: true, seconds: 6, timeoutMs: 40_000, pageUrl });
  t.comment(summary(r));
  t.equal(r.fatal, null, 'no fatal error');
  t.same(r.errors, [], 'no player errors');
  t.ok(r.currentTime - r.startTime >= 6, `currentTime advanced 6 s (from ${r.startTime?.toFixed(2)} to ${r.currentTime.toFixed(2)})`);
  checkRequests(t, 'dash.js');
  t.ok(requests.filter((u) => /manifest\.mpd\?/.test(u)).length >= 2, 'the live MPD was refreshed, signed');
});

t.test('hls.js given an unsigned master gets nothing', async (t) => {
  nextTest();
  const r = await playHls(page, `${base}/master.m3u8`, { seconds: 2, timeoutMs: 15_000, pageUrl, config: { manifestLoadingMaxRetry: 0 } });
  t.ok(r.fatal, `a fatal error (${r.fatal?.details ?? r.fatal?.message})`);
  t.equal(r.currentTime, 0, 'nothing played');
  t.ok(responses.length >= 1 && responses.every((x) => x.status === 403), `every response was 403 (${responses.map((x) => x.status)})`);
});

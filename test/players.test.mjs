// Real players on ffnode's own output: hls.js and dash.js (from npm) in
// Debian's chromium play the VOD HLS and DASH that transcode() wrote, and a
// forced rendition switch plays on at the new size.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { transcode } from 'ffnode';
import { fixture } from './helpers/media.mjs';
import { CHROMIUM, serveDir, launchBrowser, playHls, playDash, assertPlaysLadder } from './helpers/player.mjs';

// scripts/setup.mjs --test installs Debian's chromium; without it this must fail, not pass.
t.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is installed`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-players-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

// 12 s 640x360 source with tone; two rungs, 2 s segments.
const source = fixture('players-src.mp4', [
  '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=12', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=12',
  '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-ac', '2', '-shortest',
]);
const VOD = path.join(tmp, 'vod');
await transcode(source, { out: VOD, ladder: ['360p', { height: 180, bitrate: 250_000 }], segmentDuration: 2, preset: 'veryfast' }).done;

const browser = await launchBrowser();
t.teardown(browser.close);
const page = await browser.newPage();
t.comment(`chromium ${browser.version}`);
const server = await serveDir(VOD);
t.teardown(server.close);

function assertPlays(t, r) {
  assertPlaysLadder(t, r, { server, segmentPath: (rung) => new RegExp(`^/${['v180p', 'v360p'][rung]}/seg_\\d+\\.m4s$`) });
  t.ok(server.requests.some((q) => /^\/a128k\/seg_\d+\.m4s$/.test(q.path)), 'audio segments fetched');
}

t.test('hls.js plays ffnode HLS (CMAF, audio group) and follows a forced switch', async (t) => {
  const r = await playHls(page, `${server.url}/master.m3u8`, { seconds: 4, startLevel: { width: 320 }, switchToLevel: { width: 640 } });
  assertPlays(t, r);
});

t.test('dash.js plays ffnode DASH (same segments) and follows a forced switch', async (t) => {
  const r = await playDash(page, `${server.url}/manifest.mpd`, { seconds: 4, startRepresentation: { width: 320 }, switchToRepresentation: { width: 640 } });
  assertPlays(t, r);
  t.match(r.audioTracks[0].codecs, /^mp4a\.40\.2$/, 'AAC-LC audio');
});

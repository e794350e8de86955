// A viewer across a publisher's crash: hls.js plays the live master in
// chromium; the ffmpeg publisher is SIGKILLed and a new one publishes the same
// path 2 s later (within the reconnect grace). The same playlist URL must
// keep playing: currentTime advances well past the moment of the restart and
// hls.js raises no fatal error.
import t from 'tap';
import fs from 'node:fs';
import { CHROMIUM, serveDir, launchBrowser, playHls, summary, tempDir } from './helpers/player.mjs';
import { startLive, ffmpegPublisher, killAtEnd, waitPlayable, waitFor, sleep } from './helpers/live.mjs';

t.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is installed`);

const SEG = 1;
const PATH = 'live/viewer';
const live = await startLive(t, { ladder: ['360p', '240p'], segmentDuration: SEG, reconnectGrace: 10 });
const { server } = live;
const master = `${server.url}/${PATH}/master.m3u8`;

const pageServer = await serveDir(tempDir('page'));
t.teardown(pageServer.close);
const browser = await launchBrowser();
t.teardown(browser.close);
const page = await browser.newPage();
// (0 while the harness navigates to its page)
const currentTime = () => page.evaluate(() => document.getElementById('v')?.currentTime ?? 0).catch(() => 0);
// the end of what the player had buffered (all of it from the old publisher when read after the kill)
const bufferedEnd = () => page.evaluate(() => {
  const b = document.getElementById('v')?.buffered;
  return b?.length ? b.end(b.length - 1) : 0;
}).catch(() => 0);

const pub = ffmpegPublisher(server, PATH, { size: '640x360', fps: 30 });
killAtEnd(t, pub);
await waitPlayable(master);
// a little buffer of live segments before the viewer joins
await sleep(2 * SEG * 1000);

t.test('hls.js keeps playing the same URL across a publisher kill + restart', async (t) => {
  const played = playHls(page, master, {
    pageUrl: `${pageServer.url}/__player/`, relative: true, seconds: 1e6, timeoutMs: 60_000, stallMs: 12_000,
  });
  // playing for 3 s first
  const start = await waitFor(async () => {
    const ct = await currentTime();
    return ct > 0 ? ct : null;
  }, { timeout: 20_000, what: 'playback to start' });
  await waitFor(async () => (await currentTime()) >= start + 3, { timeout: 15_000, what: '3 s of playback' });

  await pub.kill();
  const killedCt = await currentTime();
  await sleep(2000);
  pub.start();
  const restartCt = await currentTime();
  const oldEnd = await bufferedEnd();
  const restartAt = Date.now();
  t.comment(`killed at currentTime ${killedCt.toFixed(2)}, restarted at ${restartCt.toFixed(2)} with media buffered to ${oldEnd.toFixed(2)}`);

  let reached = false;
  try {
    await waitFor(async () => (await currentTime()) >= Math.max(restartCt + 4, oldEnd + 2), { timeout: 25_000, interval: 250, what: 'playback past the restart' });
    reached = true;
  } catch (e) {
    t.comment(e.message);
  }
  await page.evaluate(() => window.stopPlay());
  const r = await played;
  t.comment(summary(r));
  t.comment(`after the restart: currentTime ${restartCt.toFixed(2)} -> ${r.currentTime.toFixed(2)} in ${((Date.now() - restartAt) / 1000).toFixed(1)} s`);
  t.ok(reached, 'reached 4 s of media past the restart, and 2 s past the old publisher\'s media');
  t.ok(r.currentTime >= oldEnd + 1, `played into the new publisher's media (${(r.currentTime - oldEnd).toFixed(2)} s past what was buffered at the restart)`);
  t.ok(r.currentTime >= restartCt + 3, `currentTime advanced ≥ 3 s past the restart (${(r.currentTime - restartCt).toFixed(2)} s)`);
  t.equal(r.fatal, null, 'no fatal error (hls.js, video element, or a stall)');
  t.same(r.errors.filter((e) => e.fatal), [], 'no fatal hls.js error');
  // played through the join: frames kept coming after it
  const after = r.timeline.filter((s) => s.t > restartCt);
  t.ok(after.length >= 4 && after.at(-1).f > after[0].f, 'decoded frames advance after the restart');
  t.ok(r.videoHeight > 0, `video shown (${r.videoWidth}x${r.videoHeight})`);
});

t.test('the server continued the stream (reconnect, not a new stream)', async (t) => {
  t.equal(live.of('publish', PATH).length, 1, 'one publish');
  t.equal(live.of('reconnect', PATH).length, 1, 'one reconnect');
  t.equal(live.of('end', PATH).length, 0, 'never ended');
  t.same(live.of('error'), [], 'no registry errors');
  await pub.kill();
});

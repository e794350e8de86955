// `npm start` as a newcomer runs it: set-up (quick: everything is built),
// then `ffnode serve --demo`. It prints the player page's URL; the API lists
// the demo (protocol 'demo'); the page plays it in chromium; Ctrl-C (SIGINT
// to the whole process group, as a terminal sends it) exits 0 within 5 s and
// reports zero live native objects.
import t from 'tap';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { launchBrowser } from './helpers/player.mjs';
import { waitFor, getText } from './helpers/live.mjs';

const root = path.resolve(import.meta.dirname, '..');

/** A port nobody listens on right now. */
const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

t.test('npm start: page URL, the demo plays, Ctrl-C exits 0 with nothing alive', async (t) => {
  const httpPort = await freePort();
  const child = spawn('npm', ['start'], {
    cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    // RTMP on port 0: the printed URL must carry the port really bound
    env: { ...process.env, FFNODE_HTTP_PORT: String(httpPort), FFNODE_RTMP_PORT: '0', FFNODE_HOST: '' },
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => { out.stdout += d; });
  child.stderr.on('data', (d) => { out.stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
  });

  // set-up on a built checkout is a no-op of a few seconds; on a loaded machine allow more
  const url = await waitFor(() => /Open (http:\/\/\S+\/) in a browser/.exec(out.stdout)?.[1], { timeout: 120_000, what: `the page URL (${out.stdout} ${out.stderr})` });
  t.equal(url, `http://127.0.0.1:${httpPort}/`, 'the page URL, on the port from FFNODE_HTTP_PORT');
  const rtmp = /e\.g\. ffmpeg -re -i input\.mp4 -c copy -f flv rtmp:\/\/127\.0\.0\.1:(\d+)\/live\/mine/.exec(out.stdout);
  t.ok(rtmp && Number(rtmp[1]) > 0, `the RTMP publish hint with the bound port (${rtmp?.[1]})`);

  const demo = await waitFor(async () => {
    const r = await getText(`${url}api/streams`);
    const s = r.status === 200 ? JSON.parse(r.text).streams.find((x) => x.path === 'live/demo') : null;
    return s?.manifests.hls ? s : null;
  }, { timeout: 60_000, what: 'live/demo to be playable' });
  t.equal(demo.publisher?.protocol, 'demo', "the API lists live/demo with protocol 'demo'");
  t.same([demo.source.width, demo.source.height, demo.source.fps], [960, 540, 30], 'a 960x540 30 fps test pattern');
  t.same(demo.renditions.filter((r) => r.type === 'video').map((r) => r.height), [480, 360], 'its ladder: 480p + 360p');
  t.ok(demo.renditions.some((r) => r.type === 'audio'), 'and the tone');
  t.match(out.stdout, /publish live\/demo demo/, 'the publish is logged');
  if (/without its clock/.test(out.stderr)) t.comment(`no clock on this machine: ${out.stderr}`);

  const browser = await launchBrowser();
  t.teardown(browser.close);
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  // a first visit plays the first live stream by itself
  await page.locator('#streams button[data-path="live/demo"]').waitFor({ timeout: 15_000 });
  const time = () => page.evaluate(() => document.getElementById('video').currentTime);
  const from = await waitFor(async () => ((await time()) > 0 ? time() : null), { timeout: 45_000, what: 'the demo to start playing' });
  const to = await waitFor(async () => ((await time()) >= from + 3 ? time() : null), { timeout: 45_000, what: '3 s of the demo' });
  t.ok(to - from >= 3, `the demo plays: currentTime ${from.toFixed(2)} → ${to.toFixed(2)}`);
  t.same(errors, [], 'no console errors');
  await page.close();

  const t0 = Date.now();
  process.kill(-child.pid, 'SIGINT'); // the whole group, as a terminal's Ctrl-C
  const { code, signal, at } = await exited;
  t.equal(code, 0, `npm start exits 0 (signal ${signal}; stderr: ${out.stderr})`);
  t.ok(at - t0 < 5000, `within 5 s (${at - t0} ms)`);
  t.match(out.stdout, /SIGINT: closing/, 'a graceful close');
  t.match(out.stdout, /unpublish live\/demo \(shutdown\)/, 'the demo publisher ended');
  t.match(out.stdout, /closed; live native objects at exit: frames=0 packets=0 objects=0\n/, 'nothing native left alive');
  t.equal((await getText(url)).status, 0, 'nothing listens any more');
});

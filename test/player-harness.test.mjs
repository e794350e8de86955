// Self-test of the real-player harness (test/helpers/player.mjs): hls.js and
// dash.js in Debian's chromium must play what the ffmpeg CLI (the independent
// oracle) packages, follow a forced rung switch, and must report failure for
// broken outputs, so that a transcoder test built on the harness can fail.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { ffmpeg, garbageFile } from './helpers/media.mjs';
import { CHROMIUM, serveDir, launchBrowser, playHls, playDash, summary, tempDir, assertPlaysLadder } from './helpers/player.mjs';

// scripts/setup.mjs --test installs Debian's chromium; without it this must fail, not pass.
if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install chromium`);

// Private to this run (t.testdir() is shared by concurrent runs of this file).
const tmp = tempDir('media');

// 10 s, 2 rungs (640x360 800k, 320x180 250k) H.264 + one AAC, keyframe every
// 2 s = one segment. Encoded in the packaging run itself: only then does ffmpeg
// 5.1 write CODECS on the video variants of master.m3u8. With -c copy from an
// MP4 it leaves them out, and hls.js 1.7.4 fails on that master (which also
// lists the audio playlist as an audio-only variant) with a fatal
// bufferAppendError "audio SourceBuffer does not exist".
const encodeLadder = (out) => ffmpeg([
  '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=10',
  '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=10',
  '-filter_complex', '[0:v]split=2[hi][lo0];[lo0]scale=320:180[lo]', '-map', '[hi]', '-map', '[lo]', '-map', '1:a',
  '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0',
  '-b:v:0', '800k', '-maxrate:v:0', '900k', '-bufsize:v:0', '1600k', '-b:v:1', '250k', '-maxrate:v:1', '300k', '-bufsize:v:1', '500k',
  '-c:a', 'aac', '-b:a', '96k', '-ac', '2', ...out,
]);

const HLS = path.join(tmp, 'hls');
const DASH = path.join(tmp, 'dash');
encodeLadder(['-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4',
  '-hls_segment_filename', path.join(HLS, '%v', 'seg%d.m4s'), '-master_pl_name', 'master.m3u8',
  '-var_stream_map', 'v:0,agroup:aud v:1,agroup:aud a:0,agroup:aud', path.join(HLS, '%v', 'index.m3u8')]);
fs.mkdirSync(DASH);
encodeLadder(['-f', 'dash', '-seg_duration', '2', '-use_template', '1', '-use_timeline', '1',
  '-adaptation_sets', 'id=0,streams=v id=1,streams=a', path.join(DASH, 'manifest.mpd')]);

// Broken copies: a media segment (2-4 s) missing / garbage in every video rung,
// so no ABR fallback can hide it.
const broken = (src, name, files, damage) => {
  const dir = path.join(tmp, name);
  fs.cpSync(src, dir, { recursive: true });
  for (const f of files) damage(path.join(dir, f));
  return dir;
};
const HLS_MISSING = broken(HLS, 'hls-missing', ['0/seg1.m4s', '1/seg1.m4s'], (f) => fs.rmSync(f));
const DASH_MISSING = broken(DASH, 'dash-missing', ['chunk-stream0-00002.m4s', 'chunk-stream1-00002.m4s'], (f) => fs.rmSync(f));
const junk = garbageFile(50_000, { ext: '.m4s' });
const DASH_GARBAGE = broken(DASH, 'dash-garbage', ['chunk-stream0-00002.m4s', 'chunk-stream1-00002.m4s'], (f) => fs.copyFileSync(junk, f));

const serve = async (dir) => {
  const s = await serveDir(dir);
  t.teardown(s.close);
  return s;
};
const browser = await launchBrowser();
t.teardown(browser.close);
const page = await browser.newPage();
t.comment(`chromium ${browser.version}`);

// ffmpeg's own fMP4 HLS starts video at 0.167 s (B-frame delay); hls.js may report the seek over that hole.
const BENIGN = ['bufferSeekOverHole'];
const assertPlays = (t, r, server, segmentPath) => assertPlaysLadder(t, r, { server, segmentPath, benign: BENIGN });

t.test('hls.js plays ffmpeg HLS fMP4 with an audio group and follows a forced switch', async (t) => {
  const s = await serve(HLS);
  const r = await playHls(page, `${s.url}/master.m3u8`, { seconds: 4, startLevel: { width: 320 }, switchToLevel: { width: 640 } });
  assertPlays(t, r, s, (v) => new RegExp(`^/${v}/seg\\d+\\.m4s$`));
  t.equal(r.audioTracks[0].groupId, 'group_aud', 'the AUDIO group of master.m3u8');
});

t.test('dash.js plays ffmpeg DASH and follows a forced switch', async (t) => {
  const s = await serve(DASH);
  const r = await playDash(page, `${s.url}/manifest.mpd`, { seconds: 4, startRepresentation: { width: 320 }, switchToRepresentation: { width: 640 } });
  assertPlays(t, r, s, (v) => new RegExp(`^/chunk-stream${v}-\\d+\\.m4s$`));
  t.match(r.audioTracks[0].codecs, /^mp4a\.40\.2$/, 'AAC-LC audio');
});

// Negative cases: the harness must hand a test something to fail on.
t.test('hls.js: a missing segment in every rung is reported (404s, then a stall)', async (t) => {
  const s = await serve(HLS_MISSING);
  const r = await playHls(page, `${s.url}/master.m3u8`, { seconds: 4, stallMs: 2000 });
  t.comment(summary(r));
  t.ok(r.fatal, 'a fatal error');
  t.ok(r.errors.some((e) => e.details === 'fragLoadError' && e.code === 404 && /seg1\.m4s$/.test(e.url)), 'hls.js reported the 404');
  t.ok(r.currentTime < 4, 'did not play past the hole');
});

t.test('hls.js: a missing master playlist is fatal', async (t) => {
  const s = await serve(HLS);
  const r = await playHls(page, `${s.url}/nope.m3u8`, { seconds: 4 });
  t.comment(summary(r));
  t.match(r.fatal, { source: 'hls.js', details: 'manifestLoadError' }, 'hls.js fatal manifestLoadError');
});

t.test('dash.js: a missing segment is a dash.js error', async (t) => {
  const s = await serve(DASH_MISSING);
  const r = await playDash(page, `${s.url}/manifest.mpd`, { seconds: 4, stallMs: 2000 });
  t.comment(summary(r));
  t.ok(r.fatal, 'a fatal error');
  t.ok(r.currentTime < 4, 'did not play past the hole');
});

t.test('dash.js: a garbage video segment is caught as frozen video (dash.js itself says nothing)', async (t) => {
  const s = await serve(DASH_GARBAGE);
  const r = await playDash(page, `${s.url}/manifest.mpd`, { seconds: 6, stallMs: 2000 });
  t.comment(summary(r));
  t.match(r.fatal, { source: 'harness', type: 'stall' }, 'a fatal stall');
  t.equal(r.errors.filter((e) => e.source === 'dash.js').length, 0, 'dash.js raised nothing (why the harness watches frames)');
  t.ok(r.currentTime < 6, 'did not play through');
});

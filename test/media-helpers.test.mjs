// The shared media helpers themselves: fixtures are generated once, and
// ffprobe sees what the recipes promise.
import t from 'tap';
import * as fs from 'node:fs';
import { countFrames, ffprobe, fixture, fixtures, garbageFile, keyframeTimes, truncatedCopy } from './helpers/media.mjs';

t.test('fixture() is idempotent and keyed by its arguments', async (t) => {
  const args = ['-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10:duration=1', '-c:v', 'mpeg4'];
  const a = fixture('tiny.avi', args);
  const before = fs.statSync(a).mtimeMs;
  const b = fixture('tiny.avi', args);
  t.equal(b, a, 'same arguments, same file');
  t.equal(fs.statSync(b).mtimeMs, before, 'not regenerated');
  const c = fixture('tiny.avi', [...args, '-q:v', '5']);
  t.not(c, a, 'other arguments, other file');
  t.equal(countFrames(a), 10);
});

t.test('h264aac10s: 640x360 300 frames, keyframe every 2 s, AAC 48 kHz stereo', async (t) => {
  const file = fixtures.h264aac10s();
  const info = ffprobe(file);
  const v = info.streams.find((s) => s.codec_type === 'video');
  const a = info.streams.find((s) => s.codec_type === 'audio');
  t.match(v, { codec_name: 'h264', width: 640, height: 360, pix_fmt: 'yuv420p', avg_frame_rate: '30/1' });
  t.match(a, { codec_name: 'aac', sample_rate: '48000', channels: 2 });
  t.match(info.format.format_name, /mp4/);
  t.equal(countFrames(file), 300, 'ffprobe decodes 300 video frames');
  t.same(keyframeTimes(file), [0, 2, 4, 6, 8]);
  const frames = ffprobe(file, ['-select_streams', 'v:0', '-show_frames']).frames;
  t.equal(frames.length, 300, '-show_frames passes through');
});

t.test('the other ready-made fixtures', async (t) => {
  const v = ffprobe(fixtures.video720p5s()).streams;
  t.match(v, [{ codec_name: 'h264', width: 1280, height: 720, pix_fmt: 'yuv420p' }]);
  t.equal(v.length, 1);
  const a = ffprobe(fixtures.audio5s()).streams;
  t.match(a, [{ codec_name: 'aac', sample_rate: '48000', channels: 2 }]);
  t.equal(a.length, 1);
  const ts = ffprobe(fixtures.mpegts10s());
  t.equal(ts.format.format_name, 'mpegts');
  t.same(ts.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
});

t.test('bad-input helpers', async (t) => {
  const src = fixtures.h264aac10s();
  const half = Math.floor(fs.statSync(src).size / 2);
  const cut = truncatedCopy(src, half);
  t.equal(fs.statSync(cut).size, half);
  t.equal(truncatedCopy(src, half), cut, 'cached');
  t.equal(fs.statSync(truncatedCopy(src, -100)).size, fs.statSync(src).size - 100, 'negative: drop the tail');
  const g = garbageFile(4096);
  t.equal(fs.statSync(g).size, 4096);
  t.same(fs.readFileSync(garbageFile(4096)), fs.readFileSync(g), 'deterministic');
  t.throws(() => ffprobe(g), /failed/, 'ffprobe rejects garbage');
});

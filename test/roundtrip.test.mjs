// decode → scale → encode → segment, end to end: runs
// examples/transcode-synthetic.mjs and checks what it wrote with ffprobe.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ffprobe, root } from './helpers/media.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-rt-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

t.test('synthetic 8 s source → 640x360 H.264 + AAC in 2 s CMAF segments', async (t) => {
  const out = execFileSync(process.execPath, [path.join(root, 'examples/transcode-synthetic.mjs'), dir, '8'], { encoding: 'utf8' });
  t.match(out, /encoded 240 video frames/);
  t.match(out, /native objects left: frames=0 packets=0 objects=0/);
  const segs = fs.readdirSync(dir).filter((f) => f.startsWith('seg_')).sort((a, b) => parseInt(a.slice(4)) - parseInt(b.slice(4)));
  t.same(segs, ['seg_0.m4s', 'seg_1.m4s', 'seg_2.m4s', 'seg_3.m4s']);
  const init = fs.readFileSync(path.join(dir, 'init.mp4'));
  const whole = path.join(dir, 'whole.mp4');
  fs.writeFileSync(whole, Buffer.concat([init, ...segs.map((s) => fs.readFileSync(path.join(dir, s)))]));

  const probe = ffprobe(whole, ['-count_frames']);
  const v = probe.streams.find((s) => s.codec_type === 'video');
  const a = probe.streams.find((s) => s.codec_type === 'audio');
  t.equal(v.codec_name, 'h264');
  t.equal(v.width, 640);
  t.equal(v.height, 360);
  t.equal(Number(v.nb_read_frames), 240, 'every source frame was encoded and segmented');
  t.equal(a.codec_name, 'aac');
  t.equal(Number(a.sample_rate), 48000);
  t.equal(a.channels, 2);
  const aDur = Number(a.nb_read_frames) * 1024 / 48000;
  t.ok(Math.abs(aDur - 8) < 0.1, `audio lasts ${aDur.toFixed(3)} s`);

  const frames = ffprobe(whole, ['-select_streams', 'v:0', '-show_frames']).frames;
  const iTimes = frames.filter((f) => f.pict_type === 'I').map((f) => Number(f.pts_time ?? f.best_effort_timestamp_time));
  const t0 = Number(frames[0].pts_time ?? frames[0].best_effort_timestamp_time);
  t.same(iTimes.map((x) => Math.round((x - t0) * 1000) / 1000), [0, 2, 4, 6], 'I-frames exactly on the 2 s grid');
  const pts = frames.map((f) => Number(f.pts_time ?? f.best_effort_timestamp_time));
  t.ok(pts.every((p, i) => i === 0 || p > pts[i - 1]), 'presentation times increase');

  for (const s of segs) {
    const one = path.join(dir, `one-${s}.mp4`);
    fs.writeFileSync(one, Buffer.concat([init, fs.readFileSync(path.join(dir, s))]));
    const pk = ffprobe(one, ['-select_streams', 'v:0', '-show_packets']).packets;
    t.equal(pk.length, 60, `${s}: 60 video frames`);
    t.match(pk[0].flags, /K/, `${s} starts with a keyframe`);
  }
});

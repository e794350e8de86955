// Three real-world-input rules, each once wrong:
// - a source audio track that never decodes is dropped with a warning (or
//   fails the job when `audio` was asked for), not left as an empty rendition;
// - a video pts that repeats or steps back a little drops that frame, without
//   shifting all later video away from the audio;
// - a VFR MP4 pause of more than 1 s is not a "jump" that costs the copied
//   ('source') rung.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Decoder, FFmpegError, SourceTimeline, transcode } from 'ffnode';
import { fixture } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-tlfix-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

// 4 s of H.264 with AAC whose every packet is noise (the demuxer reads it, no decoder can).
const badAudio = fixture('tl-badaudio.mp4', [
  '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=4', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=4',
  '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-c:a', 'aac', '-ac', '2', '-bsf:a', 'noise=amount=1',
]);
// 8 s at 25 fps with a 1.52 s pause after 2.0 s (VFR), keyframes on a 2 s grid.
const vfr = fixture('tl-vfr-gap.mp4', [
  '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=8', '-vf', "setpts='if(gt(N,50),N+37,N)/25/TB'", '-fps_mode', 'vfr',
  '-c:v', 'libx264', '-preset', 'ultrafast', '-force_key_frames', '0,2,4,6,8', '-an',
]);

t.test('Decoder.streamDecodeErrors: counted per stream', async (t) => {
  const dec = await Decoder.open(badAudio);
  try {
    for await (const b of dec.batches()) for (const f of b.frames) f.free();
    const v = dec.streamDecodeErrors(dec.video.index);
    const a = dec.streamDecodeErrors(dec.audio.index);
    t.equal(v, 0, 'video: none');
    t.ok(a > 150, `audio: every packet (${a})`);
    t.equal(v + a, dec.decodeErrors, 'they add up to the total');
    t.equal(dec.streamDecodeErrors(99), 0, 'no such stream: 0');
  } finally {
    await dec.close();
  }
});

t.test('an audio track that never decodes: dropped with a warning, manifests and result agree', async (t) => {
  const out = path.join(tmp, 'badaudio');
  const res = await transcode(badAudio, { out, ladder: ['240p'], segmentDuration: 2 }).done;
  t.same(res.renditions.map((r) => r.id), ['v240p'], 'no empty audio rendition in the result');
  const w = res.warnings.find((x) => x.startsWith('audio rendition dropped'));
  t.ok(w, 'an explicit warning says the audio rendition was dropped');
  t.match(w, /asked for an audio rendition \(a128k.*produced none, the presentation is video only.*every one of its \d+ packets was rejected by the decoder/);
  t.notOk(res.warnings.some((x) => x.startsWith('the decoder rejected')), 'the audio errors are not reported twice');
  t.ok(res.decodeErrors > 0);
  const master = fs.readFileSync(path.join(out, 'master.m3u8'), 'utf8');
  t.notMatch(master, /TYPE=AUDIO/, 'master playlist: video only');
  t.notMatch(fs.readFileSync(path.join(out, 'manifest.mpd'), 'utf8'), /audio\//, 'MPD: video only');
  t.notOk(fs.existsSync(path.join(out, 'a128k', 'init.mp4')), 'no stray audio init segment');
});

t.test('an audio track that never decodes, audio asked for: INVALIDDATA', async (t) => {
  const out = path.join(tmp, 'badaudio-required');
  const err = await transcode(badAudio, { out, ladder: ['240p'], segmentDuration: 2, audio: { bitrate: 96_000 } }).done.then(() => null, (e) => e);
  t.ok(err instanceof FFmpegError, 'a typed FFmpegError');
  t.equal(err?.errorName, 'INVALIDDATA');
  t.match(err?.message, /options ask for an audio rendition.*every one of its \d+ packets was rejected/);
});

t.test('SourceTimeline: repeated video pts are dropped, A/V stay in sync', async (t) => {
  const warnings = [];
  const tl = new SourceTimeline((w) => warnings.push(w), () => 0, 'mov,mp4,m4a,3gp,3g2,mj2');
  tl.addStream(0, 'video', 25);
  tl.addStream(1, 'audio', null);
  const vEnds = [];
  const aEnds = [];
  let a = 0;
  // 10 s at 25 fps; every 25th frame repeats the previous timestamp, every 50th steps back 2 frames.
  for (let i = 0; i < 250; i++) {
    const raw = i % 25 === 24 ? i - 1 : i % 50 === 37 ? i - 3 : i;
    const f = { pts: raw * 512, timeBase: [1, 12800] };
    if (tl.fix(f, 0)) vEnds.push(f.pts / 12800 + 0.04);
    while ((a * 1024) / 48000 <= i / 25) {
      const g = { pts: a * 1024, timeBase: [1, 48000], sampleRate: 48000, nbSamples: 1024 };
      if (tl.fix(g, 1)) aEnds.push((g.pts + 1024) / 48000);
      a++;
    }
  }
  t.ok(Math.abs(vEnds.at(-1) - aEnds.at(-1)) <= 0.04, `audio and video end within one frame (video ${vEnds.at(-1).toFixed(3)} s, audio ${aEnds.at(-1).toFixed(3)} s)`);
  t.ok(vEnds.every((e, i) => i === 0 || e > vEnds[i - 1]), 'video pts strictly increase');
  t.equal(tl.discontinuities.length, 0, 'no discontinuity');
  t.equal(warnings.length, 0, 'no warning per frame');
  t.equal(tl.droppedVideoFrames, 15, '10 repeats + 5 steps back dropped');
  tl.finish();
  t.equal(warnings.length, 1, 'one summary warning');
  t.match(warnings[0], /had 15 frames whose timestamp did not increase.*dropped them/);
});

t.test('SourceTimeline: a real jump still re-bases; records and warnings are capped', async (t) => {
  const warnings = [];
  const events = [];
  const tl = new SourceTimeline((w) => warnings.push(w), () => 0, 'mpegts', (d) => events.push(d));
  tl.addStream(0, 'video', 25);
  // 400 clock restarts, 10 frames each, alternating 5 s and 0 s (jumps of ~5 s back, then ahead).
  let n = 0;
  let kept = 0;
  const outs = [];
  for (let r = 0; r < 400; r++) {
    for (let i = 0; i < 10; i++) {
      const f = { pts: (r % 2 ? 0 : 90000 * 5) + i * 3600, timeBase: [1, 90000] };
      if (tl.fix(f, 0)) kept++;
      outs.push(f.pts / 90000);
      n++;
    }
  }
  t.equal(kept, n, 'no frame dropped');
  t.equal(tl.discontinuities.length, 100, 'the first 100 kept');
  t.equal(events.length, 399, 'every jump is an event (live outputs mark each)');
  t.equal(warnings.length, 10, 'the first 10 warned one by one');
  t.equal(tl.discontinuityCount, 399, 'every jump counted');
  tl.finish();
  t.equal(warnings.length, 11, 'then one line for the rest');
  t.match(warnings.at(-1), /jumped 399 times in all/);
  t.ok(Math.abs(outs.at(-1) - (outs[0] + (n - 1) * 0.04)) < 1e-6, 'the output runs on, one frame apart');
});

t.test("a VFR MP4 with a pause over 1 s keeps its 'source' rung", async (t) => {
  const out = path.join(tmp, 'vfr');
  const res = await transcode(vfr, { out, ladder: [{ passthrough: true }, '240p'], segmentDuration: 2 }).done;
  t.notOk(res.warnings.some((w) => w.startsWith('passthrough rung dropped')), res.warnings.join('\n'));
  t.ok(res.variants.some((v) => v.passthrough), 'the source rung is there');
  t.same(res.discontinuities, [], 'the pause is kept, not re-based');
  t.ok(res.duration > 9, `the pause is in the output (${res.duration.toFixed(2)} s)`);
});

endsWithZeroLive(t);

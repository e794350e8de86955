// Real-world inputs the ffmpeg CLI handles, made with the ffmpeg CLI: a size
// and pixel-format change mid-stream, an MPEG-TS encoder restart (timestamps
// back to the start) and a restart at a wrapped 33-bit value, a one-frame
// video, a still PNG, raw .h264/.hevc elementary streams (no timestamps), a
// 64x8 picture, and an MP4 with a corrupt middle. Each is transcoded by the
// `ffnode transcode` CLI to HLS + DASH; the output is checked with the
// players' own manifest parsers and ffprobe (frame counts, monotonic and
// continuous timestamps, keyframes at segment starts, durations, A/V sync),
// the warnings say what was changed, and hls.js and dash.js play it in
// chromium (one browser for all cases).
//
// Shared by test/real-world-inputs.test.mjs (the timestamp cases and the API
// checks) and test/real-world-streams.test.mjs (odd streams): two files so a
// parallel run does not wait on one long file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { parse as parseMpd } from 'mpd-parser';
import { Decoder, FileStore, Frame, SourceTimeline, transcode } from 'ffnode';
import { ffprobe, fixture, countFrames, root } from './media.mjs';
import { parseM3u8, validateHls } from '../delivery-helpers.mjs';
import { CHROMIUM, serveDir, launchBrowser, playHls, playDash, summary } from './player.mjs';

/**
 * Transcodes the named cases with the CLI, checks each output, plays them all
 * in hls.js and dash.js; `extras` adds the API-level checks (and the
 * corrupt-middle case its decoder checks).
 * @param {import('tap').Test} t
 * @param {{ names: string[], extras?: boolean }} o
 */
export async function realWorld(t, { names, extras = false }) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-realworld-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const cli = path.join(root, 'dist', 'cli.js');

  // ---- sources ------------------------------------------------------------------
  const lavfi = (size, seconds, extra = []) => [
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25:duration=${seconds}`, ...extra,
  ];
  const tsPart = (name, size, args = [], audioSeconds = 2) => fixture(name, [
    ...lavfi(size, 2), '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${audioSeconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-ac', '2', ...args,
  ]);
  const concat = (name, ...files) => {
    const out = path.join(tmp, name);
    fs.writeFileSync(out, Buffer.concat(files.map((f) => fs.readFileSync(f))));
    return out;
  };
  const x265 = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' }).stdout.includes('libx265');

  // 640x360 yuv420p for 2 s, then 320x240 yuv422p whose clock continues (a publisher restarting at another size).
  const part360 = tsPart('rw-360.ts', '640x360');
  const part240 = tsPart('rw-240-422.ts', '320x240', ['-pix_fmt', 'yuv422p', '-output_ts_offset', '2']);
  // The same TS twice: the second starts its clock again (encoder restart). Its
  // sound runs 0.5 s past its last picture, so the restarted audio overlaps it.
  const part = tsPart('rw-part.ts', '320x240');
  const partLong = tsPart('rw-part-long.ts', '320x240', [], 2.5);
  // A restart whose clock sits just below 2^33 / 90 kHz: it wraps 0.3 s in.
  const wrapped = tsPart('rw-wrapped.ts', '320x240', ['-output_ts_offset', '95442']);
  const corruptClean = fixture('rw-clean.mp4', [...lavfi('320x240', 4), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50']);
  const corrupt = path.join(tmp, 'corrupt.mp4');
  {
    const b = fs.readFileSync(corruptClean);
    let x = 12345;
    const from = Math.floor(b.length * 0.4);
    for (let i = from; i < from + 20000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      b[i] = x >>> 24;
    }
    fs.writeFileSync(corrupt, b);
  }

  const ALL_CASES = [
    {
      // The second part starts 17 ms before the first part's last frame ends: 3.977 s of video in the source.
      name: 'size-change', input: concat('size-change.ts', part360, part240), lastPart: part240, ladder: '360p,240p', frames: 100, duration: 3.977, audio: true,
      rungs: [['v360p', 640, 360], ['v240p', 426, 240]], play: 2.6,
      warnings: [
        /^source video changed from 640x360 yuv420p to 320x240 yuv422p at 1\.9\d\d s: .*kept every rung at its own size and format \(640x360, 426x240\) and scaled the new frames/,
        /^source audio overlapped itself by 0\.0\d\d s \(at a splice/,
      ],
    },
    {
      name: 'ts-restart', input: concat('restart.ts', partLong, partLong), lastPart: partLong, frames: 100, duration: 4, audio: true, rungs: [['v240p', 320, 240]], play: 2.6,
      warnings: [
        /^source (video|audio) stream #\d timestamps jump back by 2\.0\d\d s .*re-based them by \+2\.0\d\d s so the output continues at 2\.0\d\d s/,
        /^source audio overlapped itself by 0\.5\d\d s \(at a splice or a timestamp jump.*dropped the overlapping audio frames so the audio stays in sync/,
      ],
    },
    {
      name: 'ts-wrap', input: concat('wrap.ts', part, wrapped), lastPart: wrapped, frames: 100, duration: 4, audio: true, rungs: [['v240p', 320, 240]], play: 2.6,
      // libavformat unwraps relative to the first file: the second part shows as a jump ahead, then its own wrap as a jump back.
      warnings: [
        /^source video stream #0 timestamps jump ahead by 954\d\d\.\d+ s/, /^source video stream #0 timestamps jump back by 9544\d\.\d+ s/,
        /^source audio overlapped itself by 0\.0\d\d s/,
      ],
    },
    {
      name: 'one-frame', input: fixture('rw-one.mp4', [...lavfi('320x240', 1), '-frames:v', '1', '-c:v', 'libx264', '-preset', 'ultrafast']),
      frames: 1, duration: 0.04, rungs: [['v240p', 320, 240]], play: 0.02, warnings: [],
    },
    {
      name: 'still-png', input: fixture('rw-still.png', [...lavfi('320x240', 1), '-frames:v', '1']),
      frames: 1, duration: 0.04, rungs: [['v240p', 320, 240]], play: 0.02, warnings: [],
    },
    {
      name: 'raw-h264', input: fixture('rw-raw.h264', [...lavfi('320x240', 2), '-c:v', 'libx264', '-preset', 'ultrafast']),
      frames: 50, duration: 2, rungs: [['v240p', 320, 240]], play: 1.2,
      warnings: [/^source video stream #0 has frames without timestamps .*one frame apart \(25\.000 fps/],
    },
    ...(x265 ? [{
      name: 'raw-hevc', input: fixture('rw-raw.hevc', [...lavfi('320x240', 2), '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error']),
      frames: 50, duration: 2, rungs: [['v240p', 320, 240]], play: 1.2,
      warnings: [/^source video stream #0 has frames without timestamps/],
    }] : []),
    {
      name: 'tiny-64x8', input: fixture('rw-tiny.mp4', [...lavfi('64x8', 2), '-c:v', 'libx264', '-preset', 'ultrafast']),
      frames: 50, duration: 2, rungs: [['v8p', 64, 8]], play: 1.2,
      warnings: [/^rung 64x8: asked for the derived bitrate \(0 b\/s.*raised it to the 64 kb\/s minimum/],
    },
    {
      // The skipped packets leave a hole in the pictures (the output is not padded with repeats).
      name: 'corrupt-middle', input: corrupt, frames: null, hole: 0.4, duration: 4, rungs: [['v240p', 320, 240]], play: 2.6,
      warnings: [/^the decoder rejected (\d+) source packets \(corrupt or undecodable data\): .*skipped them and carried on/],
    },
  ];
  const CASES = ALL_CASES.filter((c) => names.includes(c.name));
  if (names.includes('raw-hevc')) t.comment(`libx265 ${x265 ? 'available: raw .hevc case included' : 'missing: no raw .hevc case'}`);

  // ---- transcode every case with the CLI ---------------------------------------------
  // Two at a time: each CLI run is short and partly waits on process start-up.
  const outputs = {};
  const transcodeCase = (c) => new Promise((resolve) => {
    const out = path.join(tmp, 'out', c.name);
    const child = spawn(process.execPath, [cli, 'transcode', c.input, '--out', out, '--segment-duration', '1', '--preset', 'ultrafast', '--quiet', ...(c.ladder ? ['--ladder', c.ladder] : [])]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => {
      outputs[c.name] = { out, status, stdout, stderr, warnings: [...stderr.matchAll(/^ffnode: warning: (.*)$/gm)].map((m) => m[1]) };
      resolve();
    });
  });
  await inPairs(CASES, transcodeCase);

  // Runs `fn` over `items`, two at a time, in order.
  async function inPairs(items, fn) {
    for (let i = 0; i < items.length; i += 2) await Promise.all(items.slice(i, i + 2).map(fn));
  }

  // Seconds the audio of a source runs on past its last picture.
  function sourceAudioTail(file) {
    const end = (sel) => Math.max(...ffprobe(file, ['-select_streams', sel, '-show_packets']).packets.map((k) => Number(k.pts_time) + Number(k.duration_time ?? 0)));
    return end('a:0') - end('v:0');
  }
  const PRIMING = 1024 / 48000; // AAC encoder delay: the output's first audio packet is this much before the source audio

  const sortSegs = (dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.m4s')).sort((a, b) => parseInt(a.slice(4)) - parseInt(b.slice(4)));

  // One rendition as one file (init + every segment) for ffprobe, plus the per-segment first packets.
  function probeRendition(dir, id) {
    const segs = sortSegs(path.join(dir, id));
    const file = path.join(tmp, `${path.basename(dir)}-${id}.mp4`);
    const parts = [fs.readFileSync(path.join(dir, id, 'init.mp4'))];
    const firstKey = [];
    for (const s of segs) {
      const one = path.join(tmp, `${path.basename(dir)}-${id}-${s}.mp4`);
      fs.writeFileSync(one, Buffer.concat([parts[0], fs.readFileSync(path.join(dir, id, s))]));
      firstKey.push(/K/.test(ffprobe(one, ['-show_packets']).packets[0].flags));
      parts.push(fs.readFileSync(path.join(dir, id, s)));
    }
    fs.writeFileSync(file, Buffer.concat(parts));
    const p = ffprobe(file, ['-show_packets']);
    const packets = p.packets.map((k) => ({ pts: Number(k.pts_time), dts: Number(k.dts_time), dur: Number(k.duration_time ?? 0), key: /K/.test(k.flags) }));
    const pts = packets.map((k) => k.pts).sort((a, b) => a - b);
    return {
      file, segments: segs.length, firstKey, packets, stream: p.streams[0],
      // fMP4 samples show no duration in ffprobe: the last frame lasts one frame (25 fps) / one AAC frame
      start: pts[0], end: Math.max(...packets.map((k) => k.pts + (k.dur || (p.streams[0].codec_type === 'audio' ? PRIMING : 0.04)))),
      dtsIncreasing: packets.every((k, i) => i === 0 || k.dts > packets[i - 1].dts),
      ptsUnique: pts.every((x, i) => i === 0 || x > pts[i - 1]),
      maxGap: Math.max(0, ...pts.slice(1).map((x, i) => x - pts[i])),
    };
  }

  for (const c of CASES) {
    t.test(`${c.name}: ffnode transcode → HLS + DASH that conform`, async (t) => {
      const o = outputs[c.name];
      t.equal(o.status, 0, `the CLI succeeds (${o.stderr.trim().split('\n').at(-1) ?? ''})`);
      if (o.status !== 0) return;
      t.comment(o.stdout.trim().split('\n').at(-1));
      for (const w of o.warnings) t.comment(`warning: ${w}`);
      t.equal(o.warnings.length, c.warnings.length, `${c.warnings.length} warning(s)`);
      for (const re of c.warnings) t.ok(o.warnings.some((w) => re.test(w)), `a warning matches ${re}`);
      const dir = o.out;

      // HLS: players' parser, VOD, durations; Apple's measurable checks.
      const master = parseM3u8(fs.readFileSync(path.join(dir, 'master.m3u8'), 'utf8'));
      t.same(master.playlists.map((p) => [p.attributes.RESOLUTION.width, p.attributes.RESOLUTION.height]).sort(), c.rungs.map((r) => [r[1], r[2]]).sort(), 'one variant per rung, at the rung size');
      t.ok(master.playlists.every((p) => p.attributes.BANDWIDTH > 0), 'every BANDWIDTH > 0');
      t.same(await validateHls(new FileStore(dir), { vod: true }), [], 'HLS validator: no problems');
      const listed = {};
      for (const pl of [...master.playlists.map((p) => p.uri), ...(c.audio ? ['a128k/index.m3u8'] : [])]) {
        const media = parseM3u8(fs.readFileSync(path.join(dir, pl), 'utf8'));
        listed[path.dirname(pl)] = media.segments.reduce((n, s) => n + s.duration, 0);
        t.ok(media.segments.every((s) => s.duration > 0), `${pl}: every EXTINF > 0`);
        if (!pl.startsWith('a128k')) t.ok(Math.abs(listed[path.dirname(pl)] - c.duration) <= 0.05, `${pl}: ${listed[path.dirname(pl)].toFixed(3)} s listed (source ${c.duration} s)`);
      }
      if (c.audio) t.ok(master.playlists.every((p) => p.attributes.AUDIO), 'variants name the audio group');

      // DASH: mpd-parser, same durations.
      const mpdText = fs.readFileSync(path.join(dir, 'manifest.mpd'), 'utf8');
      const mpd = parseMpd(mpdText, { manifestUri: 'http://h/manifest.mpd' });
      t.equal(mpd.playlists.length, c.rungs.length, 'one video Representation per rung');
      t.ok(Math.abs(mpd.duration - Math.max(...Object.values(listed))) <= 0.01, `MPD duration ${mpd.duration} s (the longest rendition's)`);
      for (const pl of mpd.playlists) {
        const total = pl.segments.reduce((n, s) => n + s.duration, 0);
        t.ok(Math.abs(total - c.duration) <= 0.05 && pl.segments.every((s) => s.duration > 0), `${pl.attributes.NAME}: SegmentTimeline ${total.toFixed(3)} s, no empty segment`);
      }

      // ffprobe the segments themselves.
      let videoEnd = 0;
      let videoStart = 0;
      for (const [id, width, height] of c.rungs) {
        const r = probeRendition(dir, id);
        t.same([r.stream.width, r.stream.height], [width, height], `${id}: ${width}x${height}`);
        if (c.frames !== null) t.equal(r.packets.length, c.frames, `${id}: ${c.frames} frames`);
        t.equal(countFrames(r.file), r.packets.length, `${id}: every frame decodes`);
        t.ok(r.dtsIncreasing && r.ptsUnique, `${id}: dts strictly increasing, pts unique`);
        t.ok(r.maxGap <= (c.hole ?? 0.041), `${id}: no ${c.hole ? 'hole beyond the skipped frames' : 'hole or jump'} (largest pts step ${r.maxGap.toFixed(3)} s)`);
        t.ok(r.firstKey.every(Boolean), `${id}: each of ${r.segments} segments starts with a keyframe`);
        t.ok(Math.abs(r.end - r.start - c.duration) <= 0.041, `${id}: lasts ${(r.end - r.start).toFixed(3)} s (source ${c.duration} s)`);
        videoEnd = r.end;
        videoStart = r.start;
      }
      if (c.audio) {
        const a = probeRendition(dir, 'a128k');
        t.ok(a.dtsIncreasing && a.maxGap <= 0.03, `audio: monotonic, no hole (largest step ${a.maxGap.toFixed(3)} s)`);
        t.ok(Math.abs(listed.a128k - (a.end - a.start)) <= 0.03, `audio playlist lists what the segments hold (${listed.a128k.toFixed(3)} s)`);
        // The source's audio starts 23 ms before its video; the output keeps that (the first packet is the priming).
        t.ok(Math.abs(a.start + PRIMING - videoStart) <= 0.03, `audio starts with the video (first sample ${(a.start + PRIMING).toFixed(3)} / ${videoStart.toFixed(3)} s)`);
        // In sync after the jump/change: the audio ends as far past the last picture as in the source's last part
        // (within one AAC frame of padding), not pushed late by the audio sent before.
        const tail = sourceAudioTail(c.lastPart);
        t.ok(Math.abs(a.end - videoEnd - tail) <= PRIMING + 0.005, `audio ends ${(a.end - videoEnd).toFixed(3)} s after the video (source's last part: ${tail.toFixed(3)} s)`);
      }
    });
  }

  if (names.includes('corrupt-middle')) {
    t.test('corrupt-middle: the errors are counted and the decoder goes on', async (t) => {
      const m = /rejected (\d+) source packets/.exec(outputs['corrupt-middle'].warnings.join('\n'));
      const n = Number(m?.[1]);
      t.ok(n > 0, `${n} packets skipped`);
      const r = probeRendition(outputs['corrupt-middle'].out, 'v240p');
      t.equal(r.packets.length, 100 - n, `100 source frames less the ${n} skipped`);
      // The Decoder itself counts them too.
      const dec = await Decoder.open(corrupt);
      let frames = 0;
      for await (const f of dec.frames()) {
        frames++;
        f.free();
      }
      t.equal(dec.decodeErrors, n, 'Decoder.decodeErrors');
      t.equal(frames, 100 - n, 'Decoder delivered every other frame');
      await dec.close();
      // and the result says so (the API; the CLI printed the warning above)
      const res = await transcode(corrupt, { out: path.join(tmp, 'api-corrupt'), segmentDuration: 1, preset: 'ultrafast' }).done;
      t.equal(res.decodeErrors, n, 'result.decodeErrors');
      t.same(res.discontinuities, []);
      // Every packet bad: skipping must not turn it into an empty success.
      const b = fs.readFileSync(corruptClean);
      let x = 7;
      for (let i = b.indexOf('mdat') + 8; i < b.indexOf('moov') - 8; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        b[i] = x >>> 24;
      }
      const allBad = path.join(tmp, 'all-bad.mp4');
      fs.writeFileSync(allBad, b);
      await t.rejects(transcode(allBad, { out: path.join(tmp, 'api-all-bad'), segmentDuration: 1, preset: 'ultrafast' }).done, { errorName: 'INVALIDDATA', message: /no video frame could be decoded: the decoder rejected all 100 packets/ });
    });
  }

  if (extras) {
    t.test('ts-restart: the discontinuity is in the result, audio and video re-based together', async (t) => {
      const warnings = [];
      const events = [];
      const job = transcode(ALL_CASES.find((c) => c.name === 'ts-restart').input, { out: path.join(tmp, 'api-restart'), segmentDuration: 1, preset: 'ultrafast' });
      job.on('warning', (w) => warnings.push(w));
      job.on('discontinuity', (d) => events.push(d));
      const res = await job.done;
      t.same(res.warnings, warnings, 'every warning was also an event');
      t.same(res.discontinuities, events, "every discontinuity was a 'discontinuity' event as it happened");
      t.equal(res.discontinuities.length, 1, 'one discontinuity: both streams jumped as one event');
      const d = res.discontinuities[0];
      t.ok(Math.abs(d.time - 2) < 0.05 && Math.abs(d.jump + 2) < 0.05 && Math.abs(d.offset - 2) < 0.05, `at ${d.time.toFixed(3)} s of output, raw jump ${d.jump.toFixed(3)} s, offset ${d.offset.toFixed(3)} s`);
      t.ok(Math.abs(res.duration - 4) < 0.01, `result.duration ${res.duration} s`);
      t.equal(res.decodeErrors, 0);
    });

    t.test('pixel format change at the source size: the rung that had no scaler gets one', async (t) => {
      const a = fixture('rw-fmt-a.ts', [...lavfi('320x240', 1), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25']);
      const b = fixture('rw-fmt-b.ts', [...lavfi('320x240', 1), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv422p', '-output_ts_offset', '1']);
      const res = await transcode(concat('fmt-change.ts', a, b), { out: path.join(tmp, 'api-fmt'), segmentDuration: 1, preset: 'ultrafast' }).done;
      t.match(res.warnings, [/^source video changed from 320x240 yuv420p to 320x240 yuv422p at 1\.000 s: .*kept every rung at its own size and format \(320x240\)/]);
      t.equal(res.renditions[0].frames, 50, 'all 50 frames encoded');
      const r = probeRendition(path.join(tmp, 'api-fmt'), 'v240p');
      t.equal(r.packets.length, 50);
      t.equal(r.stream.pix_fmt, 'yuv420p');
    });

    t.test('passthrough of a restarting or size-changing source is dropped with the reason', async (t) => {
      for (const [name, re] of [['ts-restart', /timestamps jump from 3\.\d+ s to 1\.\d+ s/], ['size-change', /sequence parameter set changes at 1\.9\d+ s/]]) {
        const c = ALL_CASES.find((x) => x.name === name);
        const res = await transcode(c.input, { out: path.join(tmp, `pt-${name}`), ladder: [{ passthrough: true }, '240p'], segmentDuration: 1, preset: 'ultrafast' }).done;
        t.ok(res.warnings.some((w) => /^passthrough rung dropped: /.test(w) && re.test(w)), `${name}: ${res.warnings[0]}`);
        t.same(res.variants.map((v) => v.id), ['v240p']);
      }
      // an honest TS part keeps its copied rung
      const ok = await transcode(part, { out: path.join(tmp, 'pt-ok'), ladder: [{ passthrough: true }, '240p'], segmentDuration: 1, preset: 'ultrafast' }).done;
      t.same(ok.variants.map((v) => v.id).sort(), ['source', 'v240p']);
      t.same(ok.warnings, []);
    });

    t.test('SourceTimeline: gaps kept where timestamps are continuous, restarts re-based as one event', async (t) => {
      const tb = [1, 90000];
      const video = (sec) => Frame.video({ width: 16, height: 16, pts: sec === null ? null : Math.round(sec * 90000), timeBase: tb });
      const audio = (sec) => Frame.audio({ sampleRate: 48000, nbSamples: 1024, pts: Math.round(sec * 90000), timeBase: tb });
      const run = (format, steps) => {
        const warnings = [];
        const tl = new SourceTimeline((w) => warnings.push(w), () => 0, format);
        tl.addStream(0, 'video', 25);
        tl.addStream(1, 'audio', null);
        const out = steps.map(([kind, sec]) => {
          const f = kind === 'v' ? video(sec) : audio(sec);
          try {
            return tl.fix(f, kind === 'v' ? 0 : 1) ? Math.round((f.pts / 90000) * 1000) / 1000 : 'dropped';
          } finally {
            f.free();
          }
        });
        return { out, warnings, tl };
      };
      // A variable-frame-rate MP4 pausing its pictures for 3 s: kept (the sound goes on).
      const vfr = run('mov,mp4,m4a,3gp,3g2,mj2', [['v', 0], ['v', 0.04], ['v', 3.04], ['v', 3.08]]);
      t.same(vfr.out, [0, 0.04, 3.04, 3.08], 'MP4: a forward gap is a pause, not a jump');
      t.same(vfr.warnings, []);
      // The same in MPEG-TS is a restart: re-based to continue one frame later.
      const ts = run('mpegts', [['v', 0], ['v', 0.04], ['v', 3.04], ['v', 3.08]]);
      t.same(ts.out, [0, 0.04, 0.08, 0.12], 'MPEG-TS: re-based');
      t.equal(ts.tl.discontinuities.length, 1);
      // Going back is re-based anywhere; audio jumping by the same amount gets the same offset.
      const back = run('mov,mp4,m4a,3gp,3g2,mj2', [['v', 10], ['a', 10], ['v', 10.04], ['a', 10.021333], ['v', 0], ['a', 0.0], ['v', 0.04], ['a', 0.021333]]);
      t.same(back.out, [10, 10, 10.04, 10.021, 10.08, 10.08, 10.12, 10.101], 'video and audio shifted by the same +10.08 s');
      t.equal(back.tl.discontinuities.length, 1, 'one event');
      t.equal(back.warnings.length, 1);
      // Audio laid over audio already sent is dropped until it catches up.
      const overlap = run('mpegts', [['a', 0], ['a', 0.021333], ['a', 0.042667], ['a', 0.01], ['a', 0.031333], ['a', 0.064]]);
      t.same(overlap.out, [0, 0.021, 0.043, 'dropped', 'dropped', 0.064]);
      t.ok(Math.abs(overlap.tl.trimmedAudio - 2 * 1024 / 48000) < 1e-9, 'two AAC frames dropped');
      // Frames without pts: one frame apart, one warning.
      const raw = run('h264', [['v', null], ['v', null], ['v', null]]);
      t.same(raw.out, [0, 0.04, 0.08]);
      t.equal(raw.warnings.length, 1);
      // A timed frame after synthesized ones is measured against them.
      const mixed = run('h264', [['v', null], ['v', null], ['v', 0]]);
      t.same(mixed.out, [0, 0.04, 0.08], 'no step back after synthesized timestamps');
    });
  }

  // ---- real players ---------------------------------------------------------------------
  t.test('hls.js and dash.js play every output', async (t) => {
    t.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is installed`);
    const browser = await launchBrowser();
    t.teardown(browser.close);
    // Four pages play at once (two cases, each in hls.js and dash.js): playback
    // is paced by the media clock, not the CPU.
    const pages = await Promise.all([0, 1, 2, 3].map(() => browser.newPage()));
    const server = await serveDir(path.join(tmp, 'out'));
    t.teardown(server.close);
    const playable = CASES.filter((c) => outputs[c.name].status === 0);
    await inPairs(playable.map((c, k) => [c, k % 2]), async ([c, slot]) => {
      const players = [['hls.js', playHls, 'master.m3u8'], ['dash.js', playDash, 'manifest.mpd']];
      const results = await Promise.all(players.map(([, play, manifest], i) => play(pages[slot * 2 + i], `${server.url}/${c.name}/${manifest}`, { seconds: c.play, timeoutMs: 15_000 })));
      for (const [i, [kind]] of players.entries()) {
        const r = results[i];
        const msg = `${c.name} in ${kind}: ${summary(r)}`;
        t.equal(r.fatal, null, msg);
        t.ok(r.currentTime >= c.play || r.ended, `${c.name} in ${kind}: reached ${r.currentTime.toFixed(2)} s${r.ended ? ' (ended)' : ''}`);
        t.ok(r.quality.totalVideoFrames >= 1 && r.videoWidth > 0, `${c.name} in ${kind}: pictures shown (${r.quality.totalVideoFrames}, ${r.videoWidth}x${r.videoHeight})`);
      }
    });
  });
}

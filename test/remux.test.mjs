import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { remux, FFmpegError, onLog, setLogLevel } from 'ffnode';
import { fixtures, fixture, ffmpeg, ffprobe, garbageFile } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-remux-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

function packetCounts(file) {
  const counts = {};
  for (const p of ffprobe(file, ['-show_packets']).packets) {
    counts[p.codec_type ?? p.stream_index] = (counts[p.codec_type ?? p.stream_index] ?? 0) + 1;
  }
  return counts;
}
function codecTypes(file) {
  return ffprobe(file).streams.map((s) => `${s.codec_type}:${s.codec_name}`);
}

const cases = [
  { from: 'mp4', to: 'out.mkv', bsf: [null, null] },
  { from: 'mp4', to: 'out.ts', bsf: ['h264_mp4toannexb', null] },
  { from: 'ts', to: 'out-from-ts.mp4', bsf: [null, 'aac_adtstoasc'] },
  { from: 'mp4', to: 'out.flv', bsf: [null, null] },
  { from: 'mp4', to: 'out-frag.mp4', bsf: [null, null], opts: { options: { movflags: '+frag_keyframe+empty_moov+default_base_moof' } } },
];

for (const c of cases) {
  t.test(`remux ${c.from} → ${c.to}: same packets per stream, bitstream filters as needed`, async (t) => {
    const input = c.from === 'mp4' ? fixtures.h264aac10s() : fixtures.mpegts10s();
    const output = path.join(dir, c.to);
    const r = await remux(input, output, c.opts);
    const want = packetCounts(input);
    t.same(packetCounts(output), want, 'ffprobe reads back the same packet count per stream');
    t.equal(r.packets, want.video + want.audio);
    t.same(r.streams.map((s) => s.bsf), c.bsf);
    t.same(codecTypes(output), ['video:h264', 'audio:aac']);
    t.equal(r.bytes, fs.statSync(output).size);
    const dur = Number(ffprobe(output).format.duration);
    t.ok(Math.abs(dur - 10) < 0.1, `duration kept (${dur})`);
  });
}

t.test('output starts at 0 unless copyTs', async (t) => {
  const src = fixtures.mpegts10s();
  const srcStart = Number(ffprobe(src).format.start_time);
  t.ok(srcStart > 1, `the ts source starts at ${srcStart}`);
  await remux(src, path.join(dir, 'zero.mkv'));
  t.ok(Math.abs(Number(ffprobe(path.join(dir, 'zero.mkv')).format.start_time)) < 0.1, 'shifted to 0');
  await remux(src, path.join(dir, 'copyts.mkv'), { copyTs: true });
  t.ok(Math.abs(Number(ffprobe(path.join(dir, 'copyts.mkv')).format.start_time) - srcStart) < 0.01, 'copyTs keeps the source times');
});

t.test('Matroska (pts only, B-frames) → MP4: dts predicted as the ffmpeg CLI does, no libav warning', async (t) => {
  // x264 with B-frames in Matroska: the demuxer leaves the first packets' dts unset.
  const mkv = fixture('bframes.mkv', ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=4', '-f', 'lavfi', '-i', 'sine=duration=4',
    '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-g', '50', '-c:a', 'aac']);
  const unset = ffprobe(mkv, ['-show_packets']).packets.filter((p) => p.codec_type === 'video' && p.dts === undefined);
  t.ok(unset.length > 0, `${unset.length} video packets of the source have no dts`);
  const lines = [];
  setLogLevel('warning');
  onLog((level, line) => lines.push(line));
  t.teardown(() => {
    onLog(null);
    setLogLevel('error');
  });
  const out = path.join(dir, 'from-mkv.mp4');
  await remux(mkv, out);
  await new Promise((r) => setTimeout(r, 50)); // the listener is called asynchronously
  t.same(lines, [], 'libav said nothing (no "Timestamps are unset")');
  const ref = path.join(dir, 'from-mkv-ffmpeg.mp4');
  ffmpeg(['-y', '-i', mkv, '-c', 'copy', ref]);
  const ts = (f) => ffprobe(f, ['-show_packets']).packets.map((p) => `${p.stream_index} ${p.pts} ${p.dts} ${p.flags}`);
  t.same(ts(out), ts(ref), 'every packet\'s pts, dts and flags equal those of ffmpeg -c copy');
});

t.test('stream selection', async (t) => {
  const output = path.join(dir, 'video-only.mkv');
  const r = await remux(fixtures.h264aac10s(), output, { streams: [0] });
  t.equal(r.streams.length, 1);
  t.same(codecTypes(output), ['video:h264']);
  t.same(packetCounts(output), { video: 300 });
});

t.test('bad inputs and arguments', async (t) => {
  const g = await remux(garbageFile(50_000), path.join(dir, 'g.mp4')).catch((e) => e);
  t.type(g, FFmpegError);
  t.equal(g.errorName, 'INVALIDDATA');
  const m = await remux(fixtures.h264aac10s(), path.join(dir, 'x.unknownext')).catch((e) => e);
  t.type(m, FFmpegError);
  t.equal(m.errorName, 'MUXER_NOT_FOUND');
  const f = await remux(fixtures.h264aac10s(), path.join(dir, 'x.bin'), { format: 'no_such_muxer' }).catch((e) => e);
  t.equal(f.errorName, 'MUXER_NOT_FOUND');
  const n = await remux('/nonexistent.mp4', path.join(dir, 'n.mp4')).catch((e) => e);
  t.equal(n.errorName, 'ENOENT');
  await t.rejects(remux(42, 'x.mp4'), TypeError);
  await t.rejects(remux('a.mp4', ''), TypeError);
  await t.rejects(remux('a.mp4', 'b.mp4', { streams: ['x'] }), TypeError);
});

t.test('AbortSignal interrupts an endless input', async (t) => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  const t0 = Date.now();
  const e = await remux('testsrc2=size=320x240:rate=30', path.join(dir, 'endless.mkv'), {
    inputFormat: 'lavfi', signal: ac.signal, options: {},
  }).catch((err) => err);
  t.type(e, FFmpegError);
  t.equal(e.errorName, 'EXIT');
  t.ok(Date.now() - t0 < 3000);
});

endsWithZeroLive(t);

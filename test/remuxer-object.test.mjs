import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Decoder, Remuxer, FFmpegError, Packet, stats } from 'ffnode';
import { fixtures, ffprobe, countFrames } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-remuxer-object-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers', 'remuxer-record-child.mjs');

const streamsOf = (dec) => dec.streams.map((s) => ({ parameters: s, timeBase: s.timeBase, frameRate: s.frameRate }));

/** Decoder packets of `src` through a Remuxer into `out`; returns close()'s result. */
async function record(t, src, out, opts = {}) {
  const dec = await Decoder.open(src, { decode: false });
  try {
    const rec = await Remuxer.open(out, { streams: streamsOf(dec), ...opts });
    for (let p; (p = await dec.readPacket()); ) {
      const w = rec.write(p);
      p.free(); // the remuxer holds its own reference
      await w;
    }
    const r = await rec.close();
    t.same(await rec.close(), r, 'close() is idempotent');
    return r;
  } finally {
    await dec.close();
  }
}

function packetCounts(file) {
  const counts = {};
  for (const p of ffprobe(file, ['-show_packets']).packets) counts[p.codec_type] = (counts[p.codec_type] ?? 0) + 1;
  return counts;
}

/** Per stream: the dts ffprobe reads are strictly increasing (Matroska's first reordered packets have none). */
function monotonic(file) {
  const last = {};
  for (const p of ffprobe(file, ['-show_packets']).packets) {
    if (p.dts === undefined || p.dts === 'N/A') continue;
    const ts = Number(p.dts);
    if (last[p.stream_index] !== undefined && ts <= last[p.stream_index]) return false;
    last[p.stream_index] = ts;
  }
  return true;
}

const cases = [
  { name: 'TS → MP4 (Annex B H.264 as avcC, ADTS → ASC)', src: () => fixtures.mpegts10s(), out: 'ts.mp4', bsf: [null, 'aac_adtstoasc'] },
  { name: 'MP4 → MKV', src: () => fixtures.h264aac10s(), out: 'mp4.mkv', bsf: [null, null] },
  { name: 'MP4 → TS (avcC → Annex B)', src: () => fixtures.h264aac10s(), out: 'mp4.ts', bsf: ['h264_mp4toannexb', null] },
  { name: 'TS → MKV (ADTS → ASC)', src: () => fixtures.mpegts10s(), out: 'ts.mkv', bsf: [null, 'aac_adtstoasc'] },
];

for (const c of cases) {
  t.test(`round trip ${c.name} via Decoder packets`, async (t) => {
    const src = c.src();
    const out = path.join(dir, c.out);
    const r = await record(t, src, out);
    t.same(r.streams.map((s) => s.bsf), c.bsf, 'bitstream filters chosen automatically');
    const want = packetCounts(src);
    t.same(packetCounts(out), want, 'same packet count per stream');
    t.equal(r.packets, want.video + want.audio);
    t.equal(r.bytes, fs.statSync(out).size);
    t.equal(countFrames(out), countFrames(src), 'same decoded video frames');
    const probe = ffprobe(out);
    t.same(probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`), ['video:h264', 'audio:aac']);
    if (c.out.endsWith('.mp4')) t.equal(probe.streams[0].is_avc, 'true', 'H.264 stored as avcC');
    if (c.out.endsWith('.ts')) t.equal(probe.streams[0].is_avc, 'false', 'H.264 stored as Annex B');
    const dur = Number(probe.format.duration);
    t.ok(Math.abs(dur - 10) < 0.1, `duration kept (${dur})`);
    t.ok(Math.abs(Number(probe.format.start_time)) < 0.1, 'output starts at 0');
    t.ok(monotonic(out), 'monotonic timestamps');
  });
}

t.test('TS → fragmented MP4: same decoded frames as the source (audio too)', async (t) => {
  const src = fixtures.mpegts10s();
  const out = path.join(dir, 'frames.mp4');
  await record(t, src, out);
  t.equal(countFrames(out, 'a:0'), countFrames(src, 'a:0'));
  const tags = ffprobe(out, ['-show_entries', 'format_tags']).format.tags ?? {};
  t.match(String(tags.compatible_brands ?? ''), /iso/, 'an ISO file');
  const boxes = fs.readFileSync(out);
  t.ok(boxes.includes(Buffer.from('moof')), 'fragmented (moof boxes)');
});

t.test('fragmented: false writes a classic mp4; copyTs keeps the source times', async (t) => {
  const src = fixtures.mpegts10s();
  const out = path.join(dir, 'classic.mp4');
  await record(t, src, out, { fragmented: false, copyTs: true });
  t.notOk(fs.readFileSync(out).includes(Buffer.from('moof')), 'no moof');
  t.equal(countFrames(out), 300);
  const srcStart = Number(ffprobe(src).format.start_time);
  t.ok(Math.abs(Number(ffprobe(out).format.start_time) - srcStart) < 0.1, 'copyTs kept the start time');
});

t.test('bad arguments are typed, at call time', async (t) => {
  const dec = await Decoder.open(fixtures.h264aac10s(), { decode: false });
  t.teardown(() => dec.close());
  const streams = streamsOf(dec);
  const out = path.join(dir, 'bad.mkv');
  await t.rejects(Remuxer.open('', { streams }), TypeError, 'empty output');
  await t.rejects(Remuxer.open(out, null), TypeError, 'no options');
  await t.rejects(Remuxer.open(out, { streams: [] }), TypeError, 'no streams');
  await t.rejects(Remuxer.open(out, { streams: [{ timeBase: [1, 1000] }] }), TypeError, 'missing parameters');
  await t.rejects(Remuxer.open(out, { streams: [{ parameters: streams[0].parameters }] }), TypeError, 'missing timeBase');
  await t.rejects(Remuxer.open(out, { streams: [{ parameters: streams[0].parameters, timeBase: [1, 2.5] }] }), RangeError, 'fractional timeBase');
  await t.rejects(Remuxer.open(out, { streams: [{ parameters: { codec: 'nope' }, timeBase: [1, 90000] }] }), TypeError, 'unknown codec');
  await t.rejects(Remuxer.open(out, { streams, fragmented: 'yes' }), TypeError, 'fragmented not a boolean');
  await t.rejects(Remuxer.open(out, { streams, format: 'no-such-muxer' }), { name: 'FFmpegError', errorName: 'MUXER_NOT_FOUND' });
  await t.rejects(Remuxer.open(path.join(dir, 'x.unknownext'), { streams }), { name: 'FFmpegError', errorName: 'MUXER_NOT_FOUND' });
  await t.rejects(Remuxer.open(out, { streams, options: { no_such_option: 1 } }), { name: 'FFmpegError', errorName: 'OPTION_NOT_FOUND' });
  await t.rejects(Remuxer.open(path.join(dir, 'no', 'such', 'dir.mkv'), { streams }), FFmpegError, 'unwritable path');
  t.equal(stats().objects, 1, 'failed opens left nothing alive (only the decoder)');

  const rec = await Remuxer.open(out, { streams });
  const p = await dec.readPacket();
  p.streamIndex = 5;
  t.throws(() => rec.write(p), RangeError, 'unknown streamIndex: RangeError at call time');
  p.streamIndex = 0;
  t.throws(() => rec.write({}), TypeError, 'not a Packet');
  await rec.write(p);
  p.free();
  t.throws(() => rec.write(p), TypeError, 'freed packet');
  const r = await rec.close();
  t.equal(r.packets, 1);
  t.equal(rec.closed, true);
  const q = await dec.readPacket();
  t.throws(() => rec.write(q), { name: 'FFmpegError', errorName: 'ECLOSED' }, 'write after close: ECLOSED');
  q.free();
});

t.test('bad packets fail typed', async (t) => {
  const dec = await Decoder.open(fixtures.h264aac10s(), { decode: false });
  t.teardown(() => dec.close());
  const rec = await Remuxer.open(path.join(dir, 'refused.mkv'), { streams: streamsOf(dec) });
  const mk = (pts, dts) => Packet.fromBuffer(Buffer.alloc(16), { pts, dts, timeBase: [1, 1], streamIndex: 1 });
  const good = mk(0, 0);
  const far = mk(2 ** 50, 2 ** 50);
  const later = mk(1, 1);
  await rec.write(good);
  await t.rejects(rec.write(far), { name: 'FFmpegError', errorName: 'EINVAL', message: /timestamp out of range/ }, 'an out-of-range timestamp: EINVAL');
  await rec.write(later);
  t.pass('refused before the muxer: the recording goes on');
  for (const p of [good, far, later]) p.free();
  const r = await rec.close();
  t.ok(r.packets >= 2);
  t.equal(rec.closed, true);
});

t.test('interrupt(): later writes fail, close frees without a trailer', async (t) => {
  const dec = await Decoder.open(fixtures.h264aac10s(), { decode: false });
  t.teardown(() => dec.close());
  const ac = new AbortController();
  const rec = await Remuxer.open(path.join(dir, 'interrupted.mkv'), { streams: streamsOf(dec), signal: ac.signal });
  const p = await dec.readPacket();
  await rec.write(p);
  ac.abort();
  await t.rejects(rec.write(p), { name: 'FFmpegError', errorName: 'EXIT' });
  p.free();
  await rec.close().catch(() => {});
  t.equal(rec.closed, true);
});

function runChild(src, out, mode) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [child, src, out, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    c.stdout.on('data', (d) => {
      buf += d;
      if (mode === 'half' && buf.includes('HALF\n')) c.kill('SIGKILL');
    });
    c.on('error', reject);
    c.on('exit', (code, signal) => resolve({ code, signal, out: buf }));
  });
}

for (const ext of ['mp4', 'mkv']) {
  t.test(`crash-safe recording (${ext}): a recorder killed halfway leaves a playable file`, async (t) => {
    const src = fixtures.mpegts10s();
    const partial = path.join(dir, `killed.${ext}`);
    const r = await runChild(src, partial, 'half');
    t.equal(r.signal, 'SIGKILL', 'the recorder was killed mid-recording');
    const probe = ffprobe(partial);
    t.same(probe.streams.map((s) => s.codec_type), ['video', 'audio'], 'the partial file parses');
    const frames = countFrames(partial);
    t.ok(frames > 0 && frames < 300, `it holds part of the recording (${frames} of 300 video frames)`);
    t.ok(countFrames(partial, 'a:0') > 0, 'and audio');
    t.ok(monotonic(partial), 'monotonic timestamps');

    const full = path.join(dir, `clean.${ext}`);
    const done = await runChild(src, full, 'full');
    t.equal(done.code, 0);
    t.match(done.out, /^DONE /);
    t.equal(countFrames(full), countFrames(src), 'a clean close has every video frame');
    t.equal(countFrames(full, 'a:0'), countFrames(src, 'a:0'), 'and every audio frame');
  });
}

t.test('workers terminated mid-recording: the process lives, nothing of theirs shows here', async (t) => {
  const job = path.join(path.dirname(child), 'worker-job.mjs');
  const wdir = fs.mkdtempSync(path.join(dir, 'workers-'));
  await Promise.all(
    [0, 1, 2].map(async (i) => {
      fs.mkdirSync(path.join(wdir, String(i)));
      const w = new Worker(job, { workerData: { kind: 'record', file: fixtures.h264aac10s(), tsFile: fixtures.mpegts10s(), dir: path.join(wdir, String(i)) } });
      let error = null;
      w.on('error', (e) => (error = e));
      const exited = new Promise((r) => w.once('exit', r));
      await new Promise((r) => w.once('message', r)); // a write is in flight
      await new Promise((r) => setTimeout(r, 20 * i));
      await w.terminate();
      await exited;
      t.equal(error, null, `worker ${i} ended without an error`);
    }),
  );
  const s = stats();
  t.equal(s.objects, 0, 'no live objects in this thread');
});

endsWithZeroLive(t);

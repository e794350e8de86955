// Chunk stream, AMF0 and FLV units: any TCP slicing parses the same, limits end
// the parse with a typed error before buffering, AMF0 round-trips, and our FLV
// bytes are read by ffprobe.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ChunkParser, ChunkWriter, RtmpError, RtmpServer, decodeAmf0, encodeAmf0, FlvWriter, Handshake, unsupportedCodec } from 'ffnode';
import { captureFfmpegPublish } from '../scripts/rtmp-capture.mjs';

function parseAll(bytes, slicer, limits) {
  const out = [];
  const p = new ChunkParser((m) => out.push({ ...m, payload: Buffer.from(m.payload).toString('hex') }), limits);
  for (const s of slicer(bytes)) p.push(s);
  return out;
}
const whole = (b) => [b];
const byteByByte = function* (b) { for (let i = 0; i < b.length; i++) yield b.subarray(i, i + 1); };
function randomSlices(seed) {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return function* (b) { for (let i = 0; i < b.length;) { const n = 1 + Math.floor(rnd() * 700); yield b.subarray(i, i + n); i += n; } };
}

function sampleStream() {
  const w = new ChunkWriter();
  const parts = [];
  parts.push(w.write({ csid: 3, type: 20, streamId: 0, timestamp: 0, payload: encodeAmf0('connect', 1, { app: 'live' }) }));
  const big = Buffer.alloc(1000, 7);
  parts.push(w.write({ csid: 4, type: 9, streamId: 1, timestamp: 40, payload: big }));
  parts.push(w.write({ csid: 70, type: 8, streamId: 1, timestamp: 0xfffffe + 5, payload: Buffer.alloc(300, 1) })); // 2-byte csid, extended ts on fmt 0 and fmt 3
  parts.push(w.write({ csid: 400, type: 8, streamId: 1, timestamp: 12, payload: Buffer.alloc(10, 2) })); // 3-byte csid
  // hand-made fmt 1 / fmt 2 / fmt 3-new-message headers on csid 4 (delta 40 each)
  parts.push(Buffer.from([0x44, 0, 0, 40, 0, 0, 3, 9, 1, 2, 3])); // fmt1: delta 40, len 3, type 9
  parts.push(Buffer.from([0x84, 0, 0, 40, 4, 5, 6])); // fmt2: delta 40, same len/type
  parts.push(Buffer.from([0xc4, 7, 8, 9])); // fmt3: a new message, delta 40 again
  parts.push(w.write({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: Buffer.from([0, 0, 0x10, 0]) })); // set chunk size 4096
  w.chunkSize = 4096;
  parts.push(w.write({ csid: 4, type: 9, streamId: 1, timestamp: 200, payload: Buffer.alloc(9000, 3) }));
  return Buffer.concat(parts);
}

t.test('chunk parser: byte by byte and random slices give the same messages as one buffer', async (t) => {
  const bytes = sampleStream();
  const ref = parseAll(bytes, whole);
  t.equal(ref.length, 9);
  t.same(ref.map((m) => m.csid), [3, 4, 70, 400, 4, 4, 4, 2, 4]);
  t.same(ref.map((m) => m.timestamp), [0, 40, 0xfffffe + 5, 12, 80, 120, 160, 0, 200]);
  t.same(decodeAmf0(Buffer.from(ref[0].payload, 'hex')), ['connect', 1, { app: 'live' }]);
  t.equal(ref[8].payload.length, 18000, 'a 9000-byte message after Set Chunk Size 4096');
  t.same(parseAll(bytes, byteByByte), ref, 'byte by byte');
  for (const seed of [1, 2, 3, 4, 5]) t.same(parseAll(bytes, randomSlices(seed)), ref, `random slices, seed ${seed}`);
});

t.test('chunk parser: a real ffmpeg publish session, sliced any way, parses the same', async (t) => {
  const cap = await captureFfmpegPublish({ RtmpServer });
  if (!cap) return t.skip('ffmpeg could not publish');
  const hs = new Handshake();
  t.ok(hs.push(cap.subarray(0, 1537)), 'S0S1S2 after C0C1');
  hs.push(cap.subarray(1537, 3073));
  t.ok(hs.done);
  const body = cap.subarray(3073);
  const ref = parseAll(body, whole);
  const types = new Set(ref.map((m) => m.type));
  t.ok(types.has(20) && types.has(18) && types.has(8) && types.has(9), `commands, data, audio, video (${[...types]})`);
  t.same(decodeAmf0(Buffer.from(ref.find((m) => m.type === 20).payload, 'hex')).slice(0, 2), ['connect', 1]);
  t.same(parseAll(body, randomSlices(9)), ref, 'random slices');
  t.same(parseAll(body.subarray(0, 20000), byteByByte), parseAll(body.subarray(0, 20000), whole), 'byte by byte (first 20 kB)');
});

t.test('chunk parser limits: typed errors before buffering', async (t) => {
  const expectErr = (bytes, limits, re, name) => {
    let err;
    try { parseAll(bytes, whole, limits); } catch (e) { err = e; }
    t.ok(err instanceof RtmpError, `RtmpError (${err?.message})`);
    t.match(err?.message, re);
    t.equal(err?.errorName, name);
  };
  // a header announcing a 16 MiB message (only the header is sent)
  expectErr(Buffer.from([0x04, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0]), {}, /16777215 bytes announced \(limit 8388608\)/, 'ELIMIT');
  const w = new ChunkWriter();
  expectErr(w.write({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: Buffer.from([0, 2, 0, 0]) }), {}, /Set Chunk Size 131072 \(limit 65536\)/, 'ELIMIT');
  expectErr(w.write({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: Buffer.from([0, 0, 0, 0]) }), {}, /Set Chunk Size 0/, 'INVALIDDATA');
  // many chunk stream ids, each with a partial message
  const many = Buffer.concat(Array.from({ length: 70 }, (_, i) => Buffer.concat([Buffer.from([0x00, i, 0, 0, 0, 0, 1, 0, 9, 1, 0, 0, 0]), Buffer.alloc(128)])));
  expectErr(many, {}, /more than 64 chunk stream ids/, 'ELIMIT');
  const partials = Buffer.concat(Array.from({ length: 10 }, (_, i) => Buffer.concat([Buffer.from([4 + i, 0, 0, 0, 0x10, 0, 0, 9, 1, 0, 0, 0]), Buffer.alloc(128)])));
  expectErr(partials, { maxBufferedBytes: 5 * 1048576 }, /more than 5242880 bytes in partial messages/, 'ELIMIT');
  expectErr(Buffer.from([0x44, 0, 0, 0, 0, 0, 1, 9, 0]), {}, /starts with a type-1 header/, 'INVALIDDATA');
});

t.test('AMF0: round trips and hostile input', async (t) => {
  const values = [1.5, -0, true, false, 'héllo', 'x'.repeat(70000), null, undefined, new Date(1700000000000),
    [1, 'a', [null]], { a: 1, b: { c: 'd', e: [true] } }];
  t.same(decodeAmf0(encodeAmf0(...values)), values);
  const ecma = Buffer.concat([Buffer.from([8, 0, 0, 0, 1, 0, 1, 0x61, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9])]);
  t.same(decodeAmf0(ecma), [{ a: 2 }], 'ECMA array');
  const proto = decodeAmf0(Buffer.from([3, 0, 9, ...Buffer.from('__proto__'), 1, 1, 0, 0, 9]))[0];
  t.equal(Object.getPrototypeOf(proto), Object.prototype, '__proto__ is a plain key');
  t.equal(Object.getOwnPropertyDescriptor(proto, '__proto__').value, true, 'kept as an own data property');
  const bad = [
    [Buffer.from([2, 0, 10, 0x61]), /truncated/],
    [Buffer.from([12, 0xff, 0xff, 0xff, 0xff]), /truncated/],
    [Buffer.from([10, 0xff, 0xff, 0xff, 0xff]), /strict array/],
    [Buffer.from([13]), /unsupported type marker 13/],
    [Buffer.from([3, 0, 1, 0x61]), /truncated/],
    [Buffer.alloc(100, 3).fill(0, 1).map((v, i) => (i % 4 === 0 ? 3 : i % 4 === 3 ? 0x61 : i % 4 === 2 ? 1 : 0)), /nesting deeper than 16|truncated/],
  ];
  for (const [b, re] of bad) t.throws(() => decodeAmf0(b), re);
  const deep = Buffer.concat([...Array.from({ length: 40 }, () => Buffer.from([10, 0, 0, 0, 1])), Buffer.from([5])]);
  t.throws(() => decodeAmf0(deep), { name: 'RtmpError', errorName: 'INVALIDDATA', message: /nesting deeper than 16/ });
  t.throws(() => decodeAmf0(Buffer.alloc(20000, 5)), /more than 10000 values/);
});

t.test('FLV writer: ffprobe reads what we write; unsupported codecs are named', async (t) => {
  const cap = await captureFfmpegPublish({ RtmpServer, seconds: 2 });
  if (!cap) return t.skip('ffmpeg could not publish');
  const msgs = [];
  new ChunkParser((m) => msgs.push(m)).push(cap.subarray(3073));
  const flv = new FlvWriter();
  const out = [];
  for (const m of msgs) {
    if (m.type === 18) {
      const v = decodeAmf0(m.payload);
      out.push(...flv.metadata(v[2]));
    } else if (m.type === 8 || m.type === 9) out.push(...flv.media(m.type, m.timestamp, m.payload));
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-flv-')), 'out.flv');
  t.teardown(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));
  fs.writeFileSync(file, Buffer.concat(out));
  const r = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'json', file], { encoding: 'utf8' });
  t.equal(r.stderr, '', 'ffprobe reports no error');
  const streams = JSON.parse(r.stdout).streams;
  const v = streams.find((s) => s.codec_name === 'h264');
  t.ok(v && Math.abs(Number(v.nb_read_frames) - 50) <= 1, `h264 frames ${v?.nb_read_frames} ≈ 50`);
  t.ok(streams.find((s) => s.codec_name === 'aac'), 'aac');
  t.match(unsupportedCodec(9, Buffer.from([0x90, 0x68, 0x76, 0x63, 0x31])), /enhanced-RTMP video \(FourCC 'hvc1'\)/);
  t.match(unsupportedCodec(9, Buffer.from([0x1c])), /HEVC/);
  t.match(unsupportedCodec(8, Buffer.from([0x90])), /audio codec id 9/);
  t.equal(unsupportedCodec(9, Buffer.from([0x17])), null);
  t.throws(() => flv.media(9, 0, Buffer.from([0x9c, 0x61, 0x76, 0x30, 0x31])), { errorName: 'EUNSUPPORTED' });
});

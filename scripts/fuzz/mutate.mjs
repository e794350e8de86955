// Deterministic mutations: every case is a pure function of (seed, iteration),
// so `--seed S --iter K` rebuilds exactly the input that failed.

/** mulberry32: small, fast, good enough to pick mutations. Returns () => [0, 1). */
export function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
// ISO-BMFF boxes whose size/count fields parsers trust; the 4 bytes before the
// type are the box size, the 4..12 after are version/flags/counts.
const BOXES = ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd', 'stsz', 'stco', 'stts', 'stsc', 'ctts', 'avcC', 'hvcC', 'esds', 'mdat', 'moof', 'traf', 'trun', 'tfhd', 'mvhd', 'tkhd', 'mdhd', 'elst'];

/** The mutation operators, each (buf, rnd, seeds) → Buffer. */
const OPS = {
  bitflip(b, rnd) {
    const n = 1 + Math.floor(rnd() * 8);
    for (let i = 0; i < n && b.length; i++) b[Math.floor(rnd() * b.length)] ^= 1 << Math.floor(rnd() * 8);
    return b;
  },
  byteRun(b, rnd) {
    if (!b.length) return b;
    const at = Math.floor(rnd() * b.length);
    const len = Math.min(b.length - at, 1 + Math.floor(rnd() * 64));
    const pick = rnd();
    for (let i = 0; i < len; i++) b[at + i] = pick < 0.3 ? 0 : pick < 0.6 ? 0xff : pick < 0.7 ? 0x80 : Math.floor(rnd() * 256);
    return b;
  },
  truncate(b, rnd) {
    return b.subarray(0, Math.floor(rnd() * b.length));
  },
  splice(b, rnd, seeds) {
    const other = seeds[Math.floor(rnd() * seeds.length)].data;
    const from = Math.floor(rnd() * other.length);
    const chunk = other.subarray(from, from + 1 + Math.floor(rnd() * 2048));
    const at = Math.floor(rnd() * (b.length + 1));
    return rnd() < 0.5 ? Buffer.concat([b.subarray(0, at), chunk, b.subarray(at)]) : Buffer.concat([b.subarray(0, at), chunk, b.subarray(at + chunk.length)]);
  },
  duplicate(b, rnd) {
    if (!b.length) return b;
    const from = Math.floor(rnd() * b.length);
    const chunk = Buffer.from(b.subarray(from, from + 1 + Math.floor(rnd() * 4096)));
    const at = Math.floor(rnd() * (b.length + 1));
    const times = 1 + Math.floor(rnd() * 3);
    return Buffer.concat([b.subarray(0, at), ...Array(times).fill(chunk), b.subarray(at)]);
  },
  remove(b, rnd) {
    const at = Math.floor(rnd() * b.length);
    return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + Math.floor(rnd() * 1024))]);
  },
  // Overwrites a 1/2/4-byte field near the start (container headers live there).
  header(b, rnd) {
    const width = [1, 2, 4][Math.floor(rnd() * 3)];
    const span = Math.min(b.length, 512) - width;
    if (span <= 0) return b;
    const at = Math.floor(rnd() * span);
    const v = INTERESTING[Math.floor(rnd() * INTERESTING.length)] % 2 ** (8 * width);
    if (rnd() < 0.5) b.writeUIntBE(v, at, width);
    else b.writeUIntLE(v, at, width);
    return b;
  },
  // Overwrites the size or a count field of an MP4 box (falls back to header()).
  box(b, rnd, seeds) {
    const hits = [];
    for (const type of BOXES) {
      let i = b.indexOf(type, 4, 'latin1');
      while (i >= 4 && hits.length < 64) {
        hits.push(i);
        i = b.indexOf(type, i + 4, 'latin1');
      }
    }
    if (!hits.length) return OPS.header(b, rnd, seeds);
    const at = hits[Math.floor(rnd() * hits.length)];
    const field = rnd() < 0.5 ? at - 4 : at + 4 + 4 * Math.floor(rnd() * 3);
    if (field + 4 > b.length) return b;
    b.writeUInt32BE(INTERESTING[Math.floor(rnd() * INTERESTING.length)], field);
    return b;
  },
};
export const OP_NAMES = Object.keys(OPS);

export const TARGETS = ['decode-file', 'decode-stream', 'remux', 'segmenter', 'transcode'];

/**
 * The case for iteration `iter` of run `seed`: which seed file, which target,
 * which mutations, and the mutated bytes.
 * @param {{ name: string, ext: string, data: Buffer }[]} seeds
 * @param {{ transcodeShare: number, targets: string[] }} opts
 */
export function makeCase(seeds, seed, iter, opts) {
  const rnd = prng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(iter + 1, 0x85ebca6b)) >>> 0);
  const src = seeds[Math.floor(rnd() * seeds.length)];
  const others = opts.targets.filter((t) => t !== 'transcode');
  const target = opts.targets.includes('transcode') && (rnd() < opts.transcodeShare || !others.length) ? 'transcode' : others[Math.floor(rnd() * others.length)];
  let data = Buffer.from(src.data);
  const ops = [];
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    const op = OP_NAMES[Math.floor(rnd() * OP_NAMES.length)];
    ops.push(op);
    data = Buffer.from(OPS[op](data, rnd, seeds));
    if (data.length > 4 * src.data.length) data = data.subarray(0, 4 * src.data.length);
  }
  return { iter, seedName: src.name, ext: src.ext, target, ops, data, rnd };
}

import { RtmpError } from './errors.js';

/** A decoded AMF0 value. ECMA arrays decode to plain objects; strict arrays to arrays. */
export type AmfValue = number | boolean | string | null | undefined | Date | AmfValue[] | AmfObject;
/** An AMF0 object (or ECMA array) as a plain record. */
export interface AmfObject { [key: string]: AmfValue }

/** Bounds for decoding untrusted AMF0 (commands from a publisher). */
export interface AmfLimits {
  /** nesting of objects/arrays (default 16): deep nesting would recurse without bound */
  maxDepth?: number;
  /** values in total across the whole message (default 10,000): a 1-byte-per-value flood */
  maxValues?: number;
}

const T = { number: 0, boolean: 1, string: 2, object: 3, null: 5, undefined: 6, reference: 7, ecma: 8, end: 9, strict: 10, date: 11, long: 12 } as const;

function bad(msg: string): RtmpError {
  return new RtmpError(`AMF0: ${msg}`, 'INVALIDDATA', 'amf0.decode');
}

/**
 * Decodes every AMF0 value in `buf`; throws RtmpError ('INVALIDDATA') on
 * malformed or over-limit input, never reads past `buf` or allocates more than it holds.
 *
 * @example
 * decodeAmf0(encodeAmf0('connect', 1, { app: 'live' })); // ['connect', 1, { app: 'live' }]
 */
export function decodeAmf0(buf: Buffer, limits: AmfLimits = {}): AmfValue[] {
  const maxDepth = limits.maxDepth ?? 16;
  const maxValues = limits.maxValues ?? 10_000;
  let pos = 0;
  let count = 0;
  const need = (n: number) => {
    if (pos + n > buf.length) throw bad(`truncated at byte ${pos} (need ${n} more)`);
  };
  const str16 = (): string => {
    need(2);
    const n = buf.readUInt16BE(pos);
    pos += 2;
    need(n);
    const s = buf.toString('utf8', pos, pos + n);
    pos += n;
    return s;
  };
  const props = (depth: number, into: AmfObject): AmfObject => {
    for (;;) {
      const key = str16();
      need(1);
      if (key === '' && buf[pos] === T.end) {
        pos++;
        return into;
      }
      // own data properties only: a '__proto__' key must not change the prototype
      Object.defineProperty(into, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
    }
  };
  const value = (depth: number): AmfValue => {
    if (depth > maxDepth) throw bad(`nesting deeper than ${maxDepth}`);
    if (++count > maxValues) throw bad(`more than ${maxValues} values`);
    need(1);
    const type = buf[pos++];
    switch (type) {
      case T.number: need(8); pos += 8; return buf.readDoubleBE(pos - 8);
      case T.boolean: need(1); return buf[pos++] !== 0;
      case T.string: return str16();
      case T.long: {
        need(4);
        const n = buf.readUInt32BE(pos);
        pos += 4;
        need(n); // never allocate before the bytes are there
        pos += n;
        return buf.toString('utf8', pos - n, pos);
      }
      case T.object: return props(depth, {});
      case T.ecma: need(4); pos += 4; return props(depth, {}); // the count is a hint only
      case T.strict: {
        need(4);
        const n = buf.readUInt32BE(pos);
        pos += 4;
        if (n > buf.length - pos) throw bad(`strict array of ${n} items in ${buf.length - pos} bytes`);
        const a: AmfValue[] = [];
        for (let i = 0; i < n; i++) a.push(value(depth + 1));
        return a;
      }
      case T.date: need(10); pos += 10; return new Date(buf.readDoubleBE(pos - 10));
      case T.null: return null;
      case T.undefined: return undefined;
      default: throw bad(`unsupported type marker ${type} at byte ${pos - 1}`);
    }
  };
  const out: AmfValue[] = [];
  while (pos < buf.length) out.push(value(0));
  return out;
}

/** Encodes values as AMF0 (objects as anonymous objects, arrays as strict arrays). */
export function encodeAmf0(...values: AmfValue[]): Buffer {
  const parts: Buffer[] = [];
  const u8 = (n: number) => parts.push(Buffer.from([n]));
  const str16 = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 0xffff) throw new RtmpError('AMF0: key longer than 65535 bytes', 'EINVAL', 'amf0.encode');
    const h = Buffer.alloc(2);
    h.writeUInt16BE(b.length);
    parts.push(h, b);
  };
  const enc = (v: AmfValue): void => {
    if (typeof v === 'number') {
      const b = Buffer.alloc(9);
      b[0] = T.number;
      b.writeDoubleBE(v, 1);
      parts.push(b);
    } else if (typeof v === 'boolean') parts.push(Buffer.from([T.boolean, v ? 1 : 0]));
    else if (typeof v === 'string') {
      const b = Buffer.from(v, 'utf8');
      if (b.length > 0xffff) {
        const h = Buffer.alloc(5);
        h[0] = T.long;
        h.writeUInt32BE(b.length, 1);
        parts.push(h, b);
      } else {
        u8(T.string);
        str16(v);
      }
    } else if (v === null) u8(T.null);
    else if (v === undefined) u8(T.undefined);
    else if (v instanceof Date) {
      const b = Buffer.alloc(11);
      b[0] = T.date;
      b.writeDoubleBE(v.getTime(), 1);
      parts.push(b);
    } else if (Array.isArray(v)) {
      const h = Buffer.alloc(5);
      h[0] = T.strict;
      h.writeUInt32BE(v.length, 1);
      parts.push(h);
      v.forEach(enc);
    } else {
      u8(T.object);
      for (const [k, x] of Object.entries(v)) {
        str16(k);
        enc(x);
      }
      parts.push(Buffer.from([0, 0, T.end]));
    }
  };
  values.forEach(enc);
  return Buffer.concat(parts);
}

/** Encodes an object as an AMF0 ECMA array (what onMetaData usually carries). */
export function encodeAmf0EcmaArray(obj: AmfObject): Buffer {
  const body = encodeAmf0(obj); // object marker + props + end
  const h = Buffer.alloc(5);
  h[0] = T.ecma;
  h.writeUInt32BE(Object.keys(obj).length, 1);
  return Buffer.concat([h, body.subarray(1)]);
}

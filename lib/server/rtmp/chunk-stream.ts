import { RtmpError, type RtmpErrorName } from './errors.js';

/** One reassembled RTMP message. */
export interface RtmpMessage {
  /** chunk stream id it arrived on */
  csid: number;
  /** message type id (1..6 protocol control, 8 audio, 9 video, 18/15 data, 20/17 command) */
  type: number;
  /** message stream id */
  streamId: number;
  /** milliseconds, 32-bit, as the peer sent it (absolute after delta resolution) */
  timestamp: number;
  payload: Buffer;
}

/** Message type ids used here (RTMP spec 1.0 §5.4, §7.1). */
export const MSG = {
  setChunkSize: 1, abort: 2, ack: 3, userControl: 4, windowAckSize: 5, setPeerBandwidth: 6,
  audio: 8, video: 9, dataAmf3: 15, commandAmf3: 17, dataAmf0: 18, commandAmf0: 20,
} as const;

/** Bounds for one connection's chunk stream; every one is a memory bound against a hostile peer. */
export interface ChunkLimits {
  /** largest Set Chunk Size accepted (default 65536; the spec allows 2^31-1, no real publisher needs it) */
  maxChunkSize?: number;
  /** largest message length a header may announce (default 8 MiB: a big H.264 keyframe fits) */
  maxMessageLength?: number;
  /** chunk stream ids with state at once (default 64; publishers use fewer than 10) */
  maxChunkStreams?: number;
  /** bytes held in partial messages at once (default 16 MiB) */
  maxBufferedBytes?: number;
}

interface CsState {
  csid: number;
  type: number;
  streamId: number;
  length: number;
  timestamp: number;
  /** timestamp field of the last header: the delta a fmt-3 new message adds */
  delta: number;
  extended: boolean;
  /** received slices of the message being reassembled (null: none in progress); memory follows the bytes actually sent, not the announced length */
  payload: Buffer[] | null;
  received: number;
}

function fail(msg: string, name: RtmpErrorName = 'INVALIDDATA'): RtmpError {
  return new RtmpError(`RTMP chunk stream: ${msg}`, name, 'rtmp.chunk');
}

/**
 * Incremental chunk-stream parser: feed it bytes in any slicing (one byte at a
 * time gives the same messages as one big buffer), it calls `onMessage` for
 * each complete message. Set Chunk Size and Abort are applied here (they change
 * how the following bytes parse) and also delivered. Throws RtmpError on
 * malformed input or a broken limit; after a throw the parser is unusable.
 *
 * @example
 * const parser = new ChunkParser((m) => console.log(m.type, m.payload.length), { maxMessageLength: 4 << 20 });
 * socket.on('data', (d) => parser.push(d)); // wrap in try/catch: RtmpError ends the connection
 */
export class ChunkParser {
  /** bytes consumed in total (for Acknowledgement) */
  bytesIn = 0;
  private chunkSize = 128;
  private readonly states = new Map<number, CsState>();
  private head = Buffer.alloc(18); // largest header: 3 + 11 + 4
  private headLen = 0;
  private cur: CsState | null = null; // the chunk whose body is being read
  private curLeft = 0;
  private buffered = 0;
  private readonly maxChunkSize: number;
  private readonly maxMessageLength: number;
  private readonly maxChunkStreams: number;
  private readonly maxBufferedBytes: number;

  constructor(private readonly onMessage: (m: RtmpMessage) => void, limits: ChunkLimits = {}) {
    this.maxChunkSize = limits.maxChunkSize ?? 65536;
    this.maxMessageLength = limits.maxMessageLength ?? 8 * 1024 * 1024;
    this.maxChunkStreams = limits.maxChunkStreams ?? 64;
    this.maxBufferedBytes = limits.maxBufferedBytes ?? 16 * 1024 * 1024;
  }

  /** Current incoming chunk size. */
  get incomingChunkSize(): number {
    return this.chunkSize;
  }

  /** Feeds bytes; calls onMessage synchronously for each completed message. */
  push(data: Buffer): void {
    let pos = 0;
    this.bytesIn += data.length;
    while (pos < data.length) {
      if (this.cur) {
        const n = Math.min(this.curLeft, data.length - pos);
        const st = this.cur;
        st.payload!.push(Buffer.from(data.subarray(pos, pos + n))); // a copy: never pin the socket's buffer
        st.received += n;
        this.curLeft -= n;
        pos += n;
        if (this.curLeft === 0) {
          this.cur = null;
          if (st.received === st.length) this.complete(st);
        }
        continue;
      }
      // collect header bytes one at a time until the header is known complete
      this.head[this.headLen++] = data[pos++];
      const size = this.headerSize();
      if (size > 0 && this.headLen === size) {
        this.headLen = 0;
        this.startChunk();
      }
    }
  }

  /** Header size implied by the bytes so far, or 0 while unknown. */
  private headerSize(): number {
    const h = this.head;
    const fmt = h[0] >> 6;
    const low = h[0] & 0x3f;
    const basic = low === 0 ? 2 : low === 1 ? 3 : 1;
    if (this.headLen < basic) return 0;
    const mh = [11, 7, 3, 0][fmt];
    const base = basic + mh;
    if (this.headLen < base) return 0;
    let ext: boolean;
    if (fmt === 3) {
      const st = this.states.get(this.csidOf());
      ext = !!st?.extended;
    } else ext = h.readUIntBE(basic, 3) === 0xffffff;
    return base + (ext ? 4 : 0);
  }

  private csidOf(): number {
    const h = this.head;
    const low = h[0] & 0x3f;
    return low === 0 ? 64 + h[1] : low === 1 ? 64 + h[1] + h[2] * 256 : low;
  }

  private startChunk(): void {
    const h = this.head;
    const fmt = h[0] >> 6;
    const low = h[0] & 0x3f;
    const basic = low === 0 ? 2 : low === 1 ? 3 : 1;
    const csid = this.csidOf();
    let st = this.states.get(csid);
    if (!st) {
      if (fmt !== 0) throw fail(`chunk stream ${csid} starts with a type-${fmt} header (needs type 0)`);
      if (this.states.size >= this.maxChunkStreams) throw fail(`more than ${this.maxChunkStreams} chunk stream ids`, 'ELIMIT');
      st = { csid, type: 0, streamId: 0, length: 0, timestamp: 0, delta: 0, extended: false, payload: null, received: 0 };
      this.states.set(csid, st);
    }
    const mid = st.payload !== null; // continuation of a partial message
    if (fmt === 3) {
      if (st.extended) st.delta = h.readUInt32BE(basic); // the repeated extended timestamp
      if (!mid) st.timestamp = (st.timestamp + st.delta) >>> 0;
    } else {
      if (mid) throw fail(`chunk stream ${csid}: a type-${fmt} header in the middle of a message`);
      let ts = h.readUIntBE(basic, 3);
      st.extended = ts === 0xffffff;
      if (fmt <= 1) {
        st.length = h.readUIntBE(basic + 3, 3);
        st.type = h[basic + 6];
      }
      if (fmt === 0) st.streamId = h.readUInt32LE(basic + 7);
      if (st.extended) ts = h.readUInt32BE(basic + [11, 7, 3][fmt]);
      st.delta = ts;
      st.timestamp = fmt === 0 ? ts : (st.timestamp + ts) >>> 0;
    }
    if (!mid) {
      if (st.length > this.maxMessageLength) {
        throw fail(`message of ${st.length} bytes announced (limit ${this.maxMessageLength})`, 'ELIMIT');
      }
      if (this.buffered + st.length > this.maxBufferedBytes) {
        throw fail(`more than ${this.maxBufferedBytes} bytes in partial messages`, 'ELIMIT');
      }
      st.payload = [];
      st.received = 0;
      this.buffered += st.length;
    }
    this.curLeft = Math.min(this.chunkSize, st.length - st.received);
    if (this.curLeft > 0) this.cur = st;
    else this.complete(st); // zero-length message
  }

  private complete(st: CsState): void {
    const parts = st.payload!;
    const payload = parts.length === 1 ? parts[0] : Buffer.concat(parts, st.length);
    st.payload = null;
    this.buffered -= st.length;
    const m: RtmpMessage = { csid: st.csid, type: st.type, streamId: st.streamId, timestamp: st.timestamp, payload };
    if (m.streamId === 0 || m.type <= 2) this.control(m);
    this.onMessage(m);
  }

  /** Set Chunk Size and Abort change parsing itself, so they act here. */
  private control(m: RtmpMessage): void {
    if (m.type === MSG.setChunkSize) {
      if (m.payload.length < 4) throw fail('short Set Chunk Size');
      const size = m.payload.readUInt32BE(0) & 0x7fffffff;
      if (size < 1) throw fail('Set Chunk Size 0');
      if (size > this.maxChunkSize) throw fail(`Set Chunk Size ${size} (limit ${this.maxChunkSize})`, 'ELIMIT');
      this.chunkSize = size;
    } else if (m.type === MSG.abort) {
      if (m.payload.length < 4) throw fail('short Abort');
      const st = this.states.get(m.payload.readUInt32BE(0));
      if (st?.payload && st !== this.cur) {
        this.buffered -= st.length;
        st.payload = null;
      }
    }
  }
}

/**
 * Encodes messages as chunks (a type-0 header, then type-3 continuations),
 * for our replies and for tests/fuzz seeds.
 */
export class ChunkWriter {
  /** outgoing chunk size; send Set Chunk Size before raising it */
  chunkSize = 128;

  write(m: Omit<RtmpMessage, 'payload'> & { payload: Buffer }): Buffer {
    const basic = (fmt: number): Buffer => {
      if (m.csid < 64) return Buffer.from([(fmt << 6) | m.csid]);
      if (m.csid < 320) return Buffer.from([fmt << 6, m.csid - 64]);
      return Buffer.from([(fmt << 6) | 1, (m.csid - 64) & 0xff, (m.csid - 64) >> 8]);
    };
    const ext = m.timestamp >= 0xffffff;
    const mh = Buffer.alloc(11);
    mh.writeUIntBE(ext ? 0xffffff : m.timestamp, 0, 3);
    mh.writeUIntBE(m.payload.length, 3, 3);
    mh[6] = m.type;
    mh.writeUInt32LE(m.streamId, 7);
    const extB = Buffer.alloc(ext ? 4 : 0);
    if (ext) extB.writeUInt32BE(m.timestamp >>> 0);
    const parts: Buffer[] = [basic(0), mh, extB];
    for (let o = 0; o < m.payload.length || o === 0; o += this.chunkSize) {
      if (o > 0) parts.push(basic(3), extB);
      parts.push(m.payload.subarray(o, o + this.chunkSize));
      if (m.payload.length === 0) break;
    }
    return Buffer.concat(parts);
  }
}

/** Payload helpers for protocol control and user control messages. */
export const control = {
  u32(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
  },
  peerBandwidth(n: number, limitType: number): Buffer {
    const b = Buffer.alloc(5);
    b.writeUInt32BE(n >>> 0);
    b[4] = limitType;
    return b;
  },
  /** user control event: Stream Begin (0), Stream EOF (1), PingRequest (6), PingResponse (7) */
  userControl(event: number, value: number): Buffer {
    const b = Buffer.alloc(6);
    b.writeUInt16BE(event);
    b.writeUInt32BE(value >>> 0, 2);
    return b;
  },
};

import { randomBytes } from 'node:crypto';
import { RtmpError } from './errors.js';

/** Size of C1/C2/S1/S2 (RTMP spec 1.0 §5.2). */
export const HANDSHAKE_SIZE = 1536;

/**
 * Server side of the simple handshake. FFmpeg and OBS send a "digest" C1
 * (Flash-style HMAC in its random part); a publisher never validates the
 * server's answer (FFmpeg's rtmpproto.c checks S1/S2 digests only when it
 * *plays* and S1's version field is >= 3), so answering the simple way works:
 * S1 carries a zero version field, and S2 echoes C1.
 *
 * Feed bytes with `push`; it returns the reply to send (once, after C0+C1), and
 * `done` becomes true after C2, with any bytes past C2 in `rest` (the first
 * chunks, when the peer does not wait).
 */
export class Handshake {
  done = false;
  rest: Buffer = Buffer.alloc(0);
  private buf: Buffer = Buffer.alloc(0);
  private replied = false;

  /** @returns S0+S1+S2 to send, or null when nothing to send yet */
  push(data: Buffer): Buffer | null {
    if (this.done) throw new RtmpError('handshake already complete', 'EINVAL', 'rtmp.handshake');
    // at most C0+C1+C2 is kept: 3073 bytes
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    let reply: Buffer | null = null;
    if (!this.replied && this.buf.length >= 1) {
      if (this.buf[0] !== 3) {
        throw new RtmpError(`handshake: version ${this.buf[0]} (only 3, plain RTMP, is supported)`, 'INVALIDDATA', 'rtmp.handshake');
      }
    }
    if (!this.replied && this.buf.length >= 1 + HANDSHAKE_SIZE) {
      const c1 = this.buf.subarray(1, 1 + HANDSHAKE_SIZE);
      const s1 = randomBytes(HANDSHAKE_SIZE);
      s1.writeUInt32BE(0, 0); // time
      s1.writeUInt32BE(0, 4); // zero: "no digest", so players skip validation
      reply = Buffer.concat([Buffer.from([3]), s1, c1]);
      this.replied = true;
    }
    if (this.replied && this.buf.length >= 1 + 2 * HANDSHAKE_SIZE) {
      // C2 content is not checked: clients echo S1, or not (librtmp variants differ)
      this.rest = Buffer.from(this.buf.subarray(1 + 2 * HANDSHAKE_SIZE));
      this.buf = Buffer.alloc(0);
      this.done = true;
    }
    return reply;
  }
}

import { FFmpegError } from '../errors.js';
import type { RefusalCode } from './types.js';

/**
 * A publish the registry refused. `errorName` is the {@link RefusalCode}
 * ('EBUSY': the path is live and the policy is 'refuse'; 'ELIMIT': the server
 * is at its stream limit; 'EAUTH': not authorized; 'EINVAL': bad path;
 * 'ECLOSED': shutting down); `reason` is the sentence to send to the
 * publisher (RTMP onStatus description, HTTP body).
 *
 * @example
 * try { await registry.publish(src); }
 * catch (e) { if (e instanceof StreamRefused) conn.refuse(e.reason); }
 */
export class StreamRefused extends FFmpegError {
  declare readonly errorName: RefusalCode;
  readonly reason: string;
  constructor(reason: string, code: RefusalCode) {
    super(`publish refused: ${reason}`, 0, code, 'registry.publish');
    this.name = 'StreamRefused';
    this.reason = reason;
  }
}

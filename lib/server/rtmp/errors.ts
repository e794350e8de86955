import { FFmpegError } from '../../errors.js';

/**
 * The `errorName`s of an {@link RtmpError}.
 *
 * @example
 * server.on('clientError', (e) => { if (e.errorName === 'ELIMIT') console.warn('too many peers'); });
 */
export type RtmpErrorName = 'INVALIDDATA' | 'ELIMIT' | 'ETIMEDOUT' | 'EREFUSED' | 'EUNSUPPORTED' | 'EINVAL' | 'EIO' | 'EBUG';

/**
 * What a broken or hostile RTMP peer produces. A subclass of FFmpegError
 * (code 0: it does not come from libav) so callers keep one `instanceof`
 * check for everything ffnode surfaces; `errorName` says which limit or rule
 * was broken: 'INVALIDDATA' (malformed bytes), 'ELIMIT' (a configured bound),
 * 'ETIMEDOUT' (handshake/idle timeout), 'EREFUSED' (publish refused),
 * 'EUNSUPPORTED' (a codec FFmpeg's FLV demuxer cannot read).
 */
export class RtmpError extends FFmpegError {
  declare readonly errorName: RtmpErrorName;
  constructor(message: string, errorName: RtmpErrorName, operation: string, options?: { cause?: unknown }) {
    super(message, 0, errorName, operation, options);
    this.name = 'RtmpError';
  }
}

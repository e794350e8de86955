/**
 * One error type for everything libav reports. `code` is the negative AVERROR
 * value (0 when the failure did not come from libav), `name`-like `errorName`
 * is its symbolic form, and the message names the operation and the input.
 *
 * @example
 * try { await Decoder.open('missing.mp4'); }
 * catch (e) { if (e instanceof FFmpegError && e.errorName === 'ENOENT') console.log('no such file'); }
 */
export class FFmpegError extends Error {
  /** negative AVERROR code, or 0 */
  readonly code: number;
  /** symbolic name: 'EOF', 'EAGAIN', 'EINVAL', 'INVALIDDATA', 'ENOENT', 'ETIMEDOUT', 'EXIT', 'ECLOSED', ... */
  readonly errorName: string;
  /** the libav call or ffnode operation that failed, e.g. 'avformat_open_input' */
  readonly operation: string;

  constructor(message: string, code: number, errorName: string, operation: string) {
    super(message);
    this.name = 'FFmpegError';
    this.code = code;
    this.errorName = errorName;
    this.operation = operation;
  }
}

/** True when `e` is the end-of-stream error (AVERROR_EOF). */
export function isEOF(e: unknown): boolean {
  return e instanceof FFmpegError && e.errorName === 'EOF';
}

/** True when `e` is AVERROR(EAGAIN): try again after feeding/draining. */
export function isAgain(e: unknown): boolean {
  return e instanceof FFmpegError && e.errorName === 'EAGAIN';
}

/** True when `e` says the object was used after close(). */
export function isClosed(e: unknown): boolean {
  return e instanceof FFmpegError && e.errorName === 'ECLOSED';
}

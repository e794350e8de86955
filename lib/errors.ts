/**
 * One error type for everything ffnode surfaces: what libav reports, and what
 * the caller's own sources and stores raise (wrapped, the original in `cause`).
 * `code` is the negative AVERROR value (0 when the failure did not come from
 * libav), `name`-like `errorName` is its symbolic form, and the message names
 * the operation and the input.
 *
 * @example
 * try { await Decoder.open('missing.mp4'); }
 * catch (e) { if (e instanceof FFmpegError && e.errorName === 'ENOENT') console.log('no such file'); }
 */
export class FFmpegError extends Error {
  /** negative AVERROR code, or 0 */
  readonly code: number;
  /**
   * symbolic name: 'EOF', 'EAGAIN', 'EINVAL', 'INVALIDDATA', 'ENOENT', 'ETIMEDOUT', 'EXIT', 'ECLOSED', ...;
   * 'EINPUT' when the caller's byte source failed, 'ESTORE' when the caller's segment store did (see `cause`)
   */
  readonly errorName: string;
  /** the libav call or ffnode operation that failed, e.g. 'avformat_open_input' */
  readonly operation: string;

  /**
   * The native addon calls this with the first four arguments only; `options.cause`
   * (ES2022) carries the wrapped error of a caller-supplied source or store.
   */
  constructor(message: string, code: number, errorName: string, operation: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FFmpegError';
    this.code = code;
    this.errorName = errorName;
    this.operation = operation;
  }
}

/** errorName of a failure raised by the caller's byte source (Readable or async iterable). */
export const SOURCE_FAILED = 'EINPUT';
/** errorName of a failure raised by the caller's SegmentStore. */
export const STORE_FAILED = 'ESTORE';

/**
 * Wraps an error raised by something the caller supplied (a byte source, a
 * store) so that every error ffnode surfaces is an FFmpegError; the original
 * is `cause`, and its message is repeated after `what`.
 */
export function callerError(errorName: string, operation: string, what: string, cause: unknown): FFmpegError {
  let detail: string;
  try {
    detail = cause instanceof Error ? cause.message : String(cause);
  } catch {
    detail = 'a value that cannot be printed'; // e.g. a throwing toString(): never fail while wrapping
  }
  return new FFmpegError(`${operation}: ${what}: ${detail}`, 0, errorName, operation, { cause });
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

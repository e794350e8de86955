/**
 * The `errorName`s libav failures map to (native/common.cc errorName()): POSIX
 * errno names for AVERROR(errno), libav's own AVERROR_* tags without the
 * prefix, 'UNKNOWN' for any other code.
 *
 * @example
 * const libav: LibavErrorName = 'DEMUXER_NOT_FOUND';
 */
export type LibavErrorName =
  | 'EOF' | 'EAGAIN' | 'EINVAL' | 'ENOMEM' | 'ENOENT' | 'EIO' | 'EACCES' | 'EPERM' | 'ENODEV' | 'ENOTSUP' | 'EPIPE'
  | 'ETIMEDOUT' | 'ECONNREFUSED' | 'ECONNRESET' | 'ENOSYS' | 'ERANGE'
  | 'INVALIDDATA' | 'EXIT' | 'BUG' | 'EXTERNAL' | 'PATCHWELCOME'
  | 'DECODER_NOT_FOUND' | 'ENCODER_NOT_FOUND' | 'DEMUXER_NOT_FOUND' | 'MUXER_NOT_FOUND' | 'PROTOCOL_NOT_FOUND'
  | 'STREAM_NOT_FOUND' | 'OPTION_NOT_FOUND' | 'FILTER_NOT_FOUND' | 'BSF_NOT_FOUND'
  | 'HTTP_BAD_REQUEST' | 'HTTP_UNAUTHORIZED' | 'HTTP_FORBIDDEN' | 'HTTP_NOT_FOUND' | 'HTTP_4XX' | 'HTTP_5XX'
  | 'UNKNOWN';

/**
 * The `errorName`s ffnode itself produces (code 0): 'ECLOSED' (used after
 * close), 'EXCEPTION' (a C++ exception in the addon), 'EINPUT' / 'ESTORE'
 * (the caller's byte source / SegmentStore failed; see `cause`), 'ELOOP'
 * (FileStore met a symlink); a refused publish's {@link StreamRefused}
 * codes ('EBUSY', 'ELIMIT', 'EAUTH'); RTMP peers' ('EREFUSED',
 * 'EUNSUPPORTED', 'EBUG').
 *
 * @example
 * const mine: FfnodeErrorName = 'ESTORE';
 */
export type FfnodeErrorName =
  | 'ECLOSED' | 'EXCEPTION' | 'EINPUT' | 'ESTORE' | 'ELOOP'
  | 'EBUSY' | 'ELIMIT' | 'EAUTH'
  | 'EREFUSED' | 'EUNSUPPORTED' | 'EBUG';

/**
 * Every `FFmpegError.errorName`: an exact union, so comparing with a name
 * ffnode never produces (`e.errorName === 'ENOFILE'`) does not compile.
 *
 * @example
 * function retryable(name: ErrorName): boolean { return name === 'EAGAIN' || name === 'ETIMEDOUT'; }
 */
export type ErrorName = LibavErrorName | FfnodeErrorName;

/**
 * One error type for everything ffnode surfaces: what libav reports, and what
 * the caller's own sources and stores raise (wrapped, the original in `cause`).
 * `code` is the negative AVERROR value (0 when the failure did not come from
 * libav), `errorName` is its symbolic form ({@link ErrorName}), `input` the
 * URL/path/graph being read when the failure belongs to one, and the message
 * names the operation and the input.
 *
 * @example
 * try { await Decoder.open('missing.mp4'); }
 * catch (e) { if (e instanceof FFmpegError && e.errorName === 'ENOENT') console.log('no such file:', e.input); }
 */
export class FFmpegError extends Error {
  /** negative AVERROR code, or 0 */
  readonly code: number;
  /**
   * symbolic name ({@link ErrorName}): 'EOF', 'EAGAIN', 'EINVAL', 'INVALIDDATA', 'ENOENT', 'ETIMEDOUT', 'EXIT', 'ECLOSED', ...;
   * 'EINPUT' when the caller's byte source failed, 'ESTORE' when the caller's segment store did (see `cause`)
   */
  readonly errorName: ErrorName;
  /** the libav call or ffnode operation that failed, e.g. 'avformat_open_input' */
  readonly operation: string;
  /**
   * the input (path, URL or lavfi graph, as given) the failure belongs to;
   * null when there is none or it was a byte source (Readable, iterable)
   */
  readonly input: string | null = null;

  /**
   * The native addon calls this with the first four arguments only; `options.cause`
   * (ES2022) carries the wrapped error of a caller-supplied source or store.
   */
  constructor(message: string, code: number, errorName: ErrorName, operation: string, options?: { cause?: unknown; input?: string | null }) {
    super(message, options);
    this.name = 'FFmpegError';
    this.code = code;
    this.errorName = errorName;
    this.operation = operation;
    if (options?.input != null) this.input = options.input;
  }
}

/**
 * Sets `e.input` to `input` when `e` is an FFmpegError that names no input
 * yet (native errors are created without one); returns `e`, for `throw`.
 *
 * @example
 * try { await work(url); } catch (e) { throw withInput(e, url); }
 */
export function withInput<T>(e: T, input: unknown): T {
  if (e instanceof FFmpegError && e.input === null && typeof input === 'string') (e as { input: string | null }).input = input;
  return e;
}

/** errorName of a failure raised by the caller's byte source (Readable or async iterable). */
export const SOURCE_FAILED = 'EINPUT' satisfies ErrorName;
/** errorName of a failure raised by the caller's SegmentStore. */
export const STORE_FAILED = 'ESTORE' satisfies ErrorName;

/**
 * Wraps an error raised by something the caller supplied (a byte source, a
 * store) so that every error ffnode surfaces is an FFmpegError; the original
 * is `cause`, and its message is repeated after `what`.
 */
export function callerError(errorName: ErrorName, operation: string, what: string, cause: unknown): FFmpegError {
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

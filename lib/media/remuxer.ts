/**
 * Remuxer: stream copy (no re-encoding) from any input to mp4/mov/mkv/mpegts/
 * flv or fragmented mp4. Timestamps are rescaled between time bases, and the
 * bitstream filters the target needs (annexb ↔ avcc, ADTS → ASC) are inserted
 * automatically. Runs on its own native thread (inputs may be network URLs).
 *
 * @example
 * const result = await remux('input.ts', 'output.mp4');
 * console.log(result.streams.map((s) => s.bsf)); // e.g. [null, 'aac_adtstoasc']
 */
import type { RemuxOptions, RemuxResult } from '../../types/binding.js';
import { FFmpegError } from '../errors.js';
import { native } from '../native/binding.js';
import { sameFile } from './same-file.js';
import { LIMITS, checkBoolean, checkInt, checkNumber, checkObject, checkString } from './validate.js';

export type { RemuxOptions, RemuxResult };

export interface RemuxCallOptions extends RemuxOptions {
  /** aborting interrupts the copy; the promise rejects */
  signal?: AbortSignal;
}

/** AVERROR(EINVAL) */
const EINVAL = -22;

/**
 * Copies `input` into `output`.
 * @throws FFmpegError naming the failing step and path; errorName 'EINVAL'
 *   ("Output same as Input") when `output` is the input file itself — the same
 *   path, a symlink or a hard link to it — checked before anything is opened.
 */
export async function remux(input: string, output: string, opts: RemuxCallOptions = {}): Promise<RemuxResult> {
  if (typeof input !== 'string' || !input) throw new TypeError('remux: input must be a non-empty string');
  if (typeof output !== 'string' || !output) throw new TypeError('remux: output must be a non-empty string');
  if (opts === null) throw new TypeError('remux: options must be an object, got null');
  checkObject('remux', 'options', opts);
  if (opts.streams !== undefined) {
    if (!Array.isArray(opts.streams)) throw new TypeError('remux: streams must be an array of stream indices');
    opts.streams.forEach((i, k) => checkInt('remux', `streams[${k}]`, i, 0, LIMITS.maxStreamIndex));
  }
  checkString('remux', 'format', opts.format);
  checkString('remux', 'inputFormat', opts.inputFormat);
  checkNumber('remux', 'timeoutMs', opts.timeoutMs, 0, 2 ** 31);
  checkBoolean('remux', 'copyTs', opts.copyTs);
  checkBoolean('remux', 'allowPlaylists', opts.allowPlaylists);
  const { signal, ...rest } = opts;
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  // Opening the output truncates it: writing over the input would destroy it.
  if (await sameFile(input, output)) throw new FFmpegError(`remux (${output}): Output same as Input (${input})`, EINVAL, 'EINVAL', 'remux');
  const r = new native.Remuxer();
  const onAbort = (): void => r.interrupt();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await r.run(input, output, rest);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await r.close();
  }
}

/**
 * The escape hatch of ffnode's string-literal unions (presets, tunes): marks
 * a value the unions don't list as deliberate. Runtime: the string itself.
 * See docs/patterns/typing.md.
 *
 * @example
 * transcode('in.mp4', { out: 'vod', ladder: [{ height: 720, codec: 'h264_nvenc', preset: unlisted('p4') }] });
 */
import type { Unlisted } from '../types/binding.js';

export type { Unlisted };

/**
 * `value`, typed as a deliberate {@link Unlisted} name.
 *
 * @example
 * const opts: EncoderOptions = { codec: 'h264_nvenc', preset: unlisted('p5') };
 */
export function unlisted(value: string): Unlisted {
  return value as Unlisted;
}

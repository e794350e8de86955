/**
 * SourceTimeline: makes the decoded source's timestamps usable for a VOD
 * ladder before any frame is fanned out. Real inputs break the rule "pts only
 * grow, one frame apart":
 *
 * - raw elementary streams (.h264, .hevc) and some pipes carry no timestamps:
 *   a frame without pts gets `last + frameDuration` (the first one 0);
 * - an MPEG-TS encoder restart starts its clock again (a jump back), a
 *   33-bit wrap or a spliced source jumps far ahead or back: when a video
 *   stream's pts stops growing, or any stream jumps back by more than
 *   max(1 s, 10 frame durations), the stream is re-based so it continues at
 *   `last + frameDuration`. Jumps *ahead* by as much are re-based only for
 *   inputs whose timestamps may be discontinuous (MPEG-TS, FLV, HLS, RTP/RTSP,
 *   MPEG-PS: FFmpeg's AVFMT_TS_DISCONT formats, where the ffmpeg CLI re-bases
 *   too); elsewhere (MP4, Matroska, ...) a gap is a real pause of a
 *   variable-frame-rate source and is kept, or the pictures would run ahead
 *   of the sound.
 *
 * Audio and video stay in sync across a jump: when a second stream jumps by
 * about the same raw amount as one that already did (same direction, within
 * 1 s, as in a TS restart), it is re-based by that same offset rather than by
 * its own. Audio that lands on audio already sent by half a frame or more
 * (the old part's sound ran on past its last picture, at a jump or at a plain
 * splice) is dropped, whole frames, until it reaches the end of what was
 * sent: the audio rendition times its output by sample count, so overlapping
 * audio would otherwise push every later sound late against the pictures. Every
 * fix is reported once through `warn`, and every jump is recorded as a
 * {@link Discontinuity} (for the live path to mark, e.g. EXT-X-DISCONTINUITY).
 */
import type { Frame } from '../media/frame.js';

/** One timestamp jump in the source, and where it landed in the output. */
export interface Discontinuity {
  /** source stream index that jumped first */
  stream: number;
  /** 'video' | 'audio' */
  mediaType: string;
  /** output seconds (source timeline after re-basing) where the jump now lies */
  time: number;
  /** seconds the raw timestamps jumped by, beyond one frame (negative: back) */
  jump: number;
  /** seconds added to every later timestamp of the streams that jumped together */
  offset: number;
}

interface StreamState {
  mediaType: string;
  /** seconds per frame (video: from the frame rate; audio: per frame from its samples) */
  frameDuration: number;
  shift: number;
  lastRaw: number | null;
  lastOut: number | null;
  lastDuration: number;
  applied: Set<Jump>;
  synthesized: boolean;
  /** audio after a shared re-base: frames that overlap what was sent are dropped */
  trimming: boolean;
  /** audio seconds dropped that way */
  trimmed: number;
}

interface Jump {
  stream: number;
  rawJump: number;
  offset: number;
  discontinuity: Discontinuity;
}

/** Demuxers whose timestamps may restart or wrap (FFmpeg's AVFMT_TS_DISCONT). */
export const DISCONTINUOUS_FORMATS: ReadonlySet<string> = new Set(['mpegts', 'mpegtsraw', 'flv', 'live_flv', 'kux', 'hls', 'rtp', 'rtsp', 'sdp', 'mpeg', 'mpegvideo', 'dhav']);

/** Raw jumps that differ by less than this are one event seen on several streams. */
const SAME_JUMP = 1;

export class SourceTimeline {
  readonly #streams = new Map<number, StreamState>();
  readonly #jumps: Jump[] = [];
  readonly #warn: (w: string) => void;
  readonly #origin: () => number;
  readonly #aheadToo: boolean;
  readonly #onDiscontinuity: ((d: Discontinuity) => void) | undefined;
  /** every jump re-based so far, in order */
  readonly discontinuities: Discontinuity[] = [];

  /**
   * @param origin seconds of the output's start (the first video frame), for the positions reported
   * @param format the demuxer's name(s), as in `InputInfo.format` ('mpegts', 'mov,mp4,m4a,3gp,3g2,mj2'):
   *   jumps ahead are re-based only for {@link DISCONTINUOUS_FORMATS}
   * @param onDiscontinuity called with each jump as it is re-based
   */
  constructor(warn: (w: string) => void, origin: () => number = () => 0, format = 'mpegts', onDiscontinuity?: (d: Discontinuity) => void) {
    this.#onDiscontinuity = onDiscontinuity;
    this.#warn = warn;
    this.#origin = origin;
    this.#aheadToo = format.split(',').some((f) => DISCONTINUOUS_FORMATS.has(f));
  }

  /** Registers a stream; `frameRate` (fps) for video, null for audio (durations come from samples). */
  addStream(index: number, mediaType: string, frameRate: number | null): void {
    const fd = frameRate && frameRate > 0 ? 1 / frameRate : 1 / 25;
    this.#streams.set(index, { mediaType, frameDuration: fd, shift: 0, lastRaw: null, lastOut: null, lastDuration: fd, applied: new Set(), synthesized: false, trimming: false, trimmed: 0 });
  }

  /** Seconds of audio dropped because a shared re-base laid it over audio already sent. */
  get trimmedAudio(): number {
    let n = 0;
    for (const s of this.#streams.values()) n += s.trimmed;
    return n;
  }

  /**
   * Fixes `frame.pts` in place (missing → synthesized, after a jump →
   * re-based). False: drop this frame (audio overlapping what was sent).
   */
  fix(frame: Frame, index: number): boolean {
    const s = this.#streams.get(index);
    if (!s) return true;
    const tb = frame.timeBase;
    if (!(tb[0] > 0 && tb[1] > 0)) return true;
    const dur = s.mediaType === 'audio' && frame.sampleRate > 0 && frame.nbSamples > 0 ? frame.nbSamples / frame.sampleRate : s.frameDuration;
    const toPts = (t: number): number => Math.round((t * tb[1]) / tb[0]);
    if (frame.pts === null) {
      const out = s.lastOut === null ? 0 : s.lastOut + s.lastDuration;
      if (!s.synthesized) {
        s.synthesized = true;
        this.#warn(`source ${s.mediaType} stream #${index} has frames without timestamps (a raw elementary stream?): asked to keep the source timing, gave them timestamps one frame apart (${(1 / s.frameDuration).toFixed(3)} fps, from the stream's frame rate) so the output can be segmented`);
      }
      frame.pts = toPts(out);
      s.lastOut = out;
      s.lastRaw = out - s.shift; // a later frame with a pts is measured against this one
      s.lastDuration = dur;
      return true;
    }
    const raw = (frame.pts * tb[0]) / tb[1];
    let out = raw + s.shift;
    if (s.lastOut !== null && s.lastRaw !== null) {
      const expected = s.lastOut + s.lastDuration;
      const far = Math.max(1, 10 * s.lastDuration);
      const rawJump = raw - (s.lastRaw + s.lastDuration);
      if (s.trimming) {
        if (out + dur / 2 <= expected) {
          s.trimmed += dur;
          s.lastRaw = raw;
          return false;
        }
        s.trimming = false;
      }
      const jumped = expected - out > far || (this.#aheadToo && out - expected > far) || (s.mediaType === 'video' && out <= s.lastOut + 1e-6);
      // Another stream already jumped by about as much: the same event (e.g. a TS restart).
      const shared = Math.abs(rawJump) > 2 * s.lastDuration
        ? this.#jumps.find((j) => j.stream !== index && !s.applied.has(j) && Math.sign(j.rawJump) === Math.sign(rawJump) && Math.abs(j.rawJump - rawJump) <= SAME_JUMP)
        : undefined;
      if (s.mediaType === 'audio' && !jumped && !shared && out + dur / 2 <= expected) {
        // Overlaps what was sent by half a frame or more (a splice): drop it.
        s.trimmed += dur;
        s.lastRaw = raw;
        return false;
      }
      if (jumped || shared) {
        if (shared) {
          s.applied.add(shared);
          s.shift += shared.offset;
          out = raw + s.shift;
          if (s.mediaType === 'audio' && out + dur / 2 <= expected) {
            // Laid over audio already sent: drop it, whole frames, until it catches up.
            s.trimming = true;
            s.trimmed += dur;
            s.lastRaw = raw;
            return false;
          }
          // Less than half a frame of overlap left: continue this stream exactly.
          if (out < s.lastOut + 1e-6) {
            s.shift += expected - out;
            out = expected;
          }
        } else {
          const offset = expected - out;
          s.shift += offset;
          out = expected;
          const d: Discontinuity = { stream: index, mediaType: s.mediaType, time: out - this.#origin(), jump: rawJump, offset };
          const j: Jump = { stream: index, rawJump, offset, discontinuity: d };
          this.#jumps.push(j);
          s.applied.add(j);
          this.discontinuities.push(d);
          this.#onDiscontinuity?.(d);
          this.#warn(
            `source ${s.mediaType} stream #${index} timestamps jump ${rawJump < 0 ? 'back' : 'ahead'} by ${Math.abs(rawJump).toFixed(3)} s ` +
              `(pts ${raw.toFixed(3)} s after ${s.lastRaw.toFixed(3)} s: an encoder restart or a timestamp wrap): asked to keep the source timestamps, ` +
              `re-based them by ${offset >= 0 ? '+' : ''}${offset.toFixed(3)} s so the output continues at ${d.time.toFixed(3)} s, one frame after the last; ` +
              `other streams that jump with it get the same offset`,
          );
        }
        frame.pts = toPts(out);
      } else if (s.shift !== 0) {
        frame.pts = toPts(out);
      }
    }
    s.lastRaw = raw;
    s.lastOut = out;
    s.lastDuration = dur;
    return true;
  }
}

/**
 * SourceTimeline: makes the decoded source's timestamps usable for a VOD
 * ladder before any frame is fanned out. Real inputs break the rule "pts only
 * grow, one frame apart":
 *
 * - raw elementary streams (.h264, .hevc) and some pipes carry no timestamps:
 *   a frame without pts gets `last + frameDuration` (the first one 0);
 * - a video frame whose pts repeats or steps back by less than the jump
 *   threshold below (H.264's reorder buffer growing at the start of a stream
 *   without bitstream_restriction, a duplicated timestamp) is dropped, as
 *   the ffmpeg CLI drops non-increasing video pts: re-basing on it would move
 *   every later picture late against the sound. They are counted and
 *   reported once, by {@link SourceTimeline.finish};
 * - an MPEG-TS encoder restart starts its clock again (a jump back), a
 *   33-bit wrap or a spliced source jumps far ahead or back: when any stream
 *   jumps back by more than max(1 s, 10 frame durations), the stream is
 *   re-based so it continues at `last + frameDuration` (so does a video frame
 *   that steps back right after synthesized timestamps: the source's clock
 *   replaces ours). Jumps *ahead* by as much are re-based only for
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
 * fix is reported through `warn`, and every jump is passed to `onDiscontinuity`
 * (for the live path to mark, e.g. EXT-X-DISCONTINUITY). A hostile input can
 * jump on every frame: the first {@link MAX_REPORTED} jumps are kept in
 * `discontinuities` and the first {@link MAX_JUMP_WARNINGS} warned one by one,
 * the rest only counted (`discontinuityCount`, and one line from `finish()`);
 * each frame's work stays O(1).
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
  /** recent jumps of other streams this one may yet make too (bounded: {@link PENDING}) */
  pending: Jump[];
  synthesized: boolean;
  /** the last frame's timestamp was synthesized (our clock, not the source's) */
  lastSynthesized: boolean;
  /** video frames dropped because their pts did not increase */
  dropped: number;
  /** the largest step back among them, seconds */
  droppedBack: number;
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
/**
 * Other streams' jumps a stream remembers to match: the same event reaches
 * every stream within the demuxer's interleaving, long before this many more
 * jumps happen; older ones are forgotten so the lookup stays O(1).
 */
const PENDING = 16;
/** Discontinuities kept in `discontinuities`; later ones are only counted. */
export const MAX_REPORTED = 100;
/** Jumps warned one by one; later ones are summed up by `finish()`. */
export const MAX_JUMP_WARNINGS = 10;

export class SourceTimeline {
  readonly #streams = new Map<number, StreamState>();
  #jumpCount = 0;
  readonly #warn: (w: string) => void;
  readonly #origin: () => number;
  readonly #aheadToo: boolean;
  readonly #onDiscontinuity: ((d: Discontinuity) => void) | undefined;
  /** the first {@link MAX_REPORTED} jumps re-based, in order */
  readonly discontinuities: Discontinuity[] = [];
  /** every jump re-based so far (also those past {@link MAX_REPORTED}) */
  get discontinuityCount(): number {
    return this.#jumpCount;
  }

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
    this.#streams.set(index, { mediaType, frameDuration: fd, shift: 0, lastRaw: null, lastOut: null, lastDuration: fd, pending: [], synthesized: false, lastSynthesized: false, dropped: 0, droppedBack: 0, trimming: false, trimmed: 0 });
  }

  /** Video frames dropped because their pts did not increase (repeated, or a small step back). */
  get droppedVideoFrames(): number {
    let n = 0;
    for (const s of this.#streams.values()) n += s.dropped;
    return n;
  }

  /** Reports, once, what was only counted while frames went by (call after the last frame). */
  finish(): void {
    for (const [index, s] of this.#streams) {
      if (s.dropped > 0) {
        this.#warn(
          `source video stream #${index} had ${s.dropped} frame${s.dropped === 1 ? '' : 's'} whose timestamp did not increase (repeated${s.droppedBack > 1e-6 ? `, or stepping back by up to ${s.droppedBack.toFixed(3)} s` : ''}: ` +
            `e.g. an H.264 decoder's reorder buffer growing at the start of a stream without bitstream_restriction): asked to encode every frame, dropped ${s.dropped === 1 ? 'it' : 'them'} as the ffmpeg CLI does, ` +
            `without moving later pictures, so audio and video stay in sync`,
        );
      }
    }
    if (this.#jumpCount > MAX_JUMP_WARNINGS) {
      this.#warn(
        `source timestamps jumped ${this.#jumpCount} times in all: the first ${MAX_JUMP_WARNINGS} are reported above, the other ${this.#jumpCount - MAX_JUMP_WARNINGS} were re-based the same way without a warning each` +
          (this.#jumpCount > MAX_REPORTED ? ` (the result lists the first ${MAX_REPORTED} discontinuities)` : ''),
      );
    }
  }

  /** Seconds of audio dropped because a shared re-base laid it over audio already sent. */
  get trimmedAudio(): number {
    let n = 0;
    for (const s of this.#streams.values()) n += s.trimmed;
    return n;
  }

  /**
   * Fixes `frame.pts` in place (missing → synthesized, after a jump →
   * re-based). False: drop this frame (audio overlapping what was sent, or
   * video whose pts did not increase).
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
      s.lastSynthesized = true;
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
      // After synthesized timestamps the source's own clock starts anew: re-base onto ours.
      const behind = out <= s.lastOut + 1e-6;
      const jumped = expected - out > far || (this.#aheadToo && out - expected > far) || (s.mediaType === 'video' && s.lastSynthesized && behind);
      // Another stream already jumped by about as much: the same event (e.g. a TS restart).
      const at = Math.abs(rawJump) > 2 * s.lastDuration
        ? s.pending.findIndex((j) => Math.sign(j.rawJump) === Math.sign(rawJump) && Math.abs(j.rawJump - rawJump) <= SAME_JUMP)
        : -1;
      const shared = at >= 0 ? s.pending.splice(at, 1)[0] : undefined;
      if (s.mediaType === 'video' && !jumped && !shared && behind) {
        // Repeated or a small step back: drop the picture, keep the shift
        // (re-basing would delay all later video against the audio).
        s.dropped++;
        s.droppedBack = Math.max(s.droppedBack, s.lastOut - out);
        return false;
      }
      if (s.mediaType === 'audio' && !jumped && !shared && out + dur / 2 <= expected) {
        // Overlaps what was sent by half a frame or more (a splice): drop it.
        s.trimmed += dur;
        s.lastRaw = raw;
        return false;
      }
      if (jumped || shared) {
        if (shared) {
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
          for (const [i, o] of this.#streams) {
            if (i === index) continue;
            o.pending.push(j);
            if (o.pending.length > PENDING) o.pending.shift();
          }
          if (++this.#jumpCount <= MAX_REPORTED) this.discontinuities.push(d);
          this.#onDiscontinuity?.(d);
          if (this.#jumpCount <= MAX_JUMP_WARNINGS) this.#warn(
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
    s.lastSynthesized = false;
    return true;
  }
}

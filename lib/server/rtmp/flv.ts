import { RtmpError } from './errors.js';
import { encodeAmf0, encodeAmf0EcmaArray, type AmfObject } from './amf0.js';

/** FLV tag types (FLV spec v10 §E.4.1). */
export const TAG = { audio: 8, video: 9, script: 18 } as const;

// Codec ids FFmpeg 5.1's flv demuxer maps to a decoder (libavformat/flvdec.c flv_set_*_codec).
const VIDEO_OK = new Set([2, 3, 4, 5, 6, 7, 8, 9]); // h263, screen, vp6, vp6a, screen2, h264, realh263, mpeg4
const AUDIO_OK = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 14]); // pcm.., adpcm, mp3, nellymoser, g711, aac, speex, mp3-8k
const VIDEO_NAMES: Record<number, string> = { 12: 'HEVC (codec id 12)', 13: 'AV1 (codec id 13)' };

/**
 * Why FFmpeg 5.1 cannot read this audio/video payload, or null when it can.
 * Enhanced RTMP (the IsExHeader bit: FourCC hvc1/av01/vp09) is newer than 5.1.
 */
export function unsupportedCodec(type: number, payload: Buffer): string | null {
  if (payload.length === 0) return null; // empty tags are skipped, not fatal
  const b = payload[0];
  if (type === TAG.video) {
    if (b & 0x80) {
      const fourcc = payload.length >= 5 ? payload.toString('latin1', 1, 5) : '?';
      return `enhanced-RTMP video (FourCC '${fourcc}') is not readable by FFmpeg 5.1's FLV demuxer`;
    }
    const id = b & 0x0f;
    return VIDEO_OK.has(id) ? null : `video codec ${VIDEO_NAMES[id] ?? `id ${id}`} is not readable by FFmpeg 5.1's FLV demuxer`;
  }
  if (type === TAG.audio) {
    const id = b >> 4;
    return AUDIO_OK.has(id) ? null : `audio codec id ${id} is not readable by FFmpeg 5.1's FLV demuxer`;
  }
  return null;
}

/**
 * Turns RTMP media messages into an FLV byte stream (header, then tags each
 * followed by its PreviousTagSize). Timestamps are kept as the publisher sent
 * them (32-bit ms): rebasing on the first tag would wrap an audio tag that
 * arrives slightly earlier than the first video tag to ~49 days.
 *
 * @example
 * const flv = new FlvWriter();
 * out.push(...flv.metadata({ videocodecid: 7, audiocodecid: 10 }));
 * out.push(...flv.media(9, 0, videoPayload)); // throws RtmpError 'EUNSUPPORTED' for e.g. enhanced-RTMP HEVC
 */
export class FlvWriter {
  private headerDone = false;
  private hasAudio = true;
  private hasVideo = true;

  /** Sets the header flags from onMetaData (before the first tag only). */
  metadata(meta: AmfObject): Buffer[] {
    const out: Buffer[] = [];
    if (!this.headerDone) {
      // codec ids in metadata tell which streams will come; without them, say both
      const v = meta.videocodecid !== undefined;
      const a = meta.audiocodecid !== undefined;
      if (v || a) {
        this.hasVideo = v;
        this.hasAudio = a;
      }
      out.push(this.header());
    }
    out.push(this.tag(TAG.script, 0, Buffer.concat([encodeAmf0('onMetaData'), encodeAmf0EcmaArray(meta)])));
    return out;
  }

  /** One audio (8) or video (9) message as FLV tag bytes (the header first, once). */
  media(type: number, timestamp: number, payload: Buffer): Buffer[] {
    const why = unsupportedCodec(type, payload);
    if (why) throw new RtmpError(why, 'EUNSUPPORTED', 'rtmp.flv');
    const out: Buffer[] = [];
    if (!this.headerDone) out.push(this.header());
    out.push(this.tag(type, timestamp >>> 0, payload));
    return out;
  }

  private header(): Buffer {
    this.headerDone = true;
    // 'FLV', version 1, flags (4 audio, 1 video), header size 9, PreviousTagSize0
    return Buffer.from([0x46, 0x4c, 0x56, 1, (this.hasAudio ? 4 : 0) | (this.hasVideo ? 1 : 0), 0, 0, 0, 9, 0, 0, 0, 0]);
  }

  private tag(type: number, ts: number, data: Buffer): Buffer {
    if (data.length > 0xffffff) throw new RtmpError(`FLV tag of ${data.length} bytes`, 'ELIMIT', 'rtmp.flv');
    const h = Buffer.alloc(11 + data.length + 4);
    h[0] = type;
    h.writeUIntBE(data.length, 1, 3);
    h.writeUIntBE(ts & 0xffffff, 4, 3);
    h[7] = (ts >>> 24) & 0xff; // TimestampExtended: the upper 8 bits
    // StreamID (3 bytes) stays 0
    data.copy(h, 11);
    h.writeUInt32BE(11 + data.length, 11 + data.length);
    return h;
  }
}

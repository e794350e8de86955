/**
 * Measured bitrates of a rendition, as manifests declare them. Apple's HLS
 * authoring rules check that the measured peak segment bitrate stays within
 * 10 % of BANDWIDTH and the measured average within 10 % of
 * AVERAGE-BANDWIDTH; the only way to be right is to declare what was
 * measured (ffmpeg's hls muxer declares nominal + 10 % until the end and is
 * often wrong).
 */

/**
 * Bits per second; integers, as manifests need them.
 *
 * @example
 * const { peak, average } = presentation.bandwidth('v720p'); // BANDWIDTH, AVERAGE-BANDWIDTH
 */
export interface Bandwidth {
  /** the highest segment bitrate: max over segments of bytes × 8 / duration */
  peak: number;
  /** total bytes × 8 / total duration */
  average: number;
  /** true when computed from segments, false when estimated from the nominal bitrate */
  measured: boolean;
}

/**
 * Running measurement over a rendition's segments (O(1) per segment, so a
 * 24/7 live stream can measure every segment it ever produced).
 *
 * @example
 * const m = new BandwidthMeter();
 * m.add(750_000, 6);  // 1 Mb/s
 * m.add(1_500_000, 6); // 2 Mb/s
 * m.result(3_000_000); // { peak: 2000000, average: 1500000, measured: true }
 */
export class BandwidthMeter {
  #bytes = 0;
  #seconds = 0;
  #peak = 0;
  #count = 0;

  /** Adds one segment. Segments of zero (or invalid) duration carry no rate and are ignored. */
  add(bytes: number, duration: number): void {
    if (!(duration > 0) || !(bytes >= 0)) return;
    this.#bytes += bytes;
    this.#seconds += duration;
    this.#peak = Math.max(this.#peak, (bytes * 8) / duration);
    this.#count++;
  }

  /** number of segments measured */
  get count(): number {
    return this.#count;
  }

  /** The measured bandwidth, or the nominal estimate while nothing was measured. */
  result(nominalBitrate: number): Bandwidth {
    if (this.#count === 0) return nominalBandwidth(nominalBitrate);
    return { peak: Math.ceil(this.#peak), average: Math.ceil((this.#bytes * 8) / this.#seconds), measured: true };
  }
}

/**
 * Measures a list of segments at once.
 *
 * @example
 * measureBandwidth([{ bytes: 750_000, duration: 6 }]); // { peak: 1000000, average: 1000000, measured: true }
 */
export function measureBandwidth(segments: Iterable<{ bytes: number; duration: number }>, nominalBitrate = 0): Bandwidth {
  const m = new BandwidthMeter();
  for (const s of segments) m.add(s.bytes, s.duration);
  return m.result(nominalBitrate);
}

/**
 * What to declare before any segment exists (live start): the nominal
 * bitrate + 10 % as the peak, the nominal bitrate as the average.
 *
 * @example
 * nominalBandwidth(2_800_000); // { peak: 3080000, average: 2800000, measured: false }
 */
export function nominalBandwidth(bitrate: number): Bandwidth {
  const b = Number.isFinite(bitrate) && bitrate > 0 ? bitrate : 0;
  // × 11 / 10 rather than × 1.1: exact for integer bitrates (2.8e6 × 1.1 is 3080000.0000000005).
  return { peak: Math.ceil((b * 11) / 10), average: Math.ceil(b), measured: false };
}

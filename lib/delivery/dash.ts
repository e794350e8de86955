/**
 * DASH MPD (ISO/IEC 23009-1, DASH-IF IOP) rendered from plain data: a pure
 * function, no I/O. One Period, or several (a new one where an init segment
 * changes); per Period one video AdaptationSet; one audio
 * AdaptationSet per language; SegmentTemplate + SegmentTimeline per
 * Representation, so each rendition's real segment durations are exact
 * (cut at keyframes, segments are not all equally long).
 */
import type { Rendition } from './types.js';

/**
 * A media segment as the timeline needs it (seconds, media time).
 *
 * @example
 * const s: MpdSegment = { sequence: 12, start: 72.072, duration: 6.006 };
 */
export interface MpdSegment {
  /** the $Number$ of the segment; consecutive within a Representation */
  sequence: number;
  start: number;
  duration: number;
}

/**
 * One Representation: a rendition, its bandwidth, its listed segments and URL templates.
 *
 * @example
 * const r: MpdRepresentation = { rendition, bandwidth: 3_000_000, segments,
 *   initialization: 'v720p/init.mp4', media: 'v720p/seg_$Number$.m4s' };
 */
export interface MpdRepresentation {
  rendition: Rendition;
  /** bits/s: the measured peak segment bitrate of this rendition (DASH's bandwidth with minBufferTime ≥ the longest segment) */
  bandwidth: number;
  /** listed segments, in order */
  segments: readonly MpdSegment[];
  /** init segment URL relative to the MPD, e.g. 'v720p/init.mp4' */
  initialization: string;
  /** media template relative to the MPD, e.g. 'v720p/seg_$Number$.m4s' */
  media: string;
  /** ticks per second of the timeline (default: 90000 for video, the sample rate (or 48000) for audio) */
  timescale?: number;
}

/**
 * One Period: where it starts in media time and what it holds.
 *
 * @example
 * const p: MpdPeriod = { id: '1', start: 120.5, representations }; // a new init from media time 120.5 s
 */
export interface MpdPeriod {
  /** Period@id: unique within the presentation, never reused */
  id: string;
  /** media time (s) at which the Period begins: its presentationTimeOffset; Period@start = start − the MPD's origin */
  start: number;
  representations: readonly MpdRepresentation[];
}

/**
 * A UTCTiming element: how clients learn the server's clock.
 *
 * @example
 * const u: MpdUtcTiming = { schemeIdUri: 'urn:mpeg:dash:utc:http-iso:2014', value: 'https://example.com/api/time' };
 */
export interface MpdUtcTiming {
  schemeIdUri: string;
  value: string;
}

/**
 * Everything an MPD says.
 *
 * @example
 * const o: MpdOptions = { type: 'static', minBufferTime: 6, cmaf: true, representations };
 */
export interface MpdOptions {
  /** 'static' (VOD) or 'dynamic' (live, event) */
  type: 'static' | 'dynamic';
  /** the Representations of a single Period (id '0'); leave out when `periods` is given */
  representations?: readonly MpdRepresentation[];
  /** several Periods, in time order; Periods without a segment are left out */
  periods?: readonly MpdPeriod[];
  /** media time (s) that is presentation time 0, the same for every Representation so audio and video stay in sync (default: the first Period's start, or the earliest segment start; never below 0) */
  origin?: number;
  /** dynamic: UTCTiming elements' scheme and value (none by default) */
  utcTiming?: MpdUtcTiming;
  /** seconds; should be ≥ the longest segment, since bandwidth is the peak segment bitrate */
  minBufferTime: number;
  /** seconds; static: default the end of the longest Representation; dynamic: only once the stream ended */
  mediaPresentationDuration?: number;
  /** dynamic: wall-clock time of Period time 0 */
  availabilityStartTime?: Date;
  /** dynamic: when this MPD was generated (default now) */
  publishTime?: Date;
  /** dynamic: seconds between MPD refetches; leave out once the stream ended */
  minimumUpdatePeriod?: number;
  /** dynamic: seconds of the live window; leave out for an unbounded EVENT-like stream */
  timeShiftBufferDepth?: number;
  /** dynamic: seconds behind the live edge players should play */
  suggestedPresentationDelay?: number;
  /** default: isoff-live plus, with `cmaf`, the CMAF profile */
  profiles?: readonly string[];
  /** the segments are CMAF (cmfc/cmfs brands): adds urn:mpeg:dash:profile:cmaf:2019 to the default profiles */
  cmaf?: boolean;
}

/**
 * One <S> element: start t, duration d, r repeats after the first (ticks).
 *
 * @example
 * const e: TimelineEntry = { t: 0, d: 540000, r: 9 }; // ten 6 s segments at 90 kHz
 */
export interface TimelineEntry {
  t: number;
  d: number;
  r: number;
}

/**
 * xs:duration for seconds, as DASH attributes want it ('PT6S', 'PT6.006S';
 * millisecond precision, trailing zeros dropped).
 *
 * @example
 * isoDuration(6);      // 'PT6S'
 * isoDuration(3725.5); // 'PT3725.5S'
 */
export function isoDuration(seconds: number): string {
  if (!(Number.isFinite(seconds) && seconds >= 0)) throw new RangeError(`DASH: invalid duration ${seconds}`);
  return `PT${Number(seconds.toFixed(3))}S`;
}

/**
 * DASH FrameRateType ('30', '30000/1001'): a decimal like 29.97 is not
 * valid there, so NTSC rates become their exact ratio.
 *
 * @example
 * dashFrameRate(30);    // '30'
 * dashFrameRate(29.97); // '30000/1001'
 * dashFrameRate(12.5);  // '25/2'
 */
export function dashFrameRate(fps: number): string {
  if (!(Number.isFinite(fps) && fps > 0)) throw new RangeError(`DASH: invalid frame rate ${fps}`);
  if (Math.abs(fps - Math.round(fps)) < 1e-6) return String(Math.round(fps));
  const ntsc = Math.round(fps * 1.001);
  if (Math.abs(fps - (ntsc * 1000) / 1001) < 0.005) return `${ntsc * 1000}/1001`;
  let num = Math.round(fps * 1000);
  let den = 1000;
  const g = gcd(num, den);
  num /= g;
  den /= g;
  return `${num}/${den}`;
}

/**
 * Escapes a value for an XML attribute (and text).
 *
 * @example
 * escapeXml('a"b<c&'); // 'a&quot;b&lt;c&amp;'
 */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * Segment starts/durations (seconds) → run-length encoded <S> entries in
 * `timescale` ticks. Starts are rounded to ticks; a gap or overlap of up to
 * 2 ms between one segment's end and the next start is float rounding, and
 * the next segment is snapped to the previous end so the timeline has no
 * false holes. A larger gap keeps its real start (an explicit S@t). A start
 * that overlaps the previous segment is moved to the previous end and the
 * segment shortened so its end stays where it is (the timeline then
 * continues on the real grid); a segment that lies wholly before the
 * previous end (time went back) is moved to the previous end with its own
 * duration: one Period cannot hold time going back.
 *
 * @example
 * buildSegmentTimeline([{ sequence: 0, start: 0, duration: 2 }, { sequence: 1, start: 2, duration: 2 }, { sequence: 2, start: 4, duration: 1 }], 1000);
 * // [{ t: 0, d: 2000, r: 1 }, { t: 4000, d: 1000, r: 0 }]
 */
export function buildSegmentTimeline(segments: readonly MpdSegment[], timescale: number): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const tolerance = Math.max(1, Math.ceil(timescale * 0.002));
  let prevEnd: number | null = null;
  for (const s of segments) {
    if (!(Number.isFinite(s.start) && Number.isFinite(s.duration) && s.duration >= 0)) throw new RangeError(`DASH: segment ${s.sequence} has invalid timing`);
    let t = Math.round(s.start * timescale);
    const end = Math.round((s.start + s.duration) * timescale);
    let d = end - t;
    if (prevEnd !== null && Math.abs(t - prevEnd) <= tolerance) {
      // Keep the end on the rounded grid, so durations never drift.
      d = end - prevEnd;
      t = prevEnd;
    } else if (prevEnd !== null && t < prevEnd) {
      d = end > prevEnd ? end - prevEnd : Math.round(s.duration * timescale);
      t = prevEnd;
    }
    d = Math.max(1, d);
    const last = out[out.length - 1];
    if (last && last.d === d && last.t + last.d * (last.r + 1) === t) last.r++;
    else out.push({ t, d, r: 0 });
    prevEnd = t + d;
  }
  return out;
}

/**
 * Renders the MPD.
 *
 * @example
 * renderMpd({ type: 'static', minBufferTime: 6, cmaf: true, representations: [{
 *   rendition: { id: 'v720p', type: 'video', codecs: 'avc1.64001f', bitrate: 2_800_000, width: 1280, height: 720, frameRate: 30 },
 *   bandwidth: 3_000_000, initialization: 'v720p/init.mp4', media: 'v720p/seg_$Number$.m4s',
 *   segments: [{ sequence: 0, start: 0, duration: 6 }, { sequence: 1, start: 6, duration: 4 }],
 * }] });
 * // <MPD ... type="static" mediaPresentationDuration="PT10S" minBufferTime="PT6S"> ... <S t="0" d="540000"/><S d="360000"/> ...
 */
export function renderMpd(o: MpdOptions): string {
  const given: readonly MpdPeriod[] = o.periods ?? [{ id: '0', start: NaN, representations: o.representations ?? [] }];
  const periods = given
    .map((p) => ({ ...p, representations: p.representations.filter((r) => r.segments.length > 0) }))
    .filter((p) => p.representations.length > 0);
  if (!periods.length) throw new RangeError('DASH: no representation has a segment');
  const ids = new Set<string>();
  for (const p of periods) {
    if (typeof p.id !== 'string' || p.id === '' || ids.has(p.id)) throw new RangeError(`DASH: Period ids must be unique non-empty strings, got ${JSON.stringify(p.id)}`);
    ids.add(p.id);
    for (const r of p.representations) checkNumbers(r);
  }
  const reps = periods.flatMap((p) => p.representations);
  const firstStart = Math.min(...periods[0]!.representations.map((r) => r.segments[0]!.start));
  const origin = Math.max(0, o.origin ?? (Number.isFinite(periods[0]!.start) ? periods[0]!.start : firstStart));
  const end = Math.max(...reps.map((r) => { const s = r.segments[r.segments.length - 1]!; return s.start + s.duration; }));
  const profiles = o.profiles ?? ['urn:mpeg:dash:profile:isoff-live:2011', ...(o.cmaf ? ['urn:mpeg:dash:profile:cmaf:2019'] : [])];

  const mpd: Record<string, string> = {
    xmlns: 'urn:mpeg:dash:schema:mpd:2011',
    profiles: profiles.join(','),
    type: o.type,
  };
  if (o.type === 'static') {
    mpd.mediaPresentationDuration = isoDuration(o.mediaPresentationDuration ?? Math.max(0, end - origin));
  } else {
    if (!o.availabilityStartTime) throw new TypeError('DASH: a dynamic MPD needs availabilityStartTime');
    mpd.availabilityStartTime = isoDate(o.availabilityStartTime);
    mpd.publishTime = isoDate(o.publishTime ?? new Date());
    if (o.mediaPresentationDuration !== undefined) mpd.mediaPresentationDuration = isoDuration(o.mediaPresentationDuration);
    if (o.minimumUpdatePeriod !== undefined) mpd.minimumUpdatePeriod = isoDuration(o.minimumUpdatePeriod);
    if (o.timeShiftBufferDepth !== undefined) mpd.timeShiftBufferDepth = isoDuration(o.timeShiftBufferDepth);
    if (o.suggestedPresentationDelay !== undefined) mpd.suggestedPresentationDelay = isoDuration(o.suggestedPresentationDelay);
  }
  mpd.minBufferTime = isoDuration(o.minBufferTime);

  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<MPD${attrs(mpd)}>`];
  for (const p of periods) {
    // A Period's media starts at its presentationTimeOffset; one Period alone starts at the origin.
    const start = Number.isFinite(p.start) ? Math.max(p.start, origin) : origin;
    lines.push(`  <Period${attrs({ id: p.id, start: isoDuration(start - origin) })}>`, ...renderPeriod(p.representations, start), '  </Period>');
  }
  // Schema order: UTCTiming follows the Periods.
  if (o.type === 'dynamic' && o.utcTiming) lines.push(`  <UTCTiming${attrs({ schemeIdUri: o.utcTiming.schemeIdUri, value: o.utcTiming.value })}/>`);
  lines.push('</MPD>');
  return lines.join('\n') + '\n';
}

// A Period's AdaptationSets; `pto` is the media time of the Period's start.
function renderPeriod(reps: readonly MpdRepresentation[], pto: number): string[] {
  const lines: string[] = [];
  const byBandwidth = (a: MpdRepresentation, b: MpdRepresentation): number => a.bandwidth - b.bandwidth || (a.rendition.id < b.rendition.id ? -1 : 1);
  let setId = 0;

  const video = reps.filter((r) => r.rendition.type === 'video').sort(byBandwidth);
  if (video.length) {
    const set: Record<string, string> = { id: String(setId++), contentType: 'video', mimeType: 'video/mp4', segmentAlignment: 'true' };
    const widths = video.map((r) => r.rendition.width ?? 0);
    const heights = video.map((r) => r.rendition.height ?? 0);
    if (Math.max(...widths) > 0) set.maxWidth = String(Math.max(...widths));
    if (Math.max(...heights) > 0) set.maxHeight = String(Math.max(...heights));
    const rates = [...new Set(video.map((r) => r.rendition.frameRate).filter((f): f is number => !!f && f > 0).map(dashFrameRate))];
    // One rate for the whole set is @frameRate; several is @maxFrameRate (the highest).
    if (rates.length === 1) set.frameRate = rates[0]!;
    else if (rates.length > 1) set.maxFrameRate = dashFrameRate(Math.max(...video.map((r) => r.rendition.frameRate ?? 0)));
    set.startWithSAP = '1';
    lines.push(`    <AdaptationSet${attrs(set)}>`);
    for (const r of video) {
      const rep: Record<string, string> = { id: r.rendition.id, bandwidth: String(Math.ceil(r.bandwidth)) };
      if (r.rendition.codecs) rep.codecs = r.rendition.codecs;
      if (r.rendition.width && r.rendition.height) {
        rep.width = String(r.rendition.width);
        rep.height = String(r.rendition.height);
      }
      if (r.rendition.frameRate) rep.frameRate = dashFrameRate(r.rendition.frameRate);
      rep.sar = '1:1';
      lines.push(`      <Representation${attrs(rep)}>`, ...template(r, r.timescale ?? 90000, pto, '        '), '      </Representation>');
    }
    lines.push('    </AdaptationSet>');
  }

  // DASH puts different languages in different AdaptationSets (players switch sets for language, representations for bitrate).
  const audio = reps.filter((r) => r.rendition.type === 'audio').sort(byBandwidth);
  const languages = [...new Set(audio.map((r) => r.rendition.language ?? ''))];
  languages.forEach((lang, i) => {
    const group = audio.filter((r) => (r.rendition.language ?? '') === lang);
    const set: Record<string, string> = { id: String(setId++), contentType: 'audio', mimeType: 'audio/mp4' };
    if (lang) set.lang = lang;
    set.segmentAlignment = 'true';
    set.startWithSAP = '1';
    lines.push(`    <AdaptationSet${attrs(set)}>`);
    const channels = [...new Set(group.map((r) => r.rendition.channels ?? 0))];
    const channelConfig = (n: number, indent: string): string =>
      `${indent}<AudioChannelConfiguration${attrs({ schemeIdUri: 'urn:mpeg:dash:23003:3:audio_channel_configuration:2011', value: String(n) })}/>`;
    const shared = channels.length === 1 && channels[0]! > 0;
    // Schema order: AudioChannelConfiguration (RepresentationBase) before Role (AdaptationSet's own).
    if (shared) lines.push(channelConfig(channels[0]!, '      '));
    if (i === 0) lines.push(`      <Role${attrs({ schemeIdUri: 'urn:mpeg:dash:role:2011', value: 'main' })}/>`);
    for (const r of group) {
      const rep: Record<string, string> = { id: r.rendition.id, bandwidth: String(Math.ceil(r.bandwidth)) };
      if (r.rendition.codecs) rep.codecs = r.rendition.codecs;
      if (r.rendition.sampleRate) rep.audioSamplingRate = String(r.rendition.sampleRate);
      lines.push(`      <Representation${attrs(rep)}>`);
      if (!shared && r.rendition.channels) lines.push(channelConfig(r.rendition.channels, '        '));
      lines.push(...template(r, r.timescale ?? r.rendition.sampleRate ?? 48000, pto, '        '), '      </Representation>');
    }
    lines.push('    </AdaptationSet>');
  });

  return lines;
}

// SegmentTemplate with its SegmentTimeline. presentationTimeOffset maps the
// Period's media start to Period time 0 in this Representation's timescale.
function template(r: MpdRepresentation, timescale: number, origin: number, indent: string): string[] {
  if (!(Number.isSafeInteger(timescale) && timescale > 0)) throw new RangeError(`DASH: invalid timescale ${timescale} for ${r.rendition.id}`);
  const t: Record<string, string> = {
    timescale: String(timescale),
    presentationTimeOffset: String(Math.round(origin * timescale)),
    initialization: r.initialization,
    media: r.media,
    startNumber: String(r.segments[0]!.sequence),
  };
  const out = [`${indent}<SegmentTemplate${attrs(t)}>`, `${indent}  <SegmentTimeline>`];
  let entries = buildSegmentTimeline(r.segments, timescale);
  // MPD times are unsigned. A negative first start (AAC priming, B-frame
  // delay) is shifted to 0, as the Segmenter shifts a negative first dts
  // in the fragments it writes.
  const shift = Math.max(0, -entries[0]!.t);
  if (shift) entries = entries.map((e) => ({ ...e, t: e.t + shift }));
  let expected: number | null = null;
  for (const e of entries) {
    // @t only where the timeline does not simply continue: a gap, or the first entry.
    const s: Record<string, string> = {};
    if (expected === null || e.t !== expected) s.t = String(e.t);
    s.d = String(e.d);
    if (e.r > 0) s.r = String(e.r);
    out.push(`${indent}    <S${attrs(s)}/>`);
    expected = e.t + e.d * (e.r + 1);
  }
  out.push(`${indent}  </SegmentTimeline>`, `${indent}</SegmentTemplate>`);
  return out;
}

// $Number$ addressing counts from startNumber, so listed segments must be consecutive.
function checkNumbers(r: MpdRepresentation): void {
  r.segments.forEach((s, i) => {
    if (!Number.isSafeInteger(s.sequence) || s.sequence < 0) throw new RangeError(`DASH: ${r.rendition.id}: invalid segment number ${s.sequence}`);
    if (i > 0 && s.sequence !== r.segments[i - 1]!.sequence + 1)
      throw new RangeError(`DASH: ${r.rendition.id}: segment numbers must be consecutive ($Number$), got ${r.segments[i - 1]!.sequence} then ${s.sequence}`);
  });
}

function attrs(a: Record<string, string>): string {
  return Object.entries(a)
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
}

function isoDate(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new RangeError('DASH: invalid date');
  return d.toISOString();
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

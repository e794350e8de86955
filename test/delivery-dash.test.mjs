// DASH MPD renderer (pure), checked through mpd-parser (the parser of
// video.js/VHS; it brings @xmldom/xmldom for Node).
import t from 'tap';
import { renderMpd, buildSegmentTimeline, isoDuration, dashFrameRate } from 'ffnode';
import { parseDash, VIDEO, AUDIO } from './delivery-helpers.mjs';

const run = (n, d, start = 0, first = 0) => Array.from({ length: n }, (_, i) => ({ sequence: first + i, start: start + i * d, duration: d }));
const rep = (rendition, segments, bandwidth = rendition.bitrate * 1.1) => ({
  rendition, segments, bandwidth,
  initialization: `${rendition.id}/init.mp4`, media: `${rendition.id}/seg_$Number$.m4s`,
});

t.test('ISO 8601 durations, frame rates, timelines', async (t) => {
  t.equal(isoDuration(6), 'PT6S');
  t.equal(isoDuration(6.0064), 'PT6.006S');
  t.equal(isoDuration(3725.5), 'PT3725.5S');
  t.equal(isoDuration(0), 'PT0S');
  t.throws(() => isoDuration(-1), RangeError);
  t.equal(dashFrameRate(30), '30');
  t.equal(dashFrameRate(29.97), '30000/1001');
  t.equal(dashFrameRate(30000 / 1001), '30000/1001');
  t.equal(dashFrameRate(59.94), '60000/1001');
  t.equal(dashFrameRate(23.976), '24000/1001');
  t.equal(dashFrameRate(12.5), '25/2');
  t.same(buildSegmentTimeline(run(3, 2).concat({ sequence: 3, start: 6, duration: 1 }), 1000), [{ t: 0, d: 2000, r: 2 }, { t: 6000, d: 1000, r: 0 }]);
  // float starts that miss the previous end by a rounding error are snapped: no false gaps
  t.same(buildSegmentTimeline([{ sequence: 0, start: 0, duration: 2.002 }, { sequence: 1, start: 2.0020000001, duration: 2.002 }], 90000), [{ t: 0, d: 180180, r: 1 }]);
  // a real gap keeps its explicit t
  t.same(buildSegmentTimeline([{ sequence: 0, start: 0, duration: 2 }, { sequence: 1, start: 5, duration: 2 }], 1000), [{ t: 0, d: 2000, r: 0 }, { t: 5000, d: 2000, r: 0 }]);
  // time going backwards (restarted input) continues from the previous end
  t.same(buildSegmentTimeline([{ sequence: 0, start: 100, duration: 2 }, { sequence: 1, start: 0, duration: 2 }], 1000), [{ t: 100000, d: 2000, r: 1 }]);
});

t.test('static MPD (VOD): parsed values', async (t) => {
  const video = VIDEO.map((v, i) => rep(v, run(5, 2, 0.1).map((s, j) => (j === 4 ? { ...s, duration: 1.5 } : s)), [900_000, 3_100_000][i]));
  const audio = rep(AUDIO, run(5, 2).map((s, j) => (j === 4 ? { ...s, duration: 1.6 } : s)), 140_000);
  const text = renderMpd({ type: 'static', cmaf: true, minBufferTime: 2, representations: [video[1], audio, video[0]] });
  t.match(text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" /);
  t.match(text, 'profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019"');
  t.match(text, 'type="static" mediaPresentationDuration="PT9.6S" minBufferTime="PT2S"');
  t.match(text, /<AdaptationSet id="0" contentType="video" mimeType="video\/mp4" segmentAlignment="true" maxWidth="1280" maxHeight="720" frameRate="30" startWithSAP="1">/);
  t.match(text, '<Representation id="v360p" bandwidth="900000" codecs="avc1.64001e" width="640" height="360" frameRate="30" sar="1:1">');
  t.match(text, /<AdaptationSet id="1" contentType="audio" mimeType="audio\/mp4" lang="en"/);
  t.match(text, '<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>');
  t.match(text, '<SegmentTemplate timescale="90000" presentationTimeOffset="0" initialization="v720p/init.mp4" media="v720p/seg_$Number$.m4s" startNumber="0">');
  t.match(text, '<S t="9000" d="180000" r="3"/>\n            <S d="135000"/>', 'run-length encoded');
  t.ok(text.indexOf('id="v360p"') < text.indexOf('id="v720p"'), 'representations by ascending bandwidth');

  const mpd = parseDash(text);
  t.equal(mpd.duration, 9.6);
  t.equal(mpd.minimumUpdatePeriod, undefined);
  t.equal(mpd.playlists.length, 2);
  const [lo, hi] = [...mpd.playlists].sort((a, b) => a.attributes.BANDWIDTH - b.attributes.BANDWIDTH);
  t.equal(lo.attributes.BANDWIDTH, 900_000);
  t.equal(hi.attributes.BANDWIDTH, 3_100_000);
  t.equal(hi.attributes.CODECS, 'avc1.64001f');
  t.same(hi.attributes.RESOLUTION, { width: 1280, height: 720 });
  t.equal(hi.attributes['FRAME-RATE'], 30);
  t.equal(hi.segments.length, 5);
  t.equal(hi.segments.reduce((a, s) => a + s.duration, 0), 9.5, 'timeline total');
  t.same(hi.segments.map((s) => s.uri), [0, 1, 2, 3, 4].map((n) => `v720p/seg_${n}.m4s`));
  t.equal(hi.segments[0].map.uri, 'v720p/init.mp4');
  t.equal(hi.segments[0].presentationTime, 0.1, 'video starts 0.1 s after the shared origin');
  const a = Object.values(mpd.mediaGroups.AUDIO.audio)[0];
  t.equal(a.language, 'en');
  const ap = a.playlists[0];
  t.equal(ap.attributes.BANDWIDTH, 140_000);
  t.equal(ap.attributes.CODECS, 'mp4a.40.2');
  t.equal(ap.segments.length, 5);
  t.equal(ap.segments[0].presentationTime, 0);
  t.equal(ap.segments.reduce((a, s) => a + s.duration, 0), 9.6);
  t.match(text, 'timescale="48000"', 'audio timeline in samples');
});

t.test('dynamic MPD (live): window, origin, attributes', async (t) => {
  const ast = new Date('2024-05-01T10:00:00.000Z');
  const publish = new Date('2024-05-01T10:00:20.000Z');
  const segs = run(4, 2, 1000 + 12, 6); // numbers 6..9, media time 1012..1020
  const text = renderMpd({
    type: 'dynamic', cmaf: true, minBufferTime: 2, origin: 1000,
    availabilityStartTime: ast, publishTime: publish, minimumUpdatePeriod: 2, timeShiftBufferDepth: 8, suggestedPresentationDelay: 6,
    representations: [rep(VIDEO[0], segs), rep(AUDIO, segs)],
  });
  t.match(text, 'type="dynamic" availabilityStartTime="2024-05-01T10:00:00.000Z" publishTime="2024-05-01T10:00:20.000Z" minimumUpdatePeriod="PT2S" timeShiftBufferDepth="PT8S" suggestedPresentationDelay="PT6S" minBufferTime="PT2S"');
  t.notMatch(text, /mediaPresentationDuration/);
  t.match(text, 'presentationTimeOffset="90000000"', 'origin 1000 s at 90 kHz');
  t.match(text, 'startNumber="6"');
  t.match(text, '<S t="91080000" d="180000" r="3"/>');
  const mpd = parseDash(text);
  t.equal(mpd.minimumUpdatePeriod, 2000);
  t.equal(mpd.suggestedPresentationDelay, 6);
  const v = mpd.playlists[0];
  t.equal(v.segments.length, 4);
  t.same(v.segments.map((s) => s.uri), ['v360p/seg_6.m4s', 'v360p/seg_7.m4s', 'v360p/seg_8.m4s', 'v360p/seg_9.m4s'], '$Number$ from startNumber');
  t.equal(v.segments[0].presentationTime, 12, 'period time = media time − origin');

  const ended = renderMpd({ type: 'dynamic', minBufferTime: 2, origin: 1000, availabilityStartTime: ast, mediaPresentationDuration: 20, representations: [rep(VIDEO[0], segs)] });
  t.match(ended, 'mediaPresentationDuration="PT20S"');
  t.notMatch(ended, /minimumUpdatePeriod/, 'an ended stream is not refetched');
  t.notMatch(ended, /cmaf:2019/, 'no CMAF profile unless asked');
  t.throws(() => renderMpd({ type: 'dynamic', minBufferTime: 2, representations: [rep(VIDEO[0], segs)] }), TypeError, 'needs availabilityStartTime');
});

t.test('negative media times (AAC priming) never reach the MPD', async (t) => {
  const primed = [{ sequence: 0, start: -1024 / 48000, duration: 2 }, { sequence: 1, start: 2 - 1024 / 48000, duration: 2 }];
  const text = renderMpd({ type: 'static', minBufferTime: 2, representations: [rep(AUDIO, primed), rep(VIDEO[0], run(2, 2))] });
  t.notMatch(text, /="-/, 'no negative attribute');
  t.match(text, 'presentationTimeOffset="0"');
  t.match(text, '<S t="0" d="96000" r="1"/>');
});

t.test('escaping, channels per representation, languages, errors', async (t) => {
  const odd = { ...VIDEO[0], id: 'v<1>&"x"' };
  const text = renderMpd({ type: 'static', minBufferTime: 2, representations: [{ ...rep(odd, run(1, 2)), initialization: 'a&b/init.mp4' }] });
  t.match(text, 'id="v&lt;1&gt;&amp;&quot;x&quot;"');
  t.match(text, 'initialization="a&amp;b/init.mp4"');
  t.ok(parseDash(text).playlists.length === 1, 'still parses');

  const mono = { ...AUDIO, id: 'a64k', channels: 1, bitrate: 64_000 };
  const fr = { ...AUDIO, id: 'a128k-fr', language: 'fr' };
  const multi = renderMpd({ type: 'static', minBufferTime: 2, representations: [rep(AUDIO, run(2, 2)), rep(mono, run(2, 2)), rep(fr, run(2, 2))] });
  t.equal((multi.match(/<AdaptationSet /g) ?? []).length, 2, 'one audio AdaptationSet per language');
  t.equal((multi.match(/<Role /g) ?? []).length, 1, 'the first is the main one');
  t.match(multi, /<Representation id="a64k"[^>]*>\n\s*<AudioChannelConfiguration[^>]*value="1"\/>/, 'differing channel counts go per Representation');
  const parsed = parseDash(multi);
  t.same(Object.values(parsed.mediaGroups.AUDIO.audio).map((g) => g.language).sort(), ['en', 'fr']);

  t.throws(() => renderMpd({ type: 'static', minBufferTime: 2, representations: [rep(VIDEO[0], [{ sequence: 0, start: 0, duration: 2 }, { sequence: 2, start: 2, duration: 2 }])] }), RangeError, '$Number$ needs consecutive numbers');
  t.throws(() => renderMpd({ type: 'static', minBufferTime: 2, representations: [rep(VIDEO[0], [])] }), RangeError, 'nothing to list');
});

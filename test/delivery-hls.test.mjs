// HLS renderers (pure) and bandwidth measurement, checked through
// m3u8-parser, the parser video.js/VHS plays with.
import t from 'tap';
import {
  renderMediaPlaylist, renderMasterPlaylist, mediaPlaylistVersion, hlsTargetDuration, formatExtinf,
  BandwidthMeter, measureBandwidth, nominalBandwidth,
} from 'ffnode';
import { parseM3u8, VIDEO, AUDIO } from './delivery-helpers.mjs';

const segs = (durations, extra = () => ({})) => durations.map((d, i) => ({ uri: `seg_${i}.m4s`, duration: d, ...extra(i) }));

t.test('versions: the lowest that RFC 8216 §7 allows', async (t) => {
  t.equal(mediaPlaylistVersion({ map: true }), 6, 'EXT-X-MAP without I-FRAMES-ONLY');
  t.equal(mediaPlaylistVersion({ map: false }), 3, 'decimal EXTINF');
  t.match(renderMediaPlaylist({ segments: segs([2]), map: 'init.mp4' }), /^#EXTM3U\n#EXT-X-VERSION:6\n/);
  t.match(renderMediaPlaylist({ segments: segs([2]) }), /^#EXTM3U\n#EXT-X-VERSION:3\n/);
});

t.test('target duration: every EXTINF rounded to the nearest integer ≤ target', async (t) => {
  t.equal(hlsTargetDuration([6.006, 6.006, 2.5]), 6, '29.97 fps segments keep target 6, not ceil 7');
  t.equal(hlsTargetDuration([6.5]), 7, 'half rounds up');
  t.equal(hlsTargetDuration([6.4994]), 6);
  t.equal(hlsTargetDuration([6.4996]), 7, 'rounded as written (6.500)');
  t.equal(hlsTargetDuration([0.2]), 1, 'never 0');
  t.equal(hlsTargetDuration([1.2], 4), 4, 'a floor for live playlists');
  t.equal(hlsTargetDuration([9.7], 4), 10, 'the floor never hides a longer segment');
  t.equal(hlsTargetDuration([], 2.4), 3, 'a fractional floor rounds up');
  t.equal(formatExtinf(6.00640001), '6.006');
  const m = parseM3u8(renderMediaPlaylist({ segments: segs([6.006, 6.5, 3]), targetDuration: 6 }));
  t.equal(m.targetDuration, 7);
  for (const s of m.segments) t.ok(Math.round(s.duration) <= m.targetDuration);
});

t.test('VOD media playlist (CMAF)', async (t) => {
  const text = renderMediaPlaylist({ segments: segs([6, 6, 4.25]), map: 'init.mp4', playlistType: 'VOD', ended: true });
  t.equal(text, [
    '#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:6', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS', '#EXT-X-MAP:URI="init.mp4"',
    '#EXTINF:6.000,', 'seg_0.m4s', '#EXTINF:6.000,', 'seg_1.m4s', '#EXTINF:4.250,', 'seg_2.m4s', '#EXT-X-ENDLIST', '',
  ].join('\n'));
  const m = parseM3u8(text);
  t.equal(m.targetDuration, 6);
  t.equal(m.mediaSequence, 0);
  t.equal(m.playlistType, 'VOD');
  t.equal(m.endList, true);
  t.equal(m.segments.length, 3);
  t.same(m.segments.map((s) => s.duration), [6, 6, 4.25]);
  t.equal(m.segments[0].map.uri, 'init.mp4');
  t.equal(m.independentSegments, true);
  t.notMatch(text, /DISCONTINUITY-SEQUENCE/, 'VOD lists none when zero');
});

t.test('live window: media sequence, discontinuity sequence, program date time, no type, no endlist', async (t) => {
  const pdt = new Date('2024-05-01T10:00:00.000Z');
  const text = renderMediaPlaylist({
    segments: segs([2, 2, 2, 2], (i) => ({ uri: `seg_${i + 6}.ts`, programDateTime: new Date(pdt.getTime() + i * 2000), discontinuity: i === 2 })),
    mediaSequence: 6, discontinuitySequence: 3, targetDuration: 2,
  });
  const m = parseM3u8(text);
  t.equal(m.mediaSequence, 6);
  t.equal(m.discontinuitySequence, 3);
  t.equal(m.playlistType, undefined);
  t.notOk(m.endList);
  t.same(m.segments.map((s) => s.uri), ['seg_6.ts', 'seg_7.ts', 'seg_8.ts', 'seg_9.ts']);
  t.same(m.segments.map((s) => !!s.discontinuity), [false, false, true, false]);
  t.equal(m.segments[0].dateTimeString, '2024-05-01T10:00:00.000Z');
  t.equal(m.segments[3].dateTimeString, '2024-05-01T10:00:06.000Z');
  t.match(text, /#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:04.000Z\n#EXTINF:2.000,\nseg_8.ts/, 'tag order before a segment');
  t.notMatch(text, /EXT-X-MAP/);
  t.match(renderMediaPlaylist({ segments: segs([2]) }), /#EXT-X-DISCONTINUITY-SEQUENCE:0\n/, 'a live playlist always states it');
  t.notMatch(renderMediaPlaylist({ segments: segs([2], () => ({ programDateTime: pdt })), programDateTime: false }), /PROGRAM-DATE-TIME/);
  t.match(renderMediaPlaylist({ segments: segs([2]), playlistType: 'EVENT' }), /#EXT-X-PLAYLIST-TYPE:EVENT\n/);
  t.notMatch(renderMediaPlaylist({ segments: segs([2]), independentSegments: false }), /INDEPENDENT/);
});

t.test('a new init version mid-playlist: EXT-X-MAP before it, with a discontinuity; a fixed target', async (t) => {
  const text = renderMediaPlaylist({
    segments: [{ uri: 'seg_0.m4s', duration: 2, map: 'init.mp4' }, { uri: 'seg_1.m4s', duration: 2.6, discontinuity: true, map: 'init_1.mp4' }, { uri: 'seg_2.m4s', duration: 2, map: 'init_1.mp4' }],
    map: 'init.mp4', targetDuration: 2, fixedTargetDuration: true,
  });
  t.match(text, /#EXT-X-TARGETDURATION:2\n/, 'kept although 2.6 rounds to 3');
  t.match(text, /seg_0.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init_1.mp4"\n#EXTINF:2.600,\nseg_1.m4s\n#EXTINF:2.000,\nseg_2.m4s/);
  t.equal(text.match(/#EXT-X-MAP/g).length, 2);
  const m = parseM3u8(text);
  t.same(m.segments.map((s) => s.map.uri), ['init.mp4', 'init_1.mp4', 'init_1.mp4']);
  t.throws(() => renderMediaPlaylist({ segments: [{ uri: 'a', duration: 2 }, { uri: 'b', duration: 2, map: 'init_1.mp4' }], map: 'init.mp4' }), RangeError, 'a new MAP needs a discontinuity');
  t.throws(() => renderMediaPlaylist({ segments: [{ uri: 'a', duration: 2 }], fixedTargetDuration: true }), RangeError, 'a fixed target must be given');
});

t.test('media playlist input is checked', async (t) => {
  t.throws(() => renderMediaPlaylist({ segments: [{ uri: 'a\nb', duration: 1 }] }), TypeError);
  t.throws(() => renderMediaPlaylist({ segments: [{ uri: '#x', duration: 1 }] }), TypeError);
  t.throws(() => renderMediaPlaylist({ segments: [{ uri: 'a', duration: NaN }] }), RangeError);
  t.throws(() => renderMediaPlaylist({ segments: segs([1]), mediaSequence: -1 }), RangeError);
  t.throws(() => renderMediaPlaylist({ segments: segs([1]), mediaSequence: 1.5 }), RangeError);
  t.throws(() => renderMediaPlaylist({ segments: segs([1]), map: 'in"it.mp4' }), TypeError);
});

const entry = (r, peak, average) => ({ rendition: r, uri: `${r.id}/index.m3u8`, bandwidth: { peak, average } });

t.test('master playlist: audio group, bandwidth includes audio, ascending order', async (t) => {
  const text = renderMasterPlaylist({
    version: 6,
    renditions: [entry(VIDEO[1], 3_000_000, 2_700_000), entry(AUDIO, 131_000, 129_000), entry(VIDEO[0], 900_000, 780_000)],
  });
  t.match(text, /^#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n/);
  t.match(text, '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="a128k",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="a128k/index.m3u8"\n');
  t.match(text, '#EXT-X-STREAM-INF:BANDWIDTH=3131000,AVERAGE-BANDWIDTH=2829000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO="audio"\nv720p/index.m3u8\n');
  const m = parseM3u8(text);
  t.equal(m.playlists.length, 2);
  t.same(m.playlists.map((p) => p.uri), ['v360p/index.m3u8', 'v720p/index.m3u8'], 'lowest bandwidth first');
  const [low, high] = m.playlists.map((p) => p.attributes);
  t.equal(low.BANDWIDTH, 1_031_000, 'video peak + audio peak');
  t.equal(Number(low['AVERAGE-BANDWIDTH']), 909_000, 'video average + audio average');
  t.equal(low.CODECS, 'avc1.64001e,mp4a.40.2');
  t.same(low.RESOLUTION, { width: 640, height: 360 });
  t.equal(low['FRAME-RATE'], 30);
  t.equal(low.AUDIO, 'audio');
  t.equal(high.BANDWIDTH, 3_131_000);
  const a = m.mediaGroups.AUDIO.audio.a128k;
  t.ok(a.default);
  t.ok(a.autoselect);
  t.equal(a.language, 'en');
  t.equal(a.uri, 'a128k/index.m3u8');
  t.equal(m.independentSegments, true);
});

t.test('master playlist: several audio renditions, no audio, audio only, versions', async (t) => {
  const fr = { ...AUDIO, id: 'a96k-fr', bitrate: 96_000, language: 'fr', codecs: 'mp4a.40.5' };
  let m = parseM3u8(renderMasterPlaylist({ renditions: [entry(VIDEO[0], 900_000, 800_000), entry(AUDIO, 130_000, 128_000), entry(fr, 150_000, 96_000)] }));
  t.equal(m.playlists[0].attributes.BANDWIDTH, 1_050_000, 'the largest audio peak of the group (worst case)');
  t.equal(Number(m.playlists[0].attributes['AVERAGE-BANDWIDTH']), 928_000);
  t.equal(m.playlists[0].attributes.CODECS, 'avc1.64001e,mp4a.40.2,mp4a.40.5', 'every audio codec of the group');
  t.ok(m.mediaGroups.AUDIO.audio.a128k.default);
  t.notOk(m.mediaGroups.AUDIO.audio['a96k-fr'].default, 'only the first is DEFAULT');

  const noAudio = renderMasterPlaylist({ renditions: [entry(VIDEO[0], 900_000, 800_000)] });
  t.notMatch(noAudio, /AUDIO=|EXT-X-MEDIA|EXT-X-VERSION/, 'nothing above version 1 needed');
  m = parseM3u8(renderMasterPlaylist({ renditions: [entry(AUDIO, 130_000, 128_000)], version: 3 }));
  t.equal(m.playlists.length, 1, 'audio only: the audio rendition is the variant');
  t.equal(m.playlists[0].attributes.CODECS, 'mp4a.40.2');
  t.notOk(m.playlists[0].attributes.RESOLUTION);
  t.match(renderMasterPlaylist({ renditions: [entry(VIDEO[0], 1, 1), entry(AUDIO, 1, 1)], version: 3 }), /#EXT-X-VERSION:4\n/, 'EXT-X-MEDIA: at least 4');
  t.notMatch(renderMasterPlaylist({ renditions: [entry(VIDEO[0], 1, 1)], independentSegments: false }), /INDEPENDENT/);
  t.throws(() => renderMasterPlaylist({ renditions: [entry({ ...AUDIO, id: 'x', language: 'e"n' }, 1, 1), entry(VIDEO[0], 1, 1)] }), TypeError);
  const noCodecs = parseM3u8(renderMasterPlaylist({ renditions: [entry({ ...VIDEO[0], codecs: '' }, 1, 1)] }));
  t.notOk(noCodecs.playlists[0].attributes.CODECS, 'an unknown codec string is left out, never written empty');
});

t.test('bandwidth: measured peak and average, nominal + 10 % before segments', async (t) => {
  const m = new BandwidthMeter();
  t.same(m.result(2_800_000), { peak: 3_080_000, average: 2_800_000, measured: false }, 'exactly +10 %, no float residue');
  m.add(750_000, 6);
  m.add(1_500_000, 6);
  m.add(100, 0); // no duration: ignored
  t.equal(m.count, 2);
  t.same(m.result(3_000_000), { peak: 2_000_000, average: 1_500_000, measured: true });
  t.same(measureBandwidth([{ bytes: 250_000, duration: 2 }, { bytes: 125_000, duration: 0.5 }]), { peak: 2_000_000, average: 1_200_000, measured: true });
  t.same(nominalBandwidth(-5), { peak: 0, average: 0, measured: false });
});

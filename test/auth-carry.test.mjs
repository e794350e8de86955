// carryToken: the playback token rides along in every URI a playlist or MPD
// names, checked with independent parsers (m3u8-parser, mpd-parser) on what
// the library's own renderers write for a live stream, plus the hand-written
// forms other packagers use. URIs that leave this host never get the token.
import t from 'tap';
import { Parser as M3u8Parser } from 'm3u8-parser';
import { parse as parseMpd } from 'mpd-parser';
import { renderMasterPlaylist, renderMediaPlaylist, renderMpd } from '../dist/index.js';
import { carryToken, carriesToken } from '../dist/server/auth/playback.js';

const CARRY = 'exp=1767225600&sig=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE';
const BASE = 'http://media.example/live/cam1/';

const m3u8 = (text) => {
  const p = new M3u8Parser();
  p.push(text);
  p.end();
  return p.manifest;
};
/** every value of a key named uri/resolvedUri (or in `keys`) anywhere in a parsed manifest */
function uris(value, keys = ['uri', 'resolvedUri'], out = [], seen = new Set()) {
  if (!value || typeof value !== 'object' || seen.has(value)) return out;
  seen.add(value);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' && keys.includes(k)) out.push(v);
    else uris(v, keys, out, seen);
  }
  return out;
}
const hasToken = (u) => {
  const q = new URL(u, BASE).searchParams;
  return q.getAll('exp').length === 1 && q.getAll('sig').length === 1 && `exp=${q.get('exp')}&sig=${q.get('sig')}` === CARRY;
};

const video = (id, height, bitrate) => ({ id, type: 'video', codecs: 'avc1.64001f', bitrate, width: Math.round((height * 16) / 9), height, frameRate: 30 });
const audio = { id: 'a128k', type: 'audio', codecs: 'mp4a.40.2', bitrate: 128_000, channels: 2, language: 'en' };

t.test('HLS master and media playlists the library writes for a live stream', async (t) => {
  const master = renderMasterPlaylist({ version: 7, renditions: [
    { rendition: video('v360p', 360, 800_000), uri: 'v360p/index.m3u8', bandwidth: { peak: 900_000, average: 800_000 } },
    { rendition: video('v240p', 240, 400_000), uri: 'v240p/index.m3u8', bandwidth: { peak: 450_000, average: 400_000 } },
    { rendition: audio, uri: 'a128k/index.m3u8', bandwidth: { peak: 131_000, average: 129_000 } },
  ] });
  const carried = carryToken(master, 'playlist', CARRY);
  const m = m3u8(carried);
  const all = uris(m, ['uri']);
  t.equal(all.length, 3, `three URIs in the master (${all.join(', ')})`);
  t.ok(all.every(hasToken), 'each carries the token');
  t.same(m.playlists.map((p) => p.attributes.BANDWIDTH), m3u8(master).playlists.map((p) => p.attributes.BANDWIDTH), 'attributes untouched');
  t.equal(carried.replace(/\?exp=[^"\n]*/g, ''), master, 'nothing but the queries was added');

  // a live window: numbered segments, PDT on each, a discontinuity with a new init (a publisher's return)
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const segments = [5, 6, 7, 8].map((n, i) => ({ uri: `seg-${n}.m4s`, duration: 2, programDateTime: new Date(t0 + i * 2000), ...(n === 7 ? { discontinuity: true, map: 'init-1.mp4' } : {}) }));
  const media = renderMediaPlaylist({ targetDuration: 2, mediaSequence: 5, map: 'init-0.mp4', segments });
  const mc = carryToken(media, 'playlist', CARRY);
  const mm = m3u8(mc);
  t.equal(mm.segments.length, 4);
  const mediaUris = uris(mm, ['uri']);
  t.ok(mediaUris.length >= 6, `segments and both inits (${mediaUris.length} URIs)`);
  t.ok(mediaUris.every(hasToken), 'every segment and init carries the token');
  t.same(mm.segments.map((s) => s.duration), [2, 2, 2, 2], 'durations intact');
  t.same(mm.segments.map((s) => s.dateTimeString), m3u8(media).segments.map((s) => s.dateTimeString), 'PDTs intact');
  t.equal(mm.mediaSequence, 5);
  t.equal(mm.discontinuityStarts.length, 1);
});

t.test('HLS tags with URI attributes, existing queries, CRLF, and what stays untouched', async (t) => {
  const text = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    '#EXT-X-SESSION-DATA:DATA-ID="com.example.title",URI="title.json"',
    '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en, main",DEFAULT=YES,URI="a/index.m3u8?lang=en"',
    '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="CC1",INSTREAM-ID="CC1"',
    '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=100000,URI="v/iframes.m3u8"',
    '#EXT-X-STREAM-INF:BANDWIDTH=900000,AUDIO="aud",CLOSED-CAPTIONS="cc"',
    'v/index.m3u8?exp=1&sig=stale&x=1#frag',
    '#EXT-X-STREAM-INF:BANDWIDTH=500000',
    'https://cdn.other.example/live/cam1/v2/index.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=400000',
    '//cdn.other.example/v3/index.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=300000',
    '/\\cdn.other.example/v4/index.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=200000',
    '/live/cam1/v5/index.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=100000',
    '/live/cam2/v6/index.m3u8',
    '# a comment with seg.m4s',
    '',
  ].join('\r\n');
  const out = carryToken(text, 'playlist', CARRY, { streamPath: 'live/cam1' });
  const lines = out.split('\r\n');
  t.equal(lines.length, text.split('\r\n').length, 'CRLF line structure kept');
  t.equal(lines[3], `#EXT-X-SESSION-DATA:DATA-ID="com.example.title",URI="title.json?${CARRY}"`);
  t.equal(lines[4], `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en, main",DEFAULT=YES,URI="a/index.m3u8?lang=en&${CARRY}"`, 'existing query kept; a comma in a quoted NAME is not a separator');
  t.equal(lines[5], text.split('\r\n')[5], 'a tag without URI is untouched');
  t.equal(lines[6], `#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=100000,URI="v/iframes.m3u8?${CARRY}"`);
  t.equal(lines[8], `v/index.m3u8?x=1&${CARRY}#frag`, 'a stale exp/sig replaced, other parameters and the fragment kept');
  t.equal(lines[10], 'https://cdn.other.example/live/cam1/v2/index.m3u8', 'another host: never');
  t.equal(lines[12], '//cdn.other.example/v3/index.m3u8', 'network-path reference: never');
  t.equal(lines[14], '/\\cdn.other.example/v4/index.m3u8', "'/\\' (a browser reads it as '//'): never");
  t.equal(lines[16], `/live/cam1/v5/index.m3u8?${CARRY}`, 'root-relative under the same stream');
  t.equal(lines[18], '/live/cam2/v6/index.m3u8', 'root-relative elsewhere: never');
  t.equal(lines[19], '# a comment with seg.m4s', 'comments untouched');
  t.equal(carryToken(text, 'playlist', CARRY).split('\r\n')[16], '/live/cam1/v5/index.m3u8', 'root-relative without a scope: never');
  // the low-latency and key tags
  const ll = carryToken([
    '#EXTM3U',
    '#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x00000000000000000000000000000001',
    '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key-server/abc",KEYFORMAT="com.apple.streamingkeydelivery"',
    '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:text/plain;base64,AAAA"',
    '#EXT-X-PART:DURATION=0.5,URI="part-1.0.m4s",INDEPENDENT=YES',
    '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-1.1.m4s"',
    '#EXT-X-RENDITION-REPORT:URI="../v2/index.m3u8",LAST-MSN=1',
    '#EXTINF:2.000,title, with="quotes"',
    'seg-1.m4s',
  ].join('\n'), 'playlist', CARRY).split('\n');
  t.match(ll[1], `URI="key.bin?${CARRY}"`, 'EXT-X-KEY relative URI');
  t.match(ll[2], 'URI="skd://key-server/abc"', 'skd: untouched');
  t.match(ll[3], 'URI="data:text/plain;base64,AAAA"', 'data: untouched');
  t.match(ll[4], `URI="part-1.0.m4s?${CARRY}"`, 'EXT-X-PART');
  t.match(ll[5], `URI="part-1.1.m4s?${CARRY}"`, 'EXT-X-PRELOAD-HINT');
  t.match(ll[6], `URI="../v2/index.m3u8?${CARRY}"`, 'EXT-X-RENDITION-REPORT');
  t.equal(ll[7], '#EXTINF:2.000,title, with="quotes"', 'EXTINF is not an attribute list: untouched');
  t.equal(ll[8], `seg-1.m4s?${CARRY}`);
});

/** A live MPD as the library writes it: dynamic, SegmentTemplate with $Number$ and a timeline, two Periods, UTCTiming. */
function liveMpd(utcTiming) {
  const reps = (suffix, start) => [
    { rendition: video('v360p', 360, 800_000), bandwidth: 900_000, initialization: `v360p/init-${suffix}.mp4`, media: `v360p/seg-$Number$.m4s`, segments: [0, 1, 2].map((i) => ({ sequence: 10 + i, start: start + i * 2, duration: 2 })) },
    { rendition: video('v240p', 240, 400_000), bandwidth: 450_000, initialization: `v240p/init-${suffix}.mp4`, media: `v240p/seg-$Number$.m4s`, segments: [0, 1, 2].map((i) => ({ sequence: 10 + i, start: start + i * 2, duration: 2 })) },
    { rendition: audio, bandwidth: 131_000, initialization: `a128k/init-${suffix}.mp4`, media: `a128k/seg-$Number$.m4s`, segments: [0, 1, 2].map((i) => ({ sequence: 10 + i, start: start + i * 2, duration: 2 })) },
  ];
  return renderMpd({
    type: 'dynamic', cmaf: true, minBufferTime: 2, minimumUpdatePeriod: 2, timeShiftBufferDepth: 12, suggestedPresentationDelay: 4,
    availabilityStartTime: new Date(Date.now() - 60_000), publishTime: new Date(), utcTiming,
    periods: [{ id: 'p0', start: 20, representations: reps('0', 20) }, { id: 'p1', start: 26, representations: reps('1', 26) }],
  });
}

t.test('the live MPD the library writes: every segment and init URL carries the token', async (t) => {
  const mpd = liveMpd({ schemeIdUri: 'urn:mpeg:dash:utc:direct:2014', value: new Date().toISOString() });
  const carried = carryToken(mpd, 'mpd', CARRY);
  t.match(carried, /media="v360p\/seg-\$Number\$\.m4s\?exp=1767225600&amp;sig=/, 'the template keeps $Number$, the & is escaped');
  t.match(carried, /<UTCTiming schemeIdUri="urn:mpeg:dash:utc:direct:2014" value="\d{4}-[^"?]*"\/>/, 'a direct UTCTiming value (a time) is untouched');
  const parsed = parseMpd(carried, { manifestUri: `${BASE}manifest.mpd?${CARRY}` });
  const all = uris(parsed, ['resolvedUri']);
  t.ok(all.length >= 2 * 3 * 4, `mpd-parser resolves ${all.length} URLs (segments and inits of 3 representations x 2 Periods)`);
  const missing = all.filter((u) => !hasToken(u));
  t.same(missing, [], 'every resolved URL carries the token exactly once');
  t.ok(all.some((u) => /\/v360p\/seg-1[0-2]\.m4s\?/.test(u)), 'the template was expanded (seg-10..12)');
  const plain = parseMpd(mpd, { manifestUri: `${BASE}manifest.mpd` });
  t.same(uris(parsed, ['resolvedUri']).map((u) => u.replace(`?${CARRY}`, '')), uris(plain, ['resolvedUri']), 'the same URLs, only with the query');
  t.equal(carried.replace(/\?exp=1767225600&amp;sig=[\w-]+/g, ''), mpd, 'nothing but the queries was added');
});

t.test('MPD: BaseURL, Location, PatchLocation, SegmentList, xlink, UTCTiming URLs, comments', async (t) => {
  const mpd = `<?xml version="1.0" encoding="UTF-8"?>
<!-- <SegmentTemplate media="in-a-comment.m4s"/> -->
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:xlink="http://www.w3.org/1999/xlink" type="dynamic" availabilityStartTime="2026-01-01T00:00:00Z" minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-live:2011">
  <Location>manifest.mpd</Location>
  <PatchLocation ttl="60">patch.mpp?id=1</PatchLocation>
  <BaseURL>https://cdn.other.example/live/cam1/</BaseURL>
  <BaseURL serviceLocation="local">./</BaseURL>
  <Period id="0" start="PT0S">
    <AdaptationSet mimeType="video/mp4" segmentAlignment="true" bitstreamSwitching="true">
      <SegmentTemplate timescale="1000" media='v/seg-$Number%05d$.m4s?a=1&amp;b=2' initialization="v/init.mp4" startNumber="1" duration="2000"/>
      <Representation id="v" bandwidth="800000" codecs="avc1.64001f" width="640" height="360"/>
    </AdaptationSet>
    <AdaptationSet mimeType="audio/mp4">
      <Representation id="a" bandwidth="128000" codecs="mp4a.40.2">
        <BaseURL>a/</BaseURL>
        <SegmentList duration="2" timescale="1">
          <Initialization sourceURL="init.mp4"/>
          <SegmentURL media="s1.m4s"/>
          <SegmentURL media="s2.m4s" index="s2.sidx"/>
        </SegmentList>
      </Representation>
    </AdaptationSet>
  </Period>
  <Period id="1" xlink:href="period1.xml" xlink:actuate="onLoad"/>
  <Period id="2" xlink:href="urn:mpeg:dash:resolve-to-zero:2013"/>
  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="/live/cam1/time time.txt https://time.other.example/iso"/>
  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:ntp:2014" value="pool.ntp.org"/>
</MPD>
`;
  const out = carryToken(mpd, 'mpd', CARRY, { streamPath: 'live/cam1' });
  const x = CARRY.replace('&', '&amp;');
  t.match(out, '<!-- <SegmentTemplate media="in-a-comment.m4s"/> -->', 'comments untouched');
  t.match(out, `<Location>manifest.mpd?${x}</Location>`);
  t.match(out, `<PatchLocation ttl="60">patch.mpp?id=1&amp;${x}</PatchLocation>`);
  t.match(out, '<BaseURL>https://cdn.other.example/live/cam1/</BaseURL>', 'an absolute BaseURL on another host: never');
  t.match(out, `<BaseURL serviceLocation="local">./?${x}</BaseURL>`);
  t.match(out, `media='v/seg-$Number%05d$.m4s?a=1&amp;b=2&amp;${x}'`, 'single quotes, a format tag and an existing query');
  t.match(out, `initialization="v/init.mp4?${x}"`);
  t.match(out, 'bitstreamSwitching="true"', "AdaptationSet@bitstreamSwitching (a boolean) untouched");
  t.match(out, `<BaseURL>a/?${x}</BaseURL>`);
  t.match(out, `<Initialization sourceURL="init.mp4?${x}"/>`);
  t.match(out, `<SegmentURL media="s1.m4s?${x}"/>`);
  t.match(out, `<SegmentURL media="s2.m4s?${x}" index="s2.sidx?${x}"/>`);
  t.match(out, `xlink:href="period1.xml?${x}"`);
  t.match(out, 'xlink:href="urn:mpeg:dash:resolve-to-zero:2013"', 'a URN: untouched');
  t.match(out, `value="/live/cam1/time?${x} time.txt?${x} https://time.other.example/iso"`, 'http-iso: each URL of the list on its own');
  t.match(out, 'value="pool.ntp.org"', 'ntp: a server name, untouched');
  t.match(out, 'xmlns:xlink="http://www.w3.org/1999/xlink"', 'namespace declarations untouched');
  // the parser sees the SegmentTemplate's segments with the token
  const parsed = parseMpd(out, { manifestUri: `${BASE}manifest.mpd`, NOW: Date.parse('2026-01-01T00:00:10Z') });
  const segs = uris(parsed, ['resolvedUri']).filter((u) => u.startsWith(BASE));
  t.ok(segs.length > 0 && segs.every(hasToken), `the parsed same-host URLs carry the token (${segs.length})`);
});

t.test('carriesToken and refusals', async (t) => {
  for (const [u, scope, want] of [
    ['seg.m4s', {}, true], ['../a/x.m4s', {}, true], ['v/x?y=1', {}, true],
    ['', {}, false], ['#f', {}, false], ['HTTP://x/y', {}, false], ['mailto:x', {}, false], ['//h/x', {}, false], ['\\\\h/x', {}, false],
    ['/live/cam1/x', { streamPath: 'live/cam1' }, true], ['/live/cam10/x', { streamPath: 'live/cam1' }, false], ['/live/cam1', { streamPath: 'live/cam1' }, false],
  ]) t.equal(carriesToken(u, scope), want, `${JSON.stringify(u)} ${JSON.stringify(scope)}`);
  t.equal(carryToken('#EXTM3U\nseg.m4s\n', 'playlist', ''), '#EXTM3U\nseg.m4s\n', 'an empty carry changes nothing');
  t.throws(() => carryToken('x', 'playlist', 'exp=1"\n#EXT-X-ENDLIST'), RangeError, 'a carry that could break out of a line or an attribute');
  t.throws(() => carryToken('x', 'mpd', 'exp=1&sig=<a>'), RangeError);
  // hostile sizes stay linear (no catastrophic backtracking)
  const big = `<MPD>${'<SegmentURL media="s.m4s"/>'.repeat(20_000)}<BaseURL>${'a'.repeat(100_000)}</MPD>`;
  const t0 = Date.now();
  carryToken(big, 'mpd', CARRY);
  carryToken(`#EXTM3U\n#EXT-X-MEDIA:${'A="'.repeat(50_000)}\n${'x'.repeat(100_000)}\n`, 'playlist', CARRY);
  t.ok(Date.now() - t0 < 2000, `hostile inputs rewritten in ${Date.now() - t0} ms`);
});

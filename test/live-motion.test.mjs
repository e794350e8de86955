// What only shows while a live stream moves: one real publisher (ffmpeg -re
// over RTMP) for ~34 s, dropped with SIGKILL at ~15 s and back within the
// reconnect grace; every 500 ms the master, the MPD and every media playlist
// are fetched over HTTP and every segment they list is fetched at once. The
// playlists must never rewrite history, the window must stay full, every
// listed segment must be there, and the drop must show as one discontinuity
// that slides out consistently.
import t from 'tap';
import { startLive, ffmpegPublisher, killAtEnd, waitPlayable, getText, parseMedia, mediaPlaylistUrls, resolveUrl, sleep } from './helpers/live.mjs';

const SEG = 1;
const PATH = 'live/motion';
const POLL_MS = 500;
const RUN_MS = 34_000; // publisher wall time, drop included
const KILL_AT = 15_000;
const BACK_AFTER = 2_000;

const live = await startLive(t, { ladder: ['360p', '240p'], segmentDuration: SEG, reconnectGrace: 10 });
const { server } = live;
const master = `${server.url}/${PATH}/master.m3u8`;
const mpdUrl = `${server.url}/${PATH}/manifest.mpd`;

const t0 = Date.now();
const pub = ffmpegPublisher(server, PATH, { size: '640x360', fps: 30 });
killAtEnd(t, pub);
const ready = await waitPlayable(master);
const urls = Object.keys(ready.playlists);

const snaps = []; // { at, url, pl }
const masters = new Set();
const mpds = []; // { at, ast, utc, text }
const fetchFailures = []; // { at, url, status, listedIn }
const headed = new Map(); // segment URL → status when first seen
let killedAt = null;
let backAt = null;

// The drop: SIGKILL (no FLV end, no deleteStream), back within the grace.
const drop = (async () => {
  await sleep(Math.max(0, t0 + KILL_AT - Date.now()));
  await pub.kill();
  killedAt = Date.now();
  await sleep(BACK_AFTER);
  pub.start();
  backAt = Date.now();
})();

async function poll() {
  const at = Date.now();
  const [m, d, ...pls] = await Promise.all([getText(master), getText(mpdUrl), ...urls.map((u) => getText(u))]);
  if (m.status === 200) masters.add(m.text);
  else fetchFailures.push({ at, url: master, status: m.status });
  if (d.status === 200) {
    mpds.push({ at, ast: /availabilityStartTime="([^"]+)"/.exec(d.text)?.[1] ?? null, utc: /<UTCTiming\b[^>]*>/.exec(d.text)?.[0] ?? null, text: d.text });
  } else fetchFailures.push({ at, url: mpdUrl, status: d.status });
  const checks = [];
  pls.forEach((r, i) => {
    if (r.status !== 200) return fetchFailures.push({ at, url: urls[i], status: r.status });
    const pl = parseMedia(r.text);
    snaps.push({ at, url: urls[i], pl });
    // every segment (and init) listed right now must be fetchable right now
    const listed = new Set(pl.segments.flatMap((s) => [s.uri, ...(s.map ? [s.map] : [])]));
    for (const uri of listed) {
      const u = resolveUrl(uri, urls[i]);
      checks.push(getText(u, { method: 'HEAD' }).then((h) => {
        if (!headed.has(u)) headed.set(u, h.status);
        if (h.status !== 200) fetchFailures.push({ at, url: u, status: h.status, listedIn: urls[i] });
      }));
    }
  });
  await Promise.all(checks);
}

// ≥ 31 s of polling however long the start took
const pollStart = Date.now();
const runEnd = Math.max(t0 + RUN_MS, pollStart + 31_000);
while (Date.now() < runEnd) {
  const next = Date.now() + POLL_MS;
  await poll();
  await sleep(Math.max(0, next - Date.now()));
}
await drop;
const wall = (Date.now() - t0) / 1000;
await pub.kill();
t.comment(`${snaps.length} playlist snapshots over ${wall.toFixed(1)} s; ${headed.size} distinct segment/init URLs fetched; drop at ${((killedAt - t0) / 1000).toFixed(1)} s, back at ${((backAt - t0) / 1000).toFixed(1)} s`);

t.test('the poll ran long enough', async (t) => {
  t.ok(wall >= 32, `publisher ran ${wall.toFixed(1)} s`);
  const span = (snaps.at(-1).at - snaps[0].at) / 1000;
  t.ok(span >= 30, `playlists polled over ${span.toFixed(1)} s`);
  t.ok(snaps.length >= 3 * 50, `${snaps.length} snapshots`);
  t.equal(urls.length, 3, '2 video + 1 audio media playlists');
});

t.test('every listed segment is fetchable while listed; manifests never 404', async (t) => {
  t.same(fetchFailures, [], 'no failed fetch');
  t.ok(headed.size >= 3 * 25, `${headed.size} distinct URLs checked`);
});

for (const url of urls) {
  const name = url.split('/').at(-2);
  const mine = snaps.filter((s) => s.url === url);
  t.test(`${name}: the playlist never rewrites history`, async (t) => {
    t.same([...new Set(mine.map((s) => s.pl.targetDuration))], [mine[0].pl.targetDuration], `EXT-X-TARGETDURATION constant (${mine[0].pl.targetDuration})`);
    t.ok(mine.every((s) => !s.pl.endList && s.pl.playlistType === null), 'live window: no ENDLIST, no PLAYLIST-TYPE');
    // one identity per media sequence number, forever
    const bySeq = new Map();
    const rewrites = [];
    for (const s of mine) {
      for (const seg of s.pl.segments) {
        const id = JSON.stringify([seg.uri, seg.duration, seg.pdt, seg.discontinuity, seg.discontinuityNumber, seg.map]);
        const old = bySeq.get(seg.sequence);
        if (old === undefined) bySeq.set(seg.sequence, id);
        else if (old !== id) rewrites.push({ seq: seg.sequence, was: old, now: id });
      }
    }
    t.same(rewrites.slice(0, 5), [], 'a media sequence number always names the same segment (URI, duration, PDT, discontinuity)');
    const uris = [...bySeq.values()].map((v) => JSON.parse(v)[0]);
    t.equal(new Set(uris).size, uris.length, 'no URI reused for another sequence number');
    const seqs = [...bySeq.keys()].sort((a, b) => a - b);
    t.same(seqs, seqs.map((_, i) => seqs[0] + i), `sequence numbers contiguous ${seqs[0]}..${seqs.at(-1)} (the drop left no gap)`);
    t.ok(mine.every((s, i) => i === 0 || s.pl.mediaSequence >= mine[i - 1].pl.mediaSequence), 'EXT-X-MEDIA-SEQUENCE never decreases');
    t.ok(mine.every((s, i) => i === 0 || s.pl.discontinuitySequence >= mine[i - 1].pl.discontinuitySequence), 'EXT-X-DISCONTINUITY-SEQUENCE never decreases');
    // PDT on every segment, increasing, and matching the durations within a session
    t.ok(mine.every((s) => s.pl.segments.every((seg) => Number.isFinite(seg.pdtMs))), 'EXT-X-PROGRAM-DATE-TIME on every segment');
    const badPdt = mine.filter((s) => s.pl.segments.some((seg, i, a) => i > 0 && !(seg.pdtMs > a[i - 1].pdtMs)));
    t.same(badPdt.length, 0, 'PDT strictly increasing in every snapshot');
    const drift = mine.flatMap((s) => s.pl.segments.flatMap((seg, i, a) => (i > 0 && !seg.discontinuity ? [Math.abs(seg.pdtMs - a[i - 1].pdtMs - a[i - 1].duration * 1000)] : [])));
    t.ok(Math.max(0, ...drift) <= 50, `PDT steps = EXTINF durations within a session (max off ${Math.max(0, ...drift).toFixed(0)} ms)`);
    // warm window: ≥ 3 target durations listed
    const warm = mine.filter((s) => s.at - t0 >= 8000);
    const short = warm.filter((s) => s.pl.totalDuration < 3 * s.pl.targetDuration);
    t.same(short.map((s) => [((s.at - t0) / 1000).toFixed(1), s.pl.totalDuration]), [], 'once warm, the window lists ≥ 3 target durations');
    // the segments keep coming at real time (~1 per SEG), the drop included
    const span = (mine.at(-1).at - mine[0].at) / 1000;
    const grew = mine.at(-1).pl.segments.at(-1).sequence - mine[0].pl.segments.at(-1).sequence;
    // 6 s of slack: the drop and the reconnect, and a publisher that runs a little behind real time on a loaded machine
    t.ok(grew >= (span - BACK_AFTER / 1000 - 6) / SEG, `${grew} new segments in ${span.toFixed(1)} s`);
  });

  t.test(`${name}: the drop is one discontinuity, consistent as it slides out`, async (t) => {
    const discSegs = new Map();
    for (const s of mine) for (const seg of s.pl.segments) if (seg.discontinuity) discSegs.set(seg.sequence, { seg, firstSeen: s.at });
    t.equal(discSegs.size, 1, `exactly one EXT-X-DISCONTINUITY over the run (at ${[...discSegs.keys()]})`);
    const [seq, { seg, firstSeen }] = [...discSegs.entries()][0] ?? [null, {}];
    if (seq === null) return;
    t.ok(firstSeen > killedAt, 'it appeared after the drop');
    t.ok(seg.pdtMs >= killedAt - 2000, `its PDT is at the return (${new Date(seg.pdtMs).toISOString()}; killed at ${new Date(killedAt).toISOString()})`);
    const before = mine.flatMap((s) => s.pl.segments).filter((x) => x.sequence === seq - 1)[0];
    t.ok(before, 'the last segment before the drop was seen too');
    if (before) t.ok(seg.pdtMs - (before.pdtMs + before.duration * 1000) >= 500, `the PDT jumps over the gap (${((seg.pdtMs - before.pdtMs) / 1000 - before.duration).toFixed(2)} s)`);
    t.equal(seg.discontinuityNumber, 1, 'the first discontinuity has number 1');
    // once it slid out, EXT-X-DISCONTINUITY-SEQUENCE counts it
    const after = mine.filter((s) => s.pl.mediaSequence > seq);
    t.ok(after.length > 0, `the discontinuity slid out of the window (media sequence now ${mine.at(-1).pl.mediaSequence})`);
    t.ok(after.every((s) => s.pl.discontinuitySequence === 1), 'then EXT-X-DISCONTINUITY-SEQUENCE is 1');
    t.ok(mine.filter((s) => s.pl.mediaSequence <= seq).every((s) => s.pl.discontinuitySequence === 0), 'and 0 while it was listed (or not yet there)');
  });
}

t.test('master and MPD are stable', async (t) => {
  // BANDWIDTH / AVERAGE-BANDWIDTH are measured over the stored segments and may move; nothing else may.
  const shape = new Set([...masters].map((m) => m.replace(/(AVERAGE-)?BANDWIDTH=\d+/g, '$1BANDWIDTH=n')));
  t.equal(shape.size, 1, `the master playlist's variants never changed, across the drop too (${masters.size} versions differing only in measured bandwidths)`);
  t.ok([...masters].every((m) => /BANDWIDTH=[1-9]\d{4,}/.test(m)), 'every version has plausible bandwidths');
  t.ok(mpds.length >= 50, `${mpds.length} MPD snapshots`);
  t.same([...new Set(mpds.map((m) => m.ast))], [mpds[0].ast], `availabilityStartTime constant (${mpds[0].ast})`);
  t.ok(mpds[0].ast && Number.isFinite(Date.parse(mpds[0].ast)), 'availabilityStartTime is a date');
  t.ok(mpds.every((m) => m.utc), `UTCTiming present (${mpds[0].utc})`);
  t.ok(mpds.every((m) => /type="dynamic"/.test(m.text)), 'MPD dynamic throughout');
  t.ok(mpds.every((m) => (m.text.match(/<Period\b/g) ?? []).length === 1), 'one Period: the drop continued the timeline (same init)');
});

t.test('the registry saw a drop and a return, not an end', async (t) => {
  t.equal(live.of('publish', PATH).length, 1, 'one publish');
  t.equal(live.of('unpublish', PATH).length, 1, 'one unpublish (the SIGKILL)');
  t.equal(live.of('reconnect', PATH).length, 1, 'one reconnect');
  t.equal(live.of('end', PATH).length, 0, 'no end');
  t.same(live.of('error'), [], 'no errors');
  const snap = server.registry.get(PATH);
  t.equal(snap?.reconnects, 1, 'snapshot: reconnects 1');
  t.same(pub.runs.map((r) => r.signal), ['SIGKILL', 'SIGKILL'], 'both publishers ran until killed');
  t.same(pub.runs.map((r) => r.stderr), ['', ''], 'ffmpeg reported no error');
});

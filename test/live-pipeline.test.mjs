// The pipeline on a live source (lavfi paced in real time): a sliding-window
// HLS playlist and a dynamic MPD that move while it runs, and old segments
// deleted only after no manifest names them.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { transcode, stats } from 'ffnode';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { parseM3u8 } from './delivery-helpers.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-live-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const parse = (file) => parseM3u8(fs.readFileSync(file, 'utf8'));

t.test('live mode: sliding window, dynamic MPD, consistent store', async (t) => {
  const ac = new AbortController();
  const snapshots = [];
  const job = transcode('testsrc2=size=320x240:rate=30,realtime[out0];sine=frequency=440:sample_rate=48000,arealtime[out1]', {
    out: dir, mode: 'live', windowSize: 3, segmentDuration: 1, ladder: ['240p'], preset: 'ultrafast',
    input: { format: 'lavfi' }, signal: ac.signal, progressInterval: 250,
  });
  job.on('progress', (p) => {
    const pl = path.join(dir, 'v240p', 'index.m3u8');
    if (fs.existsSync(pl)) {
      const m = parse(pl);
      // every segment a live playlist names is in the store at that moment
      snapshots.push({ seq: m.mediaSequence, n: m.segments.length, type: m.playlistType, allStored: m.segments.every((s) => fs.existsSync(path.join(dir, 'v240p', s.uri))) });
    }
    if (p.time > 7.5) ac.abort(new Error('enough'));
  });
  await t.rejects(job.done, /enough/);
  t.ok(snapshots.length >= 5, `${snapshots.length} playlist snapshots while live`);
  t.ok(snapshots.every((s) => s.type === undefined), 'no PLAYLIST-TYPE in a sliding window');
  t.ok(snapshots.every((s) => s.allStored), 'every listed segment was stored when listed');
  t.ok(snapshots.at(-1).seq > 0, `the window moved (media sequence ${snapshots.at(-1).seq})`);
  t.ok(Math.max(...snapshots.map((s) => s.n)) <= 4, 'the window stays small (3 target durations)');
  const mpd = fs.readFileSync(path.join(dir, 'manifest.mpd'), 'utf8');
  t.match(mpd, /type="dynamic"/);
  t.match(mpd, /availabilityStartTime="/);
  t.match(mpd, /timeShiftBufferDepth="/);
  t.equal(stats().objects, 0);
});

endsWithZeroLive(t);

// ViewerTracker: who counts as a viewer, for how long, and that every table
// it keeps is bounded however many clients and paths requests bring.
import t from 'tap';
import { endsWithZeroLive } from './helpers/leaks.mjs';
import { ViewerTracker } from '../dist/server/viewers.js';

t.test('distinct clients within the window', async (t) => {
  const v = new ViewerTracker({ windowMs: 30_000 });
  t.equal(v.windowMs, 30_000);
  t.equal(new ViewerTracker().windowMs, 30_000, 'default window: 30 s');
  t.equal(new ViewerTracker(5000).windowMs, 5000, 'a number is the window');
  const t0 = 1_000_000;
  v.seen('live/a', '10.0.0.1 hls.js', t0);
  v.seen('live/a', '10.0.0.1 hls.js', t0 + 1000); // the same client again
  v.seen('live/a', '10.0.0.1 dash.js', t0 + 2000); // same address, another player
  v.seen('live/a', '10.0.0.2 hls.js', t0 + 3000);
  v.seen('live/b', '10.0.0.1 hls.js', t0 + 3000);
  t.equal(v.count('live/a', t0 + 3000), 3);
  t.equal(v.count('live/b', t0 + 3000), 1);
  t.equal(v.count('live/none', t0 + 3000), 0);
  t.equal(v.count('live/a', t0 + 31_000), 3, 'a fetch exactly one window ago still counts');
  t.equal(v.count('live/a', t0 + 31_001), 2, 'the client last seen at t0+1 s has expired just over 30 s later');
  t.equal(v.count('live/a', t0 + 33_001), 0, 'everyone expired');
  t.equal(v.size, 1, 'expired clients of a counted stream are pruned');
  v.forget('live/b');
  t.equal(v.count('live/b', t0 + 3000), 0, 'forget drops a stream at once');
  t.equal(v.size, 0);
});

t.test('seenRequest: the socket address and the User-Agent', async (t) => {
  const v = new ViewerTracker();
  const req = (address, agent) => ({ socket: { remoteAddress: address }, headers: agent === undefined ? {} : { 'user-agent': agent } });
  v.seenRequest('live/a', req('127.0.0.1', 'A'));
  v.seenRequest('live/a', req('127.0.0.1', 'B'));
  v.seenRequest('live/a', req('127.0.0.1', 'A'));
  v.seenRequest('live/a', req('127.0.0.2', 'A'));
  v.seenRequest('live/a', req('127.0.0.2'));
  t.equal(v.count('live/a'), 4);
  // a User-Agent differing only after its first 200 characters is the same client: the key is bounded
  v.seenRequest('live/b', req('127.0.0.1', `${'x'.repeat(200)}1`));
  v.seenRequest('live/b', req('127.0.0.1', `${'x'.repeat(200)}2`));
  t.equal(v.count('live/b'), 1);
});

t.test('bounded: clients per stream, clients in all, streams', async (t) => {
  const now = 5_000_000;
  const per = new ViewerTracker({ maxClientsPerStream: 100 });
  for (let i = 0; i < 10_000; i++) per.seen('live/a', `c${i}`, now);
  t.equal(per.count('live/a', now), 100, 'one stream keeps at most maxClientsPerStream clients');
  t.equal(per.size, 100);
  per.seen('live/a', 'c9999', now + 1); // the most recent client stays on refresh
  per.seen('live/a', 'new', now + 1);
  t.equal(per.count('live/a', now + 1), 100);

  const all = new ViewerTracker({ maxClients: 250, maxClientsPerStream: 100 });
  for (let s = 0; s < 10; s++) for (let i = 0; i < 100; i++) all.seen(`live/s${s}`, `c${i}`, now);
  t.equal(all.size, 250, 'clients in all never exceed maxClients');
  t.equal(all.count('live/s0', now) + all.count('live/s1', now) + all.count('live/s2', now), 250);
  t.equal(all.count('live/s9', now), 0, 'streams seen once the table was full are not counted');
  // once the window has passed, the old clients are pruned and new ones count again
  all.seen('live/s9', 'late', now + 31_000);
  t.equal(all.count('live/s9', now + 31_000), 1);
  t.equal(all.size, 1);

  const streams = new ViewerTracker({ maxStreams: 3 });
  for (let s = 0; s < 1000; s++) streams.seen(`live/s${s}`, 'c', now);
  t.equal(['live/s0', 'live/s1', 'live/s2', 'live/s3'].map((p) => streams.count(p, now)).join(), '1,1,1,0', 'at most maxStreams paths');
  t.equal(streams.size, 3);
});

t.test('options are checked', async (t) => {
  for (const bad of [{ windowMs: 0 }, { windowMs: 1.5 }, { windowMs: NaN }, { maxClients: 0 }, { maxStreams: -1 }, { maxClientsPerStream: Infinity }, -5])
    t.throws(() => new ViewerTracker(bad), RangeError, JSON.stringify(bad));
});

endsWithZeroLive(t);

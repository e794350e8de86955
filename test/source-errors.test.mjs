// Errors raised by what the caller passes in — a byte source (Readable,
// async iterable, even one that throws synchronously) or a segment store —
// come back as FFmpegError with the original as `cause` ('EINPUT' for
// sources, 'ESTORE' for stores), never as an unhandled rejection that ends
// the process, and leave nothing alive.
import t from 'tap';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { Decoder, transcode, MemoryStore, FFmpegError } from 'ffnode';
import { fixtures } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const unhandled = [];
const onUnhandled = (e) => unhandled.push(e);
process.on('unhandledRejection', onUnhandled);

const boom = () => new Error('boom from the caller');
const tsBytes = fs.readFileSync(fixtures.mpegts10s());

// Drives a decoder over `src` to its end; returns the error it ended with (or null).
async function decodeAll(src) {
  let dec;
  try {
    dec = await Decoder.open(src, { timeoutMs: 5000 });
    for await (const f of dec.frames()) f.free();
    return null;
  } catch (e) {
    return e;
  } finally {
    await dec?.close();
  }
}

function assertWrapped(t, e, cause) {
  t.type(e, FFmpegError, `an FFmpegError (got ${e?.constructor?.name}: ${e?.message})`);
  t.equal(e?.errorName, 'EINPUT');
  if (cause) t.equal(e?.cause, cause, 'cause is the error the source raised');
  else t.type(e?.cause, Error);
}

const sources = {
  '[Symbol.asyncIterator]() throws synchronously': (err) => ({
    [Symbol.asyncIterator]() {
      throw err;
    },
  }),
  'next() throws synchronously': (err) => ({
    [Symbol.asyncIterator]() {
      return { next() { throw err; } };
    },
  }),
  'next() rejects': (err) => ({
    [Symbol.asyncIterator]() {
      return { next: () => Promise.reject(err) };
    },
  }),
  'an async generator that throws after 64 KiB of good bytes': (err) =>
    (async function* () {
      yield tsBytes.subarray(0, 65536);
      throw err;
    })(),
  'an async generator that throws mid-stream': (err) =>
    (async function* () {
      for (let o = 0; o < 600_000; o += 65536) yield tsBytes.subarray(o, o + 65536);
      throw err;
    })(),
  'a Readable that emits an error at once': (err) => new Readable({ read() { this.destroy(err); } }),
  'a Readable that emits an error mid-stream': (err) => {
    let sent = 0;
    return new Readable({
      read() {
        if (sent >= 600_000) return this.destroy(err);
        this.push(tsBytes.subarray(sent, sent + 65536));
        sent += 65536;
      },
    });
  },
};

for (const [name, make] of Object.entries(sources)) {
  t.test(`Decoder: ${name} → FFmpegError EINPUT with cause`, async (t) => {
    const err = boom();
    assertWrapped(t, await decodeAll(make(err)), err);
  });
}

t.test('Decoder: a source yielding a non-byte chunk → EINPUT with the TypeError as cause', async (t) => {
  const e = await decodeAll((async function* () { yield 42; })());
  assertWrapped(t, e);
  t.type(e?.cause, TypeError);
});

t.test('Decoder: a source whose return() throws does not fail close()', async (t) => {
  const src = {
    [Symbol.asyncIterator]() {
      return { next: () => new Promise(() => {}), return() { throw boom(); } };
    },
  };
  const opening = Decoder.open(src, { timeoutMs: 200 });
  const e = await opening.then(() => null, (x) => x);
  t.type(e, FFmpegError, 'the silent source times out, typed');
  t.equal(e?.errorName, 'ETIMEDOUT');
});

t.test('transcode: a source iterator that throws synchronously rejects done, typed', async (t) => {
  const err = boom();
  const job = transcode({ [Symbol.asyncIterator]() { throw err; } }, { out: new MemoryStore(), ladder: ['240p'], segmentDuration: 2, preset: 'ultrafast' });
  const e = await job.done.then(() => null, (x) => x);
  assertWrapped(t, e, err);
});

t.test('transcode: a store whose put throws (synchronously or not) rejects done with ESTORE', async (t) => {
  for (const sync of [true, false]) {
    const err = boom();
    class FailingStore extends MemoryStore {
      put(key, data) {
        if (sync) throw err;
        return Promise.reject(err);
      }
    }
    const job = transcode(fixtures.h264aac10s(), { out: new FailingStore(), ladder: ['240p'], segmentDuration: 2, preset: 'ultrafast' });
    const e = await job.done.then(() => null, (x) => x);
    t.type(e, FFmpegError, `${sync ? 'sync' : 'async'} throw: an FFmpegError`);
    t.equal(e?.errorName, 'ESTORE');
    t.equal(e?.cause, err, 'cause is the store error');
  }
});

t.test('no unhandled rejection happened', async (t) => {
  await new Promise((r) => setTimeout(r, 100));
  process.off('unhandledRejection', onUnhandled);
  t.same(unhandled.map(String), []);
});

endsWithZeroLive(t);

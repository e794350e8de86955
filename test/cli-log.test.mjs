// libav's log through ffnode: setLogLevel filters natively, onLog receives
// lines on the main thread, and neither exit nor a worker's end crashes
// while FFmpeg is still logging.
import t from 'tap';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fixtures, fixture, root } from './helpers/media.mjs';
import { Decoder, setLogLevel, onLog, logDropped } from '../dist/index.js';

const mp4 = fixtures.h264aac10s();
// An MP4 opened as MPEG-TS: the demuxer warns many times, then fails.
const provoke = () => Decoder.open(mp4, { decode: false, format: 'mpegts' }).then(() => { throw new Error('opened'); }, () => {});

t.test('onLog gets the lines at or above the level; setLogLevel filters', async (t) => {
  const lines = [];
  onLog((level, line) => lines.push({ level, line }));
  t.teardown(() => { onLog(null); setLogLevel('error'); });
  setLogLevel('warning');
  await provoke();
  await new Promise((r) => setImmediate(r));
  t.ok(lines.length > 0, `${lines.length} lines`);
  t.ok(lines.every((l) => l.level === 'warning' || l.level === 'error'), 'nothing below warning');
  t.match(lines[0].line, /^\[mpegts @ 0x[0-9a-f]+\] /, 'formatted with the context prefix');
  t.notOk(lines.some((l) => l.line.endsWith('\n')), 'one line each, no newline');
  setLogLevel('error');
  lines.length = 0;
  await provoke();
  await new Promise((r) => setImmediate(r));
  t.equal(lines.filter((l) => l.level === 'warning').length, 0, "'error' hides warnings");
  t.equal(typeof logDropped(), 'number');
  t.throws(() => setLogLevel('loud'), RangeError);
  t.throws(() => onLog('nope'), TypeError);
});

t.test('a worker that listens and ends, and exit while listening, do not crash', async (t) => {
  const code = `
    const { Decoder, setLogLevel, onLog } = require(${JSON.stringify(path.join(root, 'dist', 'index.js'))});
    const { parentPort } = require('node:worker_threads');
    setLogLevel('debug');
    let n = 0;
    onLog(() => n++);
    Decoder.open(${JSON.stringify(mp4)}, { decode: false, format: 'mpegts' }).catch(() => {}).finally(() => parentPort.postMessage('logged'));
  `;
  for (let i = 0; i < 3; i++) {
    const w = new Worker(code, { eval: true });
    await new Promise((r) => w.once('message', r));
    await w.terminate();
  }
  // after the worker's listener is gone, lines go to stderr again (no call into a dead environment)
  setLogLevel('error');
  await provoke();
  t.pass('main thread still alive after three workers listened and ended');
  const child = spawnSync(process.execPath, ['-e', `
    const { Decoder, setLogLevel, onLog } = require(${JSON.stringify(path.join(root, 'dist', 'index.js'))});
    setLogLevel('debug');
    onLog(() => {});
    Decoder.open(${JSON.stringify(mp4)}, { decode: true }).then((d) => { d.decodeAll?.(); setTimeout(() => process.exit(0), 5); });
  `], { encoding: 'utf8', timeout: 30_000 });
  t.equal(child.status, 0, `exit while libav logs at debug: ${child.stderr.slice(-400)}`);
  t.equal(child.signal, null);
});

t.test('on stderr a run of identical lines is told once, then as "Last message repeated N times"', async (t) => {
  // An MP3 whose last third is overwritten with noise: its decoder says
  // 'Header missing' for one damaged frame after another, up to the end.
  const clean = fs.readFileSync(fixture('sine5s.mp3', ['-f', 'lavfi', '-i', 'sine=duration=5', '-c:a', 'libmp3lame']));
  let x = 12345;
  for (let i = Math.floor((2 * clean.length) / 3); i < clean.length; i += 7) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    clean[i] = (x >> 16) & 255;
  }
  const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-log-')), 'bad.mp3');
  fs.writeFileSync(bad, clean);
  t.teardown(() => fs.rmSync(path.dirname(bad), { recursive: true, force: true }));
  const decode = (listen) => spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { Decoder, setLogLevel, onLog } from ${JSON.stringify(path.join(root, 'dist', 'index.js'))};
    setLogLevel('warning');
    ${listen ? "onLog((level, line) => process.stdout.write(line + '\\n'));" : ''}
    const dec = await Decoder.open(${JSON.stringify(bad)});
    for await (const b of dec.batches()) for (const f of b.frames) f.free();
    await dec.close();
    ${listen ? 'await new Promise((r) => setTimeout(r, 50));' : ''}
  `], { encoding: 'utf8', timeout: 60_000 });
  const addr = (l) => l.replace(/ @ 0x[0-9a-f]+\]/, ' @ ctx]'); // each process has its own addresses
  const told = decode(false);
  t.equal(told.status, 0, told.stderr.slice(-400));
  const lines = told.stderr.split('\n').filter(Boolean);
  t.ok(lines.every((l) => l.startsWith('ffnode: libav: ')), 'every line is libav\'s, prefixed');
  const expanded = [];
  let longest = 0;
  for (const l of lines.map((l) => l.slice('ffnode: libav: '.length))) {
    const m = l.match(/^Last message repeated (\d+) times?$/);
    if (!m) {
      expanded.push(addr(l));
      continue;
    }
    longest = Math.max(longest, Number(m[1]));
    for (let i = 0; i < Number(m[1]); i++) expanded.push(expanded.at(-1));
  }
  t.ok(longest >= 3, `a run of ${longest} repeats was folded`);
  t.match(lines.at(-1), /^ffnode: libav: Last message repeated \d+ times?$/, 'the run still pending at exit is told');
  t.notOk(lines.some((l, i) => i > 0 && l === lines[i - 1]), 'no line printed twice in a row');
  const every = decode(true);
  t.equal(every.status, 0);
  const heard = every.stdout.split('\n').filter(Boolean).map(addr);
  t.ok(heard.length > lines.length, `a listener hears every line (${heard.length}); stderr printed ${lines.length}`);
  t.same(expanded, heard, 'unfolded, stderr says exactly what the listener heard');
});

// libav's log through ffnode: setLogLevel filters natively, onLog receives
// lines on the main thread, and neither exit nor a worker's end crashes
// while FFmpeg is still logging.
import t from 'tap';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fixtures, root } from './helpers/media.mjs';
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

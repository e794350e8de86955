// The type-level test: a strict consumer (test/types/tsconfig.json, 'ffnode'
// mapped to dist/*.d.ts) compiles the valid usages, and every mistake in
// mistakes.ts is a compile error (an unused @ts-expect-error fails tsc). The
// negative controls prove the mistakes fail for the reason claimed: each file
// in test/types/negative/ must produce exactly the error code it names.
import t from 'tap';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Decoder, FFmpegError, remux, unlisted, transcode } from 'ffnode';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const dir = path.join(root, 'test', 'types');

// Resolves (never rejects) with tsc's exit code and its diagnostics.
const compile = (project) =>
  new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', path.join(dir, project), '--pretty', 'false'], { cwd: root, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });

// Both programs at once: each is mostly tsc's own start-up and @types/node.
const [valid, negative] = await Promise.all([compile('tsconfig.json'), compile('tsconfig.negative.json')]);

t.test('valid usages compile and every @ts-expect-error mistake is an error', async (t) => {
  t.equal(valid.out.trim(), '', 'no diagnostics');
  t.equal(valid.code, 0, 'tsc exits 0');
});

t.test('negative controls fail with the error each one names', async (t) => {
  t.not(negative.code, 0, 'tsc fails on the negative controls');
  const files = readdirSync(path.join(dir, 'negative')).filter((f) => f.endsWith('.ts'));
  t.ok(files.length >= 6, 'rung, preset, option, event, listener and errorName controls');
  for (const f of files) {
    const expected = /^\/\/ expect (TS\d+)/.exec(readFileSync(path.join(dir, 'negative', f), 'utf8'))?.[1];
    t.ok(expected, `${f} names its expected error`);
    const codes = [...negative.out.matchAll(new RegExp(`negative/${f.replace('.', '\\.')}\\(\\d+,\\d+\\): error (TS\\d+)`, 'g'))].map((m) => m[1]);
    t.same(codes, [expected], `${f}: exactly ${expected}`);
  }
  t.notMatch(negative.out, /(usage|mistakes)\.ts/, 'the controls share no errors with the valid files');
});

t.test('runtime side of the types: unlisted() is the string, errors carry their input', async (t) => {
  t.equal(unlisted('p4'), 'p4');
  const missing = path.join(root, 'test', 'no-such-input.mp4');
  const e1 = await Decoder.open(missing).catch((e) => e);
  t.ok(e1 instanceof FFmpegError, 'Decoder.open fails with an FFmpegError');
  t.equal(e1.errorName, 'ENOENT');
  t.equal(e1.input, missing, 'Decoder.open: input is the path');
  const e2 = await transcode(missing, { out: path.join(root, 'test', 'no-such-output') }).done.catch((e) => e);
  t.equal(e2.errorName, 'ENOENT');
  t.equal(e2.input, missing, 'transcode: input is the path');
  const e3 = await remux(missing, path.join(root, 'test', 'no-such-output.mp4')).catch((e) => e);
  t.equal(e3.input, missing, 'remux: input is the path');
  const graph = 'testsrc2=size=64x64:rate=10:duration=1';
  const dec = await Decoder.open(graph, { format: 'lavfi' });
  const e5 = await dec.seek(5).catch((e) => e); // a lavfi graph cannot seek
  await dec.close();
  t.equal(e5.errorName, 'EINVAL', 'a seek on a graph fails');
  t.equal(e5.input, graph, 'later calls name the input too');
  const byteSource = (async function* () { yield new Uint8Array(64); })();
  const e4 = await Decoder.open(byteSource).catch((e) => e);
  t.ok(e4 instanceof FFmpegError, 'a byte source that is not media fails with an FFmpegError');
  t.equal(e4.input, null, 'a byte source has no input name');
  t.equal(new FFmpegError('x', 0, 'EINVAL', 'op').input, null, 'input defaults to null');
});

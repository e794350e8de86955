// remux(x, x) once truncated its input and resolved. Writing over the input —
// by the same path, another spelling, a file: URL, a symlink or a hard link —
// is refused with a typed EINVAL before anything is opened, and the input's
// bytes are unchanged. transcode() refuses an input stored where its output
// directory writes.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { remux, transcode, FFmpegError } from 'ffnode';
import { fixtures, root } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-same-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const sha = (f) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

const input = path.join(dir, 'in.mp4');
fs.copyFileSync(fixtures.h264aac10s(), input);
const before = sha(input);
fs.symlinkSync(input, path.join(dir, 'sym.mp4'));
fs.linkSync(input, path.join(dir, 'hard.mp4'));
fs.mkdirSync(path.join(dir, 'sub'));
fs.symlinkSync(dir, path.join(dir, 'sub', 'up'));

const spellings = {
  'the same path': [input, input],
  'another spelling': [input, path.join(dir, 'sub', '..', 'in.mp4')],
  'a relative path': [input, path.relative(process.cwd(), input)],
  'a file: URL': [input, `file:${input}`],
  'a file:// URL': [`file://${input}`, input],
  'a symlink to it (as output)': [input, path.join(dir, 'sym.mp4')],
  'a symlink to it (as input)': [path.join(dir, 'sym.mp4'), input],
  'a hard link to it': [input, path.join(dir, 'hard.mp4')],
  'a path through a symlinked directory': [input, path.join(dir, 'sub', 'up', 'in.mp4')],
  'a cache: wrapper': [`cache:${input}`, input],
  'an async:file: wrapper': [`async:file:${input}`, input],
  'a subfile wrapper': [`subfile,,start,0,end,0,,:${input}`, input],
  'one part of a concat: list': [`concat:${path.join(dir, 'hard.mp4')}|${input}`, input],
};

for (const [name, [from, to]] of Object.entries(spellings)) {
  t.test(`remux refuses to write over its input: ${name}`, async (t) => {
    const e = await remux(from, to).then(() => null, (err) => err);
    t.type(e, FFmpegError);
    t.equal(e?.errorName, 'EINVAL');
    t.equal(e?.operation, 'remux');
    t.match(e?.message, /Output same as Input/);
    t.equal(sha(input), before, 'the input is unchanged');
  });
}

t.test('a different output still works', async (t) => {
  const out = path.join(dir, 'out.mkv');
  const r = await remux(input, out);
  t.ok(r.packets > 0 && fs.statSync(out).size > 0);
  t.equal(sha(input), before);
});

t.test('the native remuxer refuses the same file too (defence behind lib/)', async (t) => {
  // The addon ffnode loaded (FFNODE_ADDON selects e.g. the sanitizer build): same module, same error class.
  const req = createRequire(import.meta.url);
  const binding = process.env.FFNODE_ADDON ? req(path.resolve(process.env.FFNODE_ADDON)) : req('node-gyp-build')(root);
  const r = new binding.Remuxer();
  const e = await r.run(input, path.join(dir, 'hard.mp4')).then(() => null, (err) => err);
  await r.close();
  t.type(e, FFmpegError);
  t.equal(e?.errorName, 'EINVAL');
  t.match(e?.message, /Output same as Input/);
  t.equal(sha(input), before);
});

t.test('transcode refuses an input that lies where its output directory writes', async (t) => {
  const out = path.join(dir, 'vod');
  const src = path.join(out, 'v360p', 'src.mp4');
  fs.mkdirSync(path.dirname(src), { recursive: true });
  fs.copyFileSync(input, src);
  const e = await transcode(src, { out, ladder: ['360p'], segmentDuration: 2, preset: 'ultrafast' }).done.then(() => null, (err) => err);
  t.type(e, FFmpegError);
  t.equal(e?.errorName, 'EINVAL');
  t.match(e?.message, /Output same as Input/);
  t.equal(sha(src), before, 'the input is unchanged');
  t.same(fs.readdirSync(out), ['v360p'], 'nothing was written');
  t.same(fs.readdirSync(path.dirname(src)), ['src.mp4']);
});

endsWithZeroLive(t);

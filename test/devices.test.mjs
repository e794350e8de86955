// libavdevice is loaded on first use of a device format, not at require():
// it pulls in libavfilter, SDL2, PulseAudio and X11 clients (~17 MiB RSS).
import t from 'tap';
import { spawnSync } from 'node:child_process';

// Runs `body` in a fresh Node process (a clean set of loaded libraries).
function fresh(body) {
  const src = `const ff = require('ffnode'); const fs = require('fs');
const loaded = () => fs.readFileSync('/proc/self/maps', 'utf8').includes('libavdevice');
(async () => { ${body} })().then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', src], { encoding: 'utf8', cwd: process.cwd() });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

t.test('requiring ffnode does not load libavdevice', async (t) => {
  const r = fresh(`return { loaded: loaded(), version: ff.versions().libavdevice };`);
  t.equal(r.loaded, false);
  t.match(r.version, /^\d+\.\d+\.\d+$/, `versions() still names it (${r.version})`);
});

t.test('a device format loads it on first use, and decodes', async (t) => {
  const r = fresh(`
    const files = loaded();
    const d = await ff.Decoder.open('testsrc2=size=64x36:rate=10:duration=1', { format: 'lavfi' });
    let n = 0;
    for await (const f of d.frames('video')) { n++; f.free(); }
    await d.close();
    const bogus = await ff.Decoder.open('x', { format: 'no-such-format' }).then(() => null, (e) => e.errorName);
    const s = ff.stats();
    return { files, after: loaded(), n, bogus, live: s.frames + s.packets + s.objects };
  `);
  t.equal(r.files, false, 'not loaded before');
  t.equal(r.after, true, 'loaded by the lavfi input');
  t.equal(r.n, 10, 'lavfi testsrc2 at 10 fps for 1 s: 10 frames');
  t.equal(r.bogus, 'DEMUXER_NOT_FOUND', 'an unknown format is still a typed error once devices are loaded');
  t.equal(r.live, 0);
});

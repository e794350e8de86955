/**
 * Which `.node` file to load, and what to tell the user when none loads.
 * Order: `FFNODE_ADDON` (tests load the cmake-js build with it), then what
 * node-gyp-build picks (build/Release, a source build made for this machine's
 * FFmpeg, before prebuilds/), then the other prebuilds for this platform: one
 * per FFmpeg major (`ffnode.glibc.avcodec59.node`), since a prebuild only loads
 * where its libavcodec.so.<major> is installed. See docs/patterns/build-and-setup.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeGypBuild = require('node-gyp-build') as { resolve(dir: string): string };

/** The package root (dist/native/ → ../..). */
export const packageRoot = path.join(__dirname, '..', '..');

/** The libavcodec major a prebuild is linked against, from its `avcodec<N>` tag; null for source builds. */
export function prebuildMajor(file: string): number | null {
  const m = /\.avcodec(\d+)\./.exec(path.basename(file));
  return m ? Number(m[1]) : null;
}

/** Candidate addon files, best first; `why` says why the list is empty. */
export function candidates(): { files: string[]; why: string } {
  const override = process.env.FFNODE_ADDON;
  if (override) return { files: [path.resolve(override)], why: '' };
  const files: string[] = [];
  let why = '';
  try {
    files.push(nodeGypBuild.resolve(packageRoot));
  } catch (e) {
    why = (e as Error).message.split('\n')[0] ?? '';
  }
  const otherLibc = fs.existsSync('/etc/alpine-release') ? '.glibc.' : '.musl.';
  const dir = path.join(packageRoot, 'prebuilds', `${os.platform()}-${os.arch()}`);
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {}
  for (const n of names) {
    const p = path.join(dir, n);
    if (n.endsWith('.node') && !n.includes(otherLibc) && !files.includes(p)) files.push(p);
  }
  return { files, why };
}

const DEV_PACKAGES = 'libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev libavdevice-dev pkg-config g++ make python3';

/** The message for "no addon loads here": what was tried, why, and what to do. */
export function noAddonMessage(tried: { file: string; error: string }[], why: string): string {
  const rel = (p: string) => (p.startsWith(packageRoot + path.sep) ? path.relative(packageRoot, p) : p);
  const lines = ['ffnode: no native addon loads on this machine.'];
  if (tried.length === 0) lines.push(`  No build/Release/ffnode.node and no prebuild for ${os.platform()}-${os.arch()} (${why || 'none found'}).`);
  for (const t of tried) {
    const major = prebuildMajor(t.file);
    const what = process.env.FFNODE_ADDON ? 'FFNODE_ADDON' : major === null ? 'source build' : `prebuild for FFmpeg libavcodec ${major}`;
    lines.push(`  ${rel(t.file)} (${what}): ${t.error}`);
  }
  const majors = tried.map((t) => prebuildMajor(t.file)).filter((m): m is number => m !== null);
  if (majors.length) {
    lines.push(
      `  The prebuilt binaries need the FFmpeg runtime libraries of the same major (libavcodec.so.${majors.join(' or .')}; 59 = FFmpeg 5.1 as in Debian 12, 60 = FFmpeg 6.1 as in Ubuntu 24.04).`,
    );
  }
  lines.push(
    '  Build the addon from source against the FFmpeg installed here (FFmpeg >= 5.1):',
    `    sudo apt-get install -y --no-install-recommends ${DEV_PACKAGES}`,
    '    npm rebuild ffnode --foreground-scripts',
    '  (or set FFNODE_ADDON=/path/to/ffnode.node to load a build of your own).',
  );
  return lines.join('\n');
}

// FFmpeg version guard shared by scripts/setup.mjs and binding.gyp.
//
// ffnode needs FFmpeg 5.1 or newer (libavcodec >= 59) from the system, found
// through pkg-config. `checkFFmpegLibs()` answers with ONE spawn of pkg-config
// on the happy path; only when something is wrong does it ask for each
// library's version so the message can say exactly what was found.
//
// CLI: `node scripts/ffmpeg-check.mjs` prints nothing and exits 0 when the
// libraries are usable, otherwise prints one message to stderr and exits 1.
// binding.gyp runs it as `<!(node scripts/ffmpeg-check.mjs)` before it expands
// any `pkg-config --cflags/--libs`, so a missing FFmpeg fails the build with this
// message instead of a wall of compiler errors.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Minimum libavcodec major version (FFmpeg 5.1 ships libavcodec 59.37). */
export const MIN_LIBAVCODEC = 59;

/** The pkg-config modules the addon links against. */
export const FFMPEG_MODULES = ['libavcodec', 'libavformat', 'libavutil', 'libswscale', 'libswresample', 'libavdevice'];

/** Debian/Ubuntu packages providing the FFmpeg development files (+ pkg-config). */
export const FFMPEG_DEV_PACKAGES = [
  'libavcodec-dev', 'libavformat-dev', 'libavutil-dev', 'libswscale-dev',
  'libswresample-dev', 'libavdevice-dev', 'libavfilter-dev', 'pkg-config',
];

/** Everything setup installs on a fresh Debian/Ubuntu machine. */
export const DEBIAN_PACKAGES = [...FFMPEG_DEV_PACKAGES, 'ffmpeg', 'g++', 'make', 'python3'];

function pkgConfig(args, env) {
  return spawnSync('pkg-config', args, { env, encoding: 'utf8' });
}

/**
 * Checks the FFmpeg development libraries through pkg-config.
 * @param {{ env?: NodeJS.ProcessEnv }} [opts]
 * @returns {{ ok: boolean, found: Record<string, string | null>, problems: string[], message: string }}
 */
export function checkFFmpegLibs({ env = process.env } = {}) {
  const fast = pkgConfig(['--exists', `libavcodec >= ${MIN_LIBAVCODEC}`, ...FFMPEG_MODULES.slice(1)], env);
  if (fast.error?.code === 'ENOENT') {
    return fail({}, ['pkg-config is not installed']);
  }
  if (fast.status === 0) return { ok: true, found: {}, problems: [], message: '' };

  const found = {};
  const problems = [];
  for (const mod of FFMPEG_MODULES) {
    const r = pkgConfig(['--modversion', mod], env);
    const v = r.status === 0 ? r.stdout.trim() : null;
    found[mod] = v;
    if (!v) problems.push(`${mod} not found`);
    else if (mod === 'libavcodec' && Number.parseInt(v, 10) < MIN_LIBAVCODEC) {
      problems.push(`libavcodec ${v} is too old (need >= ${MIN_LIBAVCODEC}, i.e. FFmpeg >= 5.1)`);
    }
  }
  if (problems.length === 0) problems.push('pkg-config rejected the FFmpeg modules (broken .pc files?)');
  return fail(found, problems);
}

function fail(found, problems) {
  const message =
    `ffnode: FFmpeg >= 5.1 development files not usable: ${problems.join('; ')}.\n` +
    `  Install them (Debian 12 / Ubuntu 24.04 or newer ship FFmpeg >= 5.1):\n` +
    `    sudo apt-get install -y --no-install-recommends ${FFMPEG_DEV_PACKAGES.join(' ')}\n` +
    `  or point PKG_CONFIG_PATH at an FFmpeg >= 5.1 build (libavcodec >= ${MIN_LIBAVCODEC}).`;
  return { ok: false, found, problems, message };
}

/**
 * Finds an executable in PATH without spawning anything.
 * @param {string} name
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {string | null}
 */
export function which(name, env = process.env) {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}

/**
 * Command-line tools setup and the tests need, each mapped to its Debian package.
 * @returns {{ tool: string, pkg: string }[]} the missing ones
 */
export function missingTools(env = process.env) {
  const tools = [
    ['ffmpeg', 'ffmpeg'], ['ffprobe', 'ffmpeg'], ['pkg-config', 'pkg-config'],
    ['make', 'make'], ['python3', 'python3'],
  ];
  const missing = tools.filter(([t]) => !which(t, env)).map(([tool, pkg]) => ({ tool, pkg }));
  const cxx = env.CXX ? [env.CXX.split(/\s+/)[0]] : ['c++', 'g++', 'clang++'];
  if (!cxx.some((c) => (path.isAbsolute(c) ? canExec(c) : which(c, env)))) missing.push({ tool: 'C++ compiler', pkg: 'g++' });
  return missing;
}

function canExec(p) {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = checkFFmpegLibs();
  if (!r.ok) {
    process.stderr.write(r.message + '\n');
    process.exit(1);
  }
}

// A minimal Ubuntu root file system, made with debootstrap and entered with
// chroot, to build and test ffnode against another distribution's FFmpeg on
// this Debian machine (Ubuntu 24.04 ships FFmpeg 6.1: libavcodec 60).
//
// Trust: debootstrap checks Ubuntu's Release signature against Ubuntu's
// archive keyring. Debian 12 does not package that keyring, so it is taken
// from Debian 13's `ubuntu-keyring` package, fetched by apt (which checks
// Debian's own signature and the package's hash on the way).
//
// Needs root (debootstrap, mount, chroot) and the network (the two archives).
// The root lives in ~/.cache/ffnode/rootfs/<suite> and is made once (~3 min).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const UBUNTU_MIRROR = process.env.FFNODE_UBUNTU_MIRROR ?? 'http://archive.ubuntu.com/ubuntu';

/** What the build needs inside the root: the toolchain and FFmpeg's -dev packages. */
export const BUILD_PACKAGES = ['g++', 'make', 'python3', 'pkg-config', 'libavcodec-dev', 'libavformat-dev', 'libavutil-dev',
  'libswscale-dev', 'libswresample-dev', 'libavdevice-dev', 'libzimg-dev', 'binutils'];

function log(msg) {
  console.log(`rootfs: ${msg}`);
}

export function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.error?.message}):\n${(r.stdout ?? '') + (r.stderr ?? '')}`.slice(-4000));
  return r.stdout;
}

// Ubuntu's archive keyring, from Debian 13's package (apt verifies it).
function ubuntuKeyring(cache) {
  const system = '/usr/share/keyrings/ubuntu-archive-keyring.gpg';
  if (fs.existsSync(system)) return system;
  const key = path.join(cache, 'ubuntu-archive-keyring.gpg');
  if (fs.existsSync(key)) return key;
  log("fetching Ubuntu's archive keyring from Debian 13 (ubuntu-keyring)");
  const apt = path.join(cache, 'apt-trixie');
  fs.mkdirSync(path.join(apt, 'lists', 'partial'), { recursive: true });
  fs.mkdirSync(path.join(apt, 'cache', 'archives', 'partial'), { recursive: true });
  fs.writeFileSync(path.join(apt, 'sources.list'), 'deb http://deb.debian.org/debian trixie main\n');
  const o = ['-o', `Dir::Etc::SourceList=${apt}/sources.list`, '-o', 'Dir::Etc::SourceParts=/nonexistent', '-o', `Dir::State::Lists=${apt}/lists`,
    '-o', `Dir::Cache=${apt}/cache`, '-o', 'Debug::NoLocking=1', '-o', 'APT::Sandbox::User=root'];
  sh('apt-get', [...o, 'update', '-qq']);
  sh('apt-get', [...o, 'download', 'ubuntu-keyring'], { cwd: apt });
  const deb = fs.readdirSync(apt).find((f) => /^ubuntu-keyring_.*\.deb$/.test(f));
  const x = path.join(apt, 'x');
  sh('dpkg-deb', ['-x', path.join(apt, deb), x]);
  fs.copyFileSync(path.join(x, 'usr', 'share', 'keyrings', 'ubuntu-archive-keyring.gpg'), key);
  return key;
}

/**
 * The root for `suite` (e.g. 'noble'), made when missing, with the build
 * packages installed. Returns its path.
 */
export function ubuntuRoot(suite) {
  if (process.getuid?.() !== 0) throw new Error('rootfs: needs root (debootstrap, mount, chroot)');
  const cache = path.join(os.homedir(), '.cache', 'ffnode', 'rootfs');
  const dir = path.join(cache, suite);
  const ready = path.join(dir, '.ffnode-ready');
  if (fs.existsSync(ready)) return dir;
  fs.mkdirSync(cache, { recursive: true });
  if (spawnSync('debootstrap', ['--version']).status !== 0) {
    log('installing debootstrap');
    sh('apt-get', ['update', '-qq']);
    sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'debootstrap']);
  }
  const keyring = ubuntuKeyring(cache);
  if (!fs.existsSync(path.join(dir, 'usr', 'bin', 'apt-get'))) {
    fs.rmSync(dir, { recursive: true, force: true });
    log(`debootstrap ${suite} from ${UBUNTU_MIRROR} into ${dir} (a few minutes)`);
    // Debian's debootstrap may not know the newest Ubuntu by name; every Ubuntu suite uses the 'gutsy' script.
    const script = fs.existsSync(`/usr/share/debootstrap/scripts/${suite}`) ? [] : ['/usr/share/debootstrap/scripts/gutsy'];
    sh('debootstrap', ['--variant=minbase', `--keyring=${keyring}`, '--include=ca-certificates', suite, dir, UBUNTU_MIRROR, ...script]);
  }
  // FFmpeg's libraries are in 'universe' on Ubuntu.
  fs.writeFileSync(path.join(dir, 'etc', 'apt', 'sources.list'),
    ['', '-updates', '-security'].map((s) => `deb ${UBUNTU_MIRROR} ${suite}${s} main universe\n`).join(''));
  log(`installing ${BUILD_PACKAGES.join(' ')}`);
  inRoot(dir, `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${BUILD_PACKAGES.join(' ')}`);
  fs.writeFileSync(ready, `${new Date().toISOString()}\n`);
  return dir;
}

/**
 * Runs a shell command inside the root, with /proc, /dev and resolv.conf,
 * this machine's node at /usr/local (node, npm and Node's headers; Ubuntu's
 * own nodejs is not needed) and `binds` ({ inside: outside }) mounted.
 * Everything mounted is unmounted afterwards.
 */
export function inRoot(dir, command, { binds = {}, env = {} } = {}) {
  const mounts = [];
  const mount = (args, target) => {
    if (!fs.existsSync(target)) fs.mkdirSync(target, { recursive: true });
    sh('mount', [...args, target]);
    mounts.push(target);
  };
  try {
    mount(['-t', 'proc', 'proc'], path.join(dir, 'proc'));
    mount(['--rbind', '/dev'], path.join(dir, 'dev'));
    fs.copyFileSync('/etc/resolv.conf', path.join(dir, 'etc', 'resolv.conf'));
    // This machine's node (a static build: glibc and libstdc++ only), npm and
    // Node's headers, at /opt/host-node; nothing else of this machine's /usr.
    const node = path.join(dir, 'opt', 'host-node');
    fs.mkdirSync(path.join(node, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(node, 'bin', 'node'), '');
    mount(['--bind', '-o', 'ro', fs.realpathSync(process.execPath)], path.join(node, 'bin', 'node'));
    const prefix = path.dirname(path.dirname(fs.realpathSync(process.execPath)));
    mount(['--bind', '-o', 'ro', path.join(prefix, 'include', 'node')], path.join(node, 'include', 'node'));
    const npm = path.dirname(path.dirname(fs.realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim())));
    mount(['--bind', '-o', 'ro', npm], path.join(node, 'lib', 'node_modules', 'npm'));
    fs.writeFileSync(path.join(node, 'bin', 'npm'), '#!/bin/sh\nexec /opt/host-node/bin/node /opt/host-node/lib/node_modules/npm/bin/npm-cli.js "$@"\n', { mode: 0o755 });
    for (const [inside, outside] of Object.entries(binds)) mount(['--bind', outside], path.join(dir, inside));
    const envs = Object.entries({ PATH: '/opt/host-node/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8', ...env }).map(([k, v]) => `${k}=${v}`);
    const r = spawnSync('chroot', [dir, '/usr/bin/env', '-i', ...envs, '/bin/sh', '-c', command], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`in ${path.basename(dir)}: '${command}' exited ${r.status ?? r.signal}`);
  } finally {
    for (const m of mounts.reverse()) spawnSync('umount', ['-R', '-l', m]);
  }
}

// `ffnode serve` configuration: the validator (file, env, flags), and the CLI's
// handling of it, which needs no registry (serve() loads only after validation).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ConfigError, validateServeOptions, loadServeConfig, resolveServeOptions, optionFromText } from '../dist/server/config.js';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-serve-config-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const write = (name, value) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, typeof value === 'string' ? value : JSON.stringify(value));
  return f;
};
const run = (args, env = {}) => spawnSync(process.execPath, [cli, 'serve', ...args], { encoding: 'utf8', env: { ...process.env, FFNODE_HOST: '', FFNODE_HTTP_PORT: '', FFNODE_RTMP_PORT: '', ...env } });

t.test('a full, valid config is returned as given', async (t) => {
  const full = {
    host: '0.0.0.0', httpPort: 8080, rtmpPort: 0, store: 'memory', ladder: ['720p', { height: 360, bitrate: 600000 }], preset: 'ultrafast',
    segmentDuration: 2, segmentFormat: 'cmaf', windowSize: 6, latency: 'low', audio: { bitrate: 96000 }, hls: true, dash: false,
    reconnectGrace: 10, onConflict: 'takeover', maxStreams: 4, record: { dir: '/srv/rec', format: 'mp4' },
    utcTiming: { schemeIdUri: 'urn:mpeg:dash:utc:http-iso:2014', value: '/api/time' },
    rtmp: { idleTimeoutMs: 5000, maxConnections: 10, limits: { maxChunkSize: 4096 } },
  };
  t.same(validateServeOptions(full), full);
  t.same(validateServeOptions({}), {});
  t.same(validateServeOptions({ audio: false, record: false }), { audio: false, record: false });
  t.same(validateServeOptions({ ladder: ['source', '480p'] }), { ladder: [{ passthrough: true }, '480p'] }, "'source' is a passthrough rung");
});

t.test('every mistake names its key', async (t) => {
  const cases = [
    [{ httpport: 1 }, /^httpport is not a known key \(known: host, httpPort/],
    [{ httpPort: 70000 }, /^httpPort must be an integer from 0 to 65535, got 70000$/],
    [{ httpPort: '8080' }, /^httpPort must be an integer .* got "8080"$/],
    [{ rtmpPort: 1.5 }, /^rtmpPort must be an integer/],
    [{ host: '' }, /^host must be a non-empty string/],
    [{ host: 1 }, /^host must be a non-empty string, got 1$/],
    [{ segmentDuration: 0.5 }, /^segmentDuration must be a number from 1 to 10/],
    [{ segmentFormat: 'webm' }, /^segmentFormat must be 'cmaf' or 'ts', got "webm"$/],
    [{ ladder: '720p' }, /^ladder must be a non-empty list of rungs/],
    [{ ladder: [] }, /^ladder must be a non-empty list/],
    [{ ladder: ['720p', '999p'] }, /^ladder\[1\] is an unknown rung "999p"/],
    [{ ladder: [{ height: -1 }] }, /^ladder\[0\]\.height must be an integer from 1/],
    [{ ladder: [{ heigth: 360 }] }, /^ladder\[0\]\.heigth is not a known key/],
    [{ onConflict: 'kick' }, /^onConflict must be 'refuse' or 'takeover'/],
    [{ maxStreams: 0 }, /^maxStreams must be an integer from 1/],
    [{ reconnectGrace: -1 }, /^reconnectGrace must be a number from 0 to 3600/],
    [{ hls: 'yes' }, /^hls must be true or false, got "yes"$/],
    [{ record: true }, /^record must be an object, got true$/],
    [{ record: {} }, /^record\.dir is required$/],
    [{ record: { dir: '/x', format: 'avi' } }, /^record\.format must be 'mp4' or 'mkv'/],
    [{ rtmp: { idleTimeout: 5 } }, /^rtmp\.idleTimeout is not a known key \(known in rtmp: handshakeTimeoutMs/],
    [{ rtmp: { limits: { maxChunkSize: 0 } } }, /^rtmp\.limits\.maxChunkSize must be/],
    [{ audio: { bitrate: 'high' } }, /^audio\.bitrate must be/],
    [{ utcTiming: { schemeIdUri: 'x' } }, /^utcTiming\.value is required$/],
    [[], /^the configuration must be an object, got an array$/],
    [null, /^the configuration must be an object, got null$/],
  ];
  for (const [value, re] of cases) {
    try {
      validateServeOptions(value);
      t.fail(`${JSON.stringify(value)} accepted`);
    } catch (e) {
      t.ok(e instanceof ConfigError, 'ConfigError');
      t.match(e.message.trim(), re, JSON.stringify(value));
    }
  }
});

t.test('config file: unreadable, bad JSON and bad values name the file and key', async (t) => {
  t.throws(() => loadServeConfig(path.join(tmp, 'absent.json')), /absent\.json cannot be read/);
  t.throws(() => loadServeConfig(write('bad.json', '{ "httpPort": 80, }')), /bad\.json is not valid JSON/);
  t.throws(() => loadServeConfig(write('key.json', { maxStreams: 'many' })), /key\.json: maxStreams must be an integer/);
  t.same(loadServeConfig(write('ok.json', { httpPort: 9000 })), { httpPort: 9000 });
});

t.test('precedence: file < env < flags; text values parsed strictly', async (t) => {
  const file = write('layers.json', { host: '10.0.0.1', httpPort: 1000, rtmpPort: 2000, preset: 'fast' });
  t.same(resolveServeOptions({ file, env: { FFNODE_HTTP_PORT: '1001', FFNODE_HOST: '10.0.0.2' }, flags: { httpPort: '1002', ladder: '720p, 480p', record: '/rec' } }),
    { host: '10.0.0.2', httpPort: 1002, rtmpPort: 2000, preset: 'fast', ladder: ['720p', '480p'], record: { dir: '/rec' } });
  t.same(resolveServeOptions({ env: { FFNODE_RTMP_PORT: '' } }), {}, 'empty variables are unset');
  t.throws(() => resolveServeOptions({ env: { FFNODE_HTTP_PORT: '80x' } }), /^FFNODE_HTTP_PORT must be a number, got "80x"$/);
  t.throws(() => resolveServeOptions({ env: { FFNODE_HTTP_PORT: '99999' } }), /^FFNODE_HTTP_PORT must be an integer from 0 to 65535/);
  t.throws(() => resolveServeOptions({ flags: { maxStreams: '' }, flagNames: { maxStreams: '--max-streams' } }), /^--max-streams must be a number, got ""$/);
  t.equal(optionFromText('segmentDuration', '1.5', '--segment-duration'), 1.5);
  t.equal(optionFromText('onConflict', 'takeover', '--on-conflict'), 'takeover');
});

t.test('ffnode serve: --help lists every flag; config mistakes exit 2 with one line', async (t) => {
  const help = run(['--help']);
  t.equal(help.status, 0);
  for (const flag of ['--host', '--http-port', '--rtmp-port', '--config', '--ladder', '--preset', '--segment-duration', '--store', '--record',
    '--reconnect-grace', '--max-streams', '--on-conflict', '--help', 'FFNODE_HTTP_PORT', 'FFNODE_RTMP_PORT', 'FFNODE_HOST'])
    t.match(help.stdout, flag, `help mentions ${flag}`);
  t.match(spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' }).stdout, /serve +live server/);
  const cases = [
    [['--http-port', '99999'], {}, /^ffnode: serve: --http-port must be an integer from 0 to 65535, got 99999\n$/],
    [['--on-conflict', 'kick'], {}, /--on-conflict must be 'refuse' or 'takeover'/],
    [['--ladder', '720p,9p'], {}, /--ladder\[1\] is an unknown rung "9p"/],
    [['--segment-duration', 'two'], {}, /--segment-duration must be a number/],
    [['--config', write('cli-bad.json', { httpPort: 80, colour: 'red' })], {}, /cli-bad\.json: colour is not a known key/],
    [['--config', path.join(tmp, 'missing.json')], {}, /missing\.json cannot be read/],
    [[], { FFNODE_RTMP_PORT: 'x' }, /FFNODE_RTMP_PORT must be a number/],
    [['extra'], {}, /unexpected argument 'extra'/],
    [['--bogus'], {}, /Unknown option '--bogus'/],
  ];
  for (const [args, env, re] of cases) {
    const r = run(args, env);
    t.equal(r.status, 2, `${args.join(' ')} → exit 2`);
    t.match(r.stderr, re);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});

t.test('HTTP face keys: auth, http, api, metrics, demo', async (t) => {
  const s16 = 'sixteen-chars-ok';
  const full = {
    auth: { publishSecret: s16, playbackSecret: [s16, `${s16}-old`] },
    http: { cors: { media: '*', api: ['https://ops.example', 'http://127.0.0.1:3000'] }, compression: false, playerPage: true },
    api: { token: s16, host: '127.0.0.1', port: 9090 },
    metrics: { token: s16 },
    demo: { path: 'live/test' },
  };
  t.same(validateServeOptions(full), full);
  t.same(validateServeOptions({ api: false, metrics: false, demo: true, http: { cors: { media: false } } }), { api: false, metrics: false, demo: true, http: { cors: { media: false } } });
  const cases = [
    [{ auth: { publishSecret: 'short' } }, /^auth\.publishSecret must be a string of at least 16 characters, got 5 characters$/],
    [{ auth: { playbackSecret: [s16, s16, s16] } }, /^auth\.playbackSecret must be one secret or a list of two \(during a rotation\), got 3$/],
    [{ auth: { playbackSecret: [s16, 7] } }, /^auth\.playbackSecret\[1\] must be a string of at least 16 characters, got 7$/],
    [{ auth: { authorizePublish: 'x' } }, /^auth\.authorizePublish is not a known key/],
    [{ http: { cors: { media: 'https://a.example' } } }, /^http\.cors\.media must be '\*', false or a list of origins/],
    [{ http: { cors: { api: ['https://a.example/path'] } } }, /^http\.cors\.api must be '\*', false or a list of origins/],
    [{ api: { port: 99999 } }, /^api\.port must be an integer from 0 to 65535/],
    [{ api: true }, /^api must be an object, got true$/],
    [{ metrics: { token: '' } }, /^metrics\.token must be a string of at least 16 characters/],
    [{ demo: 'yes' }, /^demo must be an object, got "yes"$/],
    [{ demo: { path: '' } }, /^demo\.path must be a non-empty string/],
  ];
  for (const [value, re] of cases) t.throws(() => validateServeOptions(value), re, JSON.stringify(value));
});

t.test('secrets from the environment: one, or two during a rotation; never through flags', async (t) => {
  const a = 'publish-secret-aaaa';
  const b = 'publish-secret-bbbb';
  t.same(resolveServeOptions({ env: { FFNODE_PUBLISH_SECRET: a, FFNODE_PLAYBACK_SECRET: `${a},${b}`, FFNODE_API_TOKEN: b } }),
    { auth: { publishSecret: a, playbackSecret: [a, b] }, api: { token: b } });
  const file = write('secrets.json', { auth: { publishSecret: b }, api: { port: 9090 } });
  t.same(resolveServeOptions({ file, env: { FFNODE_PUBLISH_SECRET: a, FFNODE_API_TOKEN: a } }),
    { auth: { publishSecret: a }, api: { port: 9090, token: a } }, 'the environment overrides the file, keeping the other keys');
  t.throws(() => resolveServeOptions({ env: { FFNODE_API_TOKEN: 'short' } }), /^FFNODE_API_TOKEN must be a string of at least 16 characters, got 5 characters$/);
  t.throws(() => resolveServeOptions({ env: { FFNODE_PUBLISH_SECRET: `${a},${a},${a}` } }), /^FFNODE_PUBLISH_SECRET must be one secret or a list of two/);
  t.throws(() => resolveServeOptions({ file: write('off.json', { api: false }), env: { FFNODE_API_TOKEN: a } }), /^FFNODE_API_TOKEN is set but the configuration turns api off$/);
});

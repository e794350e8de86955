// Auth configuration end to end: the validator's errors for auth.* (clear,
// naming the key, never echoing a secret), the environment overriding the
// file, rotation lists, and `ffnode serve --config` really enforcing both
// secrets (a signed/unsigned HTTP push and playback fetch against the CLI).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { ConfigError, validateServeOptions, loadServeConfig, resolveServeOptions } from '../dist/server/config.js';
import { signUrl } from '../dist/index.js';
import { makeTs } from './helpers/ingest-target.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-auth-config-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const write = (name, value) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, JSON.stringify(value));
  return f;
};
const P1 = 'publish-secret-one-0123456789';
const P2 = 'publish-secret-two-0123456789';
const V1 = 'playback-secret-one-0123456789';
const V2 = 'playback-secret-two-0123456789';

t.test('auth in a config object: accepted forms and clear errors', async (t) => {
  t.same(validateServeOptions({ auth: { publishSecret: P1, playbackSecret: [V2, V1] } }), { auth: { publishSecret: P1, playbackSecret: [V2, V1] } }, 'one secret, or a rotation pair');
  t.same(validateServeOptions({ auth: {} }), { auth: {} }, 'an empty auth section');
  const cases = [
    [{ auth: { publishSecret: 'tooshort' } }, 'auth.publishSecret', /^auth\.publishSecret must be a string of at least 16 characters, got 8 characters$/, 'tooshort'],
    [{ auth: { playbackSecret: 1234 } }, 'auth.playbackSecret', /^auth\.playbackSecret must be a string of at least 16 characters, got 1234$/],
    [{ auth: { playbackSecret: [V1, V2, P1] } }, 'auth.playbackSecret', /^auth\.playbackSecret must be one secret or a list of two \(during a rotation\), got 3$/],
    [{ auth: { playbackSecret: [] } }, 'auth.playbackSecret', /list of two .* got 0$/],
    [{ auth: { publishSecret: [P1, 'short-one'] } }, 'auth.publishSecret[1]', /^auth\.publishSecret\[1\] must be a string of at least 16 characters, got 9 characters$/, 'short-one'],
    [{ auth: { publishsecret: P1 } }, 'auth.publishsecret', /^auth\.publishsecret is not a known key \(known in auth: publishSecret, playbackSecret\)$/],
    [{ auth: { authorizePublish: 'x' } }, 'auth.authorizePublish', /is not a known key/],
    [{ auth: 'secret' }, 'auth', /^auth must be an object, got "secret"$/],
  ];
  for (const [value, key, message, secret] of cases) {
    const e = t.throws(() => validateServeOptions(value), ConfigError, `${JSON.stringify(value)} refused`);
    t.equal(e?.key, key, `names ${key}`);
    t.match(e?.message, message);
    if (secret) t.notOk(e?.message.includes(secret), 'the secret itself is never in the message');
  }
  const f = write('bad.json', { auth: { playbackSecret: 'short' } });
  t.throws(() => loadServeConfig(f), { message: `${f}: auth.playbackSecret must be a string of at least 16 characters, got 5 characters` }, 'a file: the file and the key');
});

t.test('environment secrets override the file; a comma makes a rotation pair', async (t) => {
  const file = write('auth.json', { auth: { publishSecret: P1, playbackSecret: V1 }, httpPort: 0 });
  t.same(resolveServeOptions({ file, env: {} }).auth, { publishSecret: P1, playbackSecret: V1 }, 'the file alone');
  t.same(resolveServeOptions({ file, env: { FFNODE_PUBLISH_SECRET: P2 } }).auth, { publishSecret: P2, playbackSecret: V1 }, 'publish secret from the environment, playback from the file');
  t.same(resolveServeOptions({ file, env: { FFNODE_PLAYBACK_SECRET: `${V2},${V1}` } }).auth, { publishSecret: P1, playbackSecret: [V2, V1] }, 'a rotation pair from the environment');
  t.same(resolveServeOptions({ env: { FFNODE_PUBLISH_SECRET: P1 } }).auth, { publishSecret: P1 }, 'no file');
  t.same(resolveServeOptions({ file, env: { FFNODE_PUBLISH_SECRET: '' } }).auth.publishSecret, P1, 'an empty variable is unset');
  const e = t.throws(() => resolveServeOptions({ env: { FFNODE_PUBLISH_SECRET: 'too-short' } }), ConfigError);
  t.equal(e?.message, 'FFNODE_PUBLISH_SECRET must be a string of at least 16 characters, got 9 characters', 'names the variable, not the value');
  t.throws(() => resolveServeOptions({ env: { FFNODE_PLAYBACK_SECRET: `${V1},${V2},${P1}` } }), { message: 'FFNODE_PLAYBACK_SECRET must be one secret or a list of two (during a rotation), got 3' });
  t.throws(() => resolveServeOptions({ env: { FFNODE_PLAYBACK_SECRET: `${V1},x` } }), { message: /^FFNODE_PLAYBACK_SECRET\[1\] must be a string of at least 16 characters, got 1 characters$/ });
});

t.test('serve() refuses unusable secrets given programmatically', async (t) => {
  const { serve } = await import('../dist/index.js');
  await t.rejects(serve({ httpPort: 0, rtmpPort: 0, auth: { publishSecret: 'short' } }), { name: 'TypeError', message: /publishSecret: each secret must be a string of at least 16 characters/ });
  await t.rejects(serve({ httpPort: 0, rtmpPort: 0, auth: { authorizePublish: 'yes' } }), { name: 'TypeError', message: /authorizePublish must be a function/ });
  await t.rejects(serve({ httpPort: 0, rtmpPort: 0, auth: { playbackSecret: ['a', 'b', 'c'] } }), { name: 'TypeError', message: /playbackSecret must be a secret or a list of two/ });
});

t.test('ffnode serve --config: the file and the environment are enforced', async (t) => {
  const file = write('serve.json', { host: '127.0.0.1', httpPort: 0, rtmpPort: 0, ladder: ['240p'], preset: 'ultrafast', auth: { publishSecret: P1, playbackSecret: V1 } });
  const cli = path.resolve(import.meta.dirname, '..', 'dist', 'cli.js');
  // the environment rotates the publish secret (P2 new, P1 old) and replaces the playback secret
  const child = spawn(process.execPath, [cli, 'serve', '--config', file], {
    env: { ...process.env, FFNODE_HOST: '', FFNODE_HTTP_PORT: '', FFNODE_RTMP_PORT: '', FFNODE_PUBLISH_SECRET: `${P2},${P1}`, FFNODE_PLAYBACK_SECRET: V2 },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => child.on('close', r));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const t0 = Date.now();
  while (!/HTTP (http:\/\/\S+),/.test(out)) {
    if (Date.now() - t0 > 30_000 || child.exitCode !== null) throw new Error(`serve did not start: ${out}${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const http = /HTTP (http:\/\/\S+),/.exec(out)[1];

  // playback: the environment's secret, not the file's
  const master = `${http}/live/cfg/master.m3u8`;
  t.equal((await fetch(master)).status, 403, 'unsigned playback: 403');
  t.equal((await fetch(signUrl(master, V1, { expiresIn: 60 }))).status, 403, "signed with the file's (overridden) secret: 403");
  const r = await fetch(signUrl(master, V2, { expiresIn: 60 }));
  t.equal(r.status, 404, 'signed with the environment secret: past the check (404: no such stream yet)');

  // publish over HTTP push: both secrets of the rotation pair work, nothing else
  const ts = await makeTs(1);
  const push = (url) => fetch(url, { method: 'PUT', body: ts, headers: { 'content-type': 'video/mp2t' } });
  const unsigned = await push(`${http}/live/cfg`);
  t.equal(unsigned.status, 403, 'unsigned push: 403');
  t.match(await unsigned.text(), /needs a signed stream name .*: missing token/, 'the refusal says why');
  t.equal((await push(signUrl(`${http}/live/cfg`, V2, { expiresIn: 60 }))).status, 403, 'signed with the playback secret: 403');
  const signedOld = await push(signUrl(`${http}/live/cfg`, P1, { expiresIn: 60 }));
  t.equal(signedOld.status, 204, `signed with the old publish secret: admitted and played through (${signedOld.status} ${await signedOld.text()})`);
  const signedNew = await push(signUrl(`${http}/live/cfg2`, P2, { expiresIn: 60 }));
  t.equal(signedNew.status, 204, 'signed with the new publish secret: admitted');
  t.match(out, /publish .*live\/cfg\b/, 'the CLI logged the admitted publish');
  for (const s of [P1, P2, V1, V2]) t.notOk(out.includes(s) || err.includes(s), 'no secret in the CLI output');
  t.notOk(/sig=/.test(out + err), 'no signature in the CLI output');
});

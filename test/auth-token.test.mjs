// Signed URLs: signPath/verifyToken/signUrl against HMACs computed here with
// node:crypto (not with the code under test), every refusal reason, rotation,
// and the shape checks that keep the comparison constant-time.
import t from 'tap';
import { createHmac } from 'node:crypto';
import { signPath, verifyToken, secretList, MIN_SECRET_LENGTH } from '../dist/server/auth/token.js';
import { createPlaybackAuth } from '../dist/server/auth/playback.js';
import { signUrl } from '../dist/index.js';

const A = 'first-secret-0123456789abcdef';
const B = 'second-secret-0123456789abcdef';
const C = 'third-secret-0123456789abcdef';
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const hmac = (secret, text) => createHmac('sha256', secret).update(text).digest('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const q = (exp, sig) => new URLSearchParams({ exp: String(exp), sig });

t.test('signPath is base64url(HMAC-SHA256(secret, resource + ":" + exp))', async (t) => {
  // an RFC 4231-style fixed vector, independently computed: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog")
  t.equal(createHmac('sha256', 'key').update('The quick brown fox jumps over the lazy dog').digest('hex'),
    'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8', 'node:crypto itself matches the published vector');
  t.equal(signPath(A, '/live/cam1', NOW + 60), hmac(A, `/live/cam1:${NOW + 60}`), 'publish resource');
  t.equal(signPath(A, '/live/cam1/', NOW + 60), hmac(A, `/live/cam1/:${NOW + 60}`), 'playback resource');
  t.match(signPath(A, '/live/cam1', 1), /^[A-Za-z0-9_-]{43}$/, '43 base64url characters, no padding');
  t.not(signPath(A, '/live/cam1', NOW), signPath(A, '/live/cam1/', NOW), 'publish and playback signatures differ');
});

t.test('the openssl one-liner of docs/server/auth.md signs the same', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const exp = NOW + 3600;
  for (const resource of ['/live/cam1', '/live/cam1/']) {
    const sig = execFileSync('sh', ['-c', `printf '%s' "${resource}:${exp}" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64 | tr '+/' '-_' | tr -d '='`], { env: { ...process.env, SECRET: A }, encoding: 'utf8' }).trim();
    t.equal(sig, signPath(A, resource, exp), `openssl: ${resource}`);
    t.equal(verifyToken([A], resource, q(exp, sig), NOW).ok, true, 'and verifies');
  }
});

t.test('verifyToken: accepted, and every refusal reason', async (t) => {
  const res = '/live/cam1/';
  const exp = NOW + 300;
  const good = hmac(A, `${res}:${exp}`);
  t.same(verifyToken([A], res, q(exp, good), NOW), { ok: true, exp: String(exp), sig: good }, 'a good token');
  t.same(verifyToken([A], res, `exp=${exp}&sig=${good}&other=1`, NOW).ok, true, 'other parameters are ignored; a string query works');
  t.same(verifyToken([A], res, `exp=${exp}&sig=${good}=`, NOW).ok, true, 'padded base64url is tolerated');
  const reason = (query, now = NOW, secrets = [A], resource = res) => verifyToken(secrets, resource, query, now).reason;
  t.equal(reason(new URLSearchParams('')), 'missing token');
  t.equal(reason(new URLSearchParams('foo=bar')), 'missing token');
  t.equal(reason(new URLSearchParams(`exp=${exp}`)), 'malformed token', 'exp without sig');
  t.equal(reason(new URLSearchParams(`sig=${good}`)), 'malformed token', 'sig without exp');
  t.equal(reason(new URLSearchParams(`exp=${exp}&exp=${exp}&sig=${good}`)), 'malformed token', 'exp repeated');
  t.equal(reason(new URLSearchParams(`exp=${exp}&sig=${good}&sig=${good}`)), 'malformed token', 'sig repeated');
  t.equal(reason(q('12ab', good)), 'malformed token', 'exp not decimal');
  t.equal(reason(q('-5', good)), 'malformed token', 'negative exp');
  t.equal(reason(q('1e10', good)), 'malformed token', 'exp in exponent form');
  t.equal(reason(q(' 1767225900', good)), 'malformed token', 'exp with a space');
  t.equal(reason(q('9'.repeat(13), good)), 'malformed token', 'exp longer than 12 digits');
  t.equal(reason(q(exp, good.slice(0, 42))), 'malformed token', 'sig too short');
  t.equal(reason(q(exp, good + 'A')), 'malformed token', 'sig too long');
  t.equal(reason(q(exp, 'x'.repeat(10_000))), 'malformed token', 'a huge sig is refused by shape');
  t.equal(reason(q(exp, `+${good.slice(1)}`)), 'malformed token', "standard base64's '+'");
  t.equal(reason(q(exp, `/${good.slice(1)}`)), 'malformed token', "standard base64's '/'");
  // the 2 spare bits of the last character must be 0: one digest, one spelling
  const last = good.at(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const sibling = alphabet[alphabet.indexOf(last) + 1];
  t.equal(reason(q(exp, good.slice(0, 42) + sibling)), 'malformed token', 'a non-canonical last character (same bytes in lenient decoders)');
  // tampering
  const flip = good[5] === 'A' ? 'B' : 'A';
  t.equal(reason(q(exp, good.slice(0, 5) + flip + good.slice(6))), 'bad signature', 'tampered sig');
  t.equal(reason(q(exp + 1, good)), 'bad signature', 'tampered exp (later)');
  t.equal(reason(q(`0${exp}`, good)), 'bad signature', 'exp spelled differently (leading zero) is another message');
  t.equal(reason(q(exp, good), NOW, [A], '/live/cam2/'), 'bad signature', 'another stream');
  t.equal(reason(q(exp, good), NOW, [A], '/live/cam1'), 'bad signature', 'the publish resource of the same stream');
  t.equal(reason(q(exp, hmac(C, `${res}:${exp}`))), 'bad signature', 'signed with another secret');
  // expiry: only a genuine token is reported expired; exp is exclusive
  t.equal(reason(q(exp, good), exp), 'expired', 'at exp');
  t.equal(reason(q(exp, good), exp + 1000), 'expired', 'after exp');
  t.equal(verifyToken([A], res, q(exp, good), exp - 0.001).ok, true, 'just before exp');
  const old = NOW - 10;
  t.equal(reason(q(old, hmac(A, `${res}:${old}`))), 'expired', 'an old genuine token');
  t.equal(reason(q(old, hmac(C, `${res}:${old}`))), 'bad signature', 'an old forged token is a bad signature, not "expired"');
});

t.test('rotation: either of two secrets validates, a third does not', async (t) => {
  const res = '/live/cam1';
  const exp = NOW + 60;
  t.equal(verifyToken([B, A], res, q(exp, hmac(A, `${res}:${exp}`)), NOW).ok, true, 'old secret');
  t.equal(verifyToken([B, A], res, q(exp, hmac(B, `${res}:${exp}`)), NOW).ok, true, 'new secret');
  t.equal(verifyToken([B, A], res, q(exp, hmac(C, `${res}:${exp}`)), NOW).reason, 'bad signature', 'a third secret');
  t.equal(verifyToken([B], res, q(exp, hmac(A, `${res}:${exp}`)), NOW).reason, 'bad signature', 'the old secret after the rotation ended');
  const pb = createPlaybackAuth([B, A]);
  const sig = hmac(A, `/live/cam1/:${exp}`);
  t.same(pb.check('live/cam1', new URLSearchParams(`exp=${exp}&sig=${sig}&x=<script>`), NOW), { ok: true, carry: `exp=${exp}&sig=${sig}` }, 'the carry holds only exp and sig');
  t.same(pb.check('live/cam2', new URLSearchParams(`exp=${exp}&sig=${sig}`), NOW), { ok: false, reason: 'bad signature' });
});

t.test('secrets: one or two, at least 16 characters', async (t) => {
  t.equal(MIN_SECRET_LENGTH, 16);
  t.same(secretList(A, 'x'), [A]);
  t.same(secretList([A, B], 'x'), [A, B]);
  t.throws(() => secretList('short', 'playbackSecret'), /playbackSecret: each secret must be a string of at least 16 characters/);
  t.throws(() => secretList([A, B, C], 'playbackSecret'), /a list of two/);
  t.throws(() => secretList([], 'playbackSecret'), /a list of two/);
  t.throws(() => secretList([A, 7], 'playbackSecret'), /at least 16/);
  t.throws(() => createPlaybackAuth('short'), TypeError);
});

t.test('the comparison is constant-time by construction', async (t) => {
  // Review aid: the code never compares a presented signature with === or
  // returns on its first differing byte; a shape check (public: always 43
  // characters) comes first, then timingSafeEqual on two 32-byte digests,
  // with every secret tried. Asserted on the TypeScript source.
  const fs = await import('node:fs');
  const src = fs.readFileSync(new URL('../lib/server/auth/token.ts', import.meta.url), 'utf8');
  t.match(src, /timingSafeEqual\(expected, presented\)/, 'timingSafeEqual compares the digests');
  t.match(src, /match = timingSafeEqual\(expected, presented\) \|\| match/, 'no early exit across secrets');
  t.notMatch(src, /(expected|presented|digest\(\))\s*[!=]==|[!=]==\s*(expected|presented)|\.equals\(|\bsig\s*[!=]==\s*(?!\s|null|'repeated')/, 'no === or Buffer.equals on signatures or digests');
  // and the shapes the check relies on: a wrong-length sig never reaches the compare
  const exp = NOW + 60;
  for (const len of [0, 1, 42, 44, 45, 86, 200]) t.equal(verifyToken([A], '/a/b/', q(exp, 'A'.repeat(len)), NOW).reason, 'malformed token', `a ${len}-character sig is refused by its shape`);
});

t.test('signUrl', async (t) => {
  const exp = NOW + 3600;
  const parse = (u) => new URL(u);
  // RTMP: the query goes on the stream name; resource /<app>/<name>
  const r = signUrl('rtmp://127.0.0.1:1935/live/mine', A, { exp });
  t.equal(r, `rtmp://127.0.0.1:1935/live/mine?exp=${exp}&sig=${hmac(A, `/live/mine:${exp}`)}`, 'rtmp publish URL');
  // HTTP push: /<app>/<name> with an optional .ts/.flv; resource without the extension
  t.equal(parse(signUrl('http://h:8080/live/cam1', A, { exp })).searchParams.get('sig'), hmac(A, `/live/cam1:${exp}`), 'push URL is a publish URL');
  t.equal(parse(signUrl('http://h:8080/live/cam1.ts', A, { exp })).searchParams.get('sig'), hmac(A, `/live/cam1:${exp}`), 'push URL with .ts');
  // playback: resource /<app>/<name>/
  const p = parse(signUrl('https://tv.example.com/live/cam1/master.m3u8?lang=en', A, { exp }));
  t.equal(p.searchParams.get('sig'), hmac(A, `/live/cam1/:${exp}`), 'playback URL');
  t.equal(p.searchParams.get('lang'), 'en', 'other parameters kept');
  t.equal(p.pathname, '/live/cam1/master.m3u8');
  t.equal(parse(signUrl('http://h/live/cam1/v360p/index.m3u8', A, { exp })).searchParams.get('sig'), hmac(A, `/live/cam1/:${exp}`), 'any file under the stream: same resource');
  t.equal(parse(signUrl('http://h/live/cam1', A, { exp, kind: 'playback' })).searchParams.get('sig'), hmac(A, `/live/cam1/:${exp}`), 'kind overrides the guess');
  t.equal(parse(signUrl('http://h/tv/live/cam1/master.m3u8', A, { exp, mount: '/tv' })).searchParams.get('sig'), hmac(A, `/live/cam1/:${exp}`), 'mount path not signed');
  // re-signing replaces exp and sig
  const again = parse(signUrl(`http://h/live/cam1/master.m3u8?exp=1&sig=zzz&a=b`, A, { exp }));
  t.same(again.searchParams.getAll('exp'), [String(exp)], 'one exp');
  t.same(again.searchParams.getAll('sig'), [hmac(A, `/live/cam1/:${exp}`)], 'one sig');
  // rotation pair: the first one signs
  t.equal(parse(signUrl('http://h/live/cam1/x.m4s', [B, A], { exp })).searchParams.get('sig'), hmac(B, `/live/cam1/:${exp}`));
  // expiresIn
  const before = Math.floor(Date.now() / 1000);
  const e = Number(parse(signUrl('http://h/live/cam1/x.m4s', A, { expiresIn: 600 })).searchParams.get('exp'));
  t.ok(e >= before + 600 && e <= before + 601, `expiresIn 600 → exp ${e - before} s ahead`);
  const d = Number(parse(signUrl('http://h/live/cam1/x.m4s', A)).searchParams.get('exp'));
  t.ok(d >= before + 3600 && d <= before + 3601, 'default: one hour');
  // what signUrl signs, verifyToken accepts
  const signed = parse(signUrl('http://h/live/cam1/master.m3u8', A, { expiresIn: 60 }));
  t.equal(verifyToken([A], '/live/cam1/', signed.searchParams).ok, true, 'round trip');
  // mistakes
  t.throws(() => signUrl('live/cam1', A), /not an absolute URL/);
  t.throws(() => signUrl('ftp://h/live/cam1', A), /rtmp\(s\):\/\/ or http\(s\):\/\//);
  t.throws(() => signUrl('rtmp://h/live', A), /names no stream/);
  t.throws(() => signUrl('rtmp://h/live/a/b', A), /a publish URL is \/<app>\/<name>/);
  t.throws(() => signUrl('http://h/live/cam1/x', A, { exp: 1.5 }), /exp must be a positive integer/);
  t.throws(() => signUrl('http://h/live/cam1/x', A, { expiresIn: -1 }), /expiresIn must be a positive number/);
  t.throws(() => signUrl('http://h/live/cam1/x', '', { exp }), /secret must be a non-empty string/);
  t.throws(() => signUrl('http://h/other/live/cam1/x', A, { mount: '/tv' }), /not under the mount path/);
});

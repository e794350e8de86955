// The API and /metrics behind bearer tokens (RFC 6750), on a real serve():
// 401 with a challenge without a token, 401 invalid_token for a wrong one,
// 400 invalid_request for a malformed header, 200 with either rotation
// token; health open but terse, the clock open to every origin; JSON errors,
// no-store, 404/405/413; CORS for a configured origin; and the API on its own
// listener, absent from the public one.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { serve } from 'ffnode';
import { bearerCheck } from '../dist/server/http/bearer.js';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const TOKEN_A = 'rotation-token-new-0123456789';
const TOKEN_B = 'rotation-token-old-0123456789';
const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const bearer = (token) => ({ authorization: `Bearer ${token}` });

async function call(url, { method = 'GET', headers = {}, body } = {}) {
  const r = await fetch(url, { method, headers, body, cache: 'no-store' });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, headers: r.headers, text, json };
}

async function startServer(t, options) {
  const server = await serve({ host: '127.0.0.1', httpPort: 0, rtmpPort: 0, ...options });
  t.teardown(() => server.close());
  return server;
}

t.test('bearer tokens on the API and /metrics', async (t) => {
  const server = await startServer(t, { api: { token: [TOKEN_A, TOKEN_B] } });
  const api = `${server.url}/api/streams`;

  const none = await call(api);
  t.equal(none.status, 401, 'no token: 401');
  t.equal(none.headers.get('www-authenticate'), 'Bearer realm="ffnode"', 'a bare challenge (no error code without credentials)');
  t.same(none.json, { error: 'a bearer token is required' });
  t.equal(none.headers.get('cache-control'), 'no-store');
  t.match(none.headers.get('content-type'), /^application\/json/);

  const basic = await call(api, { headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN_A}`).toString('base64')}` } });
  t.equal(basic.status, 401, 'another scheme: 401');
  t.equal(basic.headers.get('www-authenticate'), 'Bearer realm="ffnode"');

  for (const wrong of ['wrong-token-0123456789abcdef', TOKEN_A.slice(0, -1), `${TOKEN_A}x`, TOKEN_A.toUpperCase()]) {
    const r = await call(api, { headers: bearer(wrong) });
    t.equal(r.status, 401, `a wrong token (${wrong.length} characters): 401`);
    t.match(r.headers.get('www-authenticate'), /^Bearer realm="ffnode", error="invalid_token"/);
    t.same(r.json, { error: 'the bearer token is not valid' });
  }
  const malformed = await call(api, { headers: { authorization: `Bearer ${TOKEN_A} extra` } });
  t.equal(malformed.status, 400, 'a malformed Authorization header: 400');
  t.match(malformed.headers.get('www-authenticate'), /error="invalid_request"/);

  for (const token of [TOKEN_A, TOKEN_B]) {
    const r = await call(api, { headers: bearer(token) });
    t.equal(r.status, 200, `either rotation token: 200 (${token.slice(15, 18)})`);
    t.same(r.json, { streams: [], recordings: [] });
    t.equal(r.headers.get('cache-control'), 'no-store');
  }
  t.equal((await call(api, { headers: { authorization: `bearer   ${TOKEN_B}` } })).status, 200, 'the scheme is case-insensitive');

  const metricsNone = await call(`${server.url}/metrics`);
  t.equal(metricsNone.status, 401, '/metrics takes the API token when it has none of its own');
  t.equal(metricsNone.headers.get('www-authenticate'), 'Bearer realm="ffnode"');
  const metricsOk = await call(`${server.url}/metrics`, { headers: bearer(TOKEN_B) });
  t.equal(metricsOk.status, 200);
  t.match(metricsOk.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  t.match(metricsOk.text, /^ffnode_streams_active 0$/m);
  t.equal((await call(`${server.url}/metrics`, { headers: bearer('wrong-token-0123456789abcdef') })).status, 401);
});

t.test('health is open and terse; the clock is open to every origin', async (t) => {
  const server = await startServer(t, { api: { token: TOKEN_A } });
  const open = await call(`${server.url}/api/health`);
  t.equal(open.status, 200, 'no token needed');
  t.same(open.json, { ok: true }, 'without the token: nothing but ok');
  const wrong = await call(`${server.url}/api/health`, { headers: bearer('wrong-token-0123456789abcdef') });
  t.same(wrong.json, { ok: true }, 'a wrong token gets the same');
  const full = await call(`${server.url}/api/health`, { headers: bearer(TOKEN_A) });
  t.equal(full.status, 200);
  t.match(full.json, { ok: true, streams: 0, version, native: { frames: Number, packets: Number, objects: Number, bytes: Number, leaked: Number } });
  t.ok(full.json.uptime > 0 && full.json.uptime <= process.uptime() + 1, `uptime is the process's (${full.json.uptime} s)`);
  t.equal(full.headers.get('cache-control'), 'no-store');

  const time = await call(`${server.url}/api/time`, { headers: { origin: 'https://player.example' } });
  t.equal(time.status, 200, 'the clock needs no token');
  t.match(time.headers.get('content-type'), /^text\/plain/);
  t.ok(Math.abs(Date.parse(time.text) - Date.now()) < 5000, `the current time (${time.text})`);
  t.equal(time.headers.get('access-control-allow-origin'), '*', 'players on any site may read it');
});

t.test('JSON errors, methods, bodies, HEAD', async (t) => {
  const server = await startServer(t, { api: { token: TOKEN_A } });
  const auth = bearer(TOKEN_A);
  const unknown = await call(`${server.url}/api/nope`, { headers: auth });
  t.equal(unknown.status, 404);
  t.same(unknown.json, { error: 'no API path /api/nope' });
  t.equal((await call(`${server.url}/api/nope`)).status, 401, 'without the token an unknown path is not revealed');
  t.equal((await call(`${server.url}/api/streams/live`, { headers: auth })).status, 404);
  t.equal((await call(`${server.url}/api`, { headers: auth })).status, 404);

  for (const bad of ['/api/streams/live%2Fx/y', '/api//streams', '/api/streams/live/a%00']) {
    const r = await call(`${server.url}${bad}`, { headers: auth });
    t.equal(r.status, 400, `${bad}: 400`);
    t.match(r.json, { error: /^bad request: / }, `${bad}: a JSON error`);
    t.equal(r.headers.get('cache-control'), 'no-store');
  }

  const missing = await call(`${server.url}/api/streams/live/none`, { headers: auth });
  t.equal(missing.status, 404);
  t.same(missing.json, { error: 'no stream live/none' });
  const kickMissing = await call(`${server.url}/api/streams/live/none`, { method: 'DELETE', headers: auth });
  t.equal(kickMissing.status, 404, 'DELETE of no stream: 404');
  t.same(kickMissing.json, { error: 'no stream live/none' });
  t.equal((await call(`${server.url}/api/streams/live/none`, { method: 'DELETE' })).status, 401, 'DELETE needs the token');

  for (const [path, method, allow] of [
    ['/api/streams', 'PUT', 'GET, HEAD, OPTIONS'], ['/api/streams', 'DELETE', 'GET, HEAD, OPTIONS'],
    ['/api/streams/live/x', 'PATCH', 'GET, DELETE, HEAD, OPTIONS'], ['/api/health', 'POST', 'GET, HEAD, OPTIONS'],
  ]) {
    const r = await call(`${server.url}${path}`, { method, headers: auth });
    t.equal(r.status, 405, `${method} ${path}: 405`);
    t.equal(r.headers.get('allow'), allow);
    t.match(r.json, { error: String });
  }

  const big = await call(`${server.url}/api/streams/live/x`, { method: 'DELETE', headers: { ...auth, 'content-type': 'text/plain' }, body: 'x'.repeat(2000) });
  t.equal(big.status, 413, 'a body over 1024 bytes: 413');
  t.match(big.json, { error: /no API request takes a body/ });
  const chunked = await fetch(`${server.url}/api/streams/live/x`, {
    method: 'DELETE', headers: auth, body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('x')); c.close(); } }), duplex: 'half',
  });
  await chunked.arrayBuffer();
  t.equal(chunked.status, 413, 'a chunked body: 413');
  const small = await call(`${server.url}/api/streams/live/x`, { method: 'DELETE', headers: auth, body: '{}' });
  t.equal(small.status, 404, 'a small body is ignored');

  const get = await fetch(`${server.url}/api/health`, { headers: auth });
  const getLength = (await get.arrayBuffer()).byteLength;
  const head = await fetch(`${server.url}/api/health`, { method: 'HEAD', headers: auth });
  t.equal(head.status, 200);
  t.equal((await head.arrayBuffer()).byteLength, 0, 'HEAD: no body');
  t.ok(Math.abs(Number(head.headers.get('content-length')) - getLength) <= 4, 'HEAD: the length GET would send (uptime digits aside)');
});

t.test('CORS: none by default, the configured origins only', async (t) => {
  const closed = await startServer(t, {});
  const r = await call(`${closed.url}/api/streams`, { headers: { origin: 'https://admin.example' } });
  t.equal(r.status, 200, 'no token configured: open');
  t.equal(r.headers.get('access-control-allow-origin'), null, 'no CORS by default');

  const server = await startServer(t, { api: { token: TOKEN_A }, http: { cors: { api: ['https://admin.example'] } } });
  const allowed = await call(`${server.url}/api/streams`, { headers: { origin: 'https://admin.example', ...bearer(TOKEN_A) } });
  t.equal(allowed.headers.get('access-control-allow-origin'), 'https://admin.example');
  t.match(allowed.headers.get('vary'), /Origin/);
  const other = await call(`${server.url}/api/streams`, { headers: { origin: 'https://evil.example', ...bearer(TOKEN_A) } });
  t.equal(other.headers.get('access-control-allow-origin'), null);
  const pre = await call(`${server.url}/api/streams/live/x`, { method: 'OPTIONS', headers: { origin: 'https://admin.example', 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization' } });
  t.equal(pre.status, 204, 'a preflight needs no token');
  t.equal(pre.headers.get('access-control-allow-methods'), 'GET, DELETE, HEAD, OPTIONS');
  t.match(pre.headers.get('access-control-allow-headers'), /Authorization/);
});

t.test('the API on its own listener: absent from the public one', async (t) => {
  const server = await startServer(t, { api: { token: TOKEN_A, port: 0 } });
  t.ok(server.adminUrl, `adminUrl ${server.adminUrl}`);
  t.not(server.adminUrl, server.url);
  for (const path of ['/api/streams', '/api/health', '/metrics']) {
    const r = await call(`${server.url}${path}`, { headers: bearer(TOKEN_A) });
    t.equal(r.status, 404, `public ${path}: 404`);
  }
  const list = await call(`${server.adminUrl}/api/streams`, { headers: bearer(TOKEN_A) });
  t.equal(list.status, 200, 'the API answers on its own port');
  t.same(list.json, { streams: [], recordings: [] });
  t.equal((await call(`${server.adminUrl}/api/streams`)).status, 401, 'with its token');
  const metrics = await call(`${server.adminUrl}/metrics`, { headers: bearer(TOKEN_A) });
  t.equal(metrics.status, 200, '/metrics too');
  t.match(metrics.text, /^ffnode_http_requests_total\{route="api",code="200"\} 1$/m, 'requests on the API listener are counted');
});

t.test('bearerCheck refuses unusable tokens', async (t) => {
  t.equal(bearerCheck(undefined), undefined, 'no token: open');
  for (const bad of ['', 'has space', ['a', 'b', 'c'], [], ['ok-token', ''], 'tab\there', 42, ['ok-token', null], 'ümlaut'])
    t.throws(() => bearerCheck(bad), TypeError, JSON.stringify(bad));
  const check = bearerCheck('t0k3n!@#$%^&*()');
  t.ok(check({ headers: { authorization: 'Bearer t0k3n!@#$%^&*()' } }).ok, 'any visible ASCII token works');
});

endsWithZeroLive(t);

// docs/server/openapi.json against the API a real serve() answers: every
// path and method the API serves is in the document and every documented
// one is served; each documented operation answers one of its documented
// statuses with a body its schema accepts; every other method is 405 with
// the documented ones in Allow.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { serve } from 'ffnode';
import { API_ROUTES } from '../dist/server/http/api.js';
import { validate } from './helpers/json-schema.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const doc = JSON.parse(readFileSync(new URL('../docs/server/openapi.json', import.meta.url), 'utf8'));
const TOKEN = 'openapi-test-token-0123456789';
const OPERATIONS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const docMethods = (item) => OPERATIONS.filter((m) => item[m]).map((m) => m.toUpperCase());
const resolve = (node) => (node.$ref ? node.$ref.slice(2).split('/').reduce((n, k) => n[k], doc) : node);

t.test('the document', async (t) => {
  t.equal(doc.openapi, '3.1.0');
  t.equal(doc.info.version, JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version, 'info.version is the package version');
  t.same(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', description: doc.components.securitySchemes.bearer.description });
  // every $ref resolves
  const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
  for (const r of new Set(refs)) t.ok(resolve({ $ref: r.slice(8, -1) }), `${r.slice(8, -1)} resolves`);
});

t.test('every route the API serves is documented, and vice versa', async (t) => {
  const served = Object.fromEntries(API_ROUTES.map((r) => [r.path, [...r.methods].sort()]));
  served['/metrics'] = ['GET']; // the metrics route, on the same listener
  const documented = Object.fromEntries(Object.entries(doc.paths).map(([p, item]) => [p, docMethods(item).sort()]));
  t.same(documented, served);
  for (const r of API_ROUTES) {
    const security = doc.paths[r.path].get.security ?? doc.security;
    t.equal(security.some((s) => Object.keys(s).length === 0), r.open, `${r.path}: ${r.open ? 'open' : 'needs the token'} in both`);
  }
});

t.test('the server answers as documented', async (t) => {
  const server = await serve({ host: '127.0.0.1', httpPort: 0, rtmpPort: 0, api: { token: TOKEN } });
  t.teardown(() => server.close());
  for (const [template, item] of Object.entries(doc.paths)) {
    const path = template.replace('{app}', 'live').replace('{name}', 'absent');
    for (const method of docMethods(item)) {
      const op = item[method.toLowerCase()];
      const r = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
      const text = await r.text();
      const response = op.responses[String(r.status)];
      t.ok(response, `${method} ${template}: ${r.status} is documented (${Object.keys(op.responses).join(', ')})`);
      if (!response) continue;
      const content = resolve(response).content;
      if (!content) {
        t.equal(text, '', `${method} ${template} ${r.status}: no body`);
        continue;
      }
      const type = r.headers.get('content-type').split(';')[0];
      t.ok(content[type], `${method} ${template} ${r.status}: ${type} is documented`);
      if (type === 'application/json') t.same(validate(doc, content[type].schema, JSON.parse(text)), [], `${method} ${template} ${r.status}: the body fits its schema`);
      // without the token: what the document says of security
      const open = (op.security ?? doc.security).some((s) => Object.keys(s).length === 0);
      const anon = await fetch(`${server.url}${path}`, { method });
      await anon.arrayBuffer();
      if (open) t.not(anon.status, 401, `${method} ${template}: open`);
      else t.equal(anon.status, 401, `${method} ${template}: 401 without the token`);
    }
    if (template === '/metrics') continue; // /metrics is not under /api: GET and HEAD only, its own rules
    const allowed = docMethods(item);
    for (const method of ['GET', 'DELETE', 'PUT', 'POST', 'PATCH'].filter((m) => !allowed.includes(m))) {
      const r = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
      const body = await r.json();
      t.equal(r.status, 405, `${method} ${template}: 405`);
      t.equal(r.headers.get('allow'), `${allowed.join(', ')}, HEAD, OPTIONS`, `${method} ${template}: Allow lists the documented methods`);
      t.same(validate(doc, { $ref: '#/components/schemas/Error' }, body), []);
    }
  }
  // a path that is not documented is not served
  for (const path of ['/api/streams/live', '/api/streams/live/x/y', '/api/version', '/api/']) {
    const r = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    t.equal(r.status, path === '/api/' ? 400 : 404, `${path}: not served`);
    await r.arrayBuffer();
  }
});

endsWithZeroLive(t);

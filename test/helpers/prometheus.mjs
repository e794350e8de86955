// A strict little parser of the Prometheus text exposition format (0.0.4),
// for the metrics tests: families with their HELP and TYPE, samples with
// their labels. Anything malformed throws, so a test fails on a bad
// exposition rather than reading around it.
//
//   import { parseExposition, scrape } from './helpers/prometheus.mjs';
//   const m = parseExposition(text);
//   m.value('ffnode_streams_active');                       // 1
//   m.value('ffnode_http_requests_total', { route: 'api', code: '200' });
//   m.samples('ffnode_stream_viewers');                      // [{ name, labels, value }]

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count', ''], counter: [''], gauge: [''], untyped: [''] };

function parseLabels(text, line) {
  const labels = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels in ${JSON.stringify(line)}`);
    const name = text.slice(i, eq).trim();
    if (!LABEL.test(name)) throw new Error(`bad label name ${JSON.stringify(name)} in ${JSON.stringify(line)}`);
    if (name in labels) throw new Error(`label ${name} twice in ${JSON.stringify(line)}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in ${JSON.stringify(line)}`);
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const c = text[++j];
        value += c === 'n' ? '\n' : c;
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`unterminated label value in ${JSON.stringify(line)}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
  }
  return labels;
}

function parseValue(text, line) {
  // Prometheus reads these case-insensitively (prom-client writes 'Nan')
  if (/^\+?inf$/i.test(text)) return Infinity;
  if (/^-inf$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  const v = Number(text);
  if (text === '' || Number.isNaN(v)) throw new Error(`bad value in ${JSON.stringify(line)}`);
  return v;
}

/**
 * Parses exposition text: { families: Map(name → { type, help, samples }),
 * samples(name, labels?), value(name, labels?) (undefined when absent, throws
 * when several samples match) }. Every sample must belong to a family declared
 * by a TYPE line before it, and no family may be declared twice.
 */
export function parseExposition(text) {
  const families = new Map();
  const byName = new Map();
  let current = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, kind, name, rest = ''] = meta;
      if (!NAME.test(name)) throw new Error(`bad metric name ${name}`);
      let f = families.get(name);
      if (!f) families.set(name, (f = { name, type: null, help: null, samples: [] }));
      if (kind === 'TYPE') {
        if (f.type) throw new Error(`TYPE of ${name} declared twice (two registries collide?)`);
        if (!TYPES.has(rest)) throw new Error(`unknown type ${rest} of ${name}`);
        f.type = rest;
        for (const s of SUFFIXES[rest]) byName.set(name + s, f);
      } else f.help = rest;
      current = f;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`bad sample line ${JSON.stringify(line)}`);
    const [, name, labelText = '', valueText] = m;
    const f = byName.get(name);
    if (!f || f !== current) throw new Error(`sample ${name} outside its family (${JSON.stringify(line)})`);
    f.samples.push({ name, labels: parseLabels(labelText, line), value: parseValue(valueText, line) });
  }
  const matches = (labels, want) => Object.entries(want).every(([k, v]) => labels[k] === v);
  const samples = (name, want = {}) => (byName.get(name)?.samples ?? []).filter((s) => s.name === name && matches(s.labels, want));
  return {
    families,
    samples,
    value(name, want = {}) {
      const found = samples(name, want);
      if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(want)}`);
      return found[0]?.value;
    },
  };
}

/** GET `url` and parse it; `headers` e.g. { authorization: 'Bearer …' }. Resolves { status, type, text, metrics }. */
export async function scrape(url, headers = {}) {
  const r = await fetch(url, { headers, cache: 'no-store' });
  const text = await r.text();
  return { status: r.status, type: r.headers.get('content-type'), text, metrics: r.status === 200 ? parseExposition(text) : null };
}

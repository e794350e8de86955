// The part of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that
// docs/server/openapi.json uses, checked strictly: type (one or a list),
// properties, required, additionalProperties: false, items, enum, const,
// oneOf, minimum, and $ref into the same document. A keyword this checker
// does not know throws, so the document cannot silently outgrow it.
//
//   import { validate } from './helpers/json-schema.mjs';
//   const errors = validate(doc, { $ref: '#/components/schemas/Stream' }, value); // [] when it conforms

const KNOWN = new Set(['$ref', 'type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'oneOf', 'minimum', 'description', 'format', 'example', 'examples']);

const typeOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
const isType = (v, t) => typeOf(v) === t || (t === 'number' && typeof v === 'number' && Number.isFinite(v));

function resolve(doc, ref) {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
  let node = doc;
  for (const part of ref.slice(2).split('/')) {
    node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) throw new Error(`unresolved $ref ${ref}`);
  }
  return node;
}

/** Errors of `value` against `schema` (a node of `doc`); [] when it conforms. */
export function validate(doc, schema, value, at = '$') {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`${at}: schema keyword ${k} is not supported by the test's checker`);
  if (schema.$ref) return validate(doc, resolve(doc, schema.$ref), value, at);
  const errors = [];
  if (schema.type) {
    const types = [].concat(schema.type);
    if (!types.some((t) => isType(value, t))) return [`${at}: ${JSON.stringify(value)} is not ${types.join(' | ')}`];
  }
  if (schema.const !== undefined && value !== schema.const) errors.push(`${at}: must be ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  if (schema.minimum !== undefined && typeof value === 'number' && value < schema.minimum) errors.push(`${at}: ${value} < ${schema.minimum}`);
  if (schema.oneOf) {
    const passing = schema.oneOf.filter((s) => validate(doc, s, value, at).length === 0).length;
    if (passing !== 1) errors.push(`${at}: matches ${passing} of the oneOf schemas, not exactly 1`);
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const k of schema.required ?? []) if (!(k in value)) errors.push(`${at}: ${k} is required`);
    for (const [k, v] of Object.entries(value)) {
      const sub = schema.properties?.[k];
      if (sub) errors.push(...validate(doc, sub, v, `${at}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${at}: ${k} is not in the schema`);
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => errors.push(...validate(doc, schema.items, v, `${at}[${i}]`)));
  return errors;
}

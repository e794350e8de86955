/**
 * Carries a playback token into the URIs a playlist or MPD names, so a
 * player given one signed manifest URL fetches everything else signed.
 * A line/attribute rewrite, not a parse-and-serialise: the manifest keeps
 * every byte it had except the added queries. Only references that stay on
 * this host get the token (see {@link carriesToken}); others are left as
 * written so the token never travels to another host.
 */
import { escapeXml } from '../../delivery/dash.js';

/**
 * Where a manifest was served from: lets root-relative URIs under the same stream carry the token.
 *
 * @example
 * carryToken(text, 'playlist', carry, { streamPath: 'live/cam1' } satisfies CarryScope);
 */
export interface CarryScope {
  /** `<app>/<name>` of the stream the manifest belongs to */
  streamPath?: string;
}

// What a carry may contain: the query text of a validated token. Anything
// else could break out of a playlist line or an XML attribute.
const CARRY = /^[A-Za-z0-9._~%=&-]+$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * Whether `uri` (as written in a manifest) gets the token: relative paths
 * (`v360p/index.m3u8`, `../a128k/x.m4s`: same host by definition) yes;
 * root-relative paths only when under `/<streamPath>/`; anything with a
 * scheme (`https:`, `data:`, `urn:`), network-path references (`//host/…`,
 * and `/\host` which browsers read the same way) and bare fragments never.
 *
 * @example
 * carriesToken('seg-1.m4s');                        // true
 * carriesToken('https://cdn.example.com/seg-1.m4s'); // false
 * carriesToken('/live/cam1/seg-1.m4s', { streamPath: 'live/cam1' }); // true
 */
export function carriesToken(uri: string, scope: CarryScope = {}): boolean {
  if (uri === '' || uri.startsWith('#') || SCHEME.test(uri)) return false;
  const slashed = uri.replace(/\\/g, '/');
  if (!slashed.startsWith('/')) return true;
  if (slashed.startsWith('//') || !scope.streamPath) return false;
  return slashed.startsWith(`/${scope.streamPath}/`);
}

/** `uri` with `carry` in its query: an `exp`/`sig` already there is replaced, other parameters and a fragment kept. */
function withCarry(uri: string, carry: string): string {
  const hash = uri.indexOf('#');
  const fragment = hash < 0 ? '' : uri.slice(hash);
  const rest = hash < 0 ? uri : uri.slice(0, hash);
  const q = rest.indexOf('?');
  if (q < 0) return `${rest}?${carry}${fragment}`;
  const kept = rest.slice(q + 1).split('&').filter((p) => p !== '' && !/^(exp|sig)(=|$)/.test(p));
  return `${rest.slice(0, q)}?${[...kept, carry].join('&')}${fragment}`;
}

const maybe = (uri: string, carry: string, scope: CarryScope): string => (carriesToken(uri, scope) ? withCarry(uri, carry) : uri);

// ---- HLS ----------------------------------------------------------------

// One attribute of an attribute list (RFC 8216 §4.2): NAME=value, where a
// value is a quoted string or runs to the next comma.
const ATTRIBUTE = /([A-Z0-9-]+)=("[^"\r\n]*"|[^",]*)(,|$)/y;

/** A tag line with its URI-valued attributes (`URI`, `…-URI`) carried; the line as is when it is no attribute list. */
function carryTag(line: string, carry: string, scope: CarryScope): string {
  const colon = line.indexOf(':');
  if (colon < 0) return line;
  const list = line.slice(colon + 1);
  let out = '';
  ATTRIBUTE.lastIndex = 0;
  while (ATTRIBUTE.lastIndex < list.length) {
    const at = ATTRIBUTE.lastIndex;
    const m = ATTRIBUTE.exec(list);
    if (!m || m.index !== at) return line; // not an attribute list (EXTINF, PROGRAM-DATE-TIME…)
    const [, name, value, sep] = m as unknown as [string, string, string, string];
    const isUri = (name === 'URI' || name.endsWith('-URI')) && value.startsWith('"');
    out += `${name}=${isUri ? `"${maybe(value.slice(1, -1), carry, scope)}"` : value}${sep}`;
    if (sep === '') break;
  }
  return line.slice(0, colon + 1) + out;
}

function carryPlaylist(text: string, carry: string, scope: CarryScope): string {
  return text
    .split('\n')
    .map((line) => {
      const body = line.endsWith('\r') ? line.slice(0, -1) : line;
      const trimmed = body.trim();
      if (trimmed === '') return line;
      let next: string;
      if (trimmed.startsWith('#EXT')) next = carryTag(trimmed, carry, scope);
      else if (trimmed.startsWith('#')) return line; // a comment
      else next = maybe(trimmed, carry, scope); // a URI line: a variant's playlist or a segment
      return next === trimmed ? line : body.replace(trimmed, () => next) + line.slice(body.length);
    })
    .join('\n');
}

// ---- DASH ---------------------------------------------------------------

const unescapeXml = (s: string): string =>
  s.replace(/&(amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});/g, (all, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e]!;
  });

/** An escaped XML value whose URI (or space-separated URIs) get the carry; untouched when none does. */
function carryXmlValue(raw: string, carry: string, scope: CarryScope, list = false): string {
  const plain = unescapeXml(raw);
  const next = list ? plain.split(/(\s+)/).map((u) => (/^\s*$/.test(u) ? u : maybe(u, carry, scope))).join('') : maybe(plain.trim(), carry, scope);
  return next === (list ? plain : plain.trim()) ? raw : escapeXml(next);
}

// URI-valued attributes by element (local names). SegmentTemplate@media etc.
// are templates: the carry holds no '$', so `$Number$` stays a template.
const URI_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  SegmentTemplate: ['media', 'initialization', 'index', 'bitstreamSwitching'],
  SegmentURL: ['media', 'index'],
  Initialization: ['sourceURL'],
  RepresentationIndex: ['sourceURL'],
  BitstreamSwitching: ['sourceURL'],
};
// UTCTiming schemes whose value is a list of URLs (the others hold a time or a server name).
const HTTP_TIMING = /^urn:mpeg:dash:utc:http-(xsdate|iso|ntp|head):20\d\d$/;

const NAME = '[A-Za-z_][\\w.-]*';
const ATTRS = `(?:\\s+${NAME}(?::${NAME})?\\s*=\\s*(?:"[^"]*"|'[^']*'))*`;
// Comments, CDATA, processing instructions and doctypes are skipped whole;
// elements whose text is a URL, then any other start tag.
const XML_TOKEN = new RegExp(
  `<!--[\\s\\S]*?-->|<!\\[CDATA\\[[\\s\\S]*?\\]\\]>|<\\?[\\s\\S]*?\\?>|<!DOCTYPE[^>]*>` +
    `|<((?:${NAME}:)?(?:BaseURL|Location|PatchLocation))(${ATTRS}\\s*)>([^<]*)</\\1\\s*>` +
    `|<((?:${NAME}:)?(${NAME}))(${ATTRS})(\\s*/?)>`,
  'g',
);
const ATTR = new RegExp(`(\\s+)((?:${NAME}:)?(${NAME}))(\\s*=\\s*)(?:"([^"]*)"|'([^']*)')`, 'g');

function carryStartTag(local: string, attrs: string, carry: string, scope: CarryScope): string {
  const names = URI_ATTRIBUTES[local] ?? [];
  const timing = local === 'UTCTiming' && HTTP_TIMING.test(/\sschemeIdUri\s*=\s*["']([^"']*)["']/.exec(attrs)?.[1] ?? '');
  return attrs.replace(ATTR, (all, space: string, qname: string, attrLocal: string, eq: string, dq: string | undefined, sq: string | undefined) => {
    const isHref = attrLocal === 'href' && qname !== attrLocal; // xlink:href (remote elements)
    if (!(names.includes(qname) || isHref || (timing && qname === 'value'))) return all;
    const quote = dq !== undefined ? '"' : "'";
    return `${space}${qname}${eq}${quote}${carryXmlValue(dq ?? sq ?? '', carry, scope, timing && qname === 'value')}${quote}`;
  });
}

function carryMpd(text: string, carry: string, scope: CarryScope): string {
  return text.replace(XML_TOKEN, (all, textTag?: string, textAttrs?: string, content?: string, tag?: string, local?: string, attrs?: string, close?: string) => {
    if (textTag !== undefined) return `<${textTag}${textAttrs}>${carryXmlValue(content!, carry, scope)}</${textTag}>`;
    if (tag === undefined) return all; // comment, CDATA, PI, doctype
    const next = carryStartTag(local!, attrs!, carry, scope);
    return next === attrs ? all : `<${tag}${next}${close}>`;
  });
}

/**
 * Appends `carry` (`exp=…&sig=…`) to every URI a playlist or MPD names that
 * stays on this host: HLS URI lines and `URI="…"` attributes (EXT-X-MAP,
 * EXT-X-MEDIA, EXT-X-I-FRAME-STREAM-INF, EXT-X-PART…); MPD
 * SegmentTemplate/SegmentURL `media`, `initialization`, `index`,
 * `sourceURL`, BaseURL, Location and PatchLocation text, `xlink:href`, and
 * UTCTiming values of the http-* schemes. An existing query keeps its other
 * parameters (`?a=1&exp=…&sig=…`).
 *
 * @example
 * carryToken('#EXTM3U\nseg-1.m4s\n', 'playlist', 'exp=1&sig=x'); // '#EXTM3U\nseg-1.m4s?exp=1&sig=x\n'
 */
export function carryToken(text: string, kind: 'playlist' | 'mpd', carry: string, scope: CarryScope = {}): string {
  if (!carry) return text;
  if (!CARRY.test(carry)) throw new RangeError('carryToken: carry must be a query of URL-safe characters (exp=…&sig=…)');
  return kind === 'mpd' ? carryMpd(text, carry, scope) : carryPlaylist(text, carry, scope);
}

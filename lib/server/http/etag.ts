/**
 * Entity tags: a strong tag per Buffer (a hash, computed once per Buffer a
 * store hands out: MemoryStore returns the same stored Buffer to every
 * request), one per content coding, and the comparisons of RFC 9110 §8.8.3.2.
 */
import { createHash } from 'node:crypto';

const tags = new WeakMap<Buffer, string>();

/**
 * The strong entity tag of `data` (quoted): its length and a SHA-256 prefix.
 * Remembered per Buffer object, so a stored Buffer is hashed once however
 * many requests it answers; a store that replaces a key stores a new Buffer.
 *
 * @example
 * bufferEtag(Buffer.from('#EXTM3U\n')); // '"8-…"' (22 base64url characters after the dash)
 */
export function bufferEtag(data: Buffer): string {
  let tag = tags.get(data);
  if (tag === undefined) {
    tag = `"${data.length.toString(36)}-${createHash('sha256').update(data).digest('base64url').slice(0, 22)}"`;
    tags.set(data, tag);
  }
  return tag;
}

/**
 * The tag of the same content in a content coding: a gzip body is another
 * representation, so it needs another strong tag (RFC 9110 §8.8.3).
 *
 * @example
 * codedEtag('"8-abc"', 'br'); // '"8-abc-br"'
 */
export function codedEtag(etag: string, coding: string): string {
  return coding === 'identity' ? etag : `${etag.slice(0, -1)}-${coding}"`;
}

/**
 * The entity tags of an `If-None-Match`/`If-Match`/`If-Range` value, each
 * with its `W/` if any; junk between them is skipped.
 *
 * @example
 * parseEtags('W/"a", "b"'); // ['W/"a"', '"b"']
 */
export function parseEtags(header: string): string[] {
  return header.match(/(?:W\/)?"[^"]*"/g) ?? [];
}

const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);

/**
 * Weak comparison (RFC 9110 §8.8.3.2), what `If-None-Match` uses: equal
 * opaque tags, either or both weak. `*` matches any current representation.
 *
 * @example
 * weakMatch('W/"1-a", "2-b"', '"1-a"'); // true
 */
export function weakMatch(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const want = opaque(etag);
  return parseEtags(header).some((t) => opaque(t) === want);
}

/**
 * Strong comparison, what `If-Match` and `If-Range` use: both tags strong
 * and equal. `*` matches any current representation.
 *
 * @example
 * strongMatch('W/"1-a"', '"1-a"'); // false
 */
export function strongMatch(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return !etag.startsWith('W/') && parseEtags(header).includes(etag);
}

/**
 * The one rule every SegmentStore applies to keys, so that a key can never
 * name anything outside the store: the HTTP server will later pass request
 * paths through here, and a key that escapes the root would serve (or
 * overwrite) arbitrary files.
 */

/** Longest key accepted; far above any key ffnode writes, small enough to stop abuse. */
const MAX_KEY_LENGTH = 1024;

/**
 * Checks a store key and returns it unchanged, or throws a RangeError.
 * A key is a '/'-separated relative path whose every segment is non-empty,
 * does not start with '.' (no '.', '..', hidden names: temporary files of
 * the FileStore are hidden, so no key can collide with one), and which holds
 * no NUL, no backslash (a separator on Windows) and no drive prefix.
 *
 * @example
 * checkKey('v720p/seg_3.m4s');   // 'v720p/seg_3.m4s'
 * checkKey('../etc/passwd');     // throws RangeError
 */
export function checkKey(key: string): string {
  if (typeof key !== 'string') throw new RangeError(`store key must be a string, got ${typeof key}`);
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw new RangeError(`store key must be 1..${MAX_KEY_LENGTH} characters`);
  if (key.includes('\0')) throw new RangeError('store key must not contain NUL');
  if (key.includes('\\')) throw new RangeError(`store key must not contain a backslash: ${JSON.stringify(key)}`);
  if (key.startsWith('/')) throw new RangeError(`store key must be relative: ${JSON.stringify(key)}`);
  if (/^[A-Za-z]:/.test(key)) throw new RangeError(`store key must not start with a drive letter: ${JSON.stringify(key)}`);
  for (const part of key.split('/')) {
    if (part === '') throw new RangeError(`store key has an empty path segment: ${JSON.stringify(key)}`);
    if (part.startsWith('.')) throw new RangeError(`store key segments must not start with '.': ${JSON.stringify(key)}`);
  }
  return key;
}

/**
 * Checks a list() prefix: '' (everything), or a key prefix such as 'v720p/'
 * or 'v720p/seg_'. The part up to the last '/' must be a valid key.
 *
 * @example
 * checkPrefix('v720p/');  // 'v720p/'
 * checkPrefix('../');     // throws RangeError
 */
export function checkPrefix(prefix: string): string {
  if (typeof prefix !== 'string') throw new RangeError(`store prefix must be a string, got ${typeof prefix}`);
  if (prefix === '') return prefix;
  const slash = prefix.lastIndexOf('/');
  if (slash >= 0) checkKey(prefix.slice(0, slash));
  const rest = prefix.slice(slash + 1);
  if (rest !== '') checkKey(rest);
  return prefix;
}

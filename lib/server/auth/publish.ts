/**
 * Publish authorisation: who may publish on the peer-facing ingests (RTMP,
 * HTTP push). Sources the operator configured (pull, listen, demo) are not
 * asked. See docs/server/auth.md.
 */
import { StreamRefused } from '../errors.js';
import type { PublishAuthOptions, PublishContext } from '../options.js';
import type { IngestProtocol, IngestSource, StreamPath } from '../types.js';
import { secretList, verifyToken } from './token.js';

/**
 * Longest publish query accepted (characters): a peer-controlled length.
 *
 * @example
 * if (query.length > MAX_PUBLISH_QUERY) refuse();
 */
export const MAX_PUBLISH_QUERY = 2048;

/**
 * ms an `authorizePublish` hook has to answer; a silent one is a refusal, not a publisher held forever.
 *
 * @example
 * AbortSignal.timeout(AUTHORIZE_TIMEOUT_MS - 1000); // a hook's own deadline for its lookup
 */
export const AUTHORIZE_TIMEOUT_MS = 10_000;

const PEER_FACING: ReadonlySet<IngestProtocol> = new Set(['rtmp', 'http']);

/**
 * Resolves when the publisher may go on; rejects with a StreamRefused ('EAUTH') when not.
 *
 * @example
 * const check: PublishCheck | null = createPublishCheck(options.auth);
 */
export type PublishCheck = (source: IngestSource, path: StreamPath) => Promise<void>;

/**
 * Makes the registry's publish check from its `auth` option, or null when
 * anyone may publish. Checks the option itself at once (a TypeError for a
 * hook that is no function, or secrets that are not 1–2 strings of at least
 * 16 characters). `authorizePublish`, when given, replaces the signature
 * check: it must resolve `true` within {@link AUTHORIZE_TIMEOUT_MS}; false,
 * a throw or a rejection refuses (its message is the reason).
 *
 * @example
 * const check = createPublishCheck({ publishSecret: process.env.PUBLISH_SECRET });
 * await check?.(source, parseStreamPath(source.path)); // StreamRefused 'EAUTH' when not signed
 */
export function createPublishCheck(auth: PublishAuthOptions | undefined): PublishCheck | null {
  if (auth === undefined) return null;
  if (typeof auth !== 'object' || auth === null) throw new TypeError('StreamRegistry: auth must be an object');
  const hook = auth.authorizePublish;
  if (hook !== undefined && typeof hook !== 'function') throw new TypeError('StreamRegistry: auth.authorizePublish must be a function');
  const secrets = auth.publishSecret !== undefined ? secretList(auth.publishSecret, 'StreamRegistry: auth.publishSecret') : null;
  if (!hook && !secrets) return null;

  return async (source, p) => {
    if (!PEER_FACING.has(source.protocol)) return;
    const query = source.query ?? '';
    if (typeof query !== 'string' || query.length > MAX_PUBLISH_QUERY) throw new StreamRefused(`the publish query is longer than ${MAX_PUBLISH_QUERY} characters`, 'EAUTH');
    if (hook) {
      const ctx: PublishContext = { path: p.path, app: p.app, name: p.name, protocol: source.protocol, remoteAddress: source.remoteAddress ?? null, query: new URLSearchParams(query) };
      let verdict: unknown;
      let timer: NodeJS.Timeout | undefined;
      try {
        verdict = await Promise.race([
          Promise.resolve().then(() => hook.call(auth, ctx)),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`authorizePublish did not answer within ${AUTHORIZE_TIMEOUT_MS} ms`)), AUTHORIZE_TIMEOUT_MS);
          }),
        ]);
      } catch (e) {
        throw new StreamRefused(`not authorized to publish ${p.path}: ${(e as Error)?.message ?? e}`, 'EAUTH');
      } finally {
        clearTimeout(timer);
      }
      if (verdict !== true) throw new StreamRefused(`not authorized to publish ${p.path}`, 'EAUTH');
      return;
    }
    const v = verifyToken(secrets!, `/${p.path}`, query);
    if (!v.ok) throw new StreamRefused(`publishing ${p.path} needs a signed stream name (?exp=…&sig=…): ${v.reason}`, 'EAUTH');
  };
}

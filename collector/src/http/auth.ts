import type { SourceConfig } from '../config/config.ts';
import { HttpError } from './errors.ts';

/**
 * The write key a request carries before its body: the HTTP Basic user (key as user, empty
 * password, as Segment's server libraries send it), else the `writeKey` query parameter (the
 * browser and mini-program SDKs, whose text/plain requests cannot carry a header without a CORS
 * preflight). Another Authorization scheme is ignored.
 */
export function headerWriteKey(
  authorization: string | undefined,
  query: string | undefined,
): string | undefined {
  const basic = authorization && /^Basic\s+(.+)$/i.exec(authorization.trim());
  if (basic?.[1]) {
    let decoded: string;
    try {
      decoded = atob(basic[1]);
    } catch {
      throw new HttpError(401, 'unauthorized', 'Authorization header is not valid Basic auth');
    }
    const user = decoded.split(':')[0];
    if (user) return user;
  }
  return query || undefined;
}

/** The write key inside a JSON body, where Segment's analytics.js sends it. */
export function bodyWriteKey(body: Record<string, unknown>): string | undefined {
  return typeof body.writeKey === 'string' ? body.writeKey : undefined;
}

/** Looks up the source a request belongs to, or refuses it with 401. */
export function authenticate(
  sources: ReadonlyMap<string, SourceConfig>,
  key: string | undefined,
): SourceConfig {
  if (!key)
    throw new HttpError(
      401,
      'unauthorized',
      'missing write key: send it as Basic auth user, as the writeKey query parameter or as writeKey in the body',
    );
  const source = sources.get(key);
  if (!source) throw new HttpError(401, 'unauthorized', 'unknown write key');
  return source;
}

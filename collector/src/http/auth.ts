import type { SourceConfig } from '../config/config.ts';
import { HttpError } from './errors.ts';

/** The write key from HTTP Basic auth (key as user, empty password) or from the body. */
export function writeKeyOf(authorization: string | undefined, body: unknown): string | undefined {
  const basic = authorization && /^Basic\s+(.+)$/i.exec(authorization.trim());
  if (basic?.[1]) {
    try {
      const decoded = atob(basic[1]);
      const user = decoded.split(':')[0];
      if (user) return user;
    } catch {
      throw new HttpError(401, 'unauthorized', 'Authorization header is not valid Basic auth');
    }
  }
  if (typeof body === 'object' && body !== null && 'writeKey' in body && typeof body.writeKey === 'string') {
    return body.writeKey;
  }
  return undefined;
}

/** Looks up the source a request belongs to, or refuses it with 401. */
export function authenticate(
  sources: ReadonlyMap<string, SourceConfig>,
  key: string | undefined,
): SourceConfig {
  if (!key)
    throw new HttpError(401, 'unauthorized', 'missing write key: send it as Basic auth user or as writeKey');
  const source = sources.get(key);
  if (!source) throw new HttpError(401, 'unauthorized', 'unknown write key');
  return source;
}

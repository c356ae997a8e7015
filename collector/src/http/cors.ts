import type { SourceConfig } from '../config/config.ts';

/** Whether a source accepts requests from a browser origin. */
export function originAllowed(source: SourceConfig, origin: string): boolean {
  return source.allowedOrigins.includes('*') || source.allowedOrigins.includes(origin);
}

/** Whether any source accepts an origin; preflights carry no write key, so this is all they can check. */
export function originAllowedByAny(sources: Iterable<SourceConfig>, origin: string): boolean {
  for (const source of sources) if (originAllowed(source, origin)) return true;
  return false;
}

/** Response headers that let an allowed origin read the collector's answer. */
export function corsHeaders(origin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
    // The SDK reads Retry-After to time its next attempt after a 429 or 503.
    'Access-Control-Expose-Headers': 'Retry-After',
    Vary: 'Origin',
  };
}

/** Extra headers of a preflight answer. */
export const PREFLIGHT_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Content-Encoding, Authorization',
  'Access-Control-Max-Age': '86400',
};

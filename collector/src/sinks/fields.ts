import type { StoredEvent } from './sink.ts';

/** The name an event is known by in the `event` column: track name, page or screen name. */
export function eventName(event: StoredEvent): string | null {
  if (event.type === 'track') return event.event;
  if (event.type === 'page' || event.type === 'screen') return event.name ?? null;
  return null;
}

/**
 * The source of an identity link kept from a store made before links had one, when no stored
 * identify or alias event tells which source made it. No write key can be this (parentheses are
 * not allowed in one), so it names no real source unless a source is configured with this name.
 */
export const UNATTRIBUTED_SOURCE = '(unattributed)';

/** The anonymous → known pair an identify or alias event establishes, if any. */
export function identityLink(event: StoredEvent): [string, string] | undefined {
  if (event.type === 'alias' && event.userId) return [event.previousId, event.userId];
  if (event.type === 'identify' && event.anonymousId && event.userId)
    return [event.anonymousId, event.userId];
  return undefined;
}

/** Reads a positive integer option of a sink URL, or the default; anything else is a startup error. */
export function intParam(params: URLSearchParams, name: string, fallback: number, min = 1): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`sink URL option ${name}=${raw} must be an integer of at least ${min}`);
  }
  return value;
}

/** Removes the given options from a URL's query, leaving the rest for the client library. */
export function withoutParams(url: URL, names: readonly string[]): string {
  const copy = new URL(url.href);
  for (const name of names) copy.searchParams.delete(name);
  return copy.href;
}

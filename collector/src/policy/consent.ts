import { CONSENT_EVENT, type ConsentCategory, type TrailEvent } from '@trail/sdk-core/protocol';
import type { Config, SourceConfig } from '../config/config.ts';

/** The consent category an event needs: by name, then by type, then the configured default. */
export function categoryOf(event: TrailEvent, policy: Config['consent']): ConsentCategory {
  const name = event.type === 'track' ? event.event : undefined;
  if (name === CONSENT_EVENT) return 'necessary';
  // Own keys only: an event named `constructor` must not find Object.prototype's.
  const own = (key: string | undefined) =>
    key && Object.hasOwn(policy.events, key) ? policy.events[key] : undefined;
  return own(name) || own(event.type) || policy.defaultCategory;
}

/** The event's own decision for a category (case-insensitive, as Segment clients vary), if any. */
function decision(event: TrailEvent, category: ConsentCategory): boolean | undefined {
  const prefs: unknown = event.context?.consent?.categoryPreferences;
  if (typeof prefs !== 'object' || prefs === null) return undefined;
  for (const [key, value] of Object.entries(prefs)) {
    if (key.toLowerCase() === category && typeof value === 'boolean') return value;
  }
  return undefined;
}

/**
 * Whether the collector may keep the event: `necessary` always; otherwise the event's own consent
 * decides, and with no decision on it the source's mode does (opt-in drops, opt-out keeps).
 */
export function consentAllows(event: TrailEvent, source: SourceConfig, policy: Config['consent']): boolean {
  const category = categoryOf(event, policy);
  if (category === 'necessary') return true;
  return decision(event, category) ?? source.consentMode === 'opt-out';
}

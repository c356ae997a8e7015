import type { TrailEvent } from '@trail/sdk-core/protocol';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.ts';
import { categoryOf, consentAllows } from './consent.ts';

const config = parseConfig({
  sources: [{ writeKey: 'in', consentMode: 'opt-in' }, { writeKey: 'out' }],
  consent: { events: { 'Ad Clicked': 'marketing', identify: 'necessary' } },
});
const [optIn, optOut] = config.sources as [(typeof config.sources)[0], (typeof config.sources)[0]];
const track = (event: string, prefs?: Record<string, boolean>): TrailEvent => ({
  type: 'track',
  event,
  messageId: 'm',
  anonymousId: 'a',
  context: prefs ? { consent: { categoryPreferences: prefs } } : {},
});

describe('consent policy', () => {
  it('finds the category by event name, then type, then the default', () => {
    expect(categoryOf(track('Ad Clicked'), config.consent)).toBe('marketing');
    expect(categoryOf({ type: 'identify', messageId: 'm', userId: 'u' }, config.consent)).toBe('necessary');
    expect(categoryOf(track('Order Completed'), config.consent)).toBe('analytics');
    expect(categoryOf(track('Consent Updated'), config.consent)).toBe('necessary');
  });

  it('follows the event decision first, case-insensitively', () => {
    expect(consentAllows(track('Viewed', { Analytics: false }), optOut, config.consent)).toBe(false);
    expect(consentAllows(track('Viewed', { analytics: true }), optIn, config.consent)).toBe(true);
    expect(
      consentAllows(track('Ad Clicked', { analytics: true, marketing: false }), optOut, config.consent),
    ).toBe(false);
  });

  it('falls back to the source mode when the event carries no decision', () => {
    expect(consentAllows(track('Viewed'), optIn, config.consent)).toBe(false);
    expect(consentAllows(track('Viewed'), optOut, config.consent)).toBe(true);
    expect(consentAllows(track('Ad Clicked', { analytics: true }), optIn, config.consent)).toBe(false);
    expect(consentAllows(track('Consent Updated', { analytics: false }), optIn, config.consent)).toBe(true);
  });
});

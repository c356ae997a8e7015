import { readJson, type SyncStore } from './platform.ts';

/** A user's decision per consent category; `necessary` is implied. */
export interface ConsentPrefs {
  analytics: boolean;
  marketing: boolean;
}

/** `opt-in`: nothing is stored or sent before a decision (PIPL, GDPR). `opt-out`: on until denied. */
export type ConsentMode = 'opt-in' | 'opt-out';

const KEY = 'trail_consent';

/** The decision remembered from an earlier visit, a denial too. */
export function loadConsent(sync: SyncStore): ConsentPrefs | undefined {
  const saved = readJson<ConsentPrefs>(sync, KEY);
  return saved && typeof saved.analytics === 'boolean' ? saved : undefined;
}

/** Remembers a decision, a denial too: a record of the two choices and nothing else, no identifier. */
export function saveConsent(sync: SyncStore, prefs: ConsentPrefs): void {
  sync.set(KEY, JSON.stringify(prefs));
}

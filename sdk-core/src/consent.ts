import { readJson, type SyncStore } from './platform.ts';

/** A user's decision per consent category; `necessary` is implied. */
export interface ConsentPrefs {
  analytics: boolean;
  marketing: boolean;
}

/** `opt-in`: nothing is stored or sent before a decision (PIPL, GDPR). `opt-out`: on until denied. */
export type ConsentMode = 'opt-in' | 'opt-out';

const KEY = 'trail_consent';

/** The decision remembered from an earlier visit, if the user granted something then. */
export function loadConsent(sync: SyncStore): ConsentPrefs | undefined {
  const saved = readJson<ConsentPrefs>(sync, KEY);
  return saved && typeof saved.analytics === 'boolean' ? saved : undefined;
}

/** Remembers a decision that grants something; a full denial leaves no record at all. */
export function saveConsent(sync: SyncStore, prefs: ConsentPrefs): void {
  sync.set(KEY, prefs.analytics || prefs.marketing ? JSON.stringify(prefs) : null);
}

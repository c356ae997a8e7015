import type { Client, ConsentPrefs } from '@trail/sdk-core';

type TcData = {
  gdprApplies?: boolean;
  eventStatus?: string;
  purpose?: { consents?: Record<string, boolean> };
};
type TcfApi = (cmd: string, version: number, cb: (data: TcData, ok: boolean) => void) => void;

/** Browser privacy signals the site chose to honour: GPC denies marketing, DNT denies everything. */
export function applySignals(client: Client, config: { respectGpc?: boolean; respectDnt?: boolean }): void {
  if (config.respectGpc && (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl)
    client.restrict({ marketing: false });
  // Without analytics nothing is kept or sent at all, marketing included.
  if (config.respectDnt && navigator.doNotTrack === '1')
    client.restrict({ analytics: false, marketing: false });
}

/**
 * Follows an IAB TCF v2 CMP when the page has one: analytics needs purposes 1 (store) and 7, 8 or 9
 * (measurement); marketing needs 1, 3 and 4 (personalised ads).
 */
export function followTcf(client: Client): void {
  const api = (globalThis as { __tcfapi?: TcfApi }).__tcfapi;
  api?.('addEventListener', 2, (d, ok) => {
    // Until the user acts, the CMP's UI is showing and its purposes mean nothing yet.
    if (!ok || !d.gdprApplies || d.eventStatus === 'cmpuishown') return;
    const c = d.purpose?.consents ?? {};
    client.setConsent({
      analytics: !!c[1] && !!(c[7] || c[8] || c[9]),
      marketing: !!(c[1] && c[3] && c[4]),
    });
  });
}

const ADS = ['ad_storage', 'ad_user_data', 'ad_personalization'];

/** A gtag command as `dataLayer` holds it: the arguments of `gtag('consent', 'update', {…})`. */
type Command = { [i: number]: unknown } | undefined;

/**
 * Follows Google Consent Mode v2 when the page uses gtag: the consent commands already in
 * `dataLayer` (later ones win), then each one pushed. `analytics_storage` decides analytics;
 * marketing needs `ad_storage`, `ad_user_data` and `ad_personalization` all granted. A default with a
 * `region` counts as if the visitor were there: the SDK cannot know where they are.
 */
export function followConsentMode(client: Client, decided: boolean): void {
  const layer = (window as { dataLayer?: Command[] }).dataLayer;
  if (!layer) return;
  const state: Record<string, unknown> = {};
  let updated = false;
  const read = (commands: Command[]) => {
    let seen;
    for (const c of commands) {
      if (c?.[0] == 'consent') {
        Object.assign(state, c[2]);
        updated ||= c[1] == 'update';
        seen = 1;
      }
    }
    const next: Partial<ConsentPrefs> = {};
    if (state.analytics_storage) next.analytics = state.analytics_storage == 'granted';
    if (ADS.some((k) => state[k])) next.marketing = ADS.every((k) => state[k] == 'granted');
    if (!seen || !Object.keys(next)[0]) return;
    // An update is the visitor's choice. A default is the site's stance: it never overrides a choice
    // the visitor made, decides nothing for a visitor held for opt-in, and otherwise only holds back
    // what it denies.
    if (updated) client.setConsent(next);
    else if (!decided && client.consent()) {
      const denied = Object.fromEntries(Object.entries(next).filter(([, v]) => !v));
      if (Object.keys(denied)[0]) client.setConsent(denied);
    }
  };
  read(layer);
  const push = layer.push;
  layer.push = (...items) => (read(items), push.apply(layer, items));
}

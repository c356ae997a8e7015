import type { Client } from '@trail/sdk-core';

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
  if (config.respectDnt && navigator.doNotTrack === '1') client.restrict({ analytics: false });
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

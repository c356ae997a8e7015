import { campaignOf, type Client, type CoreConfig, createClient, loadConsent } from '@trail/sdk-core';
import { adopter } from './adopt.ts';
import { captureClicks } from './autocapture/clicks.ts';
import { captureForms } from './autocapture/forms.ts';
import { capturePages } from './autocapture/pages.ts';
import { pageProperties, webContext } from './context.ts';
import { applySignals, followConsentMode, followTcf } from './privacy-signals.ts';
import { leavingForOwnOrigin } from './leaving.ts';
import { queueStore, syncStore } from './storage.ts';
import { transport } from './transport.ts';

/** Which automatic events to collect; each defaults as noted. */
export interface Autocapture {
  /** Page views on load and SPA route changes (default on). */
  pageviews?: boolean;
  /** Clicks on links, buttons and `[data-track]` (default on). */
  clicks?: boolean;
  /** Form submissions, without field values (default off). */
  forms?: boolean;
}

/** Settings of the browser SDK. */
export interface WebConfig extends CoreConfig {
  /** Honour Global Privacy Control (denies marketing). Default false. */
  respectGpc?: boolean;
  /** Honour Do Not Track (denies everything). Default false. */
  respectDnt?: boolean;
  /** Follow an IAB TCF v2 CMP (`__tcfapi`) when the page has one. Default true. */
  tcf?: boolean;
  /** Follow Google Consent Mode v2 (gtag's `dataLayer`) when the page has it. Default true. */
  consentMode?: boolean;
  /** Automatic events, or false for none. */
  autocapture?: false | Autocapture;
}

/** Starts the browser SDK: storage, transport, lifecycle hooks, privacy signals and autocapture. */
export function createWebClient(config: WebConfig): Client {
  const store = queueStore();
  const owner = adopter(store);

  const sync = syncStore();
  // Read before the client starts: a decision made on an earlier visit outranks a site's default.
  const decided = loadConsent(sync) !== undefined;
  const client = createClient(
    {
      // Writes wait for the queue's Web Lock; a withdrawal's delete must not overtake a waiting write.
      store: {
        ...store,
        set: async (k, v) => (await owner.held(), store.set(k, v)),
        del: async (k) => (await owner.held(), store.del(k)),
      },
      sync,
      transport,
      context: webContext,
      // Read at every event: an SPA route's campaign is the newest touch.
      campaign: () => campaignOf(Object.fromEntries(new URLSearchParams(location.search))),
      online: () => navigator.onLine,
      adopt: owner.adopt,
      handover: leavingForOwnOrigin(),
    },
    config,
  );
  client.use(pageProperties);
  applySignals(client, config);
  if (config.tcf !== false) followTcf(client);
  if (config.consentMode !== false) followConsentMode(client, decided);
  const exit = () => void client.flush(true);
  addEventListener('pagehide', () => (exit(), owner.leave(true)));
  addEventListener('pageshow', (e) => e.persisted && owner.leave(false));
  document.addEventListener('visibilitychange', () => document.hidden && exit());
  addEventListener('online', () => client.online());
  const auto = config.autocapture;
  if (auto !== false) {
    if (auto?.pageviews !== false) capturePages(client);
    if (auto?.clicks !== false) captureClicks(client);
    if (auto?.forms) captureForms(client);
  }
  return client;
}

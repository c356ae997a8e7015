import {
  type CampaignContext,
  type Client,
  type CoreConfig,
  createClient,
  orphanQueues,
} from '@trail/sdk-core';
import { contextOf, type Visit } from './context.ts';
import { type Autocapture, hookLifecycle } from './lifecycle.ts';
import { detect } from './native.ts';
import { queueStore, syncStore } from './storage.ts';
import { transport } from './transport.ts';

export type {
  Client,
  ClientStats,
  ConsentPrefs,
  OrderProperties,
  Plugin,
  Product,
  Properties,
  TrailEvent,
} from '@trail/sdk-core';
export type { Autocapture } from './lifecycle.ts';

/** Settings of the mini-program SDK. */
export interface MiniProgramConfig extends CoreConfig {
  /** Default `opt-in`: nothing is stored or sent before `grantConsent()` (or a privacy agreement already given). */
  consent?: CoreConfig['consent'];
  /**
   * `'trust'`: when no decision was made, ask `wx.getPrivacySetting` at start and grant consent if it
   * says no authorization is needed. Only for an app that declared a privacy guideline: WeChat also
   * answers so when none is declared, and the grant would then be no one's. Off by default. The SDK
   * never registers `wx.onNeedPrivacyAuthorization`: WeChat keeps only the last listener, which
   * belongs to the app's own privacy popup.
   */
  privacySetting?: 'trust';
  /** Add share-chain parameters to shared paths. Default false. */
  shareTracking?: boolean;
  /** Query keys of channel codes (QR "live codes", promoters) copied into `context.campaign`. */
  channelKeys?: string[];
  /** Automatic events, or false for none. */
  autocapture?: false | Autocapture;
}

/** Starts the SDK; call it before App() and Page() run (first line of app.js). */
export function init(config: MiniProgramConfig): Client {
  const [platform, api] = detect();
  const alipay = platform === 'alipay';
  const visit: Visit = {};
  let landing: CampaignContext | undefined;
  let online = true;
  const store = queueStore(api);
  const client = createClient(
    {
      store,
      sync: syncStore(api, alipay),
      transport: transport(api, alipay),
      context: contextOf(api, platform, visit),
      campaign: () => landing,
      online: () => online,
      async adopt(own, take) {
        // One app instance at a time: every other stored queue is an earlier launch's.
        for (const key of orphanQueues(await store.keys(), own)) await take(key);
      },
    },
    { maxBytes: 500_000, consent: 'opt-in', ...config },
  );
  api.getNetworkType({ success: (r) => (online = r.networkType !== 'none') });
  api.onNetworkStatusChange((r) => {
    online = r.isConnected;
    if (online) client.online();
  });
  if (config.privacySetting === 'trust' && client.consent() === undefined) {
    api.getPrivacySetting?.({ success: (r) => r.needAuthorization === false && client.grantConsent() });
  }
  const auto = config.autocapture;
  if (auto !== false) {
    hookLifecycle(client, {
      auto: auto ?? {},
      shareTracking: config.shareTracking === true,
      channelKeys: config.channelKeys ?? ['channel'],
      visit,
      land: (c) => (landing = c),
    });
  }
  return client;
}

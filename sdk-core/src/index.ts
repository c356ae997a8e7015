export {
  type Client,
  createClient,
  type ClientStats,
  type CoreConfig,
  type Plugin,
  type Properties,
  type Sent,
} from './client.ts';
export type { Callback, Options } from './args.ts';
export { type ConsentMode, type ConsentPrefs, loadConsent } from './consent.ts';
export { campaignOf } from './campaign.ts';
export { datasetProps } from './dataset.ts';
export { orphanQueues } from './handover.ts';
export { uuid } from './ids.ts';
export { maskPii, maskPiiDeep } from './pii.ts';
export type { AsyncStore, Platform, SendResult, SyncStore, Transport } from './platform.ts';
export { warn } from './warn.ts';
export * from './protocol.ts';

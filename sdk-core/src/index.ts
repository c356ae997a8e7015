export {
  type Client,
  createClient,
  type ClientStats,
  type CoreConfig,
  type Plugin,
  type Properties,
} from './client.ts';
export type { ConsentMode, ConsentPrefs } from './consent.ts';
export { campaignOf } from './campaign.ts';
export { datasetProps } from './dataset.ts';
export { uuid } from './ids.ts';
export { maskPii, maskPiiDeep } from './pii.ts';
export type { AsyncStore, Platform, SendResult, SyncStore, Transport } from './platform.ts';
export * from './protocol.ts';

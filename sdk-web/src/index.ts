export type {
  Client,
  ClientStats,
  ConsentMode,
  ConsentPrefs,
  OrderProperties,
  Plugin,
  Product,
  Properties,
  TrailEvent,
} from '@trail/sdk-core';
export { createWebClient as createTrail, type Autocapture, type WebConfig } from './web.ts';

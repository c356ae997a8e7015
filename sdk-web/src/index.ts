export type {
  Callback,
  Client,
  ClientStats,
  ConsentMode,
  ConsentPrefs,
  Options,
  OrderProperties,
  Plugin,
  Product,
  Properties,
  Sent,
  TrailEvent,
} from '@trail/sdk-core';
import { createWebClient } from './web.ts';

export type { Autocapture, WebConfig } from './web.ts';

/**
 * Starts the browser SDK. A setup call, made once: a missing or malformed `writeKey` or `endpoint`
 * throws an Error naming it. Every method of the client it returns only warns, never throws.
 */
export const createTrail: typeof createWebClient = createWebClient;

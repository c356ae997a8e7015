import type { CampaignContext, EventContext, TrailEvent } from './protocol.ts';

/** Asynchronous key-value storage for the event queue (IndexedDB, mini-program storage, memory). */
export interface AsyncStore {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
}

/** Small synchronous storage for identity, session and the consent record; must not create anything on read. */
export interface SyncStore {
  get(key: string): string | null;
  set(key: string, value: string | null): void;
}

/** The JSON stored in `sync` under `key`: null when there is none, undefined when it does not parse. */
export const readJson = <T>(sync: SyncStore, key: string): T | null | undefined => {
  try {
    return JSON.parse(sync.get(key) ?? 'null') as T | null;
  } catch {
    return undefined;
  }
};

/** What the collector answered: status 0 for a network error; `retryAfter` in seconds. */
export interface SendResult {
  status: number;
  retryAfter?: number;
}

/** Sends one request body to the collector. */
export interface Transport {
  /** `exiting`: the page or app is going away, so use a request that outlives it. */
  send(url: string, body: string, exiting: boolean): Promise<SendResult>;
}

/** Everything the core needs from the platform it runs on; the core never touches a global. */
export interface Platform {
  store: AsyncStore;
  sync: SyncStore;
  transport: Transport;
  /** Context of an event made now: page or screen, locale, user agent, library. */
  context(): EventContext;
  /** The campaign the current visit landed with (URL, mini-program open), asked at every event. */
  campaign?(): CampaignContext | undefined;
  /** Whether the network is believed to be up (a send is skipped while it is not). */
  online(): boolean;
  /**
   * Events that other, dead instances (closed tabs, earlier launches) left in storage; the platform
   * guarantees that only one live instance receives each orphaned queue.
   */
  adopt?(own: string): Promise<TrailEvent[]>;
}

import type { CampaignContext, EventContext } from './protocol.ts';

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
  /** The answer's body, where the platform can read it. */
  body?: string;
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
  /** The campaign of the current URL or mini-program open, asked at every event (the last touch). */
  campaign?(): CampaignContext | undefined;
  /** Whether the network is believed to be up (a send is skipped while it is not). */
  online(): boolean;
  /**
   * Finds the queues that other, dead instances (closed tabs, earlier launches) left in storage and
   * calls `take` for each (see orphanQueues); the platform guarantees that only one live instance
   * takes each queue, and that `own` is this instance's before it resolves or any write of it.
   */
  adopt?(own: string, take: (queue: string) => Promise<void>): Promise<unknown>;
  /** The instance is leaving for another of the same app, which will take its queue over: no exit send. */
  handover?(): boolean;
}

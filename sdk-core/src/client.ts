import { type ConsentMode, type ConsentPrefs, loadConsent, saveConsent } from './consent.ts';
import { uuid } from './ids.ts';
import { createIdentity } from './identity.ts';
import { maskPiiDeep } from './pii.ts';
import type { Platform, SendResult } from './platform.ts';
import {
  CONSENT_EVENT,
  type EventType,
  type JsonObject,
  type OrderProperties,
  type Product,
  type TrailEvent,
} from './protocol.ts';
import { createQueue } from './queue.ts';

/** Properties or traits as an app passes them: any JSON-like object. */
export type Properties = { [key: string]: unknown };

/** A plugin sees every event before it is queued: return it (changed or not) to keep it, null to drop it. */
export type Plugin = (event: TrailEvent) => TrailEvent | null | undefined;

/** Settings shared by every platform. */
export interface CoreConfig {
  /** The source's public write key, sent in the URL as it is (the collector allows only URL-safe keys). */
  writeKey: string;
  /** Collector base URL, e.g. `https://t.example.com`. */
  endpoint: string;
  /** `opt-in` holds everything in memory until consent is granted; default `opt-out`. */
  consent?: ConsentMode;
  /** Events per request; a full batch is sent at once. Default 20. */
  batchSize?: number;
  /** Milliseconds an event may wait for more to join its batch. Default 3000. */
  flushInterval?: number;
  /** Most events kept while the collector is out of reach; the oldest go first. Default 1000. */
  maxQueue?: number;
  /** Most bytes kept queued. Default 1 MB. */
  maxBytes?: number;
  /** Mask mobile numbers, emails, ID-card and bank-card numbers before sending. Default true. */
  maskPii?: boolean;
}

/** Counters an app or a test can read. */
export interface ClientStats {
  queued: number;
  /** Dropped to stay within the queue bounds. */
  dropped: number;
  /** Refused by the collector as invalid (4xx), so never retried. */
  rejected: number;
}

const BEACON_BYTES = 60_000;
const BATCH_BYTES = 450_000;

/** The platform-free tracking client: builds events, applies consent, queues, batches and retries. */
export interface Client {
  /** Records something the user did. */
  track(event: string, properties?: Properties): void;
  /** Records a web page view. */
  page(name?: string, properties?: Properties): void;
  /** Records a mini-program or app screen view. */
  screen(name?: string, properties?: Properties): void;
  /** Says who the user is; traits are merged into what is known. */
  identify(userId?: string, traits?: Properties): void;
  /** Joins an earlier id (by default the current one) to `userId`. */
  alias(userId: string, previousId?: string): void;
  /** Puts the user in a group (company, store, account). */
  group(groupId: string, traits?: Properties): void;
  /** Forgets the user on this device (logout): a new anonymousId, no userId or traits. */
  reset(): void;
  /** The anonymous id events carry now. */
  anonymousId(): string;
  /** Product Viewed (e-commerce v2). */
  productViewed(product: Product): void;
  /** Product Added to the cart. */
  productAdded(product: Product): void;
  /** Product Removed from the cart. */
  productRemoved(product: Product): void;
  /** Cart Viewed, with its products. */
  cartViewed(cart: { cart_id?: string; products: Product[] }): void;
  /** Checkout Started. */
  checkoutStarted(order: OrderProperties): void;
  /** Order Completed: the purchase. */
  orderCompleted(order: OrderProperties): void;
  /** Product Shared. */
  productShared(share: Properties): void;
  /** The current consent decision, undefined while none was made in opt-in mode. */
  consent(): ConsentPrefs | undefined;
  /** Grants every category: held events are sent, storage is used from now on. */
  grantConsent(): void;
  /** Denies everything: the queue and the identifiers are purged, nothing more is stored or sent. */
  denyConsent(): void;
  /** Records a consent decision per category; the change itself is tracked as `Consent Updated`. */
  setConsent(prefs: Partial<ConsentPrefs>): void;
  /** Caps categories whatever the user grants (GPC, DNT); a capped category stays denied. */
  restrict(cap: Partial<ConsentPrefs>): void;
  /** Adds a plugin that can enrich, change or drop every event. */
  use(plugin: Plugin): void;
  /** Counters: queued, dropped by bounds, rejected by the collector. */
  stats(): ClientStats;
  /**
   * Sends what is queued. `exiting` (page hide, app hide) sends up to two batches at once in requests
   * that outlive the page; events stay stored until acknowledged, so a lost exit request costs nothing.
   */
  flush(exiting?: boolean): Promise<void>;
  /** The network came back: retry now rather than at the end of the backoff. */
  online(): void;
}

// Made from the event names (ECOMMERCE_EVENTS) rather than written out: seven methods cost bytes.
const ECOMMERCE =
  'Product Viewed,Product Added,Product Removed,Cart Viewed,Checkout Started,Order Completed,Product Shared';

/** A client on a platform. */
export function createClient(p: Platform, c: CoreConfig): Client {
  const url = c.endpoint.replace(/\/*$/, '/v1/batch?writeKey=') + c.writeKey;
  const batchSize = c.batchSize ?? 20;
  const q = createQueue(p.store, `trail_q_${uuid()}`, c.maxQueue ?? 1000, c.maxBytes ?? 1e6);
  const id = createIdentity(p.sync);
  const plugins: Plugin[] = [];
  let prefs: ConsentPrefs | undefined =
    loadConsent(p.sync) ?? (c.consent === 'opt-in' ? undefined : { analytics: true, marketing: true });
  let cap: Partial<ConsentPrefs> = {};
  /** The consent in effect, as last reported by a Consent Updated event. */
  let shown = prefs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let waiting = false;
  let flying = 0;
  let attempt = 0;
  let rejected = 0;

  const effective = (x: ConsentPrefs): ConsentPrefs => ({
    analytics: x.analytics && cap.analytics !== false,
    marketing: x.marketing && cap.marketing !== false,
  });

  const applyConsent = (e: TrailEvent, x: ConsentPrefs) => {
    const ctx = (e.context ??= {});
    ctx.consent = { categoryPreferences: x as unknown as Record<string, boolean> };
    // Ad click ids identify a person to an ad network: marketing consent only. Copies, not deletes:
    // the campaign objects are shared with the session and the landing page.
    if (!x.marketing) {
      ctx.campaign &&= { ...ctx.campaign, clickIds: undefined };
      ctx.firstCampaign &&= { ...ctx.firstCampaign, clickIds: undefined };
    }
  };

  /** Turns storage on: identity, queue, and the queues dead instances left behind. */
  const store = () => {
    if (q._persist) return;
    // Adoption first: it takes this queue's lock, which must be held before the queue is written.
    const orphans = p.adopt?.(q._key);
    id._persist = q._persist = true;
    id._save();
    q._save();
    void orphans
      ?.then((events) => {
        if (events.length) {
          // A dead page's events are older than any this one tracked while adoption was pending.
          q._push(events, true);
          schedule();
        }
      })
      .catch(() => {});
  };

  const purge = () => {
    q._clear();
    id._forget();
    id._persist = q._persist = false;
  };

  const schedule = () => {
    if (waiting || !q._items.length) return;
    if (q._items.length >= batchSize) void client.flush();
    else timer ??= setTimeout(() => void client.flush(), c.flushInterval ?? 3000);
  };

  /** Exponential backoff with jitter, never sooner than the collector's Retry-After. */
  const backoff = (retryAfter?: number) => {
    if (waiting) return;
    waiting = true;
    const base = Math.min(1000 * 2 ** attempt++, 60_000) * (0.5 + Math.random());
    setTimeout(
      () => {
        waiting = false;
        void client.flush();
      },
      Math.max(base, (retryAfter ?? 0) * 1000),
    );
  };

  const post = async (batch: TrailEvent[], exiting: boolean) => {
    flying++;
    const body = JSON.stringify({ batch, sentAt: new Date().toISOString() });
    // A transport that rejects counts as a network failure (status 0): the batch stays queued.
    const r: SendResult = await p.transport.send(url, body, exiting).catch(() => ({ status: 0 }));
    flying--;
    const s = r.status;
    if (s === 0 || s === 408 || s === 429 || s >= 500) {
      q._release(batch);
      backoff(r.retryAfter);
      return;
    }
    if (s >= 300) rejected += batch.length;
    attempt = 0;
    q._done(batch);
    schedule();
  };

  const add = (type: EventType, fields: Record<string, unknown>) => {
    const x = prefs && effective(prefs);
    if (x && !x.analytics) return;
    const now = Date.now();
    let e = {
      type,
      messageId: uuid(),
      anonymousId: id._v.a,
      userId: id._v.u,
      timestamp: new Date(now).toISOString(),
      context: { ...p.context(), ...id._session(now, p.campaign?.()) },
      ...fields,
    } as TrailEvent | null | undefined;
    if (x) applyConsent(e as TrailEvent, x);
    if (c.maskPii !== false) e = maskPiiDeep(e);
    for (const plugin of plugins) e = e && plugin(e);
    if (!e) return;
    q._push([e]);
    schedule();
  };

  const client = {
    track: (event, properties) => add('track', { event, properties: properties ?? {} }),
    page: (name, properties) => add('page', { name, properties: properties ?? {} }),
    screen: (name, properties) => add('screen', { name, properties: properties ?? {} }),
    identify(userId, traits) {
      id._set(userId, traits as JsonObject | undefined);
      add('identify', { traits: id._v.t ?? {} });
    },
    alias(userId, previousId) {
      const previous = previousId ?? id._v.u ?? id._v.a;
      id._set(userId);
      add('alias', { previousId: previous });
    },
    group: (groupId, traits) => add('group', { groupId, traits: traits ?? {} }),
    reset: id._reset,
    anonymousId: () => id._v.a,
    consent: () => prefs && effective(prefs),
    grantConsent: () => client.setConsent({ analytics: true, marketing: true }),
    denyConsent: () => client.setConsent({ analytics: false, marketing: false }),
    setConsent(next) {
      const now = { analytics: false, marketing: false, ...prefs, ...next };
      prefs = now;
      saveConsent(p.sync, now);
      const x = effective(now);
      // Compared with what was in effect before, so a cap re-applied is no change.
      const changed = JSON.stringify(shown) !== JSON.stringify((shown = x));
      if (!x.analytics) return purge();
      for (const e of q._items) applyConsent(e, x);
      store();
      if (changed) client.track(CONSENT_EVENT, x as unknown as Properties);
      schedule();
    },
    restrict(more) {
      cap = { ...cap, ...more };
      if (prefs) client.setConsent({});
    },
    use: (plugin) => void plugins.push(plugin),
    stats: () => ({ queued: q._items.length, dropped: q._dropped, rejected }),
    flush(exiting = false) {
      clearTimeout(timer);
      timer = undefined;
      if (!prefs?.analytics || !p.online()) return Promise.resolve();
      const sends: Promise<void>[] = [];
      // Exiting, two requests at once: mini-programs allow few, and a page's keepalive quota is small.
      while (exiting ? flying < 2 : !flying) {
        const batch = q._take(batchSize, exiting ? BEACON_BYTES : BATCH_BYTES);
        if (!batch.length) break;
        sends.push(post(batch, exiting));
      }
      return Promise.all(sends) as Promise<unknown> as Promise<void>;
    },
    online() {
      waiting = false;
      attempt = 0;
      void client.flush();
    },
  } as Client;
  for (const name of ECOMMERCE.split(',')) {
    (client as unknown as Record<string, unknown>)[name[0]?.toLowerCase() + name.slice(1).replace(' ', '')] =
      (props: Properties) => client.track(name, props);
  }
  if (prefs?.analytics) store();
  return client;
}

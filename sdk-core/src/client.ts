import { type Callback, type Options, readers } from './args.ts';
import { type ConsentMode, type ConsentPrefs, loadConsent, saveConsent } from './consent.ts';
import { encode } from './encode.ts';
import { withoutClickIds } from './campaign.ts';
import { adoptOrphans, handoverKey } from './handover.ts';
import { uuid } from './ids.ts';
import { createIdentity } from './identity.ts';
import { maskPiiDeep } from './pii.ts';
import type { Platform, SendResult } from './platform.ts';
import {
  CONSENT_EVENT,
  type EventType,
  type OrderProperties,
  type Product,
  type TrailEvent,
} from './protocol.ts';
import { createQueue } from './queue.ts';
import { warn } from './warn.ts';

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
  /** The collector's per-event limit (its `limits.eventBytes`): a larger event is refused at once. Default 32768. */
  maxEventBytes?: number;
  /** Milliseconds a call's promise and callback wait for the collector's answer at most. Default 300. */
  timeout?: number;
  /** Log every event and every refused call in the console, not only the first of each mistake. */
  debug?: boolean;
}

/**
 * What an event method returns: resolves with the event once the collector acknowledged it, or after
 * `timeout`; at once with undefined when the event was dropped (consent, a plugin, a mistake). Never rejects.
 */
export type Sent = Promise<TrailEvent | undefined>;
/** Segment's optional trailing arguments: properties (or traits), options, callback; any may be left out. */
type Rest = [(Properties | Callback | null)?, (Options | Callback)?, Callback?];

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
/** Most messageIds per receipts request (the collector's limit). */
const RECEIPT_IDS = 500;

/** The platform-free tracking client: builds events, applies consent, queues, batches and retries. */
export interface Client {
  /** Records something the user did: `track(event, properties?, options?, callback?)`. */
  track(event: string, ...rest: Rest): Sent;
  /** Records a web page view: `page(category?, name?, properties?, options?, callback?)`; one string is the name. */
  page(
    ...args: [category: string, name: string, ...rest: Rest] | [name?: string, ...rest: Rest] | Rest
  ): Sent;
  /** Records a mini-program or app screen view, with the arguments of `page`. */
  screen(
    ...args: [category: string, name: string, ...rest: Rest] | [name?: string, ...rest: Rest] | Rest
  ): Sent;
  /** Says who the user is, traits merged into what is known: `identify(userId?, traits?, options?, callback?)`. */
  identify(...args: [userId?: string | number | null, ...rest: Rest] | Rest): Sent;
  /** Joins an earlier id (by default the current one) to `userId`: `alias(userId, previousId?, options?, callback?)`. */
  alias(
    userId: string | number,
    previousId?: string | number | Options | Callback,
    options?: Options | Callback,
    callback?: Callback,
  ): Sent;
  /** Puts the user in a group (company, store, account): `group(groupId, traits?, options?, callback?)`. */
  group(groupId: string | number, ...rest: Rest): Sent;
  /** Forgets the user on this device (logout): a new anonymousId, no userId or traits. */
  reset(): void;
  /** The anonymous id events carry now. */
  anonymousId(): string;
  /** Product Viewed (e-commerce v2). */
  productViewed(product: Product): Sent;
  /** Product Added to the cart. */
  productAdded(product: Product): Sent;
  /** Product Removed from the cart. */
  productRemoved(product: Product): Sent;
  /** Cart Viewed, with its products. */
  cartViewed(cart: { cart_id?: string; products: Product[] }): Sent;
  /** Checkout Started. */
  checkoutStarted(order: OrderProperties): Sent;
  /** Order Completed: the purchase. */
  orderCompleted(order: OrderProperties): Sent;
  /** Product Shared. */
  productShared(share: Properties): Sent;
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

/**
 * A client on a platform. Meant to run once at setup: a missing or malformed `writeKey` or `endpoint`
 * throws an Error naming it, every later call only warns.
 */
export function createClient(p: Platform, c: CoreConfig): Client {
  // The key goes into URLs as it is; the endpoint is the collector's URL, e.g. https://t.example.com.
  for (const [k, ok] of [
    ['writeKey', /^[\w.~-]+$/],
    ['endpoint', /^(https?:)?\//],
  ] as const)
    if (!c?.[k] || !ok.test(`${c[k]}`)) throw Error(`trail: config.${k} is missing or invalid`);
  const api = (path: string) => c.endpoint.replace(/\/*$/, '/v1/') + path + '?writeKey=' + c.writeKey;
  const url = api('batch');
  const batchSize = c.batchSize ?? 20;
  const q = createQueue(p.store, `trail_q_${uuid()}`, c.maxQueue ?? 1000, c.maxBytes ?? 1e6);
  const id = createIdentity(p.sync);
  const read = readers(id);
  const limit = c.maxEventBytes ?? 32_768;
  const plugins: Plugin[] = [];
  /** Settles an event's promise: the collector acknowledged it. */
  const acks = new WeakMap<TrailEvent, Callback>();
  const acked = q._done;
  q._done = (events) => {
    acked(events);
    for (const e of events) acks.get(e)?.(e);
  };
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
      // The same ids ride in the page's URLs.
      for (const o of [ctx.page, e.type == 'page' && e.properties] as Record<string, unknown>[])
        for (const k of ['url', 'search', 'referrer'])
          if (typeof o?.[k] == 'string') o[k] = withoutClickIds(o[k]);
    }
  };

  /** Turns storage on: identity, queue, and the queues dead instances left behind. */
  const store = () => {
    if (q._persist) return;
    // Adoption first: it takes this queue's lock, which must be held before the queue is written.
    // A dead page's events are older than any this one tracked while adoption was pending.
    let adopted = 0;
    const orphans = adoptOrphans(p, q._key, (events, unsure) => {
      adopted += events.length;
      q._push(events, true, unsure);
    });
    id._persist = q._persist = true;
    id._save();
    q._save();
    // Sent once every queue is taken (one may doubt what another did not), without waiting for the
    // flush interval: they waited long enough already. Those of unknown fate are asked about first.
    void orphans.then(() => void (adopted && client.flush())).catch(() => {});
  };

  const purge = () => {
    q._clear();
    p.sync.set(handoverKey(q._key), null);
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

  /** Whether an answer means: nothing was stored, try again later. */
  const retry = (s: number) => s === 0 || s === 408 || s === 429 || s >= 500;

  /** Asks which unsure events the collector already has: those are done, the others go again. */
  const check = async (events: TrailEvent[]) => {
    flying++;
    const ids = JSON.stringify({ messageIds: events.map((e) => e.messageId) });
    const r: SendResult = await p.transport.send(api('receipts'), ids, false).catch(() => ({ status: 0 }));
    flying--;
    if (retry(r.status)) {
      q._release(events, true);
      backoff(r.retryAfter);
      return;
    }
    let got: unknown;
    try {
      got = (JSON.parse(r.body as string) as { received?: unknown }).received;
    } catch {
      // An answer without receipts (an older collector, a platform that hides bodies) confirms none.
    }
    const have = new Set(Array.isArray(got) ? got : []);
    q._release(events);
    q._done(events.filter((e) => have.has(e.messageId)));
    void client.flush();
  };

  const post = async (batch: TrailEvent[], exiting: boolean) => {
    flying++;
    const body = JSON.stringify({ batch, sentAt: new Date().toISOString() });
    // A transport that rejects counts as a network failure (status 0): the batch stays queued.
    const r: SendResult = await p.transport.send(url, body, exiting).catch(() => ({ status: 0 }));
    flying--;
    const s = r.status;
    if (retry(s)) {
      // Without an answer the batch may have arrived: it goes again only if receipts say it did not.
      q._release(batch, !s);
      backoff(r.retryAfter);
      return;
    }
    if (s >= 300) rejected += batch.length;
    attempt = 0;
    q._done(batch);
    // A flush goes on until the queue is empty: a backlog drains at once, not a batch per interval.
    void client.flush();
  };

  const add = (type: EventType, a: unknown[]): Sent => {
    let done: Callback = () => {};
    const sent: Sent = new Promise((r) => (done = r));
    try {
      const [fields, o, callback, accepted] = read[type](a);
      if (callback) void sent.then(callback);
      const x = prefs && effective(prefs);
      const now = Date.now();
      // Checked as the call made it first, so a mistake changes nothing (identity, session), then
      // again as it will be sent. Each time a JSON copy: later changes to the app's objects stay out.
      let e: TrailEvent | null | undefined = JSON.parse(
        encode(
          {
            type,
            messageId: uuid(),
            anonymousId: o?.anonymousId ?? id._v.a,
            userId: id._v.u,
            timestamp: new Date(o?.timestamp ?? now).toISOString(),
            integrations: o?.integrations,
            ...fields,
            context: { ...p.context(), ...o?.context, traits: o?.traits },
          },
          limit,
        ),
      ) as TrailEvent;
      accepted?.(e);
      if (!x || x.analytics) {
        e.context = { ...id._session(now, p.campaign?.()), ...e.context };
        if (c.maskPii !== false) e = maskPiiDeep(e);
        for (const plugin of plugins) e = e && plugin(e);
        if (e) {
          // After the plugins, which may add page fields.
          if (x) applyConsent(e, x);
          // Held for a decision, it gets its consent then: room for it.
          e = JSON.parse(encode(e as unknown as Properties, limit - (x ? 0 : 80))) as TrailEvent;
          q._push([e]);
          acks.set(e, done);
          setTimeout(() => done(e as TrailEvent), c.timeout ?? 300);
          if (c.debug) console.log('[trail]', e);
          schedule();
          return sent;
        }
      }
    } catch (error) {
      warn(`${type} refused: ${(error as Error)?.message ?? error}`, c.debug);
    }
    done();
    return sent;
  };

  /** Puts a consent decision (capped) in effect; a change the user made is tracked (`announce`). */
  const apply = (decided: ConsentPrefs, announce?: boolean) => {
    const x = effective(decided);
    // Compared with what was in effect before, so a cap re-applied is no change.
    const changed = JSON.stringify(shown) !== JSON.stringify((shown = x));
    id._marketing = x.marketing;
    if (!x.analytics) return purge();
    // Events held for the first decision take it; every other keeps the one it was tracked under.
    for (const e of q._items) if (!e.context?.consent) applyConsent(e, x);
    store();
    // Rewritten with or without the campaign touches.
    id._save();
    if (changed && announce) client.track(CONSENT_EVENT, x as unknown as Properties);
    schedule();
  };

  const client = {
    reset: id._reset,
    anonymousId: () => id._v.a,
    consent: () => prefs && effective(prefs),
    grantConsent: () => client.setConsent({ analytics: true, marketing: true }),
    denyConsent: () => client.setConsent({ analytics: false, marketing: false }),
    setConsent(next) {
      const all = { ...prefs, ...next };
      prefs = { analytics: !!all.analytics, marketing: !!all.marketing };
      saveConsent(p.sync, prefs);
      apply(prefs, true);
    },
    restrict(more) {
      cap = { ...cap, ...more };
      // A cap is the browser's or the site's, not the user's decision: applied, never remembered.
      if (prefs) apply(prefs);
    },
    use: (plugin) => void plugins.push(plugin),
    stats: () => ({ queued: q._items.length, dropped: q._dropped, rejected }),
    flush(exiting = false) {
      clearTimeout(timer);
      timer = undefined;
      const sends: Promise<void>[] = [];
      // Exiting, two requests at once: mini-programs allow few, and a page's keepalive quota is small.
      // Leaving for a page that takes the queue over, nothing: that page sends it.
      const go = prefs?.analytics && p.online() && !(exiting && p.handover?.());
      // Unsure events first, one receipts request at a time; none on the way out (no answer comes).
      const unsure = go && !exiting && !flying ? q._take(RECEIPT_IDS, BATCH_BYTES * 9, true) : [];
      if (unsure.length) sends.push(check(unsure));
      while (go && (exiting ? flying < 2 : !flying)) {
        const batch = q._take(batchSize, exiting ? BEACON_BYTES : BATCH_BYTES);
        if (!batch.length) break;
        sends.push(post(batch, exiting));
      }
      // The last word, written synchronously: a write begun now may never commit.
      if (exiting && q._persist) p.sync.set(handoverKey(q._key), JSON.stringify(q._handover()));
      return Promise.all(sends) as Promise<unknown> as Promise<void>;
    },
    online() {
      waiting = false;
      attempt = 0;
      void client.flush();
    },
  } as Client;
  for (const type in read)
    (client as unknown as Record<string, unknown>)[type] = (...a: unknown[]) => add(type as EventType, a);
  for (const name of ECOMMERCE.split(',')) {
    (client as unknown as Record<string, unknown>)[name[0]?.toLowerCase() + name.slice(1).replace(' ', '')] =
      (props: Properties) => client.track(name, props);
  }
  id._marketing = !!prefs?.marketing;
  // Storage waits a microtask: the platform applies the privacy signals it reads at start (GPC, DNT,
  // a CMP's or gtag's stored denial) first, so a denial leaves nothing written.
  void Promise.resolve().then(() => prefs && effective(prefs).analytics && store());
  return client;
}

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { sleep, waitFor } from '../support/wait-for.ts';
import { type StoredEvent, storedEvents } from '../support/web.ts';
import { FakeMiniProgram, type RequestRecord, type RuntimeOptions } from './fake-runtime.ts';

// The demo shop (examples/miniprogram) runs in the fake mini-program runtime with the SDK's built
// CommonJS bundle, against a real collector process; every assertion is on what the collector stored.
const ROOT = resolve(import.meta.dirname, '../..');
const APP_DIR = join(ROOT, 'examples/miniprogram');
const SDK_BUNDLE = join(ROOT, 'sdk-miniprogram/miniprogram_dist/index.js');
const CONFIG_MODULE = join(APP_DIR, 'config.js');
const MB = 1024 * 1024;

const ROUTES = {
  list: 'pages/list/list',
  product: 'pages/product/product',
  cart: 'pages/cart/cart',
  order: 'pages/order/order',
};
/** A write key (so a source, stored in `events.source`) per scenario. */
const KEYS = [
  'mp-flow',
  'mp-offline',
  'mp-suspend',
  'mp-full',
  'mp-chunks',
  'mp-share',
  'mp-privacy',
  'mp-alipay',
];

describe('demo mini-program against the collector', { timeout: 90_000 }, () => {
  let collector: CollectorProcess;
  const runtimes: FakeMiniProgram[] = [];
  const stored = (source: string, event?: string): StoredEvent[] => storedEvents(collector, source, event);
  const names = (source: string): string[] => stored(source).map((e) => e.event ?? e.type);

  /** The demo app on a new device, reporting to the test collector under `writeKey`. */
  const boot = (writeKey: string, options: RuntimeOptions = {}): FakeMiniProgram => {
    const rt = new FakeMiniProgram({
      ...options,
      aliases: { '@trail/sdk-miniprogram': SDK_BUNDLE },
      modules: { [CONFIG_MODULE]: { writeKey, endpoint: collector.url, flushInterval: 200 } },
    });
    runtimes.push(rt);
    return rt.loadApp(APP_DIR);
  };

  beforeAll(async () => {
    const buildError = inject('sdkBuildError');
    if (buildError) throw new Error(buildError);
    if (!existsSync(SDK_BUNDLE)) {
      throw new Error(`${SDK_BUNDLE} is missing: run \`npm run build\` (the mini-program SDK's CJS bundle)`);
    }
    collector = await startCollector({
      config: { sources: KEYS.map((writeKey) => ({ writeKey, consentMode: 'opt-in' as const })) },
    });
  });
  afterEach(() => {
    for (const rt of runtimes.splice(0)) rt.close();
  });
  afterAll(async () => {
    await collector?.stop();
  });

  it('records the whole shop flow: opens, screens, taps, e-commerce events, identify, background', async () => {
    const rt = boot('mp-flow', { loginCode: 'A1' }).launch({ scene: 1001 });
    await shop(rt);
    rt.hide();

    const expected = [
      'Product Viewed',
      'Product Added',
      'Cart Viewed',
      'Checkout Started',
      'Order Completed',
    ];
    await waitFor(() =>
      expect(names('mp-flow')).toEqual(expect.arrayContaining([...expected, 'Application Backgrounded'])),
    );
    const rows = stored('mp-flow');
    const one = (event: string) => {
      const found = rows.filter((r) => r.event === event);
      expect(found, event).toHaveLength(1);
      return found[0]!;
    };

    // One device, one anonymous id; every event says where it came from.
    expect(new Set(rows.map((r) => r.anonymous_id)).size).toBe(1);
    for (const row of rows) {
      expect(row.payload.context.miniprogram, `${row.type} ${row.event}`).toMatchObject({
        platform: 'wechat',
        appId: 'touristappid',
        scene: 1001,
      });
      expect(row.payload.context.consent.categoryPreferences.analytics).toBe(true);
    }
    expect(one('Application Opened').payload.properties).toMatchObject({ scene: 1001 });

    // A screen per page, named by its route.
    const screens = rows.filter((r) => r.type === 'screen');
    expect(screens.map((s) => s.payload.name)).toEqual([
      ROUTES.list,
      ROUTES.product,
      ROUTES.cart,
      ROUTES.order,
    ]);
    for (const s of screens) expect(s.payload.properties.path).toBe(s.payload.name);

    // Segment e-commerce v2.
    const tea = {
      product_id: 'p-1001',
      sku: 'TEA-LJ-250',
      name: 'Longjing Green Tea 250 g',
      price: 128,
      currency: 'CNY',
    };
    expect(one('Product Viewed').payload.properties).toMatchObject({
      ...tea,
      brand: 'West Lake',
      category: 'Green Tea',
    });
    const added = one('Product Added').payload.properties;
    expect(added).toMatchObject({ ...tea, quantity: 1, cart_id: expect.stringMatching(/^cart-/) });
    expect(one('Cart Viewed').payload.properties).toMatchObject({
      cart_id: added.cart_id,
      products: [{ ...tea, quantity: 1 }],
    });
    const checkout = one('Checkout Started').payload.properties;
    expect(checkout).toMatchObject({
      order_id: expect.stringMatching(/^order-/),
      currency: 'CNY',
      products: [tea],
    });
    expect(one('Order Completed').payload.properties).toMatchObject({
      order_id: checkout.order_id,
      total: 140,
      revenue: 128,
      shipping: 12,
      currency: 'CNY',
      products: [{ ...tea, quantity: 1 }],
    });

    // Taps on data-track elements, with their data-track-* attributes.
    expect(one('Product Clicked').payload.properties).toMatchObject({ product_id: 'p-1001', position: 1 });
    expect(one('Add To Cart Tapped').payload.properties).toMatchObject({ product_id: 'p-1001', price: 128 });

    // identify with the login's openid/unionid; later events carry the user id.
    const identify = rows.filter((r) => r.type === 'identify');
    expect(identify).toHaveLength(1);
    expect(identify[0]).toMatchObject({ user_id: 'user-A1' });
    expect(identify[0]!.payload.traits).toMatchObject({ openid: 'oA1', unionid: 'uA1' });
    expect(one('Order Completed').user_id).toBe('user-A1');
    expect(one('Application Backgrounded')).toBeDefined();

    // How it got there: no errors, nothing forbidden, no privacy listener but the app's, 1–2 requests at once.
    expect(rt.errors).toEqual([]);
    expect(rt.forbiddenCalls).toEqual([]);
    expect(rt.privacyListenerRegistrations).toHaveLength(1);
    expect(rt.maxConcurrent).toBeLessThanOrEqual(2);
    expect(doubleDelivered(rt.requests)).toEqual([]);
  });

  it('offline: events fired while the network is off all arrive, once, when it is back', async () => {
    const rt = boot('mp-offline').launch();
    await waitFor(() => expect(names('mp-offline')).toContain('Application Opened'));
    rt.setNetwork(false);
    await openProduct(rt);
    rt.tapElement({ id: 'add-to-cart' });
    rt.tapElement({ id: 'go-to-cart' });
    await onPage(rt, ROUTES.cart);
    await sleep(1_000); // five flush intervals, offline
    expect(names('mp-offline')).not.toContain('Product Viewed');
    const offlineSends = rt.requests.filter(
      (r) => r.outcome === 'success' && r.startedAt > Date.now() - 1_000,
    );
    expect(offlineSends).toEqual([]);

    rt.setNetwork(true);
    const fired = ['Product Viewed', 'Product Added', 'Cart Viewed', 'Add To Cart Tapped'];
    await waitFor(() => expect(names('mp-offline')).toEqual(expect.arrayContaining(fired)));
    await sleep(500);
    for (const event of fired) expect(stored('mp-offline', event), event).toHaveLength(1);
    expect(stored('mp-offline').filter((r) => r.type === 'screen')).toHaveLength(3);
    expect(doubleDelivered(rt.requests)).toEqual([]);
    expect(rt.errors).toEqual([]);
  });

  it('hidden and suspended with requests in flight: nothing lost, nothing stored twice', async () => {
    const rt = boot('mp-suspend', { suspendAfterMs: 200 }).launch();
    await openProduct(rt);
    rt.tapElement({ id: 'add-to-cart' });
    // The answers now take longer than the time JS has left after hide: the collector stores the
    // hide-time sends, but the app only learns "request:fail interrupted" when it is shown again.
    rt.latencyMs = 1_500;
    rt.hide();
    await waitFor(() => expect(rt.state).toBe('suspended'));
    await waitFor(() => expect(names('mp-suspend')).toContain('Application Backgrounded'));
    await sleep(1_500);
    const duringSuspension = rt.requests.filter((r) => r.appState === 'suspended');
    expect(duringSuspension).toEqual([]); // JS did not run: no timer fired, no request started
    rt.latencyMs = 0;
    rt.show();

    const interrupted = rt.requests.filter((r) => r.errMsg === 'request:fail interrupted');
    await waitFor(() => expect(interrupted.length).toBeGreaterThan(0));
    // The interrupted events are sent again (the collector drops the duplicates by messageId).
    const resent = interrupted.flatMap((r) => r.messageIds);
    await waitFor(() => {
      const later = rt.requests.filter(
        (r) => r.outcome === 'success' && r.id > Math.max(...interrupted.map((i) => i.id)),
      );
      expect(later.flatMap((r) => r.messageIds)).toEqual(expect.arrayContaining(resent));
    });
    // Back from the background: a second open and a second view of the product page.
    await waitFor(() => expect(stored('mp-suspend', 'Application Opened')).toHaveLength(2));
    await sleep(500);
    const rows = stored('mp-suspend');
    for (const event of [
      'Product Viewed',
      'Product Added',
      'Add To Cart Tapped',
      'Application Backgrounded',
    ]) {
      expect(
        rows.filter((r) => r.event === event),
        event,
      ).toHaveLength(1);
    }
    const opened = rows.filter((r) => r.event === 'Application Opened');
    expect(opened.map((r) => r.payload.properties.from_background)).toEqual([false, true]);
    expect(rows.filter((r) => r.type === 'screen').map((r) => r.payload.name)).toEqual([
      ROUTES.list,
      ROUTES.product,
      ROUTES.product,
    ]);
    expect(rt.errors).toEqual([]);
  });

  it('a full storage: the app keeps working and events are delivered from memory', async () => {
    const rt = boot('mp-full', { loginCode: 'F1' });
    rt.setStorageQuota(2_048); // a few identifiers fit, the queue does not
    rt.launch();
    await shop(rt);
    const expected = [
      'Product Viewed',
      'Product Added',
      'Cart Viewed',
      'Checkout Started',
      'Order Completed',
    ];
    await waitFor(() => expect(names('mp-full')).toEqual(expect.arrayContaining(expected)));
    expect(rt.errors).toEqual([]);
    expect(rt.currentPage?.data.paid).toBe(true);
    expect(rt.storage.writes.some((w) => !w.ok)).toBe(true); // the quota did refuse writes
    expect(rt.storage.writes.filter((w) => w.bytes > MB)).toEqual([]);
    expect(rt.storage.used).toBeLessThanOrEqual(2_048);
  });

  it('Alipay: the queue is stored in writes under the 200 KB per-key limit, and all of it is delivered', async () => {
    const rt = boot('mp-chunks', { platform: 'alipay' }).launch();
    rt.tapAgreePrivacy(); // Alipay has no privacy setting API: the demo asks on every launch
    await waitFor(() => expect(names('mp-chunks')).toContain('Application Opened'));
    rt.setNetwork(false);
    const note = 'x'.repeat(400);
    for (let i = 0; i < 300; i++) rt.app.trail.track('Bulk Event', { i, note });
    await sleep(1_000);
    const queueWrites = rt.storage.writes.filter((w) => w.bytes > 0);
    expect(queueWrites.length).toBeGreaterThan(0);
    expect(queueWrites.filter((w) => w.bytes > 200 * 1024)).toEqual([]);
    expect(rt.storage.writes.filter((w) => !w.ok)).toEqual([]);
    // The queue is written asynchronously (sync storage blocks the JS thread).
    expect(rt.storage.writes.filter((w) => w.key?.startsWith('trail_q') && w.api.endsWith('Sync'))).toEqual(
      [],
    );

    rt.setNetwork(true);
    await waitFor(() => expect(stored('mp-chunks', 'Bulk Event')).toHaveLength(300), { timeout: 30_000 });
    expect(rt.errors).toEqual([]);
  });

  it('follows a share chain three deep: D knows C shared, from A’s original share', async () => {
    const share = async (rt: FakeMiniProgram) => {
      const content = await rt.share('button');
      expect(content.path).toMatch(/^\/pages\/product\/product\?id=p-1002&/);
      expect(content.title).toBe('Pu-erh Tea Cake 357 g · ¥268'); // the async `promise` result
      return content.path;
    };
    const a = boot('mp-share').launch();
    await openProduct(a, 1);
    const pathA = await share(a);
    const b = boot('mp-share').launch({ path: pathA, scene: 1007 });
    const pathB = await share(b);
    const c = boot('mp-share').launch({ path: pathB, scene: 1008 });
    const pathC = await share(c);
    const d = boot('mp-share').launch({ path: pathC, scene: 1007 });
    const anon = (rt: FakeMiniProgram): string => rt.app.trail.anonymousId();
    expect(new Set([a, b, c, d].map(anon)).size).toBe(4);

    const byUser = (rt: FakeMiniProgram) => stored('mp-share').filter((r) => r.anonymous_id === anon(rt));
    await waitFor(() => expect(byUser(d).map((r) => r.event ?? r.type)).toContain('Application Opened'));
    await waitFor(() => expect(byUser(c).map((r) => r.event)).toContain('Product Shared'));
    const sharedByA = byUser(a).filter((r) => r.event === 'Product Shared');
    expect(sharedByA).toHaveLength(1);
    const rootShareId = sharedByA[0]!.payload.properties.share_id;
    expect(sharedByA[0]!.payload.properties).toMatchObject({
      share_id: expect.any(String),
      share_via: expect.any(String),
    });
    expect(pathA).toContain(rootShareId);

    const chainOf = (rt: FakeMiniProgram) => byUser(rt).map((r) => r.payload.context.miniprogram.share);
    for (const chain of chainOf(d)) expect(chain).toMatchObject({ depth: 3, sharerId: anon(c), rootShareId });
    for (const chain of chainOf(c)) expect(chain).toMatchObject({ depth: 2, sharerId: anon(b), rootShareId });
    for (const chain of chainOf(b)) expect(chain).toMatchObject({ depth: 1, sharerId: anon(a), rootShareId });
    const dScreen = byUser(d).find((r) => r.type === 'screen');
    expect(dScreen?.payload.context.miniprogram).toMatchObject({ scene: 1007, path: ROUTES.product });
    for (const rt of [a, b, c, d]) expect(rt.errors).toEqual([]);
  });

  it('shares carry no identifier before consent', async () => {
    const rt = boot('mp-privacy', { privacy: { needAuthorization: true } }).launch();
    await rt.idle();
    await openProduct(rt);
    const content = (await rt.share('button')) as { path?: string };
    expect(content.path).toBeDefined();
    expect(content.path).not.toMatch(/tr_uid|tr_sid|tr_d=|tr_root/);
    expect(rt.storage.writes).toEqual([]);
    expect(rt.errors).toEqual([]);
  });

  it('never grants consent by itself: WeChat says "no authorization needed" also without a guideline', async () => {
    // An app that declared no privacy guideline: getPrivacySetting answers needAuthorization false.
    const rt = boot('mp-privacy', { privacy: { needAuthorization: false } }).launch();
    await rt.idle();
    // Only the app asked; what it does with the answer is its decision (the example app grants).
    expect(rt.apiCalls.filter((c) => c === 'wx.getPrivacySetting')).toHaveLength(1);
    expect(rt.errors).toEqual([]);
  });

  it('before the privacy agreement: no request, no storage write; agreeing releases what was held', async () => {
    const rt = boot('mp-privacy', { privacy: { needAuthorization: true } }).launch();
    await rt.idle();
    expect(rt.currentPage?.data.showPrivacy).toBe(true); // the app's own popup
    await openProduct(rt);
    rt.tapElement({ id: 'add-to-cart' });
    rt.navigateBack();
    await sleep(1_500); // seven flush intervals

    expect(rt.requests).toEqual([]);
    expect(rt.storage.writes).toEqual([]);
    expect(stored('mp-privacy')).toEqual([]);

    rt.tapAgreePrivacy();
    const held = [
      'Application Opened',
      'Product Viewed',
      'Product Added',
      'Add To Cart Tapped',
      'Consent Updated',
    ];
    await waitFor(() => expect(names('mp-privacy')).toEqual(expect.arrayContaining(held)));
    expect(
      stored('mp-privacy')
        .filter((r) => r.type === 'screen')
        .map((r) => r.payload.name),
    ).toEqual(expect.arrayContaining([ROUTES.list, ROUTES.product]));
    // WeChat keeps only the last onNeedPrivacyAuthorization listener: the only one is the app's.
    expect(rt.privacyListenerRegistrations).toHaveLength(1);
    expect(rt.apiCalls).not.toContain('wx.requirePrivacyAuthorize');
    expect(rt.errors).toEqual([]);
  });

  it('Alipay (my): the same shop flow is stored with platform alipay', async () => {
    const rt = boot('mp-alipay', { platform: 'alipay', loginCode: 'B2' }).launch();
    rt.tapAgreePrivacy();
    await shop(rt);
    rt.hide();
    const expected = [
      'Product Viewed',
      'Product Added',
      'Cart Viewed',
      'Checkout Started',
      'Order Completed',
    ];
    await waitFor(() =>
      expect(names('mp-alipay')).toEqual(expect.arrayContaining([...expected, 'Application Backgrounded'])),
    );
    const rows = stored('mp-alipay');
    for (const row of rows) expect(row.payload.context.miniprogram.platform).toBe('alipay');
    expect(new Set(rows.map((r) => r.anonymous_id)).size).toBe(1);
    expect(
      rows.filter((r) => r.type === 'identify').map((r) => [r.user_id, r.payload.traits.openid]),
    ).toEqual([['user-B2', 'oB2']]);
    expect(rows.filter((r) => r.type === 'screen').map((r) => r.payload.name)).toEqual([
      ROUTES.list,
      ROUTES.product,
      ROUTES.cart,
      ROUTES.order,
    ]);
    expect(rt.errors).toEqual([]);
    expect(rt.forbiddenCalls).toEqual([]);
  });
});

/** Waits until the page on top is `route` (navigation through wx.navigateTo is asynchronous). */
async function onPage(rt: FakeMiniProgram, route: string): Promise<void> {
  await waitFor(() => expect(rt.currentPage?.route).toBe(route), { interval: 10 });
}

/** From the list, taps the product card at `index` (as the WXML's wx:for renders it). */
async function openProduct(rt: FakeMiniProgram, index = 0): Promise<void> {
  const item = rt.currentPage?.data.products[index];
  rt.tapElement({ track: 'Product Clicked' }, { item });
  await onPage(rt, 'pages/product/product');
}

/** The whole purchase: product, add to cart, cart, check out (login), pay. */
async function shop(rt: FakeMiniProgram): Promise<void> {
  await openProduct(rt);
  rt.tapElement({ id: 'add-to-cart' });
  rt.tapElement({ id: 'go-to-cart' });
  await onPage(rt, 'pages/cart/cart');
  rt.tapElement({ id: 'checkout' });
  await onPage(rt, 'pages/order/order');
  rt.tapElement({ id: 'pay' });
  await waitFor(() => expect(rt.currentPage?.data.paid).toBe(true), { interval: 10 });
}

/** messageIds that two requests delivered, both answered 200: a double send the SDK should avoid. */
function doubleDelivered(requests: RequestRecord[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const r of requests) {
    if (r.outcome !== 'success' || r.status !== 200) continue;
    for (const id of r.messageIds) {
      if (seen.has(id)) twice.add(id);
      seen.add(id);
    }
  }
  return [...twice];
}

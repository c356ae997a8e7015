import type { BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../support/wait-for.ts';
import {
  enableOfflinePages,
  expectNoDoubleSend,
  openPage,
  sdkReady,
  SdkTraffic,
  storedEvents,
  trackMany,
  type StoredEvent,
  type WebEnv,
  startWebEnv,
} from '../support/web.ts';

// End to end in Chromium: the script tag on one origin posts to a real collector process on another,
// and every assertion is on what the collector stored (its SQLite `events` table).
describe('browser SDK delivery', { timeout: 90_000 }, () => {
  let env: WebEnv;
  const contexts: BrowserContext[] = [];
  const newContext = async () => {
    const context = await env.browser.newContext();
    contexts.push(context);
    return context;
  };
  const stored = (source: string, event?: string) => storedEvents(env.collector, source, event);
  /** Distinct `properties.i` of stored events, sorted. */
  const indexes = (rows: StoredEvent[]) =>
    [...new Set(rows.map((r) => Number(r.payload.properties?.i)))].sort((a, b) => a - b);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);

  beforeAll(async () => {
    env = await startWebEnv(
      ['intact', 'offline', 'reload', 'closed', 'tabs'].map((writeKey) => ({ writeKey })),
    );
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('stores track, page, identify and every e-commerce helper intact', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await openPage(page, env.site, '/tag.html', { writeKey: 'intact' });
    const product = {
      product_id: 'p-1',
      sku: 'SKU-1',
      name: 'Longjing tea',
      price: 59.5,
      quantity: 1,
      currency: 'CNY',
      category: 'tea',
    };
    const order = {
      order_id: 'o-1',
      revenue: 119,
      total: 125,
      currency: 'CNY',
      products: [{ ...product, quantity: 2 }],
    };
    const nested = {
      plan: { name: 'gold', limits: { seats: 5, features: ['a', 'b', { deep: true }] } },
      tags: ['x', 'y'],
      ratio: 0.25,
      empty: {},
    };
    // Both call styles: the queue function and the methods on it.
    await page.evaluate(
      ([nestedProps, p, o]) => {
        const trail = (window as any).trail;
        trail('track', 'Nested Thing', nestedProps);
        trail.page('Manual Page', { section: 'catalog' });
        trail.identify('user-42', { plan: 'gold', address: { city: 'Hangzhou' } });
        trail.productViewed(p);
        trail.productAdded({ ...p, quantity: 2 });
        trail.productRemoved(p);
        trail.cartViewed({ cart_id: 'cart-1', products: [p] });
        trail.checkoutStarted(o);
        trail.orderCompleted(o);
      },
      [nested, product, order] as const,
    );

    const names = [
      'Trail Test Shop',
      'Nested Thing',
      'Manual Page',
      'Product Viewed',
      'Product Added',
      'Product Removed',
      'Cart Viewed',
      'Checkout Started',
      'Order Completed',
    ];
    const rows = await waitFor(() => {
      const all = stored('intact');
      for (const name of names) expect(all.map((r) => r.event)).toContain(name);
      expect(all.filter((r) => r.type === 'identify')).toHaveLength(1);
      return all;
    });
    await sleep(500);
    expect(stored('intact')).toHaveLength(rows.length); // nothing stored twice under new ids
    const one = (name: string) => {
      const found = rows.filter((r) => r.event === name);
      expect(found, name).toHaveLength(1);
      return found[0]!;
    };

    expect(one('Trail Test Shop').type).toBe('page'); // the autocaptured page view, named by the title
    expect(one('Nested Thing')).toMatchObject({ type: 'track' });
    expect(one('Nested Thing').payload.properties).toMatchObject(nested);
    expect(one('Nested Thing').payload.properties.plan).toEqual(nested.plan);
    expect(one('Manual Page')).toMatchObject({ type: 'page' });
    expect(one('Manual Page').payload.properties).toMatchObject({ section: 'catalog' });
    const identify = rows.find((r) => r.type === 'identify')!;
    expect(identify.user_id).toBe('user-42');
    expect(identify.payload.traits).toMatchObject({ plan: 'gold', address: { city: 'Hangzhou' } });

    expect(one('Product Viewed').payload.properties).toMatchObject(product);
    expect(one('Product Added').payload.properties).toMatchObject({ ...product, quantity: 2 });
    expect(one('Product Removed').payload.properties).toMatchObject(product);
    expect(one('Cart Viewed').payload.properties).toMatchObject({ cart_id: 'cart-1', products: [product] });
    expect(one('Checkout Started').payload.properties).toMatchObject(order);
    expect(one('Order Completed').payload.properties).toMatchObject(order);
    for (const name of names.slice(3)) {
      expect(one(name).type, name).toBe('track');
      expect(one(name).user_id, `${name} comes after identify`).toBe('user-42');
    }

    const pageUrl = page.url();
    const anonymousIds = new Set(rows.map((r) => r.anonymous_id));
    expect(anonymousIds.size).toBe(1);
    expect([...anonymousIds][0]).toEqual(expect.any(String));
    const sessions = new Set(rows.map((r) => r.payload.context?.session?.id));
    expect(sessions.size).toBe(1);
    expect([...sessions][0]).toEqual(expect.any(String));
    for (const row of rows) {
      const ctx = row.payload.context;
      expect(ctx.library.name, row.event ?? row.type).toBe('trail-web');
      expect(ctx.page).toMatchObject({ url: pageUrl, path: '/tag.html', title: 'Trail Test Shop' });
      expect(row.message_id).toBeTruthy();
    }
  });

  it('keeps events while offline and delivers each exactly once when back online', async () => {
    const context = await newContext();
    const traffic = new SdkTraffic(context, env.collector.url);
    const page = await context.newPage();
    await openPage(page, env.site, '/tag.html', { writeKey: 'offline' });
    await waitFor(() => expect(stored('offline', 'Trail Test Shop')).toHaveLength(1));

    await context.setOffline(true);
    await trackMany(page, 'Offline Event', 30);
    await sleep(2_000); // ten flush intervals: nothing may arrive while offline
    expect(stored('offline', 'Offline Event')).toHaveLength(0);

    await context.setOffline(false);
    const rows = await waitFor(() => {
      const found = stored('offline', 'Offline Event');
      expect(found).toHaveLength(30);
      return found;
    });
    await sleep(1_500);
    expect(stored('offline', 'Offline Event')).toHaveLength(30);
    expect(indexes(rows)).toEqual(range(30));
    await traffic.settled();
    expectNoDoubleSend(traffic, rows);
  });

  it('keeps events across a reload while offline (persisted in IndexedDB)', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await openPage(page, env.site, '/tag.html', { writeKey: 'reload' });
    await waitFor(() => expect(stored('reload', 'Trail Test Shop')).toHaveLength(1));

    // The visitor's page comes back offline the way it would on a real site: from a service worker.
    await enableOfflinePages(page);
    await waitFor(() => expect(stored('reload', 'Trail Test Shop')).toHaveLength(2));

    await context.setOffline(true);
    await trackMany(page, 'Before Reload', 10);
    await sleep(1_000); // a few failed flush attempts, then the visitor reloads
    expect(stored('reload', 'Before Reload')).toHaveLength(0);

    await page.reload();
    await sdkReady(page);
    // The new page starts offline and has the old page's events from IndexedDB. (Whether anything
    // reaches the collector in this second is Chromium's emulation, not the SDK's: on a loaded
    // machine the emulation was seen to lag the reload, so it is not asserted here.)
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);

    await context.setOffline(false);
    const rows = await waitFor(() => {
      const found = stored('reload', 'Before Reload');
      expect(found).toHaveLength(10);
      return found;
    });
    expect(indexes(rows)).toEqual(range(10));
  });

  it('delivers queued events when the tab is closed (pagehide)', async () => {
    const context = await newContext();
    const page = await context.newPage();
    // A flush interval far longer than the test: only the pagehide send can deliver these.
    await openPage(page, env.site, '/tag.html', { writeKey: 'closed', flushInterval: 600_000 });
    await trackMany(page, 'Before Close', 5);
    await sleep(500);
    expect(stored('closed', 'Before Close'), 'precondition: still queued in the page').toHaveLength(0);

    await page.close({ runBeforeUnload: true });
    const rows = await waitFor(() => {
      const found = stored('closed', 'Before Close');
      expect(found).toHaveLength(5);
      return found;
    });
    expect(indexes(rows)).toEqual(range(5));
  });

  it('does not double-send between two tabs of the same origin, one of them reloaded', async () => {
    const context = await newContext();
    const traffic = new SdkTraffic(context, env.collector.url);
    const tabA = await context.newPage();
    const tabB = await context.newPage();
    await openPage(tabA, env.site, '/tag.html', { writeKey: 'tabs' });
    await openPage(tabB, env.site, '/tag.html', { writeKey: 'tabs' });

    await Promise.all([trackMany(tabA, 'Tab A', 10), trackMany(tabB, 'Tab B', 10)]);
    // Reload A at once, with some of its events likely still queued (handed over via IndexedDB).
    traffic.markUnload(tabA);
    await tabA.reload();
    await sdkReady(tabA);
    await Promise.all([trackMany(tabA, 'Tab A Reloaded', 10), trackMany(tabB, 'Tab B Again', 10)]);

    const names = ['Tab A', 'Tab B', 'Tab A Reloaded', 'Tab B Again'];
    const rows = await waitFor(() => {
      const found = names.flatMap((name) => stored('tabs', name));
      for (const name of names) expect(indexes(found.filter((r) => r.event === name))).toEqual(range(10));
      return found;
    });
    await sleep(2_000); // time for any late duplicate to show up
    expect(names.flatMap((name) => stored('tabs', name))).toHaveLength(40);
    await traffic.settled();
    expectNoDoubleSend(traffic, rows);

    // The check above must have seen the sends: tabs that were never unloaded send only ordinary requests.
    const seen = new Set(traffic.delivered().flatMap((r) => r.messageIds));
    const mustBeSeen = rows.filter(
      (r) => r.event === 'Tab B' || r.event?.endsWith('Again') || r.event?.endsWith('Reloaded'),
    );
    for (const row of mustBeSeen)
      expect(seen.has(row.message_id), `${row.event} #${row.payload.properties.i}`).toBe(true);
  });
});

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { sleep, waitFor } from '../support/wait-for.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, sdkReady, storedEvents } from '../support/web.ts';

const SCREENSHOTS = resolve(import.meta.dirname, '../../test-results/screenshots');
const TOKEN = 'shop-debugger-token-0123456789';
/** The debugger's purchase funnel, as the README describes it. */
const FUNNEL = ['page', 'Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];

// The demo shop (examples/web-shop) as `npm start` serves it: the collector process serves the
// pages, the tag and the API on one origin, with the shop's own consent banner in front (opt-in).
describe('demo shop', { timeout: 120_000 }, () => {
  let collector: CollectorProcess;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const open = async (): Promise<{ page: Page; v1: string[] }> => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 820 } });
    contexts.push(context);
    const v1: string[] = [];
    context.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/v1/')) v1.push(`${request.method()} ${url.pathname}`);
    });
    const page = await context.newPage();
    await page.goto(`${collector.url}/shop/`);
    await sdkReady(page);
    return { page, v1 };
  };
  /** Clicks a link and waits for the next page and its tag. */
  const follow = async (page: Page, selector: string, url: RegExp) => {
    await page.click(selector);
    await page.waitForURL(url);
    await sdkReady(page);
  };
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `shop-${name}.png`), fullPage: true });
  const stored = (event?: string) => storedEvents(collector, 'demo', event);

  beforeAll(async () => {
    const buildError = inject('sdkBuildError');
    if (buildError) throw new Error(buildError);
    mkdirSync(SCREENSHOTS, { recursive: true });
    collector = await startCollector({ config: { demo: true, debugger: { token: TOKEN } } });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
  });

  it('serves the shop, the tag and a redirect from /', async () => {
    const root = await fetch(`${collector.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/shop/');
    const tag = await fetch(`${collector.url}/trail.js`);
    expect(tag.status).toBe(200);
    expect(tag.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${collector.url}/shop/../package.json`)).status).toBe(404);
  });

  it('records every step of a purchase after Accept all', async () => {
    const { page } = await open();
    await page.locator('#consent').waitFor({ state: 'visible' });
    await shot(page, 'consent');
    await page.click('#consent-accept');
    await page.locator('#consent').waitFor({ state: 'detached' });
    await shot(page, 'index');

    await page.click('[data-add="longjing"]');
    await follow(page, 'a[href="product.html?id=tieguanyin"] >> nth=1', /product\.html\?id=tieguanyin/);
    expect(await page.locator('#consent').count(), 'the shop remembers the choice').toBe(0);
    await page.fill('#qty', '2');
    await page.click('#add');
    await shot(page, 'product');

    await follow(page, '.cart-link', /cart\.html/);
    await page.click('[data-dec="longjing"]');
    await page.locator('[data-dec="longjing"]').waitFor({ state: 'detached' });
    await shot(page, 'cart');

    await follow(page, '#to-checkout', /checkout\.html/);
    await page.fill('[name="name"]', 'Li Wei');
    await page.fill('[name="email"]', 'li.wei@example.com');
    await page.fill('[name="address"]', '1 West Lake Road, Hangzhou');
    await shot(page, 'checkout');
    await follow(page, '#place-order', /done\.html/);
    await waitFor(async () => expect(await page.textContent('#order-amount')).toBe('¥312.00'));
    await shot(page, 'done');

    const names = () => stored().map((e) => e.event ?? e.type);
    await waitFor(() =>
      expect(names()).toEqual(
        expect.arrayContaining([
          'Consent Updated',
          'Product Added',
          'Product Viewed',
          'Product Removed',
          'Cart Viewed',
          'Checkout Started',
          'identify',
          'Order Completed',
        ]),
      ),
    );
    expect(stored('Consent Updated')[0]!.payload.properties).toMatchObject({
      analytics: true,
      marketing: true,
    });
    expect(stored('Product Viewed')[0]!.payload.properties).toMatchObject({
      product_id: 'tieguanyin',
      price: 156,
      currency: 'CNY',
    });
    expect(stored('Product Added').map((e) => e.payload.properties)).toEqual([
      expect.objectContaining({ product_id: 'longjing', quantity: 1 }),
      expect.objectContaining({ product_id: 'tieguanyin', quantity: 2 }),
    ]);
    expect(stored('Product Removed')[0]!.payload.properties).toMatchObject({
      product_id: 'longjing',
      quantity: 1,
    });
    expect(stored('Cart Viewed')[0]!.payload.properties.products).toHaveLength(2);
    expect(stored('Checkout Started')[0]!.payload.properties).toMatchObject({
      revenue: 312,
      currency: 'CNY',
    });
    const order = stored('Order Completed');
    expect(order).toHaveLength(1);
    expect(order[0]!.payload.properties).toMatchObject({
      order_id: expect.stringMatching(/^order-/),
      revenue: 312,
      currency: 'CNY',
      products: [expect.objectContaining({ product_id: 'tieguanyin', quantity: 2, price: 156 })],
    });
    const identify = stored().filter((e) => e.type === 'identify');
    expect(identify).toHaveLength(1);
    const email = String(identify[0]!.payload.traits.email);
    expect(email, 'the SDK masks the email').not.toBe('li.wei@example.com');
    expect(email).toContain('*');
    expect(JSON.stringify(stored().map((e) => e.payload))).not.toContain('li.wei@');
  });

  it('grants analytics but not marketing with Analytics only', async () => {
    const { page } = await open();
    await page.click('#consent-analytics');
    await page.click('[data-add="biluochun"]');
    await waitFor(() =>
      expect(stored('Product Added').map((e) => e.payload.properties.product_id)).toContain('biluochun'),
    );
    const anonymousId = stored('Product Added').find(
      (e) => e.payload.properties.product_id === 'biluochun',
    )!.anonymous_id;
    const consent = stored('Consent Updated').filter((e) => e.anonymous_id === anonymousId);
    expect(consent.map((e) => e.payload.properties)).toEqual([
      expect.objectContaining({ analytics: true, marketing: false }),
    ]);
  });

  it('sends nothing at all after Reject', async () => {
    const { page, v1 } = await open();
    await page.click('#consent-reject');
    await page.click('[data-add="puer"]');
    await follow(page, 'a[href="product.html?id=jasmine"] >> nth=1', /product\.html/);
    expect(await page.locator('#consent').count()).toBe(0);
    await page.click('#add');
    await follow(page, '.cart-link', /cart\.html/);
    await follow(page, '#to-checkout', /checkout\.html/);
    await sleep(2500); // more than the tag's flush interval (1 s)
    expect(v1).toEqual([]);
  });

  it('shows the purchase live in the debugger, with funnel counts matching the store', async () => {
    const watcher = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    contexts.push(watcher);
    const debug = await watcher.newPage();
    await debug.goto(`${collector.url}/debugger?token=${TOKEN}`);
    await debug.waitForFunction(() => document.getElementById('status')?.textContent === 'live');

    const { page } = await open();
    await page.click('#consent-accept');
    await follow(page, 'a[href="product.html?id=longjing"] >> nth=1', /product\.html\?id=longjing/);
    await page.click('#add');
    await follow(page, '.cart-link', /cart\.html/);
    await follow(page, '#to-checkout', /checkout\.html/);
    await page.fill('[name="name"]', 'Wang Fang');
    await page.fill('[name="email"]', 'wang.fang@example.com');
    await page.fill('[name="address"]', '2 Bund Road, Shanghai');
    await follow(page, '#place-order', /done\.html/);

    // Live: the order shows up in the debugger's stream without a reload.
    await debug.waitForFunction(
      () =>
        [...document.querySelectorAll('#events tbody tr')].some((tr) =>
          tr.textContent?.includes('Order Completed'),
        ),
      undefined,
      { timeout: 20_000 },
    );

    // The funnel: visitors who did each step and all earlier ones, counted from the store itself.
    const rows = stored();
    const did = (step: string) =>
      new Set(
        rows
          .filter((e) => (step === 'page' ? e.type === 'page' : e.event === step))
          .map((e) => e.anonymous_id),
      );
    let visitors = did(FUNNEL[0] as string);
    const expected = FUNNEL.map((step) => {
      visitors = new Set([...visitors].filter((id) => did(step).has(id)));
      return visitors.size;
    });
    expect(expected[4], 'this test bought once, so at least one visitor converted').toBeGreaterThan(0);
    await debug.evaluate(() => document.getElementById('hours')?.dispatchEvent(new Event('change')));
    // The funnel on the page was drawn before this purchase; wait for the refreshed one.
    const funnelOnPage = () =>
      debug.$$eval('#funnel .funnel-label', (ts) =>
        ts.map((t) => Number((t.textContent ?? '').split(' ')[0])),
      );
    await waitFor(async () => expect(await funnelOnPage()).toEqual(expected), { timeout: 15_000 });
    await debug.screenshot({ path: join(SCREENSHOTS, 'debugger-after-purchase.png'), fullPage: true });
  });
});

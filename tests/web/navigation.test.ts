import type { BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../support/wait-for.ts';
import {
  callTrail,
  openPage,
  sdkReady,
  SdkTraffic,
  startWebEnv,
  storedEvents,
  type WebEnv,
} from '../support/web.ts';

// Page views of a single-page app, autocaptured clicks, and the async snippet's replay, in Chromium
// against a real collector process.
describe('browser SDK pages and loading', { timeout: 90_000 }, () => {
  let env: WebEnv;
  const contexts: BrowserContext[] = [];
  const newContext = async () => {
    const context = await env.browser.newContext();
    contexts.push(context);
    return context;
  };
  const stored = (source: string, event?: string) => storedEvents(env.collector, source, event);

  beforeAll(async () => {
    env = await startWebEnv(['spa', 'clicks', 'snippet'].map((writeKey) => ({ writeKey })));
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('sends a page view for each SPA route change: pushState, replaceState, back, hash', async () => {
    const page = await (await newContext()).newPage();
    await openPage(page, env.site, '/spa.html', { writeKey: 'spa' });
    const pages = () => stored('spa').filter((r) => r.type === 'page');
    /** Waits for the next page view and returns it. */
    const nextPageView = async (count: number) =>
      waitFor(() => {
        const found = pages();
        expect(found).toHaveLength(count);
        return found[count - 1]!.payload;
      });

    const first = await nextPageView(1);
    expect(first.context.page.path).toBe('/spa.html');
    expect(first.name).toBe('SPA Home');

    await page.evaluate(() => history.pushState({ n: 1 }, '', '/spa/products'));
    expect((await nextPageView(2)).context.page.path).toBe('/spa/products');

    await page.evaluate(() => history.replaceState({ n: 2 }, '', '/spa/products/42?color=green'));
    const replaced = await nextPageView(3);
    expect(replaced.context.page.path).toBe('/spa/products/42');
    expect(replaced.context.page.url).toBe(`${env.site.url}/spa/products/42?color=green`);

    await page.evaluate(() => history.back()); // popstate, back to the first entry
    const back = await nextPageView(4);
    expect(back.context.page.path).toBe('/spa.html');

    await page.evaluate(() => (location.hash = '#reviews'));
    const hash = await nextPageView(5);
    expect(hash.context.page.path).toBe('/spa.html');
    expect(hash.context.page.url).toMatch(
      new RegExp(`^${env.site.url}/spa\\.html\\?writeKey=spa(#reviews)?$`),
    );

    await sleep(1_000);
    expect(pages().map((p) => p.payload.context.page.path)).toEqual([
      '/spa.html',
      '/spa/products',
      '/spa/products/42',
      '/spa.html',
      '/spa.html',
    ]);
    // One session and one visitor across the route changes.
    expect(new Set(pages().map((p) => p.payload.context.session.id)).size).toBe(1);
    expect(new Set(pages().map((p) => p.anonymous_id)).size).toBe(1);
  });

  it('captures clicks on buttons and links as Element Clicked', async () => {
    const page = await (await newContext()).newPage();
    await openPage(page, env.site, '/tag.html', { writeKey: 'clicks' });
    await page.click('#add-to-cart');
    await page.click('#product-link');
    const clicks = await waitFor(() => {
      const found = stored('clicks', 'Element Clicked');
      expect(found).toHaveLength(2);
      return found.map((r) => r.payload.properties);
    });
    const button = clicks.find((p) => p.text === 'Add to cart');
    const link = clicks.find((p) => p.text === 'Green tea');
    expect(button).toMatchObject({ text: 'Add to cart', selector: expect.any(String) });
    expect(link).toMatchObject({ text: 'Green tea', selector: expect.any(String) });
    expect(String(link?.href)).toMatch(/#green-tea$/);
  });

  it('replays calls made before the tag loaded, in order', async () => {
    const context = await newContext();
    const traffic = new SdkTraffic(context, env.collector.url);
    const page = await context.newPage();
    // The tag is held back by the server, so the page's own calls and one of ours hit the stub.
    await page.goto(`${env.site.url}/snippet.html?writeKey=snippet&delay=1500`, {
      waitUntil: 'domcontentloaded',
    });
    const stub = await page.evaluate(() => {
      const trail = (window as any).trail;
      return { track: typeof trail.track, queued: Array.isArray(trail.q) ? trail.q.length : -1 };
    });
    expect(stub, 'the tag must not have loaded yet').toEqual({ track: 'undefined', queued: 5 });
    await callTrail(page, 'track', 'Queued 3', { step: 4 });
    await sdkReady(page);
    await callTrail(page, 'track', 'After Load', { step: 5 });

    const expected = ['Queued 1', 'identify', 'Queued 2', 'Queued Page', 'Queued 3', 'After Load'];
    const rows = await waitFor(() => {
      const found = stored('snippet');
      expect(found).toHaveLength(expected.length);
      return found;
    });
    const byName = (name: string) => rows.find((r) => (r.event ?? r.type) === name)!;
    expect(byName('Queued 1').user_id).toBeNull();
    expect(byName('identify')).toMatchObject({ user_id: 'user-snippet' });
    expect(byName('identify').payload.traits).toMatchObject({ plan: 'pro' });
    expect(byName('Queued 2').user_id).toBe('user-snippet');
    expect(byName('Queued Page').type).toBe('page');
    expect(byName('Queued Page').payload.properties).toMatchObject({ step: 3 });
    expect(new Set(rows.map((r) => r.anonymous_id)).size).toBe(1);

    // Order as sent: the batches, in the order the browser made the requests (first sending of
    // each event; under load Playwright may miss a response, so the requests themselves are read).
    const sent = traffic.requests.filter((r) => r.method === 'POST').flatMap((r) => r.names);
    expect([...new Set(sent.filter((name) => expected.includes(name)))]).toEqual(expected);
    const times = expected.map((name) =>
      Date.parse(byName(name).payload.originalTimestamp ?? byName(name).timestamp),
    );
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});

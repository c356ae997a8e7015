import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../support/wait-for.ts';
import {
  callTrail,
  sdkReady,
  startWebEnv,
  type StoredEvent,
  storedEvents,
  type WebEnv,
} from '../support/web.ts';

// Page views of a single-page app in Chromium against a real collector: Segment's page properties,
// the title its router sets around each route change, the previous URL as referrer and the
// campaign of every route (last touch).
describe('browser SDK page data', { timeout: 90_000 }, () => {
  let env: WebEnv;
  const contexts: BrowserContext[] = [];
  const open = async (writeKey: string, query = ''): Promise<Page> => {
    const context = await env.browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${env.site.url}/router.html?writeKey=${writeKey}${query}`, {
      referer: 'https://news.example/spring-teas',
    });
    await sdkReady(page);
    return page;
  };
  /** Waits for the `count`th page view of `source` and returns the page views so far. */
  const pageViews = (source: string, count: number): Promise<StoredEvent[]> =>
    waitFor(() => {
      const found = storedEvents(env.collector, source).filter((r) => r.type === 'page');
      expect(found.length).toBeGreaterThanOrEqual(count);
      return found;
    });
  /** Calls the page's router: `when` the route's title is set (before, after, task, never). */
  const go = (page: Page, path: string, title: string, when: string) =>
    page.evaluate(([p, t, w]) => (window as any).go(p, t, w), [path, title, when] as const);

  beforeAll(async () => {
    env = await startWebEnv(['page-props', 'page-titles', 'page-manual'].map((writeKey) => ({ writeKey })));
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('gives page views the page properties, the previous URL as referrer and each route’s campaign', async () => {
    const page = await open('page-props', '&utm_source=news&utm_campaign=spring');
    const landing = page.url();
    const landingReferrer = await page.evaluate(() => document.referrer);
    expect(landingReferrer, 'the browser kept a referrer').not.toBe('');
    await pageViews('page-props', 1);
    await go(page, '/router/teas', 'Teas', 'after');
    await pageViews('page-props', 2);
    await go(page, '/router/about?utm_source=mail&utm_medium=email', 'About', 'after');
    const views = await pageViews('page-props', 3);

    // Each aspect on its own (soft), so that a failure names every one that is wrong.
    expect
      .soft(
        views.map((v) => v.payload.context.page.referrer),
        'referrers',
      )
      .toEqual([landingReferrer, landing, `${env.site.url}/router/teas`]);
    expect
      .soft(
        views.map((v) => v.payload.properties),
        'properties',
      )
      .toEqual([
        {
          path: '/router.html',
          url: landing,
          title: 'Router Home',
          referrer: landingReferrer,
          search: new URL(landing).search,
        },
        {
          path: '/router/teas',
          url: `${env.site.url}/router/teas`,
          title: 'Teas',
          referrer: landing,
          search: '',
        },
        {
          path: '/router/about',
          url: `${env.site.url}/router/about?utm_source=mail&utm_medium=email`,
          title: 'About',
          referrer: `${env.site.url}/router/teas`,
          search: '?utm_source=mail&utm_medium=email',
        },
      ]);
    // The campaign of the newest route that has one: last touch.
    expect
      .soft(
        views.map((v) => v.payload.context.campaign),
        'campaigns',
      )
      .toEqual([
        { source: 'news', name: 'spring' },
        { source: 'news', name: 'spring' },
        { source: 'mail', medium: 'email' },
      ]);
    for (const v of views) expect(v.payload.context.page).toEqual(v.payload.properties);
    expect(views[2]!.payload.context.firstCampaign).toEqual({ source: 'news', name: 'spring' });
  });

  it('records each route with the title its router sets: before, right after or in a later task', async () => {
    const page = await open('page-titles');
    await pageViews('page-titles', 1);
    await go(page, '/router/before', 'Before', 'before');
    await pageViews('page-titles', 2);
    await go(page, '/router/after', 'After', 'after');
    await pageViews('page-titles', 3);
    await go(page, '/router/task', 'Later Task', 'task');
    await pageViews('page-titles', 4);
    await go(page, '/router/same', 'unused', 'never');
    await pageViews('page-titles', 5);
    await sleep(1_500); // past the longest wait for a title
    const views = storedEvents(env.collector, 'page-titles').filter((r) => r.type === 'page');
    expect(views.map((v) => [v.payload.properties.path, v.payload.name, v.payload.properties.title])).toEqual(
      [
        ['/router.html', 'Router Home', 'Router Home'],
        ['/router/before', 'Before', 'Before'],
        ['/router/after', 'After', 'After'],
        ['/router/task', 'Later Task', 'Later Task'],
        ['/router/same', 'Later Task', 'Later Task'],
      ],
    );
  });

  it('puts the page properties under those a page() call passes', async () => {
    const page = await open('page-manual');
    await pageViews('page-manual', 1);
    await callTrail(page, 'page', 'Pricing', { plan: 'pro', title: 'Plans and pricing' });
    const views = await pageViews('page-manual', 2);
    expect(views[1]!.payload.name).toBe('Pricing');
    expect(views[1]!.payload.properties).toEqual({
      path: '/router.html',
      url: page.url(),
      title: 'Plans and pricing',
      referrer: await page.evaluate(() => document.referrer),
      search: '?writeKey=page-manual',
      plan: 'pro',
    });
  });
});

import type { BrowserContext, Page } from 'playwright-core';
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

const DENIED = { analytics: false, marketing: false };

/** localStorage as the page sees it, key by key. */
const localStore = (page: Page) =>
  page.evaluate(() => Object.fromEntries(Object.entries(localStorage)) as Record<string, string>);

// What the SDK remembers of consent decisions, in Chromium against a real collector: a denial like a
// grant, each event's own decision, and the campaign only where marketing was granted.
describe('browser SDK consent memory', { timeout: 90_000 }, () => {
  let env: WebEnv;
  const contexts: BrowserContext[] = [];
  const open = async (writeKey: string, params: Record<string, string | number> = {}) => {
    const context = await env.browser.newContext();
    contexts.push(context);
    const traffic = new SdkTraffic(context, env.collector.url);
    const page = await context.newPage();
    await openPage(page, env.site, '/api.html', { writeKey, ...params });
    return { page, traffic };
  };
  const stored = (source: string) => storedEvents(env.collector, source);

  beforeAll(async () => {
    env = await startWebEnv(
      ['deny-opt-out', 'deny-opt-in', 'per-event', 'campaign'].map((writeKey) => ({ writeKey })),
    );
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await env?.close();
  });

  it.each([
    ['deny-opt-out', 'opt-out'],
    ['deny-opt-in', 'opt-in'],
  ])(
    'a denial survives a reload (%s): no identifier, nothing sent until a new grant',
    async (source, consent) => {
      const { page, traffic } = await open(source, { consent });
      if (consent === 'opt-in') await callTrail(page, 'grantConsent');
      await callTrail(page, 'track', 'Before Denial');
      await waitFor(() => expect(stored(source).map((r) => r.event)).toContain('Before Denial'));
      const before = await page.evaluate(() => (window as any).trail.anonymousId());
      await callTrail(page, 'denyConsent');

      await page.reload();
      await sdkReady(page);
      const sentBefore = traffic.requests.length;
      expect(await page.evaluate(() => (window as any).trail.consent())).toEqual(DENIED);
      await callTrail(page, 'track', 'After Reload');
      await callTrail(page, 'identify', 'user-denied');
      await page.evaluate(() => (window as any).trail.flush());
      await sleep(1_000); // five flush intervals
      expect(traffic.requests.slice(sentBefore).map((r) => r.names)).toEqual([]);
      // The record of the denial and nothing else: no id, no queue.
      expect(await localStore(page)).toEqual({ trail_consent: JSON.stringify(DENIED) });

      await callTrail(page, 'grantConsent');
      await callTrail(page, 'track', 'Granted Again');
      const rows = await waitFor(() => {
        const found = stored(source);
        expect(found.map((r) => r.event)).toContain('Granted Again');
        return found;
      });
      expect(rows.map((r) => r.event)).not.toContain('After Reload');
      expect(rows.find((r) => r.event === 'Granted Again')?.anonymous_id).not.toBe(before);
    },
  );

  it('each event keeps the consent it was tracked under', async () => {
    const { page } = await open('per-event', { flushInterval: 2_000 });
    await page.evaluate(() => {
      const t = (window as any).trail;
      t.setConsent({ marketing: false });
      t.track('Marketing Off');
      t.grantConsent();
      t.track('Marketing On');
    });
    const rows = await waitFor(() => {
      const found = stored('per-event');
      expect(found.map((r) => r.event)).toEqual(expect.arrayContaining(['Marketing Off', 'Marketing On']));
      return found;
    });
    const prefs = (event: string) =>
      rows.find((r) => r.event === event)?.payload.context.consent.categoryPreferences;
    expect(prefs('Marketing Off')).toEqual({ analytics: true, marketing: false });
    expect(prefs('Marketing On')).toEqual({ analytics: true, marketing: true });
  });

  it('writes campaign and click ids to storage only under marketing consent', async () => {
    const { page } = await open('campaign', {
      consent: 'opt-in',
      utm_source: 'newsletter',
      utm_campaign: 'spring',
      gclid: 'G-CLICK-123',
    });
    await page.evaluate(() => {
      const t = (window as any).trail;
      t.setConsent({ analytics: true, marketing: false });
      t.track('Analytics Only');
    });
    await waitFor(() => expect(stored('campaign').map((r) => r.event)).toContain('Analytics Only'));
    const identity = async () => (await localStore(page)).trail_id ?? '';
    expect(await identity()).toMatch(/"a":/);
    expect(await identity()).not.toMatch(/newsletter|spring|G-CLICK-123/);
    const sent = stored('campaign').find((r) => r.event === 'Analytics Only')?.payload.context;
    expect(sent.campaign).toEqual({ source: 'newsletter', name: 'spring' });
    // Nor in the page's URLs (context.page, a page view's url and search).
    expect(JSON.stringify(stored('campaign').map((r) => r.payload))).not.toContain('G-CLICK-123');

    await callTrail(page, 'setConsent', { marketing: true });
    expect(await identity()).toMatch(/G-CLICK-123/);
    await callTrail(page, 'setConsent', { marketing: false });
    expect(await identity()).not.toMatch(/newsletter|spring|G-CLICK-123/);
  });
});

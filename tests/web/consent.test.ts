import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../support/wait-for.ts';
import {
  callTrail,
  openPage,
  SdkTraffic,
  startWebEnv,
  storageWrites,
  storedEvents,
  trackMany,
  type WebEnv,
} from '../support/web.ts';

const NOTHING_STORED = { indexedDB: [], localStorage: 0, sessionStorage: 0, cookie: '' };

// Opt-in consent (`data-consent="opt-in"`): before a decision the SDK may not touch the network or
// any storage; denial keeps it that way; a grant releases what was held. The collector's sources run
// in opt-in mode too, so events that do not carry the grant would be dropped there.
describe('browser SDK consent', { timeout: 90_000 }, () => {
  let env: WebEnv;
  const contexts: BrowserContext[] = [];
  const open = async (writeKey: string): Promise<{ page: Page; traffic: SdkTraffic }> => {
    const context = await env.browser.newContext();
    contexts.push(context);
    const traffic = new SdkTraffic(context, env.collector.url);
    const page = await context.newPage();
    await openPage(page, env.site, '/tag.html', { writeKey, consent: 'opt-in' });
    return { page, traffic };
  };
  const stored = (source: string, event?: string) => storedEvents(env.collector, source, event);

  beforeAll(async () => {
    env = await startWebEnv(
      ['consent-deny', 'consent-grant', 'gpc'].map((writeKey) => ({
        writeKey,
        consentMode: 'opt-in' as const,
      })),
    );
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('sends nothing and stores only the denial when the visitor denies', async () => {
    const { page, traffic } = await open('consent-deny');
    await trackMany(page, 'Before Decision', 3);
    await page.click('#add-to-cart');
    await callTrail(page, 'denyConsent');
    await trackMany(page, 'After Denial', 3);
    await callTrail(page, 'identify', 'user-denied', { plan: 'gold' });
    await page.click('#add-to-cart');
    await sleep(2_000); // ten flush intervals

    expect(traffic.requests.map((r) => r.url)).toEqual([]);
    // The denial is remembered like a grant, in a record that holds nothing else.
    expect(await storageWrites(page)).toEqual({ ...NOTHING_STORED, localStorage: 1 });
    expect(await page.evaluate(() => localStorage.getItem('trail_consent'))).toBe(
      '{"analytics":false,"marketing":false}',
    );
    expect(stored('consent-deny')).toEqual([]);
  });

  it('honours Do Not Track from the first moment in opt-out mode: nothing written, nothing sent', async () => {
    const context = await env.browser.newContext();
    contexts.push(context);
    // The browser's setting, as the page reads it (Chromium sets it from its preferences).
    await context.addInitScript(() =>
      Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' }),
    );
    const traffic = new SdkTraffic(context, env.collector.url);
    const page = await context.newPage();
    await openPage(page, env.site, '/tag.html', {
      writeKey: 'consent-deny',
      consent: 'opt-out',
      respectDnt: 'true',
    });
    await trackMany(page, 'Under DNT', 3);
    await page.click('#add-to-cart');
    await sleep(1_000); // five flush intervals
    expect(traffic.requests.map((r) => r.url)).toEqual([]);
    expect(await storageWrites(page)).toEqual(NOTHING_STORED);
    // Do Not Track denies everything, as the SDK reports it to a site that gates its pixels on it.
    expect(await page.evaluate(() => (window as any).trail.consent())).toEqual({
      analytics: false,
      marketing: false,
    });
  });

  it('honours Global Privacy Control on every load without reporting it as a consent change', async () => {
    const context = await env.browser.newContext();
    contexts.push(context);
    await context.addInitScript(() =>
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }),
    );
    const page = await context.newPage();
    for (let load = 0; load < 3; load++) {
      await openPage(page, env.site, '/tag.html', {
        writeKey: 'gpc',
        consent: 'opt-out',
        respectGpc: 'true',
      });
      await trackMany(page, 'Under GPC', 1);
      await page.evaluate(() => (window as any).trail.flush());
    }
    const rows = await waitFor(() => {
      const found = stored('gpc');
      expect(found.filter((r) => r.event === 'Under GPC')).toHaveLength(3);
      return found;
    });
    expect(rows.filter((r) => r.event === 'Consent Updated')).toEqual([]);
    for (const row of rows) expect(row.payload.context.consent.categoryPreferences.marketing).toBe(false);
  });

  it('holds events until consent is granted, then sends them and a Consent Updated event', async () => {
    const { page, traffic } = await open('consent-grant');
    await trackMany(page, 'Before Consent', 3);
    await page.click('#add-to-cart');
    await sleep(2_000);
    expect(
      traffic.requests.map((r) => r.url),
      'no request before the decision',
    ).toEqual([]);
    expect(await storageWrites(page), 'no storage before the decision').toEqual(NOTHING_STORED);

    await callTrail(page, 'grantConsent', ['analytics']);
    await trackMany(page, 'After Consent', 1);
    const rows = await waitFor(() => {
      const found = stored('consent-grant');
      const names = found.map((r) => r.event);
      expect(names.filter((n) => n === 'Before Consent')).toHaveLength(3);
      for (const name of ['Trail Test Shop', 'Element Clicked', 'Consent Updated', 'After Consent']) {
        expect(names).toContain(name);
      }
      return found;
    });
    for (const row of rows.filter((r) => r.event !== 'Consent Updated')) {
      expect(row.payload.context.consent.categoryPreferences, row.event ?? row.type).toMatchObject({
        analytics: true,
      });
    }
    expect(new Set(rows.map((r) => r.anonymous_id)).size).toBe(1);
    const updated = rows.find((r) => r.event === 'Consent Updated')!;
    expect(updated.type).toBe('track');
    // The rows can be read before the browser has the answer that says they were stored.
    await traffic.settled();
    expect(traffic.delivered().length).toBeGreaterThan(0);
  });
});

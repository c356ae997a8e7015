import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../support/wait-for.ts';
import { callTrail, openPage, SdkTraffic, startWebEnv, storedEvents, type WebEnv } from '../support/web.ts';

const ALL = ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage'];
const all = (state: 'granted' | 'denied') => Object.fromEntries(ALL.map((k) => [k, state]));

// Google Consent Mode v2 on a page that uses gtag (`gtag.html`: the default state is set before any
// tag loads), in Chromium against a real collector: the SDK follows the state gtag holds when it
// starts and every update after. analytics_storage decides analytics; marketing needs ad_storage,
// ad_user_data and ad_personalization.
describe('browser SDK follows Google Consent Mode', { timeout: 90_000 }, () => {
  let env: WebEnv;
  const contexts: BrowserContext[] = [];
  const open = async (
    writeKey: string,
    params: Record<string, string> = {},
  ): Promise<{ page: Page; traffic: SdkTraffic }> => {
    const context = await env.browser.newContext();
    contexts.push(context);
    const traffic = new SdkTraffic(context, env.collector.url);
    const page = await context.newPage();
    await openPage(page, env.site, '/gtag.html', { writeKey, ...params });
    return { page, traffic };
  };
  /** `gtag('consent', 'update', state)`, as a consent banner calls it. */
  const update = (page: Page, state: Record<string, string>) =>
    page.evaluate((s) => (window as any).gtag('consent', 'update', s), state);
  const stored = (source: string) => storedEvents(env.collector, source);
  const names = (source: string) => stored(source).map((r) => (r.type === 'track' ? r.event : r.type));
  /** The consent an event was stored with. */
  const consentOf = (source: string, name: string) =>
    stored(source).find((r) => (r.type === 'track' ? r.event : r.type) === name)?.payload.context.consent
      .categoryPreferences;

  beforeAll(async () => {
    env = await startWebEnv([
      { writeKey: 'gcm-grant' },
      { writeKey: 'gcm-deny' },
      { writeKey: 'gcm-off' },
      { writeKey: 'gcm-held', consentMode: 'opt-in' },
      { writeKey: 'gcm-remembered', consentMode: 'opt-in' },
      { writeKey: 'gcm-overruled' },
    ]);
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await env?.close();
  });

  it("never lets a site's default overrule the visitor's remembered denial", async () => {
    const context = await env.browser.newContext();
    contexts.push(context);
    const traffic = new SdkTraffic(context, env.collector.url);
    const page = await context.newPage();
    await openPage(page, env.site, '/tag.html', { writeKey: 'gcm-overruled', autocapture: 'false' });
    await callTrail(page, 'denyConsent');
    const denial = await page.evaluate(() => localStorage.getItem('trail_consent'));
    // The next page of the site runs gtag with a default that grants everything.
    await openPage(page, env.site, '/gtag.html', {
      writeKey: 'gcm-overruled',
      ads: 'granted',
      analytics: 'granted',
    });
    await callTrail(page, 'track', 'After Default');
    await sleep(1_000); // five flush intervals
    expect(traffic.requests.map((r) => r.names)).toEqual([]);
    expect(await page.evaluate(() => localStorage.getItem('trail_consent'))).toBe(denial);
    expect(await page.evaluate(() => (window as any).trail.consent())).toEqual({
      analytics: false,
      marketing: false,
    });
    // The visitor's own choice, through the consent banner's update, still counts.
    await update(page, all('granted'));
    await callTrail(page, 'track', 'After Update');
    await waitFor(() => expect(names('gcm-overruled')).toEqual(['Consent Updated', 'After Update']));
  });

  it('sends nothing under a default that denies, and tracks again once an update grants', async () => {
    const { page, traffic } = await open('gcm-grant');
    await callTrail(page, 'track', 'While Denied');
    await sleep(1_000); // five flush intervals
    expect(
      traffic.requests.map((r) => r.names),
      'no request while denied',
    ).toEqual([]);

    await update(page, all('granted'));
    await callTrail(page, 'track', 'After Grant');
    await waitFor(() => expect(names('gcm-grant')).toContain('After Grant'));
    expect(names('gcm-grant')).toEqual(['Consent Updated', 'After Grant']);
    expect(consentOf('gcm-grant', 'After Grant')).toEqual({ analytics: true, marketing: true });
  });

  it('tracks under a default that grants, and follows an update that denies', async () => {
    const { page, traffic } = await open('gcm-deny', { ads: 'granted', analytics: 'granted' });
    await waitFor(() => expect(names('gcm-deny')).toContain('page'));
    expect(consentOf('gcm-deny', 'page')).toEqual({ analytics: true, marketing: true });

    // Marketing needs all three ad signals.
    await update(page, { ad_user_data: 'denied' });
    await callTrail(page, 'track', 'Ads Partly Denied');
    await waitFor(() => expect(names('gcm-deny')).toContain('Ads Partly Denied'));
    expect(consentOf('gcm-deny', 'Ads Partly Denied')).toEqual({ analytics: true, marketing: false });

    await update(page, { analytics_storage: 'denied' });
    await callTrail(page, 'track', 'After Denial');
    await sleep(1_000);
    expect(traffic.requests.flatMap((r) => r.names)).not.toContain('After Denial');
    expect(names('gcm-deny')).not.toContain('After Denial');
  });

  it('holds an opt-in visitor’s events through a default, and sends them once an update grants', async () => {
    const { page, traffic } = await open('gcm-held', { consent: 'opt-in' });
    await callTrail(page, 'track', 'Held');
    await sleep(1_000);
    expect(traffic.requests, 'no request before the decision').toEqual([]);

    await update(page, all('granted'));
    await waitFor(() => expect(names('gcm-held')).toEqual(expect.arrayContaining(['page', 'Held'])));
    expect(consentOf('gcm-held', 'Held')).toEqual({ analytics: true, marketing: true });
  });

  it('reads the decision gtag holds when the tag starts', async () => {
    await open('gcm-remembered', { consent: 'opt-in', remembered: 'granted' });
    await waitFor(() => expect(names('gcm-remembered')).toContain('page'));
    expect(consentOf('gcm-remembered', 'page')).toEqual({ analytics: true, marketing: true });
  });

  it('ignores gtag with consentMode: false', async () => {
    const { page } = await open('gcm-off', { consentMode: 'false' });
    await callTrail(page, 'track', 'Tracked Anyway');
    await waitFor(() => expect(names('gcm-off')).toEqual(expect.arrayContaining(['page', 'Tracked Anyway'])));
  });
});

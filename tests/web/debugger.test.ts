import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { post, trackEvent } from '../support/events.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/web.ts';

const TOKEN = 'web-debugger-token-0123456789';

describe('debugger page in Chromium', { timeout: 60_000 }, () => {
  let collector: CollectorProcess;
  let browser: Browser;
  beforeAll(async () => {
    collector = await startCollector({ config: { debugger: { token: TOKEN } } });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
  });

  it('shows incoming events live, rejected ones in red, and the insights', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(collector.url)) external.push(request.url());
    });
    await page.goto(`${collector.url}/debugger?token=${TOKEN}`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'live');

    const now = new Date(Date.now() - 60_000).toISOString();
    const batch = [
      {
        type: 'page',
        messageId: crypto.randomUUID(),
        anonymousId: 'w1',
        timestamp: now,
        context: { page: { path: '/' } },
      },
      trackEvent({ anonymousId: 'w1', event: 'Product Viewed', timestamp: now }),
      trackEvent({ anonymousId: 'w1', event: 'Product Added', timestamp: now }),
      { type: 'track', messageId: 'broken-1' },
    ];
    expect((await post(`${collector.url}/v1/batch`, { batch })).status).toBe(200);

    await page.waitForFunction(() => document.querySelectorAll('#events tbody tr').length >= 4);
    const rows = await page.$$eval('#events tbody tr', (trs) =>
      trs.map((tr) => ({ kind: (tr as HTMLElement).dataset.kind, bad: tr.classList.contains('bad') })),
    );
    expect(rows[0]).toEqual({ kind: 'rejected', bad: true }); // newest on top
    expect(rows.filter((r) => r.kind === 'accepted' && !r.bad)).toHaveLength(3);

    await page.click('#hours'); // any change refreshes; the 10 s timer would too
    await page.evaluate(() => document.getElementById('hours')?.dispatchEvent(new Event('change')));
    // The funnel drawn at page load (an empty store: zeros) is replaced once the refresh answers.
    await page.waitForFunction(() => document.querySelector('#funnel .funnel-label')?.textContent === '1');
    const labels = await page.$$eval('#funnel .funnel-label', (ts) => ts.map((t) => t.textContent));
    expect(labels[0]).toBe('1');
    expect(labels[2]).toBe('1 (100%)');
    expect(external).toEqual([]);
    await page.screenshot({ path: 'test-results/screenshots/debugger.png', fullPage: true });
    await page.close();
  });
});

import type { BrowserContext, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.ts';
import { openPage, SdkTraffic, storedEvents, type WebEnv, startWebEnv } from '../support/web.ts';

const DAY = 86_400_000;

// Faults a real client meets: a collector telling it to back off, and a device clock that is wrong.
describe('browser SDK under collector back-pressure and a wrong clock', { timeout: 90_000 }, () => {
  let env: WebEnv;
  const contexts: BrowserContext[] = [];
  const newContext = async () => {
    const context = await env.browser.newContext();
    contexts.push(context);
    return context;
  };

  beforeAll(async () => {
    env = await startWebEnv([
      // One request every 4 s on average, one at once: the second batch meets a 429.
      { writeKey: 'limited', rateLimit: { perSecond: 0.25, burst: 1 } },
      { writeKey: 'ahead' },
      { writeKey: 'behind' },
    ]);
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('waits out a 429 for its Retry-After, then delivers every event once', async () => {
    const context = await newContext();
    const traffic = new SdkTraffic(context, env.collector.url);
    // When the browser sent each request and got each answer, on one clock.
    const sentAt = new Map<Request, number>();
    const answeredAt = new Map<Request, number>();
    context.on('request', (request) => sentAt.set(request, Date.now()));
    context.on('response', (response) => answeredAt.set(response.request(), Date.now()));
    const page = await context.newPage();
    await openPage(page, env.site, '/tag.html', { writeKey: 'limited', autocapture: 'none' });
    await page.evaluate(() => (window as any).trail.track('First'));
    await waitFor(() => expect(storedEvents(env.collector, 'limited')).toHaveLength(1));
    await page.evaluate(() => {
      for (let i = 0; i < 5; i++) (window as any).trail.track('Held Back', { i });
    });
    await waitFor(() => expect(storedEvents(env.collector, 'limited', 'Held Back')).toHaveLength(5), {
      timeout: 30_000,
    });

    const posts = traffic.requests.filter((r) => r.method === 'POST');
    const limited = posts.findIndex((r) => r.status === 429);
    expect(limited).toBeGreaterThan(0);
    const refusal = posts[limited]!;
    const retryAfter = Number(await (await refusal.request.response())?.headerValue('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    // The next attempt leaves no sooner than the collector asked (slack for event delivery).
    const retry = posts[limited + 1]!;
    const waited = sentAt.get(retry.request)! - answeredAt.get(refusal.request)!;
    expect(waited).toBeGreaterThanOrEqual(retryAfter * 1000 - 250);
    expect(retry.messageIds).toEqual(refusal.messageIds);
    const ids = storedEvents(env.collector, 'limited').map((e) => e.message_id);
    expect(new Set(ids).size).toBe(6);
  });

  it.each([
    ['ahead', DAY],
    ['behind', -DAY],
  ])('moves the timestamps of a device clock a day %s onto the server clock', async (writeKey, skew) => {
    const context = await newContext();
    // The whole page runs on the wrong clock, as on a phone set a day off.
    await context.addInitScript((shift: number) => {
      const RealDate = Date;
      class DeviceDate extends RealDate {
        constructor(...args: ConstructorParameters<DateConstructor> | []) {
          if (args.length === 0) super(RealDate.now() + shift);
          else super(...(args as ConstructorParameters<DateConstructor>));
        }
        static override now() {
          return RealDate.now() + shift;
        }
      }
      (window as any).Date = DeviceDate;
    }, skew);
    const page = await context.newPage();
    await openPage(page, env.site, '/tag.html', { writeKey, autocapture: 'none' });
    await page.evaluate(() => (window as any).trail.track('Clock Check'));
    const [row] = await waitFor(() => {
      const rows = storedEvents(env.collector, writeKey, 'Clock Check');
      expect(rows).toHaveLength(1);
      return rows;
    });
    const received = Date.parse(row!.received_at);
    const corrected = Date.parse(row!.timestamp);
    const original = Date.parse(String(row!.payload.originalTimestamp));
    // Corrected onto the server clock: before the server received it, by no more than the wait
    // for the batch to leave; the client's own time is kept beside it, a day off.
    expect(corrected).toBeLessThanOrEqual(received);
    expect(received - corrected).toBeLessThan(60_000);
    expect(Math.abs(original - skew - corrected)).toBeLessThan(60_000);
  });
});

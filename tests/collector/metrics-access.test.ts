// /metrics is for the operator's scraper: it needs a token unless nobody else can connect, and it
// never shows a write key (sources are labelled by name, else by a short hash of the key).
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { basic, post, trackEvent } from '../support/events.ts';

const BROWSER_KEY = 'wk_live_3f9a7c2e1b';
const NAMED_KEY = 'wk_live_shop_77d1';
const keyLabel = (key: string) => `key:${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;

describe('/metrics with a token', () => {
  const token = randomBytes(18).toString('base64url');
  let collector: CollectorProcess;
  beforeAll(async () => {
    collector = await startCollector({
      config: {
        sources: [{ writeKey: BROWSER_KEY }, { writeKey: NAMED_KEY, name: 'shop' }],
        metrics: { token },
        rateLimit: { perSecond: 1, burst: 1 },
        demo: false,
      },
    });
  });
  afterAll(() => collector?.stop());

  const scrape = (authorization?: string) =>
    fetch(`${collector.url}/metrics`, { headers: authorization ? { authorization } : {} });

  it('answers 401 without the Bearer token, and the text with it', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-wrong-token', `Basic ${token}`, token]) {
      const res = await scrape(authorization);
      expect({ authorization, status: res.status }).toEqual({ authorization, status: 401 });
      expect(await res.json()).toMatchObject({ error: 'unauthorized' });
    }
    const res = await scrape(`Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
  });

  it('labels sources by name or key hash, never by the write key', async () => {
    for (const key of [BROWSER_KEY, NAMED_KEY]) {
      expect(
        (await post(`${collector.url}/v1/batch`, { batch: [trackEvent()] }, { authorization: basic(key) }))
          .status,
      ).toBe(200);
      // Over the limit: the rate-limited counter is labelled too.
      expect(
        (await post(`${collector.url}/v1/batch`, { batch: [trackEvent()] }, { authorization: basic(key) }))
          .status,
      ).toBe(429);
    }
    const text = await (await scrape(`Bearer ${token}`)).text();
    expect(text).not.toContain(BROWSER_KEY);
    expect(text).not.toContain(NAMED_KEY);
    expect(text).toContain(`trail_events_accepted_total{source="${keyLabel(BROWSER_KEY)}"} 1`);
    expect(text).toContain('trail_events_accepted_total{source="shop"} 1');
    expect(text).toContain(`trail_requests_rate_limited_total{source="${keyLabel(BROWSER_KEY)}"} 1`);
    expect(text).toContain('trail_requests_rate_limited_total{source="shop"} 1');
  });
});

describe('/metrics without a token', () => {
  it('is closed when the collector listens beyond loopback', async () => {
    const collector = await startCollector({ config: { host: '0.0.0.0', demo: false } });
    try {
      const res = await fetch(`${collector.url}/metrics`);
      expect(res.status).toBe(401);
      expect((await res.json()).message).toMatch(/metrics\.token/);
      expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
    } finally {
      await collector.stop();
    }
  });

  it('is open when it listens on loopback only (nobody else can connect)', async () => {
    const collector = await startCollector({ config: { host: '127.0.0.1', demo: false } });
    try {
      expect((await fetch(`${collector.url}/metrics`)).status).toBe(200);
    } finally {
      await collector.stop();
    }
  });
});

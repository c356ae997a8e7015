// What one request may store: the batch context and the User-Agent header are sent once and stored
// in every event, so what a request leaves behind (stored and refused events) is bounded by 4× what
// it sent, plus per event 512 bytes for what the collector adds and up to 2 KB of batch context and
// 512 B of User-Agent repeated. Events past it are refused (kept as sent, without the context); the
// events before them are stored. An honest client never meets the bound.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchResponse } from '../../sdk-core/src/protocol.ts';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { post, trackEvent } from '../support/events.ts';

const FACTOR = 4;
const PER_EVENT = 512;
const FREE_CONTEXT = 2048;
const FREE_USER_AGENT = 512;

/** The bound a request of `sent` bytes (body and User-Agent) with `events` events is held to. */
const bound = (sent: number, events: number, context: number, userAgent: number) =>
  FACTOR * sent +
  events * (PER_EVENT + Math.min(context, FREE_CONTEXT) + Math.min(userAgent, FREE_USER_AGENT));
const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

describe('stored bytes per request', () => {
  let c: CollectorProcess;
  beforeAll(async () => {
    c = await startCollector({ config: { rateLimit: { perSecond: 0 }, demo: false } });
  });
  afterAll(() => c.stop());

  /** Bytes (not characters) of the payload columns the request's events left behind. */
  const storedBytes = (ids: readonly string[]) => {
    const list = JSON.stringify(ids);
    const [events] = c.query<{ bytes: number | null; rows: number }>(
      `SELECT SUM(LENGTH(CAST(payload AS BLOB))) AS bytes, COUNT(*) AS rows FROM events
       WHERE message_id IN (SELECT value FROM json_each(?))`,
      list,
    );
    const [failed] = c.query<{ bytes: number | null; rows: number }>(
      `SELECT SUM(LENGTH(CAST(payload AS BLOB))) AS bytes, COUNT(*) AS rows FROM failed_events
       WHERE message_id IN (SELECT value FROM json_each(?))`,
      list,
    );
    return {
      events: events?.bytes ?? 0,
      eventRows: events?.rows ?? 0,
      failed: failed?.bytes ?? 0,
      failedRows: failed?.rows ?? 0,
    };
  };

  it('stores a 70 KB request with 31.5 KB of batch context × 500 events within 4× its size', async () => {
    // The request of the report: it stored 15.9 MB (×225) before the budget.
    const run = randomUUID().slice(0, 8);
    const batch = Array.from({ length: 500 }, (_, i) => ({
      type: 'track',
      event: 'e',
      anonymousId: 'a',
      messageId: `${run}-${i}`,
    }));
    const body = JSON.stringify({ batch, context: { blob: 'x'.repeat(31_500) } });
    const res = await post(`${c.url}/v1/batch`, body);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as BatchResponse;
    const requestBytes = Buffer.byteLength(body);

    const stored = storedBytes(batch.map((e) => e.messageId));
    expect(stored.eventRows).toBe(answer.accepted);
    expect(answer.accepted).toBeGreaterThan(0);
    // The events that fit are the first ones; every later one is refused with the rule in its reason.
    expect(answer.rejected.map((r) => r.index)).toEqual(
      Array.from({ length: 500 - answer.accepted }, (_, i) => answer.accepted + i),
    );
    for (const r of answer.rejected)
      expect(r.reason).toMatch(/past its storage budget of \d+ bytes: 4× what it sent/);
    // Refused events are kept as they were sent: their own text, not the 31.5 KB context.
    expect(stored.failedRows).toBe(answer.rejected.length);
    expect(stored.failed).toBeLessThan(answer.rejected.length * 200);
    // The rule, then the figure: everything this request left behind is within the bound, about 1.8 MB
    // at most where it stored 15.9 MB before the budget.
    expect(stored.events + stored.failed).toBeLessThanOrEqual(bound(requestBytes, 500, 31_500 + 13, 0));
    expect(stored.events + stored.failed).toBeLessThan(2_000_000);
  });

  it('counts a User-Agent header copied into every event like a batch context', async () => {
    const ua = `Mozilla/5.0 ${'(x; '.repeat(2_000)}`;
    const batch = Array.from({ length: 200 }, () => trackEvent({ properties: {} }));
    const body = JSON.stringify({ batch });
    const res = await post(`${c.url}/v1/batch`, body, { 'user-agent': ua });
    const answer = (await res.json()) as BatchResponse;
    expect(answer.rejected.length).toBeGreaterThan(0);
    const sent = Buffer.byteLength(body) + Buffer.byteLength(ua);
    const stored = storedBytes(batch.map((e) => e.messageId));
    expect(stored.eventRows).toBe(answer.accepted);
    expect(stored.events + stored.failed).toBeLessThanOrEqual(bound(sent, 200, 0, Buffer.byteLength(ua)));
  });

  it('keeps every event of a batch whose context is as large as an honest one, however many events', async () => {
    // A 2 KB batch context, stored again in each of 500 events of 100 bytes: 15× what was sent, all
    // of it valid. The budget lets it through; refusing it would lose valid events for good.
    const batch = Array.from({ length: 500 }, () => trackEvent({ properties: {} }));
    const body = JSON.stringify({ batch, context: { note: 'n'.repeat(2_000) } });
    const res = await post(`${c.url}/v1/batch`, body);
    expect(await res.json()).toMatchObject({ accepted: 500, rejected: [] });
    expect(storedBytes(batch.map((e) => e.messageId)).eventRows).toBe(500);
  });

  it('counts refused events kept in failed_events against the same budget', async () => {
    // 500 refused events sent in 2.5 KB: each leaves its text and its reason behind.
    const batch = Array.from({ length: 500 }, (_, i) => ({
      type: 'track',
      messageId: `junk-${randomUUID()}-${i}`,
    }));
    const body = JSON.stringify({ batch });
    const answer = (await (await post(`${c.url}/v1/batch`, body)).json()) as BatchResponse;
    expect(answer.rejected).toHaveLength(500);
    const stored = storedBytes(batch.map((e) => e.messageId));
    expect(stored.failedRows).toBe(500);
    expect(stored.failed).toBeLessThanOrEqual(bound(Buffer.byteLength(body), 500, 0, 0));
  });

  it('stores a realistic SDK batch (20 events, 1 KB of batch context) whole, far inside the budget', async () => {
    const context = {
      app: { name: 'shop', version: '2.3.1', build: '231' },
      campaign: { source: 'newsletter', medium: 'email', name: 'spring' },
      device: { id: randomUUID(), manufacturer: 'Apple', model: 'MacBookPro18,3' },
      traits: { plan: 'pro', note: 'n'.repeat(760) },
    };
    const batch = Array.from({ length: 20 }, (_, i) =>
      trackEvent({
        properties: { product_id: `sku-${i}`, name: 'Blue running shoes', price: 399, currency: 'CNY' },
        context: {
          library: { name: 'trail-web', version: '1.0.0' },
          page: { path: `/p/sku-${i}`, title: 'Blue running shoes', url: `https://shop.example/p/sku-${i}` },
          userAgent: CHROME,
          locale: 'zh-CN',
          screen: { width: 1440, height: 900, density: 2 },
        },
      }),
    );
    const body = JSON.stringify({ batch, sentAt: new Date().toISOString(), context });
    expect(Buffer.byteLength(JSON.stringify(context))).toBeGreaterThan(1000);
    const res = await post(`${c.url}/v1/batch`, body, { 'user-agent': CHROME });
    expect(await res.json()).toMatchObject({ accepted: 20, rejected: [] });
    const stored = storedBytes(batch.map((e) => e.messageId));
    const budget = bound(
      Buffer.byteLength(body),
      20,
      Buffer.byteLength(JSON.stringify(context)),
      CHROME.length,
    );
    // Each event carries its own copy of the context and what the collector adds, and the whole
    // still takes well under two thirds of what the request may store.
    expect(stored.events).toBeGreaterThan(2 * Buffer.byteLength(body));
    expect(stored.events / budget).toBeLessThan(2 / 3);
  });

  it('holds an event to its size limit as sent, not as masking makes it', async () => {
    // 2,600 mobile numbers as JSON numbers: 31.5 KB sent, 36 KB once each is a masked string.
    const event = trackEvent({
      properties: { phones: Array.from({ length: 2_600 }, (_, i) => 13_800_000_000 + i) },
    });
    expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(32 * 1024);
    const answer = (await (await post(`${c.url}/v1/batch`, { batch: [event] })).json()) as BatchResponse;
    expect(answer).toMatchObject({ accepted: 1, rejected: [] });
    const [row] = c.query<{ payload: string }>(
      'SELECT payload FROM events WHERE message_id = ?',
      event.messageId,
    );
    expect(JSON.parse(row?.payload ?? '{}').properties.phones[0]).toBe('138****0000');
  });
});

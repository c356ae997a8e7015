// The collector's HTTP behaviour, the same on every runtime: each runtime entry serves the same Hono
// app over its own server and embedded store, and must answer these cases alike. Node and Workers
// (wrangler dev + workerd from npm, offline) always run; Bun and Deno run when their npm packages
// have a binary for this machine, and are skipped with the reason otherwise.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchResponse } from '../../sdk-core/src/protocol.ts';
import {
  type CollectorProcess,
  RUNTIMES,
  type Runtime,
  STORE_SINK,
  startCollector,
  unavailable,
} from '../support/collector-process.ts';
import { basic, post, trackEvent } from '../support/events.ts';

const METRICS_TOKEN = 'conformance-metrics-token';
const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

interface EventRow {
  message_id: string;
  type: string;
  event: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  timestamp: string;
  received_at: string;
  payload: string;
}

describe.each(RUNTIMES)('collector over HTTP on %s', (runtime: Runtime) => {
  const reason = unavailable(runtime);
  if (reason) {
    it.skip(`skipped: ${reason}`, () => {});
    return;
  }
  conformance(runtime);
});

function conformance(runtime: Runtime): void {
  let c: CollectorProcess;
  const row = (messageId: string) => {
    const [found] = c.query<EventRow>('SELECT * FROM events WHERE message_id = ?', messageId);
    if (!found) throw new Error(`event ${messageId} was not stored`);
    return { ...found, json: JSON.parse(found.payload) as Record<string, any> };
  };

  beforeAll(async () => {
    c = await startCollector({
      runtime,
      config: {
        sources: [
          { writeKey: 'demo', name: 'demo', allowedOrigins: ['*'] },
          {
            writeKey: 'shop',
            name: 'web-shop',
            allowedOrigins: ['https://shop.example'],
            consentMode: 'opt-in',
          },
        ],
        consent: { events: { 'Ad Clicked': 'marketing' } },
        // A Worker is on the internet whatever its host: /metrics there always needs the token.
        metrics: { token: METRICS_TOKEN },
        // No recent-id cache: a duplicate across requests must be caught by the store itself,
        // which is what differs between runtimes (better-sqlite3, bun:sqlite, node:sqlite, D1).
        dedupCacheSize: 0,
      },
    });
  });
  afterAll(async () => {
    const code = await c?.stop();
    // Node, Bun and Deno shut down gracefully on SIGTERM; wrangler's exit code is its own business.
    if (runtime !== 'workers') expect(code).toBe(0);
  });

  it('stores a batch with server time, parsed user agent and an anonymized IP', async () => {
    const events = [
      trackEvent(),
      trackEvent({ event: 'Product Added' }),
      trackEvent({ type: 'page', name: 'Home' }),
    ];
    const res = await post(
      `${c.url}/v1/batch`,
      { batch: events, sentAt: new Date().toISOString() },
      {
        'user-agent': CHROME_UA,
      },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as BatchResponse;
    expect(body).toEqual({ success: true, accepted: 3, duplicates: 0, droppedByConsent: 0, rejected: [] });
    const stored = row(events[0]?.messageId ?? '');
    expect(stored.type).toBe('track');
    expect(stored.event).toBe('Product Viewed');
    expect(stored.json.context.browser).toEqual({ name: 'Chrome', version: '120.0.0.0' });
    expect(stored.json.context.os.name).toBe('Windows');
    expect(stored.json.context.ip).toBe('127.0.0.0');
    expect(stored.json.source).toBe('demo');
    expect(Date.parse(stored.received_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(row(events[2]?.messageId ?? '').event).toBe('Home');
  });

  it('accepts every single-event endpoint and links identities', async () => {
    const cases = {
      track: { event: 'Signed Up', anonymousId: 'a-single' },
      page: { name: 'Pricing', anonymousId: 'a-single' },
      screen: { name: 'pages/index/index', anonymousId: 'a-single' },
      identify: { anonymousId: 'a-single', userId: 'u-single', traits: { plan: 'gold' } },
      alias: { previousId: 'a-older', userId: 'u-single' },
      group: { groupId: 'g-1', userId: 'u-single', traits: { name: 'Acme' } },
    };
    for (const [type, fields] of Object.entries(cases)) {
      const messageId = `single-${type}`;
      const res = await post(`${c.url}/v1/${type}`, { messageId, ...fields });
      expect(res.status, type).toBe(200);
      expect(row(messageId).type).toBe(type);
    }
    const links = c.query(
      'SELECT source, anonymous_id, user_id FROM identities WHERE user_id = ? ORDER BY anonymous_id',
      'u-single',
    );
    expect(links).toEqual([
      { source: 'demo', anonymous_id: 'a-older', user_id: 'u-single' },
      { source: 'demo', anonymous_id: 'a-single', user_id: 'u-single' },
    ]);
  });

  it('takes the write key from Basic auth or the body, and refuses unknown or missing keys', async () => {
    const inBody = trackEvent();
    const viaBody = await fetch(`${c.url}/v1/batch`, {
      method: 'POST',
      body: JSON.stringify({ writeKey: 'demo', batch: [inBody] }),
    });
    expect(viaBody.status).toBe(200);
    expect(row(inBody.messageId).message_id).toBe(inBody.messageId);

    const unknown = await post(
      `${c.url}/v1/batch`,
      { batch: [trackEvent()] },
      { authorization: basic('nope') },
    );
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({
      success: false,
      error: 'unauthorized',
      message: 'unknown write key',
    });

    const missing = await fetch(`${c.url}/v1/batch`, { method: 'POST', body: JSON.stringify({ batch: [] }) });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { message: string }).message).toMatch(/missing write key/);
  });

  it('accepts text/plain bodies as sendBeacon sends them', async () => {
    const event = trackEvent();
    const res = await fetch(`${c.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ writeKey: 'demo', batch: [event] }),
    });
    expect(res.status).toBe(200);
    expect(row(event.messageId).type).toBe('track');
  });

  it('accepts gzip bodies and stops a gzip bomb at the decompressed cap', async () => {
    const event = trackEvent();
    const gz = await post(`${c.url}/v1/batch`, gzipSync(JSON.stringify({ batch: [event] })), {
      'content-encoding': 'gzip',
    });
    expect(gz.status).toBe(200);
    expect(row(event.messageId).type).toBe('track');

    const bomb = gzipSync(`{"batch":[],"pad":"${'0'.repeat(20 * 1024 * 1024)}"}`);
    expect(bomb.byteLength).toBeLessThan(500 * 1024);
    const res = await post(`${c.url}/v1/batch`, bomb, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /decompressed body exceeds the limit of 512000/,
    );

    const broken = await post(`${c.url}/v1/batch`, 'not gzip at all', { 'content-encoding': 'gzip' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { message: string }).message).toMatch(/not valid gzip/);

    const br = await post(`${c.url}/v1/batch`, '{}', { 'content-encoding': 'br' });
    expect(br.status).toBe(415);
  });

  it('answers 413 with a clear message at each limit', async () => {
    const big = await post(`${c.url}/v1/batch`, {
      batch: [trackEvent({ properties: { pad: 'x'.repeat(600 * 1024) } })],
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { message: string }).message).toBe(
      'request body exceeds the limit of 512000 bytes',
    );

    const many = await post(`${c.url}/v1/batch`, { batch: Array.from({ length: 501 }, () => trackEvent()) });
    expect(many.status).toBe(413);
    expect(((await many.json()) as { message: string }).message).toBe(
      'batch has 501 events; the limit is 500',
    );

    const fat = await post(`${c.url}/v1/track`, trackEvent({ properties: { pad: 'x'.repeat(40 * 1024) } }));
    expect(fat.status).toBe(413);
    expect(((await fat.json()) as { message: string }).message).toBe(
      'request body exceeds the limit of 32768 bytes',
    );
  });

  it('keeps the valid events beside an oversized one in a batch', async () => {
    const ok = trackEvent();
    const fat = trackEvent({ properties: { pad: 'é'.repeat(20 * 1024) } });
    const res = await post(`${c.url}/v1/batch`, { batch: [ok, fat] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as BatchResponse;
    expect(body.accepted).toBe(1);
    expect(body.rejected).toEqual([
      {
        index: 1,
        messageId: fat.messageId,
        reason: expect.stringMatching(/^event is \d+ bytes; the limit is 32768$/),
      },
    ]);
    expect(row(ok.messageId).type).toBe('track');
    expect(c.query('SELECT reason FROM failed_events WHERE message_id = ?', fat.messageId)).toHaveLength(1);
  });

  it('answers 400 with the reason for a body that is not a JSON object or has no batch array', async () => {
    const cases: [string, RegExp][] = [
      ['{"batch": [', /^body is not JSON: /],
      ['[1,2]', /^body must be a JSON object$/],
      ['{"batch": {}}', /^batch must be an array of events$/],
      ['', /^request body is empty$/],
    ];
    for (const [text, reason] of cases) {
      const res = await post(`${c.url}/v1/batch`, text);
      expect(res.status, text).toBe(400);
      const body = (await res.json()) as { success: boolean; message: string };
      expect(body.success).toBe(false);
      expect(body.message).toMatch(reason);
    }
  });

  it('stores the valid events of a batch, lists the invalid ones and keeps them as failed events', async () => {
    const good1 = trackEvent();
    const noName = trackEvent({ event: undefined });
    const noIds = trackEvent({ anonymousId: undefined });
    const badType = { type: 'trak', messageId: 'bad-type-1', anonymousId: 'a' };
    const good2 = trackEvent({ type: 'identify', userId: 'u-42', event: undefined, traits: { plan: 'pro' } });
    const res = await post(`${c.url}/v1/batch`, {
      batch: [good1, noName, noIds, badType, 'just a string', good2],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as BatchResponse;
    expect(body.accepted).toBe(2);
    expect(body.rejected).toEqual([
      { index: 1, messageId: noName.messageId, reason: 'event is required' },
      { index: 2, messageId: noIds.messageId, reason: 'needs an anonymousId or a userId' },
      {
        index: 3,
        messageId: 'bad-type-1',
        reason: 'type must be one of track, page, screen, identify, alias, group',
      },
      { index: 4, reason: 'event must be an object' },
    ]);
    expect(row(good1.messageId).type).toBe('track');
    expect(row(good2.messageId).user_id).toBe('u-42');
    const failed = c.query<{ message_id: string | null; reason: string; payload: string }>(
      'SELECT message_id, reason, payload FROM failed_events WHERE message_id IN (?, ?, ?) OR payload = ?',
      noName.messageId,
      noIds.messageId,
      'bad-type-1',
      '"just a string"',
    );
    expect(failed).toHaveLength(4);
    expect(JSON.parse(failed.find((f) => f.message_id === 'bad-type-1')?.payload ?? '{}')).toEqual(badType);
  });

  it('rejects a single invalid event with 400 and the reason', async () => {
    const res = await post(`${c.url}/v1/track`, { messageId: 'no-event-name', anonymousId: 'a' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      success: false,
      error: 'invalid_event',
      message: 'event is required',
    });
  });

  it('drops duplicates by messageId within a batch and across requests', async () => {
    const a = trackEvent();
    const b = trackEvent();
    const first = (await (await post(`${c.url}/v1/batch`, { batch: [a, b, a] })).json()) as BatchResponse;
    expect(first).toMatchObject({ accepted: 2, duplicates: 1 });
    const again = (await (await post(`${c.url}/v1/batch`, { batch: [a, b] })).json()) as BatchResponse;
    expect(again).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(c.query('SELECT 1 FROM events WHERE message_id IN (?, ?)', a.messageId, b.messageId)).toHaveLength(
      2,
    );
  });

  it('links identities only for events it stored, not for a resent duplicate', async () => {
    const identify = (timestamp: string) =>
      trackEvent({ type: 'identify', event: undefined, anonymousId: 'a-dup', userId: 'u-dup', timestamp });
    // Within the window of event times (limits.maxEventAgeDays), so stored as sent.
    const older = identify(new Date(Date.now() - 2 * 86_400_000).toISOString());
    const newer = identify(new Date(Date.now() - 86_400_000).toISOString());
    await post(`${c.url}/v1/batch`, { batch: [older] });
    await post(`${c.url}/v1/batch`, { batch: [newer] });
    const resent = (await (await post(`${c.url}/v1/batch`, { batch: [older] })).json()) as BatchResponse;
    expect(resent).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(
      c.query('SELECT source, first_seen, last_seen FROM identities WHERE user_id = ?', 'u-dup'),
    ).toEqual([{ source: 'demo', first_seen: older.timestamp, last_seen: newer.timestamp }]);
  });

  it('corrects a client clock that is a day off and keeps the original timestamp', async () => {
    const day = 24 * 3600 * 1000;
    const clientNow = Date.now() - day;
    const event = trackEvent({ timestamp: new Date(clientNow - 5000).toISOString() });
    await post(`${c.url}/v1/batch`, { batch: [event], sentAt: new Date(clientNow).toISOString() });
    const stored = row(event.messageId);
    const corrected = Date.parse(stored.timestamp);
    const received = Date.parse(stored.received_at);
    expect(received - corrected).toBe(5000);
    expect(stored.json.originalTimestamp).toBe(event.timestamp);
  });

  it('drops events their consent does not allow and counts them', async () => {
    const denied = trackEvent({ context: { consent: { categoryPreferences: { analytics: false } } } });
    const allowed = trackEvent({ context: { consent: { categoryPreferences: { Analytics: true } } } });
    const adDenied = trackEvent({
      event: 'Ad Clicked',
      context: { consent: { categoryPreferences: { analytics: true, marketing: false } } },
    });
    const undecided = trackEvent();
    const res = (await (
      await post(`${c.url}/v1/batch`, { batch: [denied, allowed, adDenied, undecided] })
    ).json()) as BatchResponse;
    expect(res).toMatchObject({ accepted: 2, droppedByConsent: 2, rejected: [] });
    const stored = c.query<{ message_id: string }>(
      'SELECT message_id FROM events WHERE message_id IN (?, ?, ?, ?)',
      denied.messageId,
      allowed.messageId,
      adDenied.messageId,
      undecided.messageId,
    );
    expect(stored.map((s) => s.message_id).sort()).toEqual([allowed.messageId, undecided.messageId].sort());
  });

  it('in opt-in mode keeps only events with consent, and always the consent change itself', async () => {
    const origin = 'https://shop.example';
    const undecided = trackEvent();
    const granted = trackEvent({ context: { consent: { categoryPreferences: { analytics: true } } } });
    const change = trackEvent({
      event: 'Consent Updated',
      context: { consent: { categoryPreferences: { analytics: false } } },
    });
    const res = await post(
      `${c.url}/v1/batch`,
      { batch: [undecided, granted, change] },
      { authorization: basic('shop'), origin },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 2, droppedByConsent: 1 });
    expect(row(granted.messageId).json.source).toBe('web-shop');
    expect(row(change.messageId).event).toBe('Consent Updated');
    expect(c.query('SELECT 1 FROM events WHERE message_id = ?', undecided.messageId)).toHaveLength(0);
  });

  it('masks mobile numbers, emails, ID-card numbers and bank cards in properties, traits and URLs', async () => {
    const event = trackEvent({
      properties: {
        order_id: '13800138000',
        note: 'call 13800138000 or mail li.lei@example.com',
        id_card: '11010519491231002X',
        card: '6222 0200 0000 0122',
      },
      context: { page: { url: 'https://shop.example/p?mobile=13912345678&e=han%40qq.com', path: '/p' } },
    });
    const identify = trackEvent({
      type: 'identify',
      event: undefined,
      userId: 'u-pii',
      traits: { email: 'han.meimei@qq.com', phone: '+86 139 1234 5678' },
    });
    await post(`${c.url}/v1/batch`, { batch: [event, identify] });
    const stored = row(event.messageId).json;
    expect(stored.properties.order_id).toBe('13800138000');
    expect(stored.properties.note).toBe('call 138****8000 or mail l***@example.com');
    expect(stored.properties.id_card).not.toContain('0519491231');
    expect(stored.properties.card).not.toMatch(/6222/);
    expect(stored.properties.card).toMatch(/0122$/);
    expect(stored.context.page.url).toBe('https://shop.example/p?mobile=139****5678&e=h***%40qq.com');
    const traits = row(identify.messageId).json.traits;
    expect(traits.email).toBe('h***@qq.com');
    expect(traits.phone).not.toContain('1234');
  });

  it('allows preflights and posts from allowed origins only', async () => {
    const pre = await fetch(`${c.url}/v1/batch`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Content-Type/);

    const shopEvent = trackEvent({ context: { consent: { categoryPreferences: { analytics: true } } } });
    const allowed = await post(
      `${c.url}/v1/batch`,
      { batch: [shopEvent] },
      { authorization: basic('shop'), origin: 'https://shop.example' },
    );
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');

    const evil = trackEvent({ context: { consent: { categoryPreferences: { analytics: true } } } });
    const refused = await post(
      `${c.url}/v1/batch`,
      { batch: [evil] },
      { authorization: basic('shop'), origin: 'https://evil.example' },
    );
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(await refused.json()).toMatchObject({ error: 'origin_not_allowed' });
    expect(c.query('SELECT 1 FROM events WHERE message_id = ?', evil.messageId)).toHaveLength(0);

    // The demo key allows any origin, so a preflight from anywhere passes; the key decides on POST.
    const anyPre = await fetch(`${c.url}/v1/batch`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    });
    expect(anyPre.status).toBe(204);
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${c.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    const text = await (
      await fetch(`${c.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    const value = (series: string) => Number(new RegExp(`^${series} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('trail_events_accepted_total\\{source="demo"\\}')).toBeGreaterThan(10);
    expect(value('trail_events_rejected_total\\{source="demo"\\}')).toBeGreaterThanOrEqual(5);
    expect(value('trail_events_deduplicated_total\\{source="demo"\\}')).toBeGreaterThanOrEqual(3);
    expect(value('trail_events_dropped_consent_total\\{source="web-shop"\\}')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(
      new RegExp(`^trail_sink_write_seconds_count\\{sink="${STORE_SINK[runtime]}",ok="true"\\} \\d+$`, 'm'),
    );
    expect(text).toMatch(/^trail_requests_total\{route="\/v1\/batch",status="413"\} \d+$/m);
  });

  it('answers 404 as JSON for unknown routes', async () => {
    const res = await fetch(`${c.url}/v2/batch`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ success: false, error: 'not_found' });
  });
}

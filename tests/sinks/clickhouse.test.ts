import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchResponse } from '../../sdk-core/src/protocol.ts';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { basic, post, trackEvent } from '../support/events.ts';
import {
  answer,
  hangUp,
  type HttpReceiver,
  type ReceivedRequest,
  startReceiver,
} from '../support/http-receiver.ts';

// No ClickHouse server runs here: a local HTTP server stands in for one and checks the exact
// requests of ClickHouse's HTTP interface (path, query settings, headers, JSONEachRow body).

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** The dedup token the sink must send: SHA-256 of the batch's sources and messageIds, in any order. */
const eventsToken = (ids: readonly string[], source = 'demo') =>
  sha256(JSON.stringify(['events', ...ids.map((id) => JSON.stringify([source, id])).sort()]));
/** ClickHouse DateTime64(3) text of an ISO time. */
const dateTime64 = (iso: string) => new Date(iso).toISOString().slice(0, 23).replace('T', ' ');
const DATETIME64 = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/;

/**
 * A ClickHouse look-alike at the HTTP level: answers /ping, takes DDL, and stores INSERT … FORMAT
 * JSONEachRow rows per table, dropping an insert whose insert_deduplication_token it has seen.
 */
function fakeClickHouse(receiver: HttpReceiver) {
  const tables = new Map<string, Record<string, unknown>[]>();
  const tokens = new Set<string>();
  const state = {
    tables,
    /** Set to answer the next requests differently; return true when answered. */
    intercept: undefined as
      ((req: ReceivedRequest, res: Parameters<HttpReceiver['reply']>[1]) => boolean) | undefined,
    inserts: () => receiver.requests.filter((r) => r.query.get('query')?.startsWith('INSERT')),
    rows: (table: string) => tables.get(table) ?? [],
    /** Stores an insert's rows unless its token was seen; false when it is not an insert. */
    store: (req: ReceivedRequest) => store(req),
  };
  const store = (req: ReceivedRequest) => {
    const match = /^INSERT INTO `(\w+)`\.`(\w+)` FORMAT JSONEachRow$/.exec(req.query.get('query') ?? '');
    if (!match) return false;
    const table = `${match[1]}.${match[2]}`;
    const token = `${table}:${req.query.get('insert_deduplication_token')}`;
    if (tokens.has(token)) return true;
    tokens.add(token);
    const rows = req.body.split('\n').filter(Boolean);
    tables.set(table, [
      ...state.rows(table),
      ...rows.map((line) => JSON.parse(line) as Record<string, unknown>),
    ]);
    return true;
  };
  receiver.reply = (req, res) => {
    if (state.intercept?.(req, res)) return;
    if (req.method === 'GET' && req.path === '/ping') return answer(res, 200, 'Ok.\n');
    if (req.method !== 'POST') return answer(res, 405, 'Code: 0. DB::Exception: method not allowed');
    if (req.query.has('query')) {
      return store(req) ? answer(res, 200) : answer(res, 400, 'Code: 62. DB::Exception: Syntax error');
    }
    if (req.body.startsWith('CREATE TABLE IF NOT EXISTS')) return answer(res, 200);
    return answer(res, 400, 'Code: 62. DB::Exception: Syntax error');
  };
  return state;
}

describe('clickhouse sink (HTTP protocol, no live server)', () => {
  let receiver: HttpReceiver;
  let ch: ReturnType<typeof fakeClickHouse>;
  const collectors: CollectorProcess[] = [];
  const collector = async (
    query: string,
    config: Record<string, unknown> = {},
    env?: Record<string, string>,
  ) => {
    const c = await startCollector({
      config: { sinks: [`clickhouse://127.0.0.1:${receiver.port}/?${query}`], ...config },
      env,
    });
    collectors.push(c);
    return c;
  };

  beforeEach(async () => {
    receiver = await startReceiver();
    ch = fakeClickHouse(receiver);
  });
  afterEach(async () => {
    for (const c of collectors.splice(0)) await c.stop();
    await receiver.stop();
  });

  it('inserts a batch as JSONEachRow with its dedup token, async-insert settings and auth headers', async () => {
    const c = await collector('database=analytics&table=events_t&user=trail&password=s3cret&async_insert=1');
    const track = trackEvent({ userId: 'u-1' });
    const page = trackEvent({ type: 'page', event: undefined, name: 'Home', properties: { path: '/' } });
    const identify = trackEvent({
      type: 'identify',
      event: undefined,
      properties: undefined,
      userId: 'u-1',
      traits: { plan: 'pro' },
    });
    const res = await post(`${c.url}/v1/batch`, {
      batch: [track, page, identify, { type: 'track', messageId: 'bad-1', anonymousId: 'a' }],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 3, duplicates: 0, rejected: [{ index: 3 }] });

    const posts = receiver.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    const events = posts.find((r) => r.query.get('query')?.includes('`events_t`'));
    const failed = posts.find((r) => r.query.get('query')?.includes('`events_t_failed`'));
    if (!events || !failed) throw new Error('expected one insert per table');

    expect(events.path).toBe('/');
    const token = eventsToken([track.messageId, page.messageId, identify.messageId]);
    expect(Object.fromEntries(events.query)).toEqual({
      query: 'INSERT INTO `analytics`.`events_t` FORMAT JSONEachRow',
      insert_deduplicate: '1',
      insert_deduplication_token: token,
      input_format_null_as_default: '1',
      async_insert: '1',
      wait_for_async_insert: '1',
      async_insert_deduplicate: '1',
    });
    expect(events.headers['x-clickhouse-user']).toBe('trail');
    expect(events.headers['x-clickhouse-key']).toBe('s3cret');
    expect(events.headers['content-type']).toBe('application/x-ndjson');
    // Credentials travel in headers only: never in the URL, where server logs would keep them.
    expect(events.rawUrl).not.toContain('s3cret');
    expect(events.rawUrl).not.toContain('user=');

    expect(events.body.endsWith('\n')).toBe(true);
    const rows = events.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string | null>);
    expect(rows.map((r) => r.message_id)).toEqual([track.messageId, page.messageId, identify.messageId]);
    const [t, p, i] = rows;
    const payload = JSON.parse(t?.payload ?? '') as Record<string, any>;
    expect(t).toEqual({
      message_id: track.messageId,
      type: 'track',
      event: 'Product Viewed',
      anonymous_id: 'anon-1',
      user_id: 'u-1',
      source: 'demo',
      timestamp: dateTime64(payload.timestamp),
      received_at: dateTime64(payload.receivedAt),
      properties: JSON.stringify({ product_id: 'sku-1', price: 19.9, currency: 'CNY' }),
      context: JSON.stringify(payload.context),
      traits: null,
      payload: expect.any(String),
    });
    expect(t?.timestamp).toMatch(DATETIME64);
    expect(Date.now() - Date.parse(`${String(t?.received_at).replace(' ', 'T')}Z`)).toBeLessThan(60_000);
    expect(payload).toMatchObject({ messageId: track.messageId, event: 'Product Viewed', source: 'demo' });
    expect(JSON.parse(t?.context ?? '').ip).toBe('127.0.0.0');
    expect(p).toMatchObject({ type: 'page', event: 'Home', user_id: null, properties: '{"path":"/"}' });
    expect(i).toMatchObject({ type: 'identify', event: null, user_id: 'u-1', traits: '{"plan":"pro"}' });
    expect(i?.properties).toBeNull();

    expect(failed.headers['x-clickhouse-key']).toBe('s3cret');
    expect(failed.query.get('query')).toBe('INSERT INTO `analytics`.`events_t_failed` FORMAT JSONEachRow');
    expect(failed.query.get('async_insert')).toBe('1');
    expect(failed.query.get('insert_deduplication_token')).toMatch(/^[0-9a-f]{64}$/);
    expect(failed.query.get('insert_deduplication_token')).not.toBe(token);
    const failedRows = failed.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(failedRows).toEqual([
      {
        received_at: expect.stringMatching(DATETIME64),
        source: 'demo',
        message_id: 'bad-1',
        reason: 'event is required',
        payload: JSON.stringify({ type: 'track', messageId: 'bad-1', anonymousId: 'a' }),
      },
    ]);
    expect(c.logs.join('\n')).not.toContain('s3cret');
  });

  it('a retried batch carries the same dedup token, another batch another; the server keeps one copy', async () => {
    const c = await collector('table=trail_events', { retryAfterSeconds: 2 });
    const batch = Array.from({ length: 5 }, () => trackEvent());
    // The first insert is stored, but the connection drops before ClickHouse's answer arrives.
    let lostAcks = 1;
    ch.intercept = (req, res) => {
      if (!req.query.get('query')?.startsWith('INSERT') || lostAcks-- <= 0) return false;
      ch.store(req);
      hangUp(res);
      return true;
    };
    const lost = await post(`${c.url}/v1/batch`, { batch });
    expect(lost.status).toBe(503);
    expect(lost.headers.get('retry-after')).toBe('2');
    expect(ch.rows('default.trail_events')).toHaveLength(5);

    const retry = await post(`${c.url}/v1/batch`, { batch });
    expect(retry.status).toBe(200);
    const [first, second] = ch.inserts();
    expect(ch.inserts()).toHaveLength(2);
    const token = first?.query.get('insert_deduplication_token');
    expect(token).toBe(eventsToken(batch.map((e) => e.messageId)));
    expect(second?.query.get('insert_deduplication_token')).toBe(token);
    expect(ch.rows('default.trail_events')).toHaveLength(5);

    const other = [trackEvent()];
    expect((await post(`${c.url}/v1/batch`, { batch: other })).status).toBe(200);
    const third = ch.inserts()[2];
    expect(third?.query.get('insert_deduplication_token')).toBe(eventsToken([other[0]!.messageId]));
    expect(third?.query.get('insert_deduplication_token')).not.toBe(token);
    expect(ch.rows('default.trail_events')).toHaveLength(6);
  });

  it('gives two sources that send the same messageIds their own dedup tokens, so both are stored', async () => {
    const c = await collector('table=trail_events', {
      sources: [{ writeKey: 'demo' }, { writeKey: 'other' }],
    });
    const ids = Array.from({ length: 3 }, () => trackEvent().messageId);
    for (const key of ['demo', 'other']) {
      const batch = ids.map((messageId) => trackEvent({ messageId }));
      const res = await post(`${c.url}/v1/batch`, { batch }, { authorization: basic(key) });
      expect(res.status).toBe(200);
    }
    expect(ch.inserts().map((r) => r.query.get('insert_deduplication_token'))).toEqual([
      eventsToken(ids, 'demo'),
      eventsToken(ids, 'other'),
    ]);
    expect(ch.rows('default.trail_events').map((r) => r.source)).toEqual([
      ...ids.map(() => 'demo'),
      ...ids.map(() => 'other'),
    ]);
  });

  it('answers 503 with Retry-After while ClickHouse is down, then stores the retry once', async () => {
    const c = await collector('table=trail_events', { sinkTimeoutMs: 2000, retryAfterSeconds: 1 });
    expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
    expect(receiver.requests.at(-1)).toMatchObject({ method: 'GET', path: '/ping' });

    await receiver.stop();
    const batch = Array.from({ length: 20 }, () => trackEvent());
    const down = await post(`${c.url}/v1/batch`, { batch });
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    expect(await down.json()).toMatchObject({ success: false, error: 'sink_unavailable' });
    expect((await fetch(`${c.url}/readyz`)).status).toBe(503);

    await receiver.start();
    expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
    const retry = await post(`${c.url}/v1/batch`, { batch });
    expect(retry.status).toBe(200);
    expect((await retry.json()) as BatchResponse).toMatchObject({ accepted: 20, duplicates: 0 });
    expect(ch.inserts()).toHaveLength(1);
    expect(ch.inserts()[0]?.query.get('insert_deduplication_token')).toBe(
      eventsToken(batch.map((e) => e.messageId)),
    );
    expect(ch.rows('default.trail_events').map((r) => r.message_id)).toEqual(batch.map((e) => e.messageId));
  });

  it('create=1 creates both tables before the first insert, once', async () => {
    const c = await collector('create=1');
    expect((await post(`${c.url}/v1/batch`, { batch: [trackEvent()] })).status).toBe(200);
    expect((await post(`${c.url}/v1/batch`, { batch: [trackEvent()] })).status).toBe(200);

    const posts = receiver.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(4);
    const [events, failed, insert] = posts;
    for (const ddl of [events, failed]) {
      expect(ddl?.path).toBe('/');
      expect([...(ddl?.query.keys() ?? [])]).toEqual([]);
      expect(ddl?.headers['x-clickhouse-user']).toBeUndefined();
    }
    expect(events?.body).toMatch(/^CREATE TABLE IF NOT EXISTS `default`\.`trail_events`\s*\(/);
    expect(events?.body).toContain("timestamp    DateTime64(3, 'UTC')");
    expect(events?.body).toContain('ENGINE = ReplacingMergeTree\nORDER BY (source, message_id)');
    expect(events?.body).toContain('non_replicated_deduplication_window');
    expect(failed?.body).toMatch(/^CREATE TABLE IF NOT EXISTS `default`\.`trail_events_failed`\s*\(/);
    // No async_insert unless asked for: a plain insert is acknowledged once written.
    expect(Object.keys(Object.fromEntries(insert?.query ?? []))).toEqual([
      'query',
      'insert_deduplicate',
      'insert_deduplication_token',
      'input_format_null_as_default',
    ]);
    expect(posts[3]?.query.get('query')).toBe('INSERT INTO `default`.`trail_events` FORMAT JSONEachRow');
  });

  it("fails the write with ClickHouse's error text: the client gets 503 and the log says why", async () => {
    const c = await collector('database=analytics&table=nope&password=s3cret');
    ch.intercept = (req, res) => {
      if (req.method !== 'POST') return false;
      answer(
        res,
        404,
        'Code: 60. DB::Exception: Table analytics.nope does not exist. (UNKNOWN_TABLE) (version 24.8.4.13)\n',
        { 'x-clickhouse-exception-code': '60' },
      );
      return true;
    };
    const res = await post(`${c.url}/v1/batch`, { batch: [trackEvent()] });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const logs = c.logs.join('\n');
    expect(logs).toContain('HTTP 404: Code: 60. DB::Exception: Table analytics.nope does not exist.');
    expect(logs).not.toContain('s3cret');
  });

  it('takes TRAIL_CLICKHOUSE_PASSWORD over the URL password, and times out a request without answer', async () => {
    const c = await collector(
      'user=trail&password=from-url&timeout_ms=300',
      { sinkTimeoutMs: 5000 },
      { TRAIL_CLICKHOUSE_PASSWORD: 'from-env' },
    );
    ch.intercept = (req) => req.method === 'POST'; // never answered
    const res = await post(`${c.url}/v1/batch`, { batch: [trackEvent()] });
    expect(res.status).toBe(503);
    expect(c.logs.join('\n')).toContain('no answer in 300 ms');
    expect(receiver.requests.at(-1)?.headers['x-clickhouse-key']).toBe('from-env');
    expect(c.logs.join('\n')).not.toContain('from-env');
  });
});

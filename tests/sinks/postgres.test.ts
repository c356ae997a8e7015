import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector } from '../support/collector-process.ts';
import { basic, post, trackEvent } from '../support/events.ts';
import {
  expectOutageThenRetryOnce,
  expectResendDeduplicated,
  expectSourcesKeptApart,
} from '../support/sink-contract.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

const SERVER = 'postgres://postgres@127.0.0.1:5432/test';
const table = `trail_test_${randomUUID().slice(0, 8)}`;
const sinkUrl = `${SERVER}?table=${table}`;
/** A table as versions before per-source dedup created it, with message_id alone as its key. */
const legacy = `${table}_legacy`;
/** Tables as the first versions created them: identity links without a source, too. */
const unsourced = `${table}_unsourced`;
const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();

interface LinkRow {
  source: string;
  anonymous_id: string;
  user_id: string;
  first_seen: Date;
  last_seen: Date;
}

interface EventRow {
  message_id: string;
  type: string;
  event: string | null;
  anonymous_id: string | null;
  user_id: string | null;
  source: string;
  timestamp: Date;
  received_at: Date;
  properties: Record<string, unknown> | null;
  traits: Record<string, unknown> | null;
  context: Record<string, any> | null;
  payload: Record<string, any>;
}

describe('postgres sink', () => {
  const db = new pg.Client({ connectionString: SERVER });
  /** A user's links as `source anonymousId first_seen last_seen`, times as sent. */
  const linksOf = async (events: string, userId: string) =>
    (
      await db.query<LinkRow>(
        `SELECT * FROM ${events}_identities WHERE user_id = $1 ORDER BY source, anonymous_id COLLATE "C"`,
        [userId],
      )
    ).rows.map(
      (l) => `${l.source} ${l.anonymous_id} ${l.first_seen.toISOString()} ${l.last_seen.toISOString()}`,
    );
  const rows = async (ids: readonly string[]) =>
    (
      await db.query<EventRow>(
        `SELECT * FROM ${table} WHERE message_id = ANY($1) ORDER BY message_id COLLATE "C"`,
        [ids],
      )
    ).rows;

  beforeAll(async () => {
    await db.connect();
  });
  afterAll(async () => {
    await db.query(`DROP TABLE IF EXISTS ${table}, ${table}_failed, ${table}_identities`);
    await db.query(`DROP TABLE IF EXISTS ${legacy}, ${legacy}_failed, ${legacy}_identities`);
    await db.query(`DROP TABLE IF EXISTS ${unsourced}, ${unsourced}_failed, ${unsourced}_identities`);
    await db.end();
  });

  it('stores a batch with its columns, failed events and identity links', async () => {
    const c = await startCollector({ config: { sinks: [sinkUrl] } });
    try {
      const track = trackEvent({ userId: 'u-1' });
      const page = trackEvent({ type: 'page', event: undefined, name: 'Home', properties: { path: '/' } });
      const identify = trackEvent({
        type: 'identify',
        event: undefined,
        userId: 'u-1',
        traits: { plan: 'pro' },
      });
      const alias = trackEvent({ type: 'alias', event: undefined, previousId: 'a-old', userId: 'u-1' });
      // Values jsonb and text refuse: NUL, a lone surrogate; and a year past 9999, which is outside
      // the window of event times, so stored as the receipt time.
      const odd = trackEvent({
        event: 'Odd\u0000Name',
        properties: { nul: 'a\u0000b', half: 'x\ud83d', pair: '😀', slash: '\\u0000' },
        timestamp: '+010000-01-01T00:00:00.000Z',
      });
      const res = await post(`${c.url}/v1/batch`, {
        batch: [track, page, identify, alias, odd, { type: 'track', messageId: 'bad-1', anonymousId: 'a' }],
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ accepted: 5, duplicates: 0, rejected: [{ index: 5 }] });

      const stored = await rows([track.messageId, page.messageId, identify.messageId, alias.messageId]);
      const byId = new Map(stored.map((r) => [r.message_id, r]));
      const t = byId.get(track.messageId)!;
      expect(t).toMatchObject({
        type: 'track',
        event: 'Product Viewed',
        anonymous_id: 'anon-1',
        user_id: 'u-1',
        source: 'demo',
        properties: { product_id: 'sku-1', price: 19.9, currency: 'CNY' },
        traits: null,
      });
      expect(t.timestamp).toBeInstanceOf(Date);
      expect(t.timestamp.toISOString()).toBe(t.payload.timestamp);
      expect(Date.now() - t.received_at.getTime()).toBeLessThan(60_000);
      expect(t.context?.ip).toBe('127.0.0.0');
      expect(t.payload).toMatchObject({
        messageId: track.messageId,
        event: 'Product Viewed',
        source: 'demo',
      });
      expect(byId.get(page.messageId)).toMatchObject({
        type: 'page',
        event: 'Home',
        properties: { path: '/' },
      });
      expect(byId.get(identify.messageId)).toMatchObject({ type: 'identify', traits: { plan: 'pro' } });

      const [o] = await rows([odd.messageId]);
      expect(o?.event).toBe('Odd\uFFFDName');
      expect(o?.properties).toEqual({ nul: 'a\uFFFDb', half: 'x\uFFFD', pair: '😀', slash: '\\u0000' });
      expect(o?.timestamp).toEqual(o?.received_at);
      expect(o?.payload.originalTimestamp).toBe('+010000-01-01T00:00:00.000Z');

      const failed = await db.query(`SELECT source, message_id, reason, payload FROM ${table}_failed`);
      expect(failed.rows).toEqual([
        { source: 'demo', message_id: 'bad-1', reason: 'event is required', payload: expect.any(String) },
      ]);
      const links = await db.query(
        `SELECT source, anonymous_id, user_id FROM ${table}_identities WHERE user_id = 'u-1' ORDER BY anonymous_id`,
      );
      expect(links.rows).toEqual([
        { source: 'demo', anonymous_id: 'a-old', user_id: 'u-1' },
        { source: 'demo', anonymous_id: 'anon-1', user_id: 'u-1' },
      ]);
    } finally {
      await c.stop();
    }
  });

  it('reports a resent batch as duplicates and keeps one copy, also after a restart', async () => {
    await expectResendDeduplicated({ sinks: [sinkUrl] }, async (ids) => (await rows(ids)).length);
  });

  it('keeps the events of two sources that send the same messageIds apart', async () => {
    await expectSourcesKeptApart({ sinks: [sinkUrl] }, async (ids) => (await rows(ids)).map((r) => r.source));
  });

  it('rekeys a table made with message_id as its primary key by (source, message_id), keeping its rows', async () => {
    await db.query(`CREATE TABLE ${legacy} (
      message_id text PRIMARY KEY, type text NOT NULL, event text, anonymous_id text, user_id text,
      source text NOT NULL, "timestamp" timestamptz NOT NULL, received_at timestamptz NOT NULL,
      properties jsonb, traits jsonb, context jsonb, payload jsonb NOT NULL)`);
    const id = `legacy-${randomUUID()}`;
    await db.query(
      `INSERT INTO ${legacy} (message_id, type, event, source, "timestamp", received_at, payload)
       VALUES ($1, 'track', 'Old', 'demo', now(), now(), '{}')`,
      [id],
    );
    const c = await startCollector({
      config: {
        sinks: [`${SERVER}?table=${legacy}`],
        sources: [{ writeKey: 'demo' }, { writeKey: 'other' }],
      },
    });
    try {
      const key = await db.query<{ column: string }>(
        `SELECT a.attname AS column FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
         WHERE c.conrelid = $1::regclass AND c.contype = 'p' ORDER BY array_position(c.conkey, a.attnum)`,
        [legacy],
      );
      expect(key.rows.map((r) => r.column)).toEqual(['source', 'message_id']);
      const again = trackEvent({ messageId: id, event: 'Again' });
      const demo = await post(`${c.url}/v1/batch`, { batch: [again] });
      expect(await demo.json()).toMatchObject({ accepted: 0, duplicates: 1 });
      const other = await post(`${c.url}/v1/batch`, { batch: [again] }, { authorization: basic('other') });
      expect(await other.json()).toMatchObject({ accepted: 1, duplicates: 0 });
      const stored = await db.query(
        `SELECT source, event FROM ${legacy} WHERE message_id = $1 ORDER BY source`,
        [id],
      );
      expect(stored.rows).toEqual([
        { source: 'demo', event: 'Old' },
        { source: 'other', event: 'Again' },
      ]);
    } finally {
      await c.stop();
    }
  });

  it("keeps each source's identity links apart and only widens their times", async () => {
    const c = await startCollector({
      config: { sinks: [sinkUrl], sources: [{ writeKey: 'demo' }, { writeKey: 'other' }] },
    });
    try {
      const user = `user-${randomUUID()}`;
      const identify = (timestamp: string, anonymousId = 'anon-1') =>
        trackEvent({ type: 'identify', event: undefined, anonymousId, userId: user, timestamp });
      const send = async (writeKey: string, batch: unknown[]) => {
        const res = await post(`${c.url}/v1/batch`, { batch }, { authorization: basic(writeKey) });
        expect(await res.json()).toMatchObject({ accepted: batch.length });
      };
      const [newer, older, backdated] = [daysAgo(1), daysAgo(3), daysAgo(20)];
      await send('demo', [identify(newer)]);
      // Another source's backdated identify and alias, then demo's own older one.
      const alias = trackEvent({ type: 'alias', event: undefined, previousId: 'attacker-1', userId: user });
      await send('other', [identify(backdated), alias]);
      await send('demo', [identify(older)]);
      expect(await linksOf(table, user)).toEqual([
        `demo anon-1 ${older} ${newer}`,
        `other anon-1 ${backdated} ${backdated}`,
        `other attacker-1 ${alias.timestamp} ${alias.timestamp}`,
      ]);
    } finally {
      await c.stop();
    }
  });

  it('gives the links of an identities table without a source to the sources whose events made them', async () => {
    await db.query(`CREATE TABLE ${unsourced} (
      message_id text PRIMARY KEY, type text NOT NULL, event text, anonymous_id text, user_id text,
      source text NOT NULL, "timestamp" timestamptz NOT NULL, received_at timestamptz NOT NULL,
      properties jsonb, traits jsonb, context jsonb, payload jsonb NOT NULL)`);
    await db.query(`CREATE TABLE ${unsourced}_identities (
      anonymous_id text NOT NULL, user_id text NOT NULL, first_seen timestamptz NOT NULL,
      last_seen timestamptz NOT NULL, PRIMARY KEY (anonymous_id, user_id))`);
    const [t0, t1, t2, t3, t4, t5] = [
      daysAgo(20),
      daysAgo(9),
      daysAgo(8),
      daysAgo(7),
      daysAgo(6),
      daysAgo(5),
    ];
    const event = (type: string, anonymousId: string | null, source: string, at: string, payload = {}) =>
      db.query(
        `INSERT INTO ${unsourced} (message_id, type, anonymous_id, user_id, source, "timestamp", received_at, payload)
         VALUES ($1, $2, $3, 'u-1', $4, $5, $5, $6)`,
        [randomUUID(), type, anonymousId, source, at, payload],
      );
    await event('identify', 'anon-1', 'billing', t1);
    await event('identify', 'anon-1', 'billing', t3);
    await event('identify', 'anon-1', 'demo', t0);
    await event('alias', 'anon-1', 'demo', t2, { previousId: 'attacker-1' });
    await event('track', 'anon-1', 'demo', t4);
    const link = (anonymousId: string, first: string, last: string) =>
      db.query(`INSERT INTO ${unsourced}_identities VALUES ($1, 'u-1', $2, $3)`, [anonymousId, first, last]);
    await link('anon-1', t1, t0); // demo's backdated identify had moved billing's last_seen
    await link('attacker-1', t2, t2);
    await link('anon-9', t4, t5); // its events are no longer stored

    const c = await startCollector({
      config: {
        sinks: [`${SERVER}?table=${unsourced}`],
        sources: [{ writeKey: 'demo' }, { writeKey: 'billing' }],
      },
    });
    try {
      const key = await db.query<{ column: string }>(
        `SELECT a.attname AS column FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
         WHERE c.conrelid = $1::regclass AND c.contype = 'p' ORDER BY array_position(c.conkey, a.attnum)`,
        [`${unsourced}_identities`],
      );
      expect(key.rows.map((r) => r.column)).toEqual(['source', 'anonymous_id', 'user_id']);
      expect(await linksOf(unsourced, 'u-1')).toEqual([
        `(unattributed) anon-9 ${t4} ${t5}`,
        `billing anon-1 ${t1} ${t3}`,
        `demo anon-1 ${t0} ${t0}`,
        `demo attacker-1 ${t2} ${t2}`,
      ]);
      const later = trackEvent({ type: 'identify', event: undefined, anonymousId: 'anon-1', userId: 'u-1' });
      const res = await post(`${c.url}/v1/batch`, { batch: [later] });
      expect(await res.json()).toMatchObject({ accepted: 1 });
      expect(await linksOf(unsourced, 'u-1')).toContain(`demo anon-1 ${t0} ${later.timestamp}`);
      expect(await linksOf(unsourced, 'u-1')).toContain(`billing anon-1 ${t1} ${t3}`);
    } finally {
      await c.stop();
    }
  });

  it('answers 503 with Retry-After while the server is unreachable, then stores the retry once', async () => {
    const proxy = await startTcpProxy(5432);
    const c = await startCollector({
      config: {
        sinks: [
          `postgres://postgres@127.0.0.1:${proxy.port}/test?table=${table}&connect_timeout_ms=500&timeout_ms=1000`,
        ],
        sinkTimeoutMs: 2000,
        retryAfterSeconds: 1,
      },
    });
    try {
      await expectOutageThenRetryOnce(c, proxy, async (ids) => (await rows(ids)).length);
    } finally {
      await c.stop();
      await proxy.close();
    }
  });

  it('fans out: SQLite and Postgres both hold the batch', async () => {
    const c = await startCollector({ config: { sinks: ['sqlite:./data/events.db', sinkUrl] } });
    try {
      const batch = Array.from({ length: 5 }, () => trackEvent());
      const res = await post(`${c.url}/v1/batch`, { batch });
      expect(res.status).toBe(200);
      const ids = batch.map((e) => e.messageId).sort();
      expect((await rows(ids)).map((r) => r.message_id)).toEqual(ids);
      const local = c.query<{ message_id: string }>('SELECT message_id FROM events ORDER BY message_id');
      expect(local.map((r) => r.message_id)).toEqual(ids);
    } finally {
      await c.stop();
    }
  });

  it('refuses to start when the server cannot be reached, naming the sink but not its password', async () => {
    const error = await startCollector({
      config: {
        sinks: [`postgres://postgres:secret@127.0.0.1:1/test?table=${table}&connect_timeout_ms=500`],
      },
    }).then(
      () => new Error('started'),
      (e: Error) => e,
    );
    expect(error.message).toContain('sink postgres://127.0.0.1:1/test could not open: connect ECONNREFUSED');
    expect(error.message).not.toContain('secret');
  });
});

import { describe, expect, it } from 'vitest';
import { fakeD1 } from '../../../tests/support/fake-d1.ts';
import { FIRST_EVENTS_TABLE, FIRST_IDENTITIES_TABLE } from '../../../tests/support/first-sqlite-schema.ts';
import { d1Sink } from './d1.ts';
import type { StoredEvent } from './sink.ts';

const event = (overrides: Partial<StoredEvent> & Record<string, unknown> = {}): StoredEvent =>
  ({
    type: 'track',
    event: 'Product Viewed',
    messageId: crypto.randomUUID(),
    anonymousId: 'a-1',
    timestamp: '2026-03-01T00:00:00.000Z',
    receivedAt: '2026-03-01T00:00:01.000Z',
    source: 'demo',
    ...overrides,
  }) as StoredEvent;

/** The identity links a fake D1 holds, in a stable order. */
const links = (d1: ReturnType<typeof fakeD1>) =>
  d1.db
    .prepare(
      'SELECT source, anonymous_id, first_seen, last_seen FROM identities ORDER BY source, anonymous_id',
    )
    .all();

describe('d1Sink', () => {
  it('creates the schema once and stores events, failed events and identity links', async () => {
    const d1 = fakeD1();
    const sink = d1Sink(d1);
    const identify = event({ type: 'identify', userId: 'u-1', event: undefined });
    const failed = {
      receivedAt: identify.receivedAt,
      source: 'demo',
      reason: 'event is required',
      payload: '{}',
    };
    expect(await sink.write({ events: [event(), identify], failed: [failed] })).toEqual({ duplicates: 0 });
    expect(await sink.write({ events: [event()], failed: [] })).toEqual({ duplicates: 0 });
    expect(d1.batches).toBe(3); // the schema, then one batch per write
    expect(d1.db.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 3 });
    expect(d1.db.prepare('SELECT reason FROM failed_events').all()).toEqual([
      { reason: 'event is required' },
    ]);
    expect(d1.db.prepare('SELECT source, anonymous_id, user_id FROM identities').all()).toEqual([
      { source: 'demo', anonymous_id: 'a-1', user_id: 'u-1' },
    ]);
    expect(await sink.ready()).toBe(true);
  });

  it('counts events already stored as duplicates and links no identity for them', async () => {
    const d1 = fakeD1();
    const sink = d1Sink(d1);
    const older = event({ type: 'identify', userId: 'u-1', timestamp: '2026-01-01T00:00:00.000Z' });
    const newer = event({ type: 'identify', userId: 'u-1', timestamp: '2026-02-01T00:00:00.000Z' });
    await sink.write({ events: [older], failed: [] });
    await sink.write({ events: [newer], failed: [] });
    expect(await sink.write({ events: [older, event()], failed: [] })).toEqual({ duplicates: 1 });
    expect(d1.db.prepare('SELECT first_seen, last_seen FROM identities').all()).toEqual([
      { first_seen: older.timestamp, last_seen: newer.timestamp },
    ]);
  });

  it("keeps each source's identity links apart and only widens their times", async () => {
    const d1 = fakeD1();
    const sink = d1Sink(d1);
    const at = (day: string, source = 'server') =>
      event({ type: 'identify', userId: 'u-1', timestamp: `2026-02-${day}T00:00:00.000Z`, source });
    const alias = event({ type: 'alias', previousId: 'a-other', userId: 'u-1', source: 'web' });
    await sink.write({ events: [at('10')], failed: [] });
    await sink.write({ events: [at('01', 'web'), alias, at('20')], failed: [] });
    await sink.write({ events: [at('05')], failed: [] });
    expect(links(d1)).toEqual([
      {
        source: 'server',
        anonymous_id: 'a-1',
        first_seen: at('05').timestamp,
        last_seen: at('20').timestamp,
      },
      { source: 'web', anonymous_id: 'a-1', first_seen: at('01').timestamp, last_seen: at('01').timestamp },
      { source: 'web', anonymous_id: 'a-other', first_seen: alias.timestamp, last_seen: alias.timestamp },
    ]);
  });

  it('gives the links of an identities table from before they had a source to their sources', async () => {
    const d1 = fakeD1();
    await d1Sink(d1).ready();
    // The events table of the version before; its identities table, without a source.
    d1.db.exec(`DROP TABLE identities; ${FIRST_IDENTITIES_TABLE}`);
    const day = (n: number) => `2026-02-${String(n).padStart(2, '0')}T00:00:00.000Z`;
    const link = (
      source: string,
      type: StoredEvent['type'],
      timestamp: string,
      fields: Record<string, unknown> = {},
    ) => event({ type, userId: 'u-1', source, timestamp, ...fields });
    const stored = [
      link('server', 'identify', day(3)),
      link('server', 'identify', day(9)),
      link('web', 'identify', day(1)),
      // An alias links its previousId, not the anonymousId it also carries.
      link('web', 'alias', day(15), { previousId: 'a-0' }),
      link('server', 'track', day(20)),
    ];
    const insert = d1.db.prepare(
      `INSERT INTO events (message_id, type, anonymous_id, user_id, source, timestamp, received_at, payload)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const e of stored) {
      const { messageId, type, anonymousId, source, timestamp, receivedAt } = e;
      insert.run(
        messageId,
        type,
        anonymousId ?? null,
        'u-1',
        source,
        timestamp,
        receivedAt,
        JSON.stringify(e),
      );
    }
    const old = d1.db.prepare('INSERT INTO identities VALUES (?, ?, ?, ?)');
    old.run('a-1', 'u-1', day(1), day(9));
    old.run('a-0', 'u-1', day(15), day(15));
    old.run('a-9', 'u-9', day(4), day(5)); // its events are no longer stored

    const later = event({ type: 'identify', anonymousId: 'a-5', userId: 'u-1', source: 'server' });
    await d1Sink(d1).write({ events: [later], failed: [] });
    const row = (source: string, anonymous_id: string, first_seen: string, last_seen: string) => ({
      source,
      anonymous_id,
      first_seen,
      last_seen,
    });
    expect(links(d1)).toEqual([
      row('(unattributed)', 'a-9', day(4), day(5)),
      row('server', 'a-1', day(3), day(9)),
      row('server', 'a-5', later.timestamp, later.timestamp),
      row('web', 'a-0', day(15), day(15)),
      row('web', 'a-1', day(1), day(1)),
    ]);
  });

  it('keeps the same messageId from two sources apart', async () => {
    const sink = d1Sink(fakeD1());
    const web = event({ source: 'web' });
    const server = { ...web, source: 'server' };
    expect(await sink.write({ events: [web], failed: [] })).toEqual({ duplicates: 0 });
    expect(await sink.write({ events: [server, web], failed: [] })).toEqual({ duplicates: 1 });
  });

  it('rebuilds an events table from before per-source dedup, keeping its rows', async () => {
    const d1 = fakeD1();
    d1.db.exec(FIRST_EVENTS_TABLE);
    const old = event({ source: 'web' });
    d1.db
      .prepare(`INSERT INTO events VALUES (?, 'track', 'Old', 'a-1', NULL, 'web', ?, ?, '{}')`)
      .run(old.messageId, old.timestamp, old.receivedAt);
    const sink = d1Sink(d1);
    expect(await sink.write({ events: [old, { ...old, source: 'server' }], failed: [] })).toEqual({
      duplicates: 1,
    });
    expect(d1.db.prepare('SELECT source, event FROM events ORDER BY source').all()).toEqual([
      { source: 'server', event: 'Product Viewed' },
      { source: 'web', event: 'Old' },
    ]);
    expect(d1.batches).toBe(2); // the rebuild and the schema together, then the write
  });

  it('stores nothing of a batch when one statement fails', async () => {
    const d1 = fakeD1();
    const sink = d1Sink(d1);
    const broken = { receivedAt: 'now', source: 'demo', reason: null as unknown as string, payload: '{}' };
    await expect(sink.write({ events: [event()], failed: [broken] })).rejects.toThrow(/NOT NULL/);
    expect(d1.db.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import { fakeD1 } from '../../../tests/support/fake-d1.ts';
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
    expect(d1.db.prepare('SELECT anonymous_id, user_id FROM identities').all()).toEqual([
      { anonymous_id: 'a-1', user_id: 'u-1' },
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

  it('keeps the same messageId from two sources apart', async () => {
    const sink = d1Sink(fakeD1());
    const web = event({ source: 'web' });
    const server = { ...web, source: 'server' };
    expect(await sink.write({ events: [web], failed: [] })).toEqual({ duplicates: 0 });
    expect(await sink.write({ events: [server, web], failed: [] })).toEqual({ duplicates: 1 });
  });

  it('rebuilds an events table from before per-source dedup, keeping its rows', async () => {
    const d1 = fakeD1();
    d1.db.exec(`CREATE TABLE events (message_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, event TEXT,
      anonymous_id TEXT, user_id TEXT, source TEXT NOT NULL, timestamp TEXT NOT NULL,
      received_at TEXT NOT NULL, payload TEXT NOT NULL)`);
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

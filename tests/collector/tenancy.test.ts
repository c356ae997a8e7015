// One source cannot suppress or overwrite another's events: dedup is per source, in the collector's
// recent-id cache and in the store, also in a store made before it was. Identity links belong to the
// source whose events made them, so one source cannot move or extend another's identity graph. Two
// sources may not share the name their events are stored under.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureHeaders } from '../../collector/src/http/signature.ts';
import type { BatchResponse } from '../../sdk-core/src/protocol.ts';
import { FIRST_EVENTS_TABLE, FIRST_IDENTITIES_TABLE } from '../support/first-sqlite-schema.ts';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { basic, post, trackEvent } from '../support/events.ts';

interface Row {
  source: string;
  message_id: string;
  event: string;
}

interface Link {
  source: string;
  anonymous_id: string;
  user_id: string;
  first_seen: string;
  last_seen: string;
}

const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();

const secret = randomBytes(24).toString('base64url');
const config = {
  sources: [
    { writeKey: 'demo' },
    { writeKey: 'backend', name: 'billing', signingSecret: 'env:BACKEND_SECRET' },
  ],
};
const env = { BACKEND_SECRET: secret };

/** Posts a batch as the signed server-side source. */
async function postSigned(c: CollectorProcess, events: unknown[]): Promise<Response> {
  const body = JSON.stringify({ batch: events });
  const signed = await signatureHeaders(secret, { method: 'POST', path: '/v1/batch', body });
  return fetch(`${c.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic('backend'), ...signed },
    body,
  });
}

const answer = async (res: Response) => {
  expect(res.status).toBe(200);
  return (await res.json()) as BatchResponse;
};

const linksOf = (c: CollectorProcess, userId: string) =>
  c.query<Link>(
    `SELECT source, anonymous_id, user_id, first_seen, last_seen FROM identities WHERE user_id = ?
     ORDER BY source, anonymous_id`,
    userId,
  );

const identify = (anonymousId: string, userId: string, timestamp: string) =>
  trackEvent({ type: 'identify', event: undefined, anonymousId, userId, timestamp });

const rowsOf = (c: CollectorProcess, ids: readonly string[]) =>
  c
    .query<Row>(
      `SELECT source, message_id, event FROM events WHERE message_id IN (SELECT value FROM json_each(?))
       ORDER BY message_id, source`,
      JSON.stringify(ids),
    )
    .map((r) => `${r.source}:${r.message_id}:${r.event}`);

describe('a public source and a signed one', () => {
  let c: CollectorProcess;
  beforeAll(async () => {
    c = await startCollector({ config, env });
  });
  afterAll(() => c.stop());

  it("cannot suppress the signed source's events by sending their messageIds first", async () => {
    const ids = Array.from({ length: 5 }, () => `order-${randomUUID()}`);
    const squat = ids.map((messageId) => trackEvent({ messageId, event: 'Squatted' }));
    const real = ids.map((messageId) => trackEvent({ messageId, event: 'Order Completed', userId: 'u-1' }));

    expect(await answer(await post(`${c.url}/v1/batch`, { batch: squat }))).toMatchObject({
      accepted: 5,
      duplicates: 0,
    });
    // Before per-source dedup this answered `accepted: 0, duplicates: 5` and stored nothing.
    expect(await answer(await postSigned(c, real))).toMatchObject({ accepted: 5, duplicates: 0 });
    expect(rowsOf(c, ids)).toEqual(
      [...ids].sort().flatMap((id) => [`billing:${id}:Order Completed`, `demo:${id}:Squatted`]),
    );
  });

  it('cannot overwrite them either, and each source still has its own repeats dropped', async () => {
    const ids = Array.from({ length: 3 }, () => `refund-${randomUUID()}`);
    const real = ids.map((messageId) => trackEvent({ messageId, event: 'Order Refunded', userId: 'u-1' }));
    expect(await answer(await postSigned(c, real))).toMatchObject({ accepted: 3, duplicates: 0 });

    const forged = ids.map((messageId) => trackEvent({ messageId, event: 'Forged' }));
    expect(await answer(await post(`${c.url}/v1/batch`, { batch: forged }))).toMatchObject({
      accepted: 3,
      duplicates: 0,
    });
    expect(await answer(await post(`${c.url}/v1/batch`, { batch: forged }))).toMatchObject({
      accepted: 0,
      duplicates: 3,
    });
    // A resend (in another order: the same body within the same second would be a refused replay).
    expect(await answer(await postSigned(c, [...real].reverse()))).toMatchObject({
      accepted: 0,
      duplicates: 3,
    });
    expect(rowsOf(c, ids)).toEqual(
      [...ids].sort().flatMap((id) => [`billing:${id}:Order Refunded`, `demo:${id}:Forged`]),
    );
  });

  it("cannot move or extend the signed source's identity links", async () => {
    const anon = `anon-${randomUUID()}`;
    const user = `user-${randomUUID()}`;
    const attacker = `attacker-${randomUUID()}`;
    const real = identify(anon, user, daysAgo(1));
    expect(await answer(await postSigned(c, [real]))).toMatchObject({ accepted: 1 });

    // Before links had a source, this moved billing's last_seen 19 days before its first_seen and
    // added attacker → user to billing's user.
    const backdated = identify(anon, user, daysAgo(20));
    const alias = trackEvent({ type: 'alias', event: undefined, previousId: attacker, userId: user });
    expect(await answer(await post(`${c.url}/v1/batch`, { batch: [backdated, alias] }))).toMatchObject({
      accepted: 2,
    });

    const link = (source: string, anonymousId: string, timestamp?: string): Partial<Link> => ({
      source,
      anonymous_id: anonymousId,
      user_id: user,
      first_seen: timestamp,
      last_seen: timestamp,
    });
    expect(linksOf(c, user)).toEqual([
      link('billing', anon, real.timestamp),
      link('demo', anon, backdated.timestamp),
      link('demo', attacker, alias.timestamp),
    ]);
  });

  it("only widens a link's times: an event dated earlier does not move last_seen back", async () => {
    const anon = `anon-${randomUUID()}`;
    const user = `user-${randomUUID()}`;
    const newer = identify(anon, user, daysAgo(2));
    const older = identify(anon, user, daysAgo(5));
    const middle = identify(anon, user, daysAgo(3));
    for (const e of [newer, older, middle]) {
      expect(await answer(await postSigned(c, [e]))).toMatchObject({ accepted: 1 });
    }
    expect(linksOf(c, user)).toEqual([
      {
        source: 'billing',
        anonymous_id: anon,
        user_id: user,
        first_seen: older.timestamp,
        last_seen: newer.timestamp,
      },
    ]);
  });
});

describe('per-source dedup in the store', () => {
  it('holds after a restart, when only the store can tell a repeat', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trail-tenancy-'));
    const ids = Array.from({ length: 4 }, () => randomUUID());
    const first = await startCollector({ config, env, dir });
    try {
      await answer(
        await post(`${first.url}/v1/batch`, { batch: ids.map((messageId) => trackEvent({ messageId })) }),
      );
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const second = await startCollector({ config, env, dir });
    try {
      const again = ids.map((messageId) => trackEvent({ messageId }));
      expect(await answer(await post(`${second.url}/v1/batch`, { batch: again }))).toMatchObject({
        accepted: 0,
        duplicates: 4,
      });
      expect(await answer(await postSigned(second, again))).toMatchObject({ accepted: 4, duplicates: 0 });
      expect(rowsOf(second, ids)).toHaveLength(8);
    } finally {
      await second.stop();
    }
  });

  it('rebuilds an events table made with message_id unique on its own, keeping its rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trail-tenancy-old-'));
    mkdirSync(join(dir, 'data'));
    const old = new Database(join(dir, 'data/events.db'));
    // The table as earlier versions created it.
    old.exec(`PRAGMA journal_mode = WAL;
${FIRST_EVENTS_TABLE};
CREATE INDEX events_timestamp ON events (timestamp);`);
    const insert = old.prepare(
      `INSERT INTO events (message_id, type, event, anonymous_id, user_id, source, timestamp, received_at, payload)
       VALUES (?, 'track', 'Old', 'a', NULL, 'demo', ?, ?, '{}')`,
    );
    const at = new Date().toISOString();
    const kept = ['old-1', 'old-2', 'old-3'];
    for (const id of kept) insert.run(id, at, at);
    old.close();

    const c = await startCollector({ config, env, dir });
    try {
      expect(rowsOf(c, kept)).toEqual(kept.map((id) => `demo:${id}:Old`));
      // The demo source's own repeat is still one; the signed source's same id is its own event.
      const repeat = trackEvent({ messageId: 'old-1', event: 'Again' });
      expect(await answer(await post(`${c.url}/v1/batch`, { batch: [repeat] }))).toMatchObject({
        accepted: 0,
        duplicates: 1,
      });
      expect(await answer(await postSigned(c, [repeat]))).toMatchObject({ accepted: 1, duplicates: 0 });
      expect(rowsOf(c, ['old-1'])).toEqual(['billing:old-1:Again', 'demo:old-1:Old']);
      const indexes = c.query<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'",
      );
      expect(indexes.map((i) => i.name)).toContain('events_timestamp');
    } finally {
      await c.stop();
    }
  });
});

describe('identity links in a store made before they had a source', () => {
  it('gives each old link to the sources whose events made it, with their own times', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trail-tenancy-links-'));
    mkdirSync(join(dir, 'data'));
    const old = new Database(join(dir, 'data/events.db'));
    // Both tables as the first versions created them.
    old.exec(`PRAGMA journal_mode = WAL;
${FIRST_EVENTS_TABLE};
${FIRST_IDENTITIES_TABLE};`);
    const [t0, t1, t2, t3, t4, t5] = [
      daysAgo(20),
      daysAgo(9),
      daysAgo(8),
      daysAgo(7),
      daysAgo(6),
      daysAgo(5),
    ];
    const event = old.prepare(
      `INSERT INTO events (message_id, type, anonymous_id, user_id, source, timestamp, received_at, payload)
       VALUES (?, ?, ?, 'u-1', ?, ?, ?, ?)`,
    );
    event.run('m-1', 'identify', 'anon-1', 'billing', t1, t1, '{}');
    event.run('m-2', 'identify', 'anon-1', 'billing', t3, t3, '{}');
    event.run('m-3', 'identify', 'anon-1', 'demo', t0, t3, '{}');
    event.run('m-4', 'alias', null, 'demo', t2, t2, JSON.stringify({ previousId: 'attacker-1' }));
    const link = old.prepare('INSERT INTO identities VALUES (?, ?, ?, ?)');
    // What the shared links looked like: demo's backdated identify moved billing's last_seen.
    link.run('anon-1', 'u-1', t1, t0);
    link.run('attacker-1', 'u-1', t2, t2);
    // A link whose events are no longer stored.
    link.run('anon-9', 'u-1', t4, t5);
    old.close();

    const c = await startCollector({ config, env, dir });
    try {
      expect(linksOf(c, 'u-1')).toEqual([
        { source: '(unattributed)', anonymous_id: 'anon-9', user_id: 'u-1', first_seen: t4, last_seen: t5 },
        { source: 'billing', anonymous_id: 'anon-1', user_id: 'u-1', first_seen: t1, last_seen: t3 },
        { source: 'demo', anonymous_id: 'anon-1', user_id: 'u-1', first_seen: t0, last_seen: t0 },
        { source: 'demo', anonymous_id: 'attacker-1', user_id: 'u-1', first_seen: t2, last_seen: t2 },
      ]);
      // New links go to their own source, leaving billing's as they were.
      const again = identify('anon-1', 'u-1', daysAgo(1));
      expect(await answer(await post(`${c.url}/v1/batch`, { batch: [again] }))).toMatchObject({
        accepted: 1,
      });
      expect(linksOf(c, 'u-1').filter((l) => l.anonymous_id === 'anon-1')).toEqual([
        { source: 'billing', anonymous_id: 'anon-1', user_id: 'u-1', first_seen: t1, last_seen: t3 },
        {
          source: 'demo',
          anonymous_id: 'anon-1',
          user_id: 'u-1',
          first_seen: t0,
          last_seen: again.timestamp,
        },
      ]);
    } finally {
      await c.stop();
    }
  });
});

describe('source names', () => {
  it.each([
    [
      'the same write key',
      [{ writeKey: 'web' }, { writeKey: 'web', name: 'other' }],
      'write key "web" is given to two sources',
    ],
    [
      'the same name',
      [
        { writeKey: 'a', name: 'web' },
        { writeKey: 'b', name: 'web' },
      ],
      'two sources are stored as "web"',
    ],
    [
      "a name that is another's write key",
      [{ writeKey: 'web' }, { writeKey: 'b', name: 'web' }],
      'two sources are stored as "web"',
    ],
  ])('refuses two sources with %s, saying why', async (_, sources, message) => {
    await expect(startCollector({ config: { sources } })).rejects.toThrow(message);
  });
});

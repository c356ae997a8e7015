// Another process holding the SQLite write lock must not stop the collector: the SQLite drivers are
// synchronous, so a write waits for the lock from a timer, not inside SQLite, and health checks and
// other requests are answered meanwhile. /readyz says the store cannot take writes.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchResponse } from '../../sdk-core/src/protocol.ts';
import {
  type CollectorProcess,
  type Runtime,
  startCollector,
  unavailable,
} from '../support/collector-process.ts';
import { post, trackEvent } from '../support/events.ts';

/** A request whose settling the test can observe without awaiting it. */
function pending(response: Promise<Response>) {
  const state = { settled: false, response };
  void response.finally(() => {
    state.settled = true;
  });
  return state;
}

// Each synchronous driver: better-sqlite3 (Node), bun:sqlite (Bun), node:sqlite (Deno).
const runtimes = (['node', 'bun', 'deno'] as Runtime[]).filter((runtime) => !unavailable(runtime));

describe.each(runtimes)('an external write lock on the SQLite file (%s)', (runtime) => {
  let c: CollectorProcess | undefined;
  let locker: Database.Database | undefined;
  afterEach(async () => {
    locker?.close();
    await c?.stop();
  });

  /** Takes the write lock from this process, as another writer of the file would. */
  const lock = (collector: CollectorProcess) => {
    locker = new Database(collector.dbPath);
    locker.exec('BEGIN IMMEDIATE');
    return locker;
  };

  it('leaves health checks and other routes answering while a write waits, and stores it once after', async () => {
    c = await startCollector({
      runtime,
      config: {
        // Far longer than the test: the write must wait for the release, not give up.
        sinks: ['sqlite:./data/events.db?busy_timeout=120000'],
        sinkTimeoutMs: 120_000,
        rateLimit: { perSecond: 0 },
      },
    });
    const url = c.url;
    expect((await post(`${url}/v1/batch`, { batch: [trackEvent()] })).status).toBe(200);
    const held = lock(c);

    const first = trackEvent();
    const second = trackEvent();
    const a = pending(post(`${url}/v1/batch`, { batch: [first] }));
    const b = pending(post(`${url}/v1/batch`, { batch: [second] }));
    // Twenty health checks in a row, each answered while both writes still wait for the lock.
    // With the wait inside SQLite the process answered nothing until the busy timeout ended.
    for (let i = 0; i < 20; i++) {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect({ a: a.settled, b: b.settled }).toEqual({ a: false, b: false });
    }
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    const invalid = await post(`${url}/v1/batch`, { batch: 'not an array' });
    expect(invalid.status).toBe(400);
    expect({ a: a.settled, b: b.settled }).toEqual({ a: false, b: false });

    held.exec('ROLLBACK');
    const answers = [await a.response, await b.response];
    expect(answers.map((res) => res.status)).toEqual([200, 200]);
    for (const res of answers) expect((await res.json()) as BatchResponse).toMatchObject({ accepted: 1 });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    // Each stored once, in the order they came.
    const rows = c.query<{ message_id: string }>(
      'SELECT message_id FROM events WHERE message_id IN (?, ?) ORDER BY rowid',
      first.messageId,
      second.messageId,
    );
    expect(rows.map((r) => r.message_id)).toEqual([first.messageId, second.messageId]);
  });

  it('answers 503 with Retry-After once busy_timeout is spent, and stores the retry after the release', async () => {
    c = await startCollector({
      runtime,
      config: {
        sinks: ['sqlite:./data/events.db?busy_timeout=300'],
        retryAfterSeconds: 1,
        rateLimit: { perSecond: 0 },
      },
    });
    const held = lock(c);
    const event = trackEvent();
    const refused = pending(post(`${c.url}/v1/batch`, { batch: [event] }));
    while (!refused.settled) expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
    const res = await refused.response;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ success: false, error: 'sink_unavailable' });

    held.exec('ROLLBACK');
    expect(await (await post(`${c.url}/v1/batch`, { batch: [event] })).json()).toMatchObject({
      accepted: 1,
      duplicates: 0,
    });
    expect(c.query('SELECT 1 FROM events WHERE message_id = ?', event.messageId)).toHaveLength(1);
  });
});

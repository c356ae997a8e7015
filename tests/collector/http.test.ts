import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchResponse } from '../../sdk-core/src/protocol.ts';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { post, trackEvent } from '../support/events.ts';

// Node-only behaviour of the collector process: a locked store, graceful shutdown, zero config.
// What every runtime must do over HTTP is in conformance.test.ts.

describe('collector when its store fails', () => {
  let c: CollectorProcess;
  beforeAll(async () => {
    c = await startCollector({
      config: { sinks: ['sqlite:./data/events.db?busy_timeout=100'], retryAfterSeconds: 2 },
    });
  });
  afterAll(async () => {
    await c.stop();
  });

  it('answers 503 with Retry-After while the store is locked, then stores the retry exactly once', async () => {
    const batch = Array.from({ length: 20 }, () => trackEvent());
    const lock = new Database(c.dbPath);
    lock.exec('BEGIN IMMEDIATE');
    try {
      const res = await post(`${c.url}/v1/batch`, { batch });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(await res.json()).toMatchObject({ success: false, error: 'sink_unavailable' });
      expect(
        (await fetch(`${c.url}/metrics`).then((r) => r.text())).match(
          /trail_sink_failures_total\{source="demo"\} 1/,
        ),
      ).not.toBeNull();
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    expect(c.query('SELECT 1 FROM events')).toHaveLength(0);
    const retry = await post(`${c.url}/v1/batch`, { batch });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ accepted: 20, duplicates: 0 });
    const again = await post(`${c.url}/v1/batch`, { batch });
    expect(await again.json()).toMatchObject({ accepted: 0, duplicates: 20 });
    expect(c.query('SELECT 1 FROM events')).toHaveLength(20);
  });

  it('finishes a write in flight before a graceful shutdown exits', async () => {
    const batch = Array.from({ length: 5 }, () => trackEvent());
    const lock = new Database(c.dbPath);
    lock.exec('BEGIN IMMEDIATE');
    const slow = post(`${c.url}/v1/batch`, { batch });
    await new Promise((r) => setTimeout(r, 30));
    const stopped = c.stop('SIGTERM');
    lock.exec('ROLLBACK');
    lock.close();
    const res = await slow;
    expect([200, 503]).toContain(res.status);
    expect(await stopped).toBe(0);
    const count = new Database(c.dbPath, { readonly: true });
    const stored = count
      .prepare('SELECT COUNT(*) AS n FROM events WHERE message_id IN (SELECT value FROM json_each(?))')
      .get(JSON.stringify(batch.map((e) => e.messageId))) as { n: number };
    count.close();
    // What the client was told matches what is stored: all on 200, none on 503.
    expect(stored.n).toBe(res.status === 200 ? 5 : 0);
    expect(c.logs.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
  });
});

describe('collector with zero config', () => {
  it('starts with the demo key and the ./data/events.db store', async () => {
    const c = await startCollector({ zeroConfig: true });
    try {
      const event = trackEvent();
      const res = await post(`${c.url}/v1/batch`, { batch: [event] });
      expect(res.status).toBe(200);
      expect(c.query('SELECT message_id FROM events')).toEqual([{ message_id: event.messageId }]);
    } finally {
      await c.stop();
    }
  });

  it('deduplicates through the store after a restart empties the recent-id cache', async () => {
    const first = await startCollector({ zeroConfig: true });
    const batch = [trackEvent(), trackEvent()];
    await post(`${first.url}/v1/batch`, { batch });
    await first.stop();
    const second = await startCollector({ zeroConfig: true, dir: first.dir });
    try {
      const res = (await (await post(`${second.url}/v1/batch`, { batch })).json()) as BatchResponse;
      expect(res).toMatchObject({ accepted: 0, duplicates: 2 });
      expect(second.query('SELECT 1 FROM events')).toHaveLength(2);
    } finally {
      await second.stop();
    }
  });

  it('refuses to start on an invalid config and says why', async () => {
    await expect(startCollector({ config: { sinks: ['mysql://nowhere'] } })).rejects.toThrow(
      /unknown sink "mysql:\/\/nowhere"/,
    );
    await expect(startCollector({ config: { port: -1 } as never })).rejects.toThrow(/port: /);
  });
});

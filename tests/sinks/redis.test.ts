import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector } from '../support/collector-process.ts';
import { post, trackEvent } from '../support/events.ts';
import {
  expectOutageThenRetryOnce,
  expectResendDeduplicated,
  expectSourcesKeptApart,
} from '../support/sink-contract.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

const base = `trail:test:${randomUUID().slice(0, 8)}`;
const stream = `${base}:events`;
const options = `stream=${stream}&seen_prefix=${base}:seen:&dedup_window=600&maxlen=100000`;
const sinkUrl = `redis://127.0.0.1:6379?${options}`;

describe('Redis Streams sink', () => {
  const redis = createClient({ url: 'redis://127.0.0.1:6379' });
  const entries = async (key = stream) =>
    ((await redis.xRange(key, '-', '+')) ?? []).map((entry) => ({ ...entry.message }));
  const copiesOf = async (ids: readonly string[]) =>
    (await entries()).filter((m) => ids.includes(m.message_id ?? '')).length;

  beforeAll(async () => {
    await redis.connect();
  });
  afterAll(async () => {
    const keys = [stream, `${stream}:failed`];
    for await (const found of redis.scanIterator({ MATCH: `${base}:seen:*`, COUNT: 1000 }))
      keys.push(...found);
    await redis.del(keys);
    await redis.close();
  });

  it('appends each event to the stream with message_id, type and the event as JSON', async () => {
    const c = await startCollector({ config: { sinks: [sinkUrl] } });
    try {
      const track = trackEvent();
      const page = trackEvent({ type: 'page', event: undefined, name: 'Home' });
      const res = await post(`${c.url}/v1/batch`, {
        batch: [track, page, { type: 'track', messageId: 'bad-1', anonymousId: 'a' }],
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ accepted: 2, duplicates: 0, rejected: [{ index: 2 }] });

      const stored = await entries();
      expect(stored.map((m) => [m.message_id, m.source, m.type])).toEqual([
        [track.messageId, 'demo', 'track'],
        [page.messageId, 'demo', 'page'],
      ]);
      const event = JSON.parse(stored[0]?.event ?? '{}') as Record<string, any>;
      expect(event).toMatchObject({ messageId: track.messageId, event: 'Product Viewed', source: 'demo' });
      expect(event.context.ip).toBe('127.0.0.0');
      expect(typeof event.receivedAt).toBe('string');
      expect(await entries(`${stream}:failed`)).toEqual([
        {
          source: 'demo',
          reason: 'event is required',
          message_id: 'bad-1',
          received_at: expect.any(String),
          payload: expect.stringContaining('"bad-1"'),
        },
      ]);
      // The guard key names the source with the id, so another source's same id is not a repeat.
      const ttl = await redis.ttl(`${base}:seen:${JSON.stringify(['demo', track.messageId])}`);
      expect(ttl).toBeGreaterThan(590);
      expect(ttl).toBeLessThanOrEqual(600);
    } finally {
      await c.stop();
    }
  });

  it('reports a resent batch as duplicates and keeps one copy, also after a restart', async () => {
    await expectResendDeduplicated({ sinks: [sinkUrl] }, copiesOf);
  });

  it('keeps the events of two sources that send the same messageIds apart', async () => {
    await expectSourcesKeptApart({ sinks: [sinkUrl] }, async (ids) =>
      (await entries()).filter((m) => ids.includes(m.message_id ?? '')).map((m) => m.source ?? ''),
    );
  });

  it('fails a batch whole, before any write, when the stream key holds another type', async () => {
    const wrong = `${base}:not-a-stream`;
    await redis.set(wrong, 'x');
    const c = await startCollector({
      config: { sinks: [`redis://127.0.0.1:6379?stream=${wrong}&seen_prefix=${base}:seen:`] },
    });
    try {
      const event = trackEvent();
      const res = await post(`${c.url}/v1/batch`, { batch: [event] });
      expect(res.status).toBe(503);
      // No guard key was left behind, so the retry to a fixed store is not mistaken for a repeat.
      expect(await redis.exists(`${base}:seen:${JSON.stringify(['demo', event.messageId])}`)).toBe(0);
    } finally {
      await c.stop();
      await redis.del(wrong);
    }
  });

  it('answers 503 at once while the server is unreachable, then stores the retry once', async () => {
    const proxy = await startTcpProxy(6379);
    const c = await startCollector({
      config: {
        sinks: [`redis://127.0.0.1:${proxy.port}?${options}&timeout_ms=1000`],
        sinkTimeoutMs: 2000,
        retryAfterSeconds: 1,
      },
    });
    try {
      await expectOutageThenRetryOnce(c, proxy, copiesOf);
    } finally {
      await c.stop();
      await proxy.close();
    }
  });

  it('refuses to start when the server cannot be reached, naming the sink but not its password', async () => {
    const error = await startCollector({
      config: { sinks: [`redis://user:secret@127.0.0.1:1?${options}&timeout_ms=500`] },
    }).then(
      () => new Error('started'),
      (e: Error) => e,
    );
    expect(error.message).toContain('sink redis://127.0.0.1:1 could not open: connect ECONNREFUSED');
    expect(error.message).not.toContain('secret');
  });
});

import type { ExecutionContext } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import { fakeD1 } from '../../../tests/support/fake-d1.ts';
import type { QueueMessage } from '../sinks/cf-queue.ts';
import type { StoredEvent } from '../sinks/sink.ts';
import { type WorkerEnv, workerConfigInput } from './workers.ts';

const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as ExecutionContext;

/** A fresh copy of the entry, since it keeps its app for the life of the isolate (the module). */
async function freshWorker() {
  vi.resetModules();
  return (await import('./workers.ts')).default;
}

const batch = (writeKey: string) =>
  new Request('http://collector/v1/batch', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.7' },
    body: JSON.stringify({
      writeKey,
      batch: [{ type: 'track', event: 'Signed Up', anonymousId: 'a-1', messageId: `m-${writeKey}` }],
    }),
  });

describe('Workers entry', () => {
  it('reads TRAIL_CONFIG as an object or a JSON string, with TRAIL_* variables over it', () => {
    const config = { sources: [{ writeKey: 'web' }], limits: { batchEvents: 10 } };
    expect(workerConfigInput({ TRAIL_CONFIG: config })).toMatchObject({ ...config, sinks: ['d1:DB'] });
    const input = workerConfigInput({ TRAIL_CONFIG: JSON.stringify(config), TRAIL_WRITE_KEYS: 'a,b' });
    expect(input.sources?.map((s) => s.writeKey)).toEqual(['a', 'b']);
    expect(workerConfigInput({ QUEUE: { sendBatch: async () => {} } }).sinks).toEqual([
      'd1:DB',
      'queue:QUEUE',
    ]);
    expect(workerConfigInput({ TRAIL_SINKS: 'd1:EVENTS' }).sinks).toEqual(['d1:EVENTS']);
  });

  it('stores in D1 and sends to the queue, with the IP from CF-Connecting-IP', async () => {
    const worker = await freshWorker();
    const db = fakeD1();
    const sent: QueueMessage<StoredEvent>[] = [];
    const env: WorkerEnv = {
      DB: db,
      QUEUE: { sendBatch: async (messages) => void sent.push(...messages) },
      TRAIL_WRITE_KEYS: 'web',
      TRAIL_LOG_LEVEL: 'warn',
    };
    const res = await worker.fetch(batch('web'), env, ctx);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 1, duplicates: 0 });
    const [row] = db.db.prepare('SELECT message_id, payload FROM events').all() as { payload: string }[];
    expect(JSON.parse(row?.payload ?? '{}').context.ip).toBe('203.0.113.0');
    expect(sent.map((m) => m.body.messageId)).toEqual(['m-web']);
    expect((await worker.fetch(batch('other'), env, ctx)).status).toBe(401);
  });

  it('answers 500 while the config is invalid and recovers once it is fixed', async () => {
    const worker = await freshWorker();
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const broken = await worker.fetch(batch('demo'), { TRAIL_SINKS: 'sqlite:./data/events.db' }, ctx);
    expect(broken.status).toBe(500);
    expect(await broken.json()).toMatchObject({ error: 'config_error' });
    expect(log.mock.calls[0]?.[0]).toMatch(/not available on Workers/);
    log.mockRestore();
    expect((await worker.fetch(batch('demo'), { DB: fakeD1(), TRAIL_LOG_LEVEL: 'warn' }, ctx)).status).toBe(
      200,
    );
  });
});

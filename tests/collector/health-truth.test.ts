// /readyz must say what a client would get: a store that refuses writes is not ready, even when
// its own check (SELECT 1, a ping) still passes.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { post, trackEvent } from '../support/events.ts';
import { answer, type HttpReceiver, startReceiver } from '../support/http-receiver.ts';

const readyz = async (c: CollectorProcess) => (await fetch(`${c.url}/readyz`)).status;

describe('readiness follows real writes', () => {
  let receiver: HttpReceiver;
  let collector: CollectorProcess;
  let refuseWrites = false;
  beforeAll(async () => {
    // A receiver that is up (HEAD answers 200, so the webhook sink's own check passes) but refuses
    // every POST while the test says so, as a store that cannot write would.
    receiver = await startReceiver((req, res) =>
      answer(res, req.method === 'POST' && refuseWrites ? 400 : 200, refuseWrites ? 'read-only' : ''),
    );
    collector = await startCollector({
      config: {
        sinks: [`webhook+http://127.0.0.1:${receiver.port}/hook`],
        retryAfterSeconds: 1,
        demo: false,
      },
    });
  });
  afterAll(async () => {
    await collector?.stop();
    await receiver?.stop();
  });

  it('answers 503 on /readyz while writes fail though the sink check passes, and 200 once a write succeeds', async () => {
    expect(await readyz(collector)).toBe(200);
    refuseWrites = true;
    const batch = [trackEvent()];
    const refused = await post(`${collector.url}/v1/batch`, { batch });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: 'sink_unavailable' });
    // The sink's own check still passes: HEAD is answered 200.
    const head = await fetch(`http://127.0.0.1:${receiver.port}/hook`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await readyz(collector)).toBe(503);
    expect(await (await fetch(`${collector.url}/readyz`)).json()).toEqual({ status: 'sink unavailable' });
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);

    refuseWrites = false;
    const retry = await post(`${collector.url}/v1/batch`, { batch });
    expect(retry.status).toBe(200);
    expect(await readyz(collector)).toBe(200);
  });
});

describe('readiness of the SQLite store under an external write lock', () => {
  let collector: CollectorProcess;
  beforeAll(async () => {
    collector = await startCollector({
      config: { sinks: ['sqlite:./data/events.db?busy_timeout=100'], retryAfterSeconds: 1, demo: false },
    });
  });
  afterAll(() => collector?.stop());

  it('is not ready while a write is refused for the lock, and ready again after', async () => {
    expect(await readyz(collector)).toBe(200);
    const batch = [trackEvent()];
    const lock = new Database(collector.dbPath);
    lock.exec('BEGIN IMMEDIATE');
    try {
      expect((await post(`${collector.url}/v1/batch`, { batch })).status).toBe(503);
      expect(await readyz(collector)).toBe(503);
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    expect((await post(`${collector.url}/v1/batch`, { batch })).status).toBe(200);
    expect(await readyz(collector)).toBe(200);
  });
});

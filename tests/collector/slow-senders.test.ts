// Slow senders: connections that send their headers and then a body a few bytes at a time (or
// never finish their headers) must not take the collector from anyone else. Every request here is
// made by hand on its own TCP connection; the slow ones come from 127.0.0.2, the legitimate client
// from 127.0.0.1 (Linux routes all of 127.0.0.0/8 to loopback).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorResponse } from '../../sdk-core/src/protocol.ts';
import {
  type CollectorProcess,
  RUNTIMES,
  type Runtime,
  startCollector,
  unavailable,
} from '../support/collector-process.ts';
import { basic, post, trackEvent } from '../support/events.ts';
import { openRequest, type RawRequest } from '../support/raw-http.ts';

const SLOW = 260;
const PER_CLIENT = 8;
const BODY_TIMEOUT_MS = 1500;

const batchOf = (event = trackEvent()) => JSON.stringify({ batch: [event] });

describe('260 slow senders from one address (node)', () => {
  let collector: CollectorProcess;
  beforeAll(async () => {
    collector = await startCollector({
      // maxInFlight is left at its default (256): fewer than the slow connections.
      config: {
        http: {
          bodyTimeoutMs: BODY_TIMEOUT_MS,
          headersTimeoutMs: BODY_TIMEOUT_MS,
          maxReadsPerClient: PER_CLIENT,
        },
        demo: false,
      },
    });
  });
  afterAll(() => collector.stop());

  it('hold at most maxReadsPerClient reads, no in-flight slot, and a client elsewhere is still served', async () => {
    const body = batchOf();
    const slow: RawRequest[] = [];
    for (let i = 0; i < SLOW; i++) {
      slow.push(
        await openRequest(collector.url, {
          localAddress: '127.0.0.2',
          headers: { authorization: basic('demo') },
          body: body.slice(0, 10),
          contentLength: body.length,
        }),
      );
    }
    // Past the per-client bound, each is answered at once without its body; the first ones wait.
    const refused = await Promise.all(slow.slice(PER_CLIENT).map((r) => r.answer));
    expect(refused.map((a) => a?.status)).toEqual(Array(SLOW - PER_CLIENT).fill(429));
    expect(JSON.parse(refused[0]?.text ?? '{}')).toMatchObject({ error: 'rate_limited' });
    expect(Number(refused[0]?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(slow.slice(0, PER_CLIENT).filter((r) => r.answered)).toEqual([]);

    // The legitimate client, while the slow bodies are still being waited for.
    const event = trackEvent();
    const res = await post(`${collector.url}/v1/batch`, { batch: [event] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 1 });
    expect(slow.slice(0, PER_CLIENT).filter((r) => r.answered)).toEqual([]);

    // The bodies that never come are refused at the body deadline with 408.
    const late = await Promise.all(slow.slice(0, PER_CLIENT).map((r) => r.answer));
    expect(late.map((a) => a?.status)).toEqual(Array(PER_CLIENT).fill(408));
    const reason = JSON.parse(late[0]?.text ?? '{}') as ErrorResponse;
    expect(reason.error).toBe('body_timeout');
    expect(reason.message).toMatch(/did not arrive within 1.5 s/);
    for (const r of slow) r.close();

    // The slow address got its read slots back.
    const again = await openRequest(collector.url, {
      localAddress: '127.0.0.2',
      headers: { authorization: basic('demo') },
      body: batchOf(),
    });
    expect((await again.answer)?.status).toBe(200);
    again.close();
    expect(collector.query('SELECT 1 FROM events')).toHaveLength(2);
  });

  it('closes a connection that never finishes its headers', async () => {
    const stalled = await openRequest(collector.url, { body: batchOf(), headBytes: 40 });
    const answer = await stalled.answer;
    // Node answers 408 (or just closes) at headersTimeout; before it, this waited a minute or more.
    expect(answer === undefined || answer.status === 408).toBe(true);
    stalled.close();
  });
});

describe.each(RUNTIMES)('the body deadline on %s', (runtime: Runtime) => {
  const reason = unavailable(runtime);
  if (reason) {
    it.skip(`skipped: ${reason}`, () => {});
    return;
  }
  let collector: CollectorProcess;
  beforeAll(async () => {
    collector = await startCollector({
      runtime,
      config: { sources: [{ writeKey: 'demo' }], http: { bodyTimeoutMs: BODY_TIMEOUT_MS }, demo: false },
    });
  });
  afterAll(() => collector?.stop());

  it('answers 408 body_timeout to a body that stops coming, and still stores a whole one', async () => {
    const body = batchOf();
    const slow = await openRequest(collector.url, {
      headers: { authorization: basic('demo') },
      body: body.slice(0, 10),
      contentLength: body.length,
    });
    const answer = await slow.answer;
    slow.close();
    expect(answer?.status).toBe(408);
    expect(JSON.parse(answer?.text ?? '{}')).toMatchObject({ error: 'body_timeout' });
    expect((await post(`${collector.url}/v1/batch`, { batch: [trackEvent()] })).status).toBe(200);
  });
});

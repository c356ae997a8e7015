import { expect } from 'vitest';
import type { BatchResponse } from '../../sdk-core/src/protocol.ts';
import { type CollectorProcess, type StartOptions, startCollector } from './collector-process.ts';
import { basic, post, trackEvent } from './events.ts';
import type { TcpProxy } from './tcp-proxy.ts';
import { waitFor } from './wait-for.ts';

/**
 * The delivery contract through an outage of the sink's server, cut at a TCP proxy between the
 * collector and the real server: unready and 503 + Retry-After while it is gone, nothing stored; the
 * same batch retried once it is back is stored exactly once; a shutdown during an outage ends cleanly.
 * `copies` counts how many of the given messageIds the engine holds.
 */
export async function expectOutageThenRetryOnce(
  c: CollectorProcess,
  proxy: TcpProxy,
  copies: (ids: readonly string[]) => Promise<number>,
): Promise<void> {
  expect((await post(`${c.url}/v1/batch`, { batch: [trackEvent()] })).status).toBe(200);
  await proxy.cut();
  await waitFor(async () => expect((await fetch(`${c.url}/readyz`)).status).toBe(503), { timeout: 3000 });
  const batch = Array.from({ length: 20 }, () => trackEvent());
  const ids = batch.map((e) => e.messageId);
  const down = await post(`${c.url}/v1/batch`, { batch });
  expect(down.status).toBe(503);
  expect(down.headers.get('retry-after')).toBe('1');
  expect(await down.json()).toMatchObject({ success: false, error: 'sink_unavailable' });
  expect(await copies(ids)).toBe(0);

  await proxy.restore();
  const retry = await waitFor(
    async () => {
      const res = await post(`${c.url}/v1/batch`, { batch });
      expect(res.status).toBe(200);
      return (await res.json()) as BatchResponse;
    },
    { timeout: 5000, interval: 200 },
  );
  expect(retry).toMatchObject({ accepted: 20, duplicates: 0 });
  expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
  expect(await copies(ids)).toBe(20);

  await proxy.cut();
  expect(await c.stop()).toBe(0);
}

/**
 * Idempotence through the sink itself: a batch sent twice to one collector process, then again to
 * a new one (its recent-id cache empty, so only the engine can tell), alone and mixed with a new
 * event, is reported as duplicates and held once. `copies` counts the engine's copies of the ids.
 */
export async function expectResendDeduplicated(
  config: StartOptions['config'],
  copies: (ids: readonly string[]) => Promise<number>,
): Promise<void> {
  const batch = Array.from({ length: 10 }, () => trackEvent());
  const ids = batch.map((e) => e.messageId);
  const send = async (c: CollectorProcess, events: unknown[]) =>
    (await (await post(`${c.url}/v1/batch`, { batch: events })).json()) as BatchResponse;
  const first = await startCollector({ config });
  try {
    expect(await send(first, batch)).toMatchObject({ accepted: 10, duplicates: 0 });
    expect(await send(first, batch)).toMatchObject({ accepted: 0, duplicates: 10 });
  } finally {
    expect(await first.stop()).toBe(0);
  }
  const second = await startCollector({ config });
  try {
    expect(await send(second, batch)).toMatchObject({ accepted: 0, duplicates: 10 });
    expect(await send(second, [...batch.slice(0, 3), trackEvent()])).toMatchObject({
      accepted: 1,
      duplicates: 3,
    });
  } finally {
    await second.stop();
  }
  expect(await copies(ids)).toBe(10);
}

/**
 * Tenancy through the sink itself: two sources that send the same messageIds each have their own
 * events stored, and each source's repeat is a duplicate, also in a new collector process (its
 * recent-id cache empty, so only the engine can tell). `sources` lists the source of every copy the
 * engine holds of the given ids.
 */
export async function expectSourcesKeptApart(
  config: StartOptions['config'],
  sources: (ids: readonly string[]) => Promise<string[]>,
): Promise<void> {
  const withSources = { ...config, sources: [{ writeKey: 'demo' }, { writeKey: 'other' }] };
  const ids = Array.from({ length: 3 }, () => trackEvent().messageId);
  const send = async (c: CollectorProcess, key: string) => {
    const batch = ids.map((messageId) => trackEvent({ messageId, event: `From ${key}` }));
    const res = await post(`${c.url}/v1/batch`, { batch }, { authorization: basic(key) });
    return (await res.json()) as BatchResponse;
  };
  const first = await startCollector({ config: withSources });
  try {
    expect(await send(first, 'demo')).toMatchObject({ accepted: 3, duplicates: 0 });
    expect(await send(first, 'other')).toMatchObject({ accepted: 3, duplicates: 0 });
  } finally {
    expect(await first.stop()).toBe(0);
  }
  const second = await startCollector({ config: withSources });
  try {
    expect(await send(second, 'other')).toMatchObject({ accepted: 0, duplicates: 3 });
    expect(await send(second, 'demo')).toMatchObject({ accepted: 0, duplicates: 3 });
  } finally {
    await second.stop();
  }
  expect((await sources(ids)).sort()).toEqual(['demo', 'demo', 'demo', 'other', 'other', 'other']);
}

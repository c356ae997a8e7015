// Receipts: a page that unloaded with a request in flight never saw its answer, so the next page
// asks the collector which of those events it has before sending them again. The answer lists only
// events this process stored for the asking source, gives an event request still arriving a moment
// before it says "not stored", cannot be held up by slow bodies, and refuses bad requests clearly.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { basic, post, trackEvent } from '../support/events.ts';
import { openRequest } from '../support/raw-http.ts';

describe('receipts', () => {
  let collector: CollectorProcess;
  const ask = (messageIds: unknown, key = 'demo') =>
    fetch(`${collector.url}/v1/receipts?writeKey=${key}`, {
      method: 'POST',
      body: JSON.stringify({ messageIds }),
    });
  const received = async (messageIds: string[], key = 'demo') => {
    const res = await ask(messageIds, key);
    expect(res.status).toBe(200);
    return ((await res.json()) as { received: string[] }).received;
  };

  beforeAll(async () => {
    collector = await startCollector({
      config: {
        sources: [
          { writeKey: 'demo' },
          { writeKey: 'other' },
          { writeKey: 'server', signingSecret: 'x'.repeat(32) },
        ],
      },
    });
  });
  afterAll(async () => {
    await collector?.stop();
  });

  it('lists the events this source stored, and no others', async () => {
    const stored = [trackEvent(), trackEvent()];
    const refused = trackEvent({ event: '' });
    const res = await post(`${collector.url}/v1/batch`, { batch: [...stored, refused] });
    expect(res.status).toBe(200);
    const never = randomUUID();
    const ids = [...stored.map((e) => e.messageId), refused.messageId, never];
    expect((await received(ids)).sort()).toEqual(stored.map((e) => e.messageId).sort());
    // Another source knows nothing of them.
    expect(await received(ids, 'other')).toEqual([]);
  });

  it('waits a moment for an event request still arriving before it says "not stored"', async () => {
    const event = trackEvent();
    const body = JSON.stringify({ batch: [event] });
    const slow = await openRequest(collector.url, {
      headers: { authorization: basic('demo') },
      body: body.slice(0, 10),
      contentLength: Buffer.byteLength(body),
    });
    // The event request is still being sent when the receipts request arrives.
    let answered = false;
    const asking = received([event.messageId]).finally(() => (answered = true));
    await new Promise((done) => setTimeout(done, 300));
    expect(answered, 'receipts answered before the request that came first was stored').toBe(false);
    slow.write(body.slice(10));
    expect((await slow.answer)?.status).toBe(200);
    expect(await asking).toEqual([event.messageId]);
  });

  it('cannot be held up by event requests whose bodies never finish', async () => {
    const stored = trackEvent();
    expect((await post(`${collector.url}/v1/batch`, { batch: [stored] })).status).toBe(200);
    // Slow bodies with the public key, from another address, as an attacker would keep them coming.
    const slow = await Promise.all(
      Array.from({ length: 3 }, () =>
        openRequest(collector.url, {
          headers: { authorization: basic('demo') },
          body: '{"batch":[',
          contentLength: 100_000,
          localAddress: '127.0.0.2',
        }),
      ),
    );
    expect(await received([stored.messageId])).toEqual([stored.messageId]);
    expect(
      slow.map((r) => r.answered),
      'answered while the slow bodies were still arriving',
    ).toEqual([false, false, false]);
    for (const r of slow) r.close();
  });

  it('refuses requests without a key, with a bad body, too many ids or a signed source', async () => {
    const noKey = await fetch(`${collector.url}/v1/receipts`, { method: 'POST', body: '{"messageIds":[]}' });
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as { message: string }).message).toMatch(/write key/);
    for (const bad of [undefined, 'x', [1], Array.from({ length: 501 }, () => randomUUID())]) {
      const res = await ask(bad);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(
        /messageIds must be an array of at most 500 strings/,
      );
    }
    const signed = await ask([randomUUID()], 'server');
    expect(signed.status).toBe(403);
  });
});

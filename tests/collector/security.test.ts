import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureHeaders } from '../../collector/src/http/signature.ts';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { basic, post, trackEvent } from '../support/events.ts';
import { type HttpReceiver, startReceiver } from '../support/http-receiver.ts';
import { sleep, waitFor } from '../support/wait-for.ts';

// Write keys are public (every page that embeds the tag holds one); what protects a collector is
// the origin allowlist, the per-client rate limit, signed server-side sources and bounded work.

const stored = (collector: CollectorProcess, ids: readonly string[]) =>
  collector
    .query<{ message_id: string }>('SELECT message_id FROM events')
    .map((row) => row.message_id)
    .filter((id) => ids.includes(id));

describe('rate limit per write key and client address', () => {
  let collector: CollectorProcess;
  beforeAll(async () => {
    collector = await startCollector({
      config: {
        sources: [{ writeKey: 'demo', name: 'demo' }, { writeKey: 'other' }],
        rateLimit: { perSecond: 1, burst: 3 },
        // The test is the proxy: its X-Forwarded-For gives each request its client address.
        ip: { trustedProxies: ['127.0.0.1'] },
      },
    });
  });
  afterAll(() => collector.stop());

  const from = (ip: string, key = 'demo') => {
    const event = trackEvent();
    return {
      id: event.messageId,
      res: post(
        `${collector.url}/v1/batch`,
        { batch: [event] },
        { 'x-forwarded-for': ip, authorization: basic(key) },
      ),
    };
  };

  it('answers 429 with Retry-After past the burst, stores what it accepted, and lets the client back in', async () => {
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(from('203.0.113.7'));
    const answers = await Promise.all(sent.map((s) => s.res));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    const refused = answers[3]!;
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ success: false, error: 'rate_limited' });
    expect(
      stored(
        collector,
        sent.map((s) => s.id),
      ).sort(),
    ).toEqual(
      sent
        .slice(0, 3)
        .map((s) => s.id)
        .sort(),
    );

    // Another address and another key under the same address each have a bucket of their own.
    expect((await from('203.0.113.8').res).status).toBe(200);
    expect((await from('203.0.113.7', 'other').res).status).toBe(200);
    // An IPv6 client is one /64, whatever address inside it it rotates to.
    const v6 = await Promise.all(
      ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::3', '2001:db8:1:2::4'].map(
        (ip) => from(ip).res,
      ),
    );
    expect(v6.map((r) => r.status)).toEqual([200, 200, 200, 429]);

    await sleep(retryAfter * 1000);
    const again = from('203.0.113.7');
    expect((await again.res).status).toBe(200);
    expect(stored(collector, [again.id])).toEqual([again.id]);
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toMatch(/trail_requests_rate_limited_total\{source="demo"\} [3-9]/);
  });
});

describe('signed server-side source', () => {
  const secret = randomBytes(24).toString('base64url');
  let collector: CollectorProcess;
  beforeAll(async () => {
    collector = await startCollector({
      config: {
        sources: [{ writeKey: 'demo' }, { writeKey: 'backend', signingSecret: 'env:BACKEND_SECRET' }],
        logLevel: 'debug',
      },
      env: { BACKEND_SECRET: secret },
    });
  });
  afterAll(() => collector.stop());

  const sign = (body: Uint8Array | string, secretUsed = secret, now?: number) =>
    signatureHeaders(secretUsed, { method: 'POST', path: '/v1/batch', body }, now);
  const send = async (body: Uint8Array | string, headers: Record<string, string>) =>
    fetch(`${collector.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic('backend'), ...headers },
      body: body as BodyInit,
    });

  it('stores a batch signed with the secret, plain or gzipped, and refuses every other one with a reason', async () => {
    const batch = () => JSON.stringify({ batch: [trackEvent({ event: 'Order Refunded' })] });
    const good = batch();
    expect((await send(good, await sign(good))).status).toBe(200);
    const zipped = gzipSync(batch());
    const gz = await send(zipped, {
      'content-encoding': 'gzip',
      ...(await sign(zipped)),
    });
    expect(gz.status).toBe(200);

    const refusals: [string, Promise<Response>][] = [];
    const body = batch();
    refusals.push(['unsigned', send(body, {})]);
    refusals.push(['other secret', send(body, await sign(body, 'x'.repeat(32)))]);
    refusals.push(['body changed after signing', send(body.replace('Refunded', 'Paid'), await sign(body))]);
    refusals.push(['replayed 10 minutes later', send(body, await sign(body, secret, Date.now() - 600_000))]);
    const headers = await sign(body);
    refusals.push(['signature not hex', send(body, { ...headers, 'X-Trail-Signature': 'sha256=zz' })]);
    refusals.push(['no timestamp', send(body, { 'X-Trail-Signature': headers['X-Trail-Signature']! })]);
    for (const [what, answer] of refusals) {
      const res = await answer;
      expect({ what, status: res.status }).toEqual({ what, status: 401 });
      const reply = (await res.json()) as { error: string; message: string };
      expect(reply.error).toBe('invalid_signature');
      expect(reply.message.length).toBeGreaterThan(10);
    }
    const body2 = JSON.parse(body) as { batch: { messageId: string }[] };
    expect(stored(collector, [body2.batch[0]!.messageId])).toEqual([]);
    // The browser key beside it is unaffected, and the secret is in no log line.
    expect((await post(`${collector.url}/v1/batch`, { batch: [trackEvent()] })).status).toBe(200);
    expect(collector.logs.join('\n')).not.toContain(secret);
  });

  it('refuses to start when the secret it names is not set', async () => {
    await expect(
      startCollector({
        config: { sources: [{ writeKey: 'backend', signingSecret: 'env:NOT_SET_ANYWHERE' }] },
      }),
    ).rejects.toThrow(/NOT_SET_ANYWHERE/);
  });
});

describe('a slow sink', () => {
  let receiver: HttpReceiver;
  let collector: CollectorProcess;
  const held: (() => void)[] = [];
  beforeAll(async () => {
    // A webhook receiver that answers only when the test lets it: the sink is as slow as we like.
    receiver = await startReceiver(
      (_req, res) =>
        new Promise<void>((done) =>
          held.push(() => {
            res.end();
            done();
          }),
        ),
    );
    collector = await startCollector({
      config: {
        sinks: [`webhook+http://127.0.0.1:${receiver.port}/hook`],
        maxInFlight: 2,
        sinkTimeoutMs: 20_000,
        retryAfterSeconds: 3,
      },
    });
  });
  afterAll(async () => {
    for (const release of held.splice(0)) release();
    await collector.stop();
    await receiver.stop();
  });

  it('works on at most maxInFlight requests and answers the rest 503 with Retry-After at once', async () => {
    const events = Array.from({ length: 6 }, () => trackEvent());
    const answers = events.map((event) => post(`${collector.url}/v1/batch`, { batch: [event] }));
    await waitFor(() => expect(receiver.requests).toHaveLength(2));
    const settled = await Promise.all(
      answers.map((answer) => Promise.race([answer, sleep(3000).then(() => 'pending' as const)])),
    );
    const refused = settled.filter((r): r is Response => r !== 'pending');
    expect(refused).toHaveLength(4);
    for (const res of refused) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('3');
      expect(await res.json()).toMatchObject({ error: 'overloaded' });
    }
    for (const release of held.splice(0)) release();
    const accepted = (await Promise.all(answers)).filter((r) => r.status === 200);
    expect(accepted).toHaveLength(2);
    const delivered = receiver.requests.map((r) => JSON.parse(r.body.trim()) as { messageId: string });
    expect(delivered).toHaveLength(2);
  });
});

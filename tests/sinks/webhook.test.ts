import { createHash, createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { post, trackEvent } from '../support/events.ts';
import {
  answer,
  hangUp,
  type HttpReceiver,
  type ReceivedRequest,
  startReceiver,
} from '../support/http-receiver.ts';
import { sleep } from '../support/wait-for.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** The X-Trail-Batch-Id the sink must send: SHA-256 of the batch's sources and messageIds, in any order. */
const batchId = (ids: readonly string[], source = 'demo') =>
  sha256(JSON.stringify(['events', ...ids.map((id) => JSON.stringify([source, id])).sort()]));
/** What X-Trail-Signature must be for this request under this secret: timestamp, method, path, body. */
const signature = (req: ReceivedRequest, secret: string) =>
  `sha256=${createHmac('sha256', secret)
    .update(`${String(req.headers['x-trail-timestamp'])}.${req.method}.${req.path}.${req.body}`)
    .digest('hex')}`;
const lines = (req: ReceivedRequest | undefined) =>
  (req?.body ?? '')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, any>);

describe('webhook sink', () => {
  let receiver: HttpReceiver;
  const collectors: CollectorProcess[] = [];
  const collector = async (
    query: string,
    config: Record<string, unknown> = {},
    env?: Record<string, string>,
  ) => {
    const c = await startCollector({
      config: { sinks: [`webhook+http://127.0.0.1:${receiver.port}/hooks/trail?${query}`], ...config },
      env,
    });
    collectors.push(c);
    return c;
  };
  /** Answers the next requests with these statuses in turn, then 200. */
  const answerInTurn = (...statuses: number[]) => {
    receiver.reply = (req, res) => {
      const status = statuses.shift() ?? 200;
      answer(res, status, status === 200 ? '' : `status ${status}`);
    };
  };

  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    for (const c of collectors.splice(0)) await c.stop();
    await receiver.stop();
  });

  it('posts events and failed events as signed NDJSON, one request each', async () => {
    const c = await collector('tenant=t1&secret=url-secret');
    const a = trackEvent({ userId: 'u-1' });
    const b = trackEvent({ type: 'page', event: undefined, name: 'Home' });
    const res = await post(`${c.url}/v1/batch`, {
      batch: [a, b, { type: 'track', messageId: 'bad-1', anonymousId: 'x' }],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 2, rejected: [{ index: 2 }] });

    expect(receiver.requests).toHaveLength(2);
    const events = receiver.requests.find((r) => r.headers['x-trail-kind'] === 'events');
    const failed = receiver.requests.find((r) => r.headers['x-trail-kind'] === 'failed');
    if (!events || !failed) throw new Error('expected one events and one failed request');

    for (const req of [events, failed]) {
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/hooks/trail');
      // trail's own options (the secret above all) are not sent on; the receiver's are.
      expect(Object.fromEntries(req.query)).toEqual({ tenant: 't1' });
      expect(req.headers['content-type']).toBe('application/x-ndjson');
      const timestamp = Number(req.headers['x-trail-timestamp']);
      expect(Number.isInteger(timestamp)).toBe(true);
      expect(Math.abs(Date.now() / 1000 - timestamp)).toBeLessThan(60);
      expect(req.headers['x-trail-signature']).toBe(signature(req, 'url-secret'));
      expect(req.headers['x-trail-batch-id']).toMatch(/^[0-9a-f]{64}$/);
      expect(req.body.endsWith('\n')).toBe(true);
    }
    expect(events.headers['x-trail-batch-id']).toBe(batchId([a.messageId, b.messageId]));
    expect(failed.headers['x-trail-batch-id']).not.toBe(events.headers['x-trail-batch-id']);

    const [first, second] = lines(events);
    expect(lines(events)).toHaveLength(2);
    expect(first).toMatchObject({ messageId: a.messageId, type: 'track', userId: 'u-1', source: 'demo' });
    expect(first?.context.ip).toBe('127.0.0.0');
    expect(Date.now() - Date.parse(first?.receivedAt)).toBeLessThan(60_000);
    expect(second).toMatchObject({ messageId: b.messageId, type: 'page', name: 'Home' });
    expect(lines(failed)).toEqual([
      {
        receivedAt: expect.any(String),
        source: 'demo',
        messageId: 'bad-1',
        reason: 'event is required',
        payload: JSON.stringify({ type: 'track', messageId: 'bad-1', anonymousId: 'x' }),
      },
    ]);
    expect(c.logs.join('\n')).not.toContain('url-secret');
  });

  it('signs with TRAIL_WEBHOOK_SECRET over the URL secret, and never logs either', async () => {
    const c = await collector('secret=url-secret', {}, { TRAIL_WEBHOOK_SECRET: 'env-secret' });
    expect((await post(`${c.url}/v1/batch`, { batch: [trackEvent()] })).status).toBe(200);
    const [req] = receiver.requests;
    if (!req) throw new Error('no request');
    expect(req.headers['x-trail-signature']).toBe(signature(req, 'env-secret'));
    expect(req.headers['x-trail-signature']).not.toBe(signature(req, 'url-secret'));
    const logs = c.logs.join('\n');
    expect(logs).not.toContain('env-secret');
    expect(logs).not.toContain('url-secret');
  });

  it('sends no signature without a secret', async () => {
    const c = await collector('');
    expect((await post(`${c.url}/v1/batch`, { batch: [trackEvent()] })).status).toBe(200);
    expect(receiver.requests[0]?.headers['x-trail-signature']).toBeUndefined();
    expect(receiver.requests[0]?.headers['x-trail-timestamp']).toBeDefined();
  });

  it('retries 503 twice, then succeeds: the receiver saw the same body three times', async () => {
    const c = await collector('secret=s');
    answerInTurn(503, 503);
    const batch = Array.from({ length: 3 }, () => trackEvent());
    const res = await post(`${c.url}/v1/batch`, { batch });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 3 });
    const [first, ...rest] = receiver.requests;
    expect(receiver.requests).toHaveLength(3);
    for (const req of rest) {
      expect(req.body).toBe(first?.body);
      expect(req.headers['x-trail-batch-id']).toBe(batchId(batch.map((e) => e.messageId)));
    }
    for (const req of receiver.requests) expect(req.headers['x-trail-signature']).toBe(signature(req, 's'));
    // Backoff: the attempts do not follow each other at once.
    expect((rest[0]?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(40);
  });

  it('waits as long as Retry-After says on 429', async () => {
    const c = await collector('', { sinkTimeoutMs: 5000 });
    receiver.reply = (req, res) => {
      if (receiver.requests.length === 1) answer(res, 429, 'slow down', { 'retry-after': '1' });
      else answer(res, 200);
    };
    expect((await post(`${c.url}/v1/batch`, { batch: [trackEvent()] })).status).toBe(200);
    const [first, second] = receiver.requests;
    expect(receiver.requests).toHaveLength(2);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('a 400 fails at once: the client gets 503 and keeps its events', async () => {
    const c = await collector('retries=5');
    answerInTurn(400);
    const batch = [trackEvent()];
    const res = await post(`${c.url}/v1/batch`, { batch });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ success: false, error: 'sink_unavailable' });
    await sleep(300);
    expect(receiver.requests).toHaveLength(1);
    expect(c.logs.join('\n')).toContain('HTTP 400: status 400');
    // Nothing was acknowledged, so the client's retry is sent again, not dropped as a duplicate.
    const retry = await post(`${c.url}/v1/batch`, { batch });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ accepted: 1, duplicates: 0 });
    // The collector's receivedAt differs between the two requests; the batch id does not.
    expect(receiver.requests[1]?.headers['x-trail-batch-id']).toBe(
      receiver.requests[0]?.headers['x-trail-batch-id'],
    );
  });

  it("stops retrying within the collector's sink timeout", async () => {
    const c = await collector('retries=50', { sinkTimeoutMs: 1000 });
    receiver.reply = (_req, res) => answer(res, 503, 'busy');
    const res = await post(`${c.url}/v1/batch`, { batch: [trackEvent()] });
    expect(res.status).toBe(503);
    const seen = receiver.requests.length;
    expect(seen).toBeGreaterThan(1);
    expect(seen).toBeLessThan(50);
    await sleep(800);
    expect(receiver.requests).toHaveLength(seen);
  });

  it('answers 503 with Retry-After while the receiver is down; back, the retry is stored once', async () => {
    const c = await collector('secret=s', { sinkTimeoutMs: 2000, retryAfterSeconds: 1 });
    expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
    expect(receiver.requests.at(-1)).toMatchObject({ method: 'HEAD', path: '/hooks/trail' });
    receiver.requests.length = 0;

    await receiver.stop();
    const batch = Array.from({ length: 10 }, () => trackEvent());
    const down = await post(`${c.url}/v1/batch`, { batch });
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    expect((await fetch(`${c.url}/readyz`)).status).toBe(503);

    // Back up, as a receiver that dedups by X-Trail-Batch-Id; its first answer is lost on the way.
    const stored = new Map<string, string>();
    let lostAcks = 1;
    receiver.reply = (req, res) => {
      if (req.method !== 'POST') return answer(res, 200);
      const id = String(req.headers['x-trail-batch-id']);
      if (!stored.has(id)) stored.set(id, req.body);
      if (lostAcks-- > 0) return hangUp(res);
      answer(res, 200);
    };
    await receiver.start();
    expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
    receiver.requests.length = 0;
    const retry = await post(`${c.url}/v1/batch`, { batch });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ accepted: 10 });

    expect(receiver.requests).toHaveLength(2);
    const [lost, again] = receiver.requests;
    expect(again?.headers['x-trail-batch-id']).toBe(lost?.headers['x-trail-batch-id']);
    expect(lost?.headers['x-trail-batch-id']).toBe(batchId(batch.map((e) => e.messageId)));
    expect(again?.body).toBe(lost?.body);
    expect(stored.size).toBe(1);
    expect(lines(again).map((e) => e.messageId)).toEqual(batch.map((e) => e.messageId));
  });
});

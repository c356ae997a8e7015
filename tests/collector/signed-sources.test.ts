// A signed source's signature covers the method, the path and the body, and one signed request is
// accepted once: a replay within the timestamp tolerance is refused, while a request whose write
// failed may be sent again as it was. Every event of a signed source carries a messageId, so that
// the store's dedup (per source, durable) stops what the per-process replay memory cannot: a replay
// after a restart, a retry after a partial failure.
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../collector/src/config/config.ts';
import { signatureHeaders } from '../../collector/src/http/signature.ts';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { basic, trackEvent } from '../support/events.ts';
import { answer, type HttpReceiver, startReceiver } from '../support/http-receiver.ts';

const NEEDS_ID = /messageId is required for a signed source/;

/** The signed source's collector config and environment, over `config`. */
const signedSource = (secret: string, config: ConfigInput = {}) => ({
  config: {
    sources: [{ writeKey: 'backend', signingSecret: 'env:BACKEND_SECRET' }],
    demo: false,
    ...config,
  },
  env: { BACKEND_SECRET: secret },
});

/** Sends `body` to `url` as the signed source, with the given signature headers. */
const sendSigned = (url: string, body: string, signed: Record<string, string>) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic('backend'), ...signed },
    body,
  });

/** A batch of one event with a messageId and one without, as the signed source sends it. */
const mixedBatch = (event: string) =>
  JSON.stringify({
    batch: [trackEvent({ event }), { type: 'track', event, userId: 'u-9' }],
  });

describe('signed source', () => {
  const secret = randomBytes(24).toString('base64url');
  let collector: CollectorProcess;
  beforeAll(async () => {
    collector = await startCollector(
      signedSource(secret, { sinks: ['sqlite:./data/events.db?busy_timeout=100'] }),
    );
  });
  afterAll(() => collector?.stop());

  /** Sends `body` to `path`, signed as if for `signedPath` (the same unless told). */
  const send = (path: string, body: string, signed: Record<string, string>) =>
    sendSigned(`${collector.url}${path}`, body, signed);
  const sign = (path: string, body: string, method = 'POST') =>
    signatureHeaders(secret, { method, path, body });
  const count = (event: string) => collector.query('SELECT 1 FROM events WHERE event = ?', event).length;

  it('refuses a body signed for /v1/track at /v1/identify, and a signature made for another method', async () => {
    const body = JSON.stringify({
      userId: 'u-1',
      event: 'Moved',
      traits: { plan: 'pro' },
      messageId: 'mv-1',
    });
    const moved = await send('/v1/identify', body, await sign('/v1/track', body));
    expect(moved.status).toBe(401);
    expect(await moved.json()).toMatchObject({
      error: 'invalid_signature',
      message: expect.stringMatching(/path/),
    });
    expect((await send('/v1/track', body, await sign('/v1/track', body, 'PUT'))).status).toBe(401);
    expect((await send('/v1/track', body, await sign('/v1/track', body))).status).toBe(200);
  });

  it('stores a signed request once and refuses its replay with 401 replayed', async () => {
    const body = JSON.stringify({ batch: [trackEvent({ event: 'Invoice Paid' })] });
    const headers = await sign('/v1/batch', body);
    const first = await send('/v1/batch', body, headers);
    expect(first.status).toBe(200);
    const replays = await Promise.all([1, 2, 3].map(() => send('/v1/batch', body, headers)));
    for (const replay of replays) {
      expect(replay.status).toBe(401);
      expect(await replay.json()).toMatchObject({ error: 'replayed' });
    }
    expect(count('Invoice Paid')).toBe(1);
    // Signed anew (another timestamp), the same body is a new request, and its event a duplicate.
    const later = await signatureHeaders(
      secret,
      { method: 'POST', path: '/v1/batch', body },
      Date.now() + 2000,
    );
    const resent = await send('/v1/batch', body, later);
    expect(resent.status).toBe(200);
    expect(await resent.json()).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(count('Invoice Paid')).toBe(1);
  });

  it('refuses each event without a messageId, with the reason, and stores the valid ones beside it', async () => {
    const body = mixedBatch('Payout Sent');
    const res = await send('/v1/batch', body, await sign('/v1/batch', body));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      accepted: 1,
      rejected: [{ index: 1, reason: expect.stringMatching(NEEDS_ID) }],
    });
    expect(count('Payout Sent')).toBe(1);
    expect(
      collector.query('SELECT reason FROM failed_events WHERE reason LIKE ?', 'messageId is required%'),
    ).toHaveLength(1);
    // A single event without one is refused as a whole.
    const single = JSON.stringify({ userId: 'u-1', event: 'Payout Sent' });
    const refused = await send('/v1/track', single, await sign('/v1/track', single));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      error: 'invalid_event',
      message: expect.stringMatching(NEEDS_ID),
    });
    expect(count('Payout Sent')).toBe(1);
  });

  it('lets a request whose write failed be sent again exactly as it was', async () => {
    const body = JSON.stringify({ batch: [trackEvent({ event: 'Refund Issued' })] });
    const headers = await sign('/v1/batch', body);
    const lock = new Database(collector.dbPath);
    lock.exec('BEGIN IMMEDIATE');
    try {
      expect((await send('/v1/batch', body, headers)).status).toBe(503);
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    expect((await send('/v1/batch', body, headers)).status).toBe(200);
    expect((await send('/v1/batch', body, headers)).status).toBe(401);
    expect(count('Refund Issued')).toBe(1);
  });
});

describe('a signed request replayed after a restart', () => {
  const secret = randomBytes(24).toString('base64url');
  let collector: CollectorProcess | undefined;
  afterAll(() => collector?.stop());

  it('stores its events once: the replay memory is gone, the store still knows the messageIds', async () => {
    const first = await startCollector(signedSource(secret));
    collector = first;
    const body = mixedBatch('Invoice Voided');
    const headers = await signatureHeaders(secret, { method: 'POST', path: '/v1/batch', body });
    const sent = await sendSigned(`${first.url}/v1/batch`, body, headers);
    expect(sent.status).toBe(200);
    expect(await sent.json()).toMatchObject({ accepted: 1, rejected: [{ index: 1 }] });
    await first.stop();

    // The same folder, so the same store; the signature is still within its 300 s.
    collector = await startCollector({ ...signedSource(secret), dir: first.dir });
    const replayed = await sendSigned(`${collector.url}/v1/batch`, body, headers);
    expect(replayed.status).toBe(200);
    expect(await replayed.json()).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(collector.query("SELECT 1 FROM events WHERE event = 'Invoice Voided'")).toHaveLength(1);
  });
});

describe('a signed request retried after a partial sink failure', () => {
  const secret = randomBytes(24).toString('base64url');
  let receiver: HttpReceiver;
  let collector: CollectorProcess;
  let refuse = true;
  beforeAll(async () => {
    // The store takes the batch, the webhook refuses it: the request is answered 503 all the same.
    receiver = await startReceiver((req, res) =>
      answer(res, req.method === 'POST' && refuse ? 400 : 200, refuse ? 'refused' : ''),
    );
    collector = await startCollector(
      signedSource(secret, {
        sinks: ['sqlite:./data/events.db', `webhook+http://127.0.0.1:${receiver.port}/hook`],
      }),
    );
  });
  afterAll(async () => {
    await collector?.stop();
    await receiver?.stop();
  });

  it('stores its events once, though the store took them the first time', async () => {
    const body = mixedBatch('Subscription Renewed');
    const headers = await signatureHeaders(secret, { method: 'POST', path: '/v1/batch', body });
    const failed = await sendSigned(`${collector.url}/v1/batch`, body, headers);
    expect(failed.status).toBe(503);
    expect(collector.query("SELECT 1 FROM events WHERE event = 'Subscription Renewed'")).toHaveLength(1);

    refuse = false;
    const retried = await sendSigned(`${collector.url}/v1/batch`, body, headers);
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({
      accepted: 0,
      duplicates: 1,
      rejected: [{ index: 1, reason: expect.stringMatching(NEEDS_ID) }],
    });
    expect(collector.query("SELECT 1 FROM events WHERE event = 'Subscription Renewed'")).toHaveLength(1);
  });
});

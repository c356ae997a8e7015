// A signed source's signature covers the method, the path and the body, and one signed request is
// accepted once: a replay within the timestamp tolerance is refused, while a request whose write
// failed may be sent again as it was.
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureHeaders } from '../../collector/src/http/signature.ts';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { basic, trackEvent } from '../support/events.ts';

describe('signed source', () => {
  const secret = randomBytes(24).toString('base64url');
  let collector: CollectorProcess;
  beforeAll(async () => {
    collector = await startCollector({
      config: {
        sources: [{ writeKey: 'backend', signingSecret: 'env:BACKEND_SECRET' }],
        sinks: ['sqlite:./data/events.db?busy_timeout=100'],
        demo: false,
      },
      env: { BACKEND_SECRET: secret },
    });
  });
  afterAll(() => collector?.stop());

  /** Sends `body` to `path`, signed as if for `signedPath` (the same unless told). */
  const send = async (path: string, body: string, signed: Record<string, string>) =>
    fetch(`${collector.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic('backend'), ...signed },
      body,
    });
  const sign = (path: string, body: string, method = 'POST') =>
    signatureHeaders(secret, { method, path, body });
  const count = (event: string) => collector.query('SELECT 1 FROM events WHERE event = ?', event).length;

  it('refuses a body signed for /v1/track at /v1/identify, and a signature made for another method', async () => {
    const body = JSON.stringify({ userId: 'u-1', event: 'Moved', traits: { plan: 'pro' } });
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
    // No messageId: only the replay guard can tell the second copy from a new event.
    const body = JSON.stringify({ batch: [{ type: 'track', event: 'Invoice Paid', userId: 'u-2' }] });
    const headers = await sign('/v1/batch', body);
    const first = await send('/v1/batch', body, headers);
    expect(first.status).toBe(200);
    const replays = await Promise.all([1, 2, 3].map(() => send('/v1/batch', body, headers)));
    for (const replay of replays) {
      expect(replay.status).toBe(401);
      expect(await replay.json()).toMatchObject({ error: 'replayed' });
    }
    expect(count('Invoice Paid')).toBe(1);
    // Signed anew (another timestamp), the same body is a new request.
    const later = await signatureHeaders(
      secret,
      { method: 'POST', path: '/v1/batch', body },
      Date.now() + 2000,
    );
    expect((await send('/v1/batch', body, later)).status).toBe(200);
    expect(count('Invoice Paid')).toBe(2);
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

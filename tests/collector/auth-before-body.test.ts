// The write key is checked before the body is read: a request with an unknown key is answered 401
// while its body is still on the way, and so is one over its client's rate limit. Requests that
// carry their key only in the body (Segment's analytics.js) are rate-limited per client address
// before their body is read, and failed authentications count against that same budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { basic, post, trackEvent } from '../support/events.ts';
import { openRequest, type RawAnswer } from '../support/raw-http.ts';

const BODY_BYTES = 100_000;

/** Starts a request announcing a 100 KB body and sends only its first bytes. */
const unfinished = (
  c: CollectorProcess,
  options: { path?: string; headers?: Record<string, string>; from?: string } = {},
) =>
  openRequest(c.url, {
    path: options.path,
    headers: options.headers,
    localAddress: options.from,
    body: '{"batch":[',
    contentLength: BODY_BYTES,
  });

const errorOf = (answer: RawAnswer | undefined) =>
  (JSON.parse(answer?.text ?? '{}') as { error?: string }).error;

describe('authentication before the body', () => {
  let collector: CollectorProcess;
  beforeAll(async () => {
    collector = await startCollector({
      config: {
        sources: [{ writeKey: 'demo' }],
        rateLimit: { perSecond: 0.01, burst: 3 },
        http: { bodyTimeoutMs: 20_000 },
        demo: false,
      },
    });
  });
  afterAll(() => collector?.stop());

  it('answers an unknown key, in Basic auth or in the URL, with 401 before the body has come', async () => {
    const inHeader = await unfinished(collector, {
      headers: { authorization: basic('nope') },
      from: '127.0.0.2',
    });
    const inQuery = await unfinished(collector, { path: '/v1/batch?writeKey=nope', from: '127.0.0.3' });
    for (const request of [inHeader, inQuery]) {
      const answer = await request.answer;
      request.close();
      expect(answer?.status).toBe(401);
      expect(JSON.parse(answer?.text ?? '{}')).toMatchObject({
        error: 'unauthorized',
        message: 'unknown write key',
      });
    }
  });

  it('stores a batch whose key is in the URL, sent as text/plain the way the SDKs send it', async () => {
    const event = trackEvent();
    const res = await fetch(`${collector.url}/v1/batch?writeKey=demo`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ batch: [event], sentAt: new Date().toISOString() }),
    });
    expect(res.status).toBe(200);
    expect(collector.query('SELECT source FROM events WHERE message_id = ?', event.messageId)).toEqual([
      { source: 'demo' },
    ]);
  });

  it('rate-limits requests with the key in the body per address before reading them, then reads and authenticates them', async () => {
    const from = '127.0.0.4';
    const requests = [];
    for (let i = 0; i < 5; i++) requests.push(await unfinished(collector, { from }));
    // The two past the burst are refused at once, their bodies unread.
    const refused = await Promise.all(requests.slice(3).map((r) => r.answer));
    expect(refused.map((a) => a?.status)).toEqual([429, 429]);
    expect(refused.map(errorOf)).toEqual(['rate_limited', 'rate_limited']);
    expect(requests.slice(0, 3).some((r) => r.answered)).toBe(false);

    // The first three are read once their bodies come, and only then authenticated.
    const events = [trackEvent(), trackEvent(), trackEvent()];
    const rest = (key: string | undefined, event: object) => {
      const tail = `${JSON.stringify(event)}]${key ? `,"writeKey":"${key}"` : ''}}`;
      return tail.padEnd(BODY_BYTES - '{"batch":['.length, ' ');
    };
    requests[0]?.write(rest('demo', events[0]!));
    requests[1]?.write(rest('nope', events[1]!));
    requests[2]?.write(rest(undefined, events[2]!));
    const answers = await Promise.all(requests.slice(0, 3).map((r) => r.answer));
    for (const r of requests) r.close();
    expect(answers.map((a) => a?.status)).toEqual([200, 401, 401]);
    expect(
      collector.query('SELECT message_id FROM events WHERE message_id = ?', events[0]!.messageId),
    ).toHaveLength(1);
  });

  it('counts failed authentications against the address, so guessing keys is rate-limited too', async () => {
    const from = '127.0.0.5';
    const guess = async (key: string) => {
      const request = await unfinished(collector, { headers: { authorization: basic(key) }, from });
      const answer = await request.answer;
      request.close();
      return answer;
    };
    const answers = [];
    for (const key of ['guess-1', 'guess-2', 'guess-3', 'guess-4', 'demo']) answers.push(await guess(key));
    expect(answers.map((a) => a?.status)).toEqual([401, 401, 401, 429, 429]);
    expect(Number(answers[3]?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another address is not affected.
    expect((await post(`${collector.url}/v1/batch`, { batch: [trackEvent()] })).status).toBe(200);
  });
});

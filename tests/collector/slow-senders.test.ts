// Slow senders: connections that send their headers and then a body a few bytes at a time (or
// never finish their headers) must not take the collector from anyone else, whether they come from
// one address or from several. Every slow request here is made by hand on its own TCP connection;
// the slow ones come from 127.0.0.2 and up, the legitimate client from 127.0.0.1 (Linux routes all
// of 127.0.0.0/8 to loopback).
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
import { openRequest, type RawAnswer, type RawRequest } from '../support/raw-http.ts';
import { waitFor } from '../support/wait-for.ts';

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

/**
 * A slow sender as an attacker runs it: headers without a key, `Content-Length: 5000`, then a byte
 * at a time; whenever the collector answers and closes the connection, it connects again.
 */
function trickler(url: string, localAddress: string) {
  const answers: RawAnswer[] = [];
  let stopped = false;
  let current: RawRequest | undefined;
  let waiting = false;
  // Connections that got an answer and that the collector then closed, without the test's help.
  let closedAfterAnswer = 0;
  const loop = (async () => {
    while (!stopped) {
      const request = await openRequest(url, { localAddress, body: '{', contentLength: 5000 });
      current = request;
      waiting = true;
      const drip = setInterval(() => request.write(' '), 100);
      const answer = await request.answer;
      waiting = false;
      if (answer) answers.push(answer);
      await request.closed;
      clearInterval(drip);
      if (answer && !stopped) closedAfterAnswer++;
    }
  })();
  return {
    answers,
    /** Whether its body is being waited for: it holds a read slot. */
    get waiting() {
      return waiting;
    },
    get closedAfterAnswer() {
      return closedAfterAnswer;
    },
    async stop() {
      stopped = true;
      current?.close();
      await loop;
    },
  };
}

// Up to 15 s for the evening out and for each of ten probes: more than the default test timeout on
// a loaded machine.
describe('slow bodies from several addresses, with no key (node)', { timeout: 120_000 }, () => {
  const ADDRESSES = 6;
  const PER_ADDRESS = 4;
  const MAX_READS = 16;
  const PROBES = 10;
  let collector: CollectorProcess;
  beforeAll(async () => {
    collector = await startCollector({
      config: {
        sources: [{ writeKey: 'demo' }],
        // Only taking a slot frees one here: no body deadline passes during the test.
        http: {
          maxReads: MAX_READS,
          maxReadsPerClient: PER_ADDRESS,
          readGraceMs: 300,
          bodyTimeoutMs: 60_000,
          headersTimeoutMs: 60_000,
        },
        demo: false,
      },
    });
  });
  afterAll(() => collector?.stop());

  it('hold all the read slots, yet a request from another address takes one and is stored', async () => {
    // 6 × 4 = 24 slow bodies for 16 slots: the first four addresses take them all.
    const tricklers: ReturnType<typeof trickler>[] = [];
    for (let a = 0; a < ADDRESSES; a++)
      for (let i = 0; i < PER_ADDRESS; i++) tricklers.push(trickler(collector.url, `127.0.0.${a + 2}`));
    const answers = () => tricklers.flatMap((t) => t.answers);
    const evicted = () =>
      answers().filter((a) => a.status === 408 && /every read slot was taken/.test(a.text)).length;
    try {
      // The two addresses left out take slots from the four with more, once those bodies are past
      // their grace, until the six are even: 3, 3, 3, 3, 2, 2.
      await waitFor(() => expect(evicted()).toBeGreaterThanOrEqual(4), { timeout: 15_000 });

      const statuses: number[] = [];
      for (let i = 0; i < PROBES; i++) {
        // Each probe comes when the slow senders hold every slot again.
        await waitFor(() => tricklers.filter((t) => t.waiting).length === MAX_READS, { timeout: 15_000 });
        const event = trackEvent({ event: 'Fair Share' });
        const res = await post(`${collector.url}/v1/batch`, { batch: [event] });
        statuses.push(res.status);
      }
      expect(statuses).toEqual(Array(PROBES).fill(200));
      expect(collector.query("SELECT 1 FROM events WHERE event = 'Fair Share'")).toHaveLength(PROBES);

      // Each probe took the slot of a slow body, answered 408 and not kept: the collector closed it.
      const reason = answers().find((a) => a.status === 408);
      expect(JSON.parse(reason?.text ?? '{}')).toMatchObject({
        error: 'body_timeout',
        message: expect.stringMatching(/still arriving after [\d.]+ m?s while every read slot was taken/),
      });
      // (The senders left out keep being refused meanwhile: count the answers so far.)
      const answered = answers().length;
      await waitFor(() =>
        expect(tricklers.reduce((n, t) => n + t.closedAfterAnswer, 0)).toBeGreaterThanOrEqual(answered),
      );
      // Probes took slots (a sender that just connected may make a free slot look taken, so not
      // necessarily all ten); slow senders with even shares do not take slots from each other:
      // beyond the evening out and the probes, once per slot a probe gave back at most.
      expect(evicted()).toBeGreaterThan(4);
      expect(evicted()).toBeLessThanOrEqual(MAX_READS + 2 * PROBES);
      expect(answers().every((a) => a.status === 408 || a.status === 503)).toBe(true);
    } finally {
      await Promise.all(tricklers.map((t) => t.stop()));
    }
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

// Ids are compared as the text that was sent, and event times are ISO 8601 date-times inside a
// window around their receipt: what JSON.parse and Date.parse do leniently must not merge two
// events into one or date an event years away.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchResponse } from '../../sdk-core/src/protocol.ts';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { post, trackEvent } from '../support/events.ts';

const DAY = 86_400_000;

interface Row {
  timestamp: string;
  received_at: string;
  payload: string;
}

describe('ids and times', () => {
  let c: CollectorProcess;
  beforeAll(async () => {
    c = await startCollector({ config: { rateLimit: { perSecond: 0 }, demo: false } });
  });
  afterAll(() => c.stop());

  const send = async (body: unknown) => {
    const res = await post(`${c.url}/v1/batch`, body);
    expect(res.status).toBe(200);
    return (await res.json()) as BatchResponse;
  };
  const row = (messageId: string) => {
    const [found] = c.query<Row>(
      'SELECT timestamp, received_at, payload FROM events WHERE message_id = ?',
      messageId,
    );
    expect(found, messageId).toBeDefined();
    return { ...found!, json: JSON.parse(found!.payload) as Record<string, unknown> };
  };
  /** A batch as JSON text, with `messageId` written as raw JSON numbers (JSON.stringify cannot). */
  const numericIds = (ids: string[]) =>
    `{"batch":[${ids.map((id) => JSON.stringify({ ...trackEvent(), messageId: '@' }).replace('"@"', id)).join(',')}]}`;

  it('refuses numeric messageIds that JSON.parse cannot keep, instead of taking them for duplicates', async () => {
    const safe = String(Number.MAX_SAFE_INTEGER - Math.floor(Math.random() * 1e9));
    // 2^53 + 1 parses to 2^53, and 1e401 to Infinity as 1e400 does: each pair was one id.
    const answer = await send(numericIds(['9007199254740993', '9007199254740992', '1e400', '1e401', safe]));
    const reason = 'messageId must be a string; numbers above 2^53 or with a fraction lose digits';
    expect(answer).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(answer.rejected).toEqual([0, 1, 2, 3].map((index) => ({ index, reason })));
    // The safe one is stored under the digits that were sent.
    expect(row(safe).json.messageId).toBe(safe);
    expect(
      c.query('SELECT 1 FROM events WHERE message_id IN (?, ?)', 'Infinity', '9007199254740992'),
    ).toEqual([]);
  });

  it('refuses a timestamp that is not an ISO 8601 date-time, storing the valid events beside it', async () => {
    const before = trackEvent();
    const after = trackEvent();
    const bad = ['1', new Date().toUTCString(), '2024-05-01', '2024-02-30T00:00:00Z', '2024-05-01T12:00:00'];
    const answer = await send({
      batch: [before, ...bad.map((timestamp) => trackEvent({ timestamp })), after],
    });
    expect(answer.accepted).toBe(2);
    expect(answer.rejected.map((r) => [r.index, r.reason])).toEqual(
      bad.map((_, i) => [
        i + 1,
        'timestamp must be an ISO 8601 date string with a time and a zone, e.g. 2024-05-01T12:00:00.000Z',
      ]),
    );
    row(before.messageId);
    row(after.messageId);
  });

  it('stores an event time outside [receivedAt - 30 days, receivedAt + 5 min] as receivedAt, keeping the original', async () => {
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    // A sentAt five years after the event's time would have dated it five years back.
    const farSentAt = trackEvent({ timestamp: iso(now - 60_000), sentAt: iso(now + 5 * 365 * DAY) });
    const ancient = trackEvent({ timestamp: '1970-01-01T00:00:00.000Z' });
    const future = trackEvent({ timestamp: iso(now + DAY) });
    // Inside the window: a device offline for a week, and a clock a day behind corrected by sentAt.
    const week = trackEvent({ timestamp: iso(now - 7 * DAY) });
    const behind = trackEvent({ timestamp: iso(now - DAY - 5_000), sentAt: iso(now - DAY) });
    expect(await send({ batch: [farSentAt, ancient, future, week, behind] })).toMatchObject({ accepted: 5 });

    for (const event of [farSentAt, ancient, future]) {
      const stored = row(event.messageId);
      expect(stored.timestamp).toBe(stored.received_at);
      expect(stored.json.originalTimestamp).toBe(event.timestamp);
    }
    expect(row(week.messageId).timestamp).toBe(week.timestamp);
    const corrected = row(behind.messageId);
    expect(Date.parse(corrected.received_at) - Date.parse(corrected.timestamp)).toBe(5_000);
  });
});

describe('limits.maxEventAgeDays', () => {
  it('widens the window of event times', async () => {
    const c = await startCollector({ config: { limits: { maxEventAgeDays: 365 } } });
    try {
      const old = trackEvent({
        timestamp: new Date(Date.now() - 200 * DAY).toISOString(),
        messageId: randomUUID(),
      });
      expect((await post(`${c.url}/v1/batch`, { batch: [old] })).status).toBe(200);
      const [stored] = c.query<{ timestamp: string }>(
        'SELECT timestamp FROM events WHERE message_id = ?',
        old.messageId,
      );
      expect(stored?.timestamp).toBe(old.timestamp);
    } finally {
      await c.stop();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { correctSkew, MAX_AHEAD_MS, windowOfDays } from './clock.ts';

describe('correctSkew', () => {
  const received = Date.parse('2026-11-23T12:00:00.000Z');
  const month = windowOfDays(30);

  it('moves an event onto the server clock by the client-measured delay', () => {
    // Client clock a day behind: the event happened 90 s before it was sent.
    const result = correctSkew(received, month, '2026-11-22T11:58:30.000Z', '2026-11-22T12:00:00.000Z');
    expect(result).toEqual({
      timestamp: '2026-11-23T11:58:30.000Z',
      originalTimestamp: '2026-11-22T11:58:30.000Z',
    });
  });

  it('works the same for a clock ahead, and for time zone offsets', () => {
    const result = correctSkew(
      received,
      month,
      '2026-11-24T20:00:00.000+08:00',
      '2026-11-24T20:00:10.000+08:00',
    );
    expect(result.timestamp).toBe('2026-11-23T11:59:50.000Z');
  });

  it('keeps the client time without sentAt, and uses server time without a timestamp', () => {
    expect(correctSkew(received, month, '2026-11-20T00:00:00Z')).toEqual({
      timestamp: '2026-11-20T00:00:00.000Z',
      originalTimestamp: '2026-11-20T00:00:00Z',
    });
    expect(correctSkew(received, month)).toEqual({ timestamp: '2026-11-23T12:00:00.000Z' });
  });

  it('takes the server time when the correction leaves the range of a Date', () => {
    // Both parse, but 547,000 years apart: received - (sent - event) is no Date.
    const result = correctSkew(received, month, '-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z');
    expect(result).toEqual({
      timestamp: '2026-11-23T12:00:00.000Z',
      originalTimestamp: '-271821-04-20T00:00:00.000Z',
    });
  });

  it('takes the server time for a time outside the window, keeping the client time', () => {
    const at = (ms: number) => new Date(ms).toISOString();
    const day = 86_400_000;
    // A sentAt years after its timestamp would date the event years back.
    const farSentAt = correctSkew(received, month, '2026-11-23T11:00:00.000Z', '2031-11-23T11:00:00.000Z');
    expect(farSentAt).toEqual({ timestamp: at(received), originalTimestamp: '2026-11-23T11:00:00.000Z' });
    // Without sentAt the client time is the time, so it is held to the window too.
    expect(correctSkew(received, month, '1970-01-01T00:00:00.000Z').timestamp).toBe(at(received));
    expect(correctSkew(received, month, at(received + MAX_AHEAD_MS + 1)).timestamp).toBe(at(received));
    // The edges are inside.
    expect(correctSkew(received, month, at(received - 30 * day)).timestamp).toBe(at(received - 30 * day));
    expect(correctSkew(received, month, at(received + MAX_AHEAD_MS)).timestamp).toBe(
      at(received + MAX_AHEAD_MS),
    );
    // The window is a parameter: a wider one keeps what the narrow one clamps.
    expect(correctSkew(received, windowOfDays(365), at(received - 60 * day)).timestamp).toBe(
      at(received - 60 * day),
    );
  });
});

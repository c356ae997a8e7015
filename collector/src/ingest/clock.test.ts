import { describe, expect, it } from 'vitest';
import { correctSkew } from './clock.ts';

describe('correctSkew', () => {
  const received = Date.parse('2026-11-23T12:00:00.000Z');

  it('moves an event onto the server clock by the client-measured delay', () => {
    // Client clock a day behind: the event happened 90 s before it was sent.
    const result = correctSkew(received, '2026-11-22T11:58:30.000Z', '2026-11-22T12:00:00.000Z');
    expect(result).toEqual({
      timestamp: '2026-11-23T11:58:30.000Z',
      originalTimestamp: '2026-11-22T11:58:30.000Z',
    });
  });

  it('works the same for a clock ahead, and for time zone offsets', () => {
    const result = correctSkew(received, '2026-11-24T20:00:00.000+08:00', '2026-11-24T20:00:10.000+08:00');
    expect(result.timestamp).toBe('2026-11-23T11:59:50.000Z');
  });

  it('keeps the client time without sentAt, and uses server time without a timestamp', () => {
    expect(correctSkew(received, '2026-11-20T00:00:00Z')).toEqual({
      timestamp: '2026-11-20T00:00:00.000Z',
      originalTimestamp: '2026-11-20T00:00:00Z',
    });
    expect(correctSkew(received)).toEqual({ timestamp: '2026-11-23T12:00:00.000Z' });
  });

  it('takes the server time when the correction leaves the range of a Date', () => {
    // Both parse, but 547,000 years apart: received - (sent - event) is no Date.
    const result = correctSkew(received, '-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z');
    expect(result).toEqual({
      timestamp: '2026-11-23T12:00:00.000Z',
      originalTimestamp: '-271821-04-20T00:00:00.000Z',
    });
  });
});

/** Event times after skew correction. */
export interface CorrectedTime {
  timestamp: string;
  originalTimestamp?: string;
}

/** How far before and after the server's receipt an event time may lie. */
export interface TimeWindow {
  maxAgeMs: number;
  maxAheadMs: number;
}

const DAY_MS = 86_400_000;
/** Events are sent after they happen; this much ahead covers clocks that differ by a few minutes. */
export const MAX_AHEAD_MS = 5 * 60_000;

/** The window of live traffic: events up to `days` old, none more than {@link MAX_AHEAD_MS} ahead. */
export function windowOfDays(days: number): TimeWindow {
  return { maxAgeMs: days * DAY_MS, maxAheadMs: MAX_AHEAD_MS };
}

/**
 * Moves the client's event time onto the server clock: the time between the event and its
 * sending is measured on the client clock, so `receivedAt - (sentAt - timestamp)` is right even
 * when that clock is off by days. Without `sentAt` the client time is kept as it is. A time
 * outside `window` around `receivedAt` says nothing true (a far `sentAt` would move it by years):
 * it becomes `receivedAt`, and `originalTimestamp` keeps what the client sent.
 */
export function correctSkew(
  receivedAt: number,
  window: TimeWindow,
  timestamp?: string,
  sentAt?: string,
): CorrectedTime {
  if (!timestamp) return { timestamp: new Date(receivedAt).toISOString() };
  const event = Date.parse(timestamp);
  const sent = sentAt ? Date.parse(sentAt) : Number.NaN;
  // Dates far enough apart (years -271821 and +275760) correct to NaN, which is outside too.
  const corrected = Number.isNaN(sent) ? event : receivedAt - (sent - event);
  const inWindow = corrected >= receivedAt - window.maxAgeMs && corrected <= receivedAt + window.maxAheadMs;
  return {
    timestamp: new Date(inWindow ? corrected : receivedAt).toISOString(),
    originalTimestamp: timestamp,
  };
}

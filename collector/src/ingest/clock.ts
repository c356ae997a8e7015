/** Event times after skew correction. */
export interface CorrectedTime {
  timestamp: string;
  originalTimestamp?: string;
}

/**
 * Moves the client's event time onto the server clock: the time between the event and its
 * sending is measured on the client clock, so `receivedAt - (sentAt - timestamp)` is right even
 * when that clock is off by days. Without `sentAt` the client time is kept as it is.
 */
export function correctSkew(receivedAt: number, timestamp?: string, sentAt?: string): CorrectedTime {
  if (!timestamp) return { timestamp: new Date(receivedAt).toISOString() };
  const event = Date.parse(timestamp);
  const sent = sentAt ? Date.parse(sentAt) : Number.NaN;
  if (Number.isNaN(sent)) return { timestamp: new Date(event).toISOString(), originalTimestamp: timestamp };
  // Two valid dates far enough apart (years -271821 and +275760) move the event out of the range
  // a Date holds, where toISOString throws; such a client clock says nothing, so take the server's.
  const corrected = new Date(receivedAt - (sent - event));
  const time = Number.isNaN(corrected.getTime()) ? new Date(receivedAt) : corrected;
  return { timestamp: time.toISOString(), originalTimestamp: timestamp };
}

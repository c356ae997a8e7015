/** UTF-8 byte length of a string without allocating an encoded copy. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff) {
      // A surrogate pair is 4 bytes for 2 UTF-16 units.
      bytes += 2;
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** What a request may store, as a multiple of what it sent ({@link StorageBudget}). */
export const STORED_BYTES_FACTOR = 4;
/** Bytes each stored event may take on top, for what the collector adds (times, IP, parsed user agent). */
export const STORED_BYTES_PER_EVENT = 512;

/**
 * What one request may store. The batch context and the User-Agent header are sent once but stored
 * in every event, so without a bound 500 events under 32 KB of context store 16 MB from a 70 KB
 * request. Events are taken in order while everything stored stays within
 * {@link STORED_BYTES_FACTOR}× what was sent of it (the stored events, and those shared parts once),
 * plus {@link STORED_BYTES_PER_EVENT} bytes per stored event.
 */
export class StorageBudget {
  private stored = 0;
  private sent: number;
  private events = 0;

  /** `sharedBytes`: what the request sent once for all its events (batch context, User-Agent). */
  constructor(sharedBytes: number) {
    this.sent = sharedBytes;
  }

  /** What the budget would be with one more event sent as `sentBytes`. */
  limitWith(sentBytes: number): number {
    return STORED_BYTES_FACTOR * (this.sent + sentBytes) + STORED_BYTES_PER_EVENT * (this.events + 1);
  }

  /** Takes an event sent as `sentBytes` and stored as `storedBytes` if it fits; false leaves all as it was. */
  take(sentBytes: number, storedBytes: number): boolean {
    if (this.stored + storedBytes > this.limitWith(sentBytes)) return false;
    this.stored += storedBytes;
    this.sent += sentBytes;
    this.events++;
    return true;
  }
}

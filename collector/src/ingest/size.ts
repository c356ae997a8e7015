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
/** Bytes each event may take on top, for what the collector adds (times, IP, parsed user agent, a refusal's reason). */
export const STORED_BYTES_PER_EVENT = 512;
/**
 * Of the batch context and the User-Agent header, each sent once and stored in every event, the
 * bytes each event may repeat on top of its budget: more than an honest client sends (a browser's
 * context is under 1 KB, its User-Agent under 512 B), so only a crafted request ever meets the bound.
 */
export const SHARED_BYTES_FREE = { context: 2048, userAgent: 512 } as const;

/**
 * What one request may store. The batch context and the User-Agent header are sent once but stored
 * in every event, so without a bound 500 events under 32 KB of context store 16 MB from a 70 KB
 * request. Everything the request leaves behind (stored events and refused ones kept in
 * failed_events) stays within {@link STORED_BYTES_FACTOR}× what it sent, plus per event
 * {@link STORED_BYTES_PER_EVENT} and up to {@link SHARED_BYTES_FREE} of the shared parts. Events
 * are taken in order until the first that does not fit; it and every event after it are refused,
 * so what is stored is always the start of the batch.
 */
export class StorageBudget {
  private stored = 0;
  private sent: number;
  private events = 0;
  private full = false;
  private readonly perEvent: number;

  /** The bytes of the request's batch context and User-Agent header, sent once for all its events. */
  constructor(contextBytes: number, userAgentBytes: number) {
    this.sent = contextBytes + userAgentBytes;
    this.perEvent =
      STORED_BYTES_PER_EVENT +
      Math.min(contextBytes, SHARED_BYTES_FREE.context) +
      Math.min(userAgentBytes, SHARED_BYTES_FREE.userAgent);
  }

  /** What the budget would be with one more event sent as `sentBytes`. */
  limitWith(sentBytes: number): number {
    return STORED_BYTES_FACTOR * (this.sent + sentBytes) + this.perEvent * (this.events + 1);
  }

  /** Whether an event sent as `sentBytes` and stored as `storedBytes` fits; once one did not, none does. */
  fits(sentBytes: number, storedBytes: number): boolean {
    this.full ||= this.stored + storedBytes > this.limitWith(sentBytes);
    return !this.full;
  }

  /** Counts an event in: a stored one once it {@link fits}, a refused one whatever it takes. */
  add(sentBytes: number, storedBytes: number): void {
    this.stored += storedBytes;
    this.sent += sentBytes;
    this.events++;
  }
}

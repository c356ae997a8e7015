import { dedupKey } from '../util/dedup-key.ts';
import type { FailedEvent, StoredEvent } from './sink.ts';

// Web Crypto and TextEncoder only: this file runs on edge runtimes (Workers) as well as Node.

const encoder = new TextEncoder();

/** Lower-case hex of bytes. */
export function toHex(bytes: ArrayBuffer): string {
  let hex = '';
  for (const byte of new Uint8Array(bytes)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** SHA-256 of a string's UTF-8 bytes, as 64 hex characters. */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

/** Hash of a set of keys: order-independent, and unambiguous whatever characters the keys hold. */
function setHash(kind: string, keys: readonly string[]): Promise<string> {
  return sha256Hex(JSON.stringify([kind, ...[...keys].sort()]));
}

/**
 * A stable id for a batch of events: the SHA-256 of their sources and messageIds. A client's retry
 * of the same batch gets the same id (the collector's receivedAt and skew-corrected times may differ
 * between the two, the ids do not), so the receiver can drop the repeat; any other batch gets
 * another id, also one of the same messageIds from another source.
 */
export function eventsBatchId(events: readonly StoredEvent[]): Promise<string> {
  return setHash(
    'events',
    events.map((e) => dedupKey(e.source, e.messageId)),
  );
}

/**
 * A stable id for a batch of failed events, which have no id of their own: the hash of what the
 * client sent and why it was refused, leaving out the collector's receivedAt.
 */
export function failedBatchId(failed: readonly FailedEvent[]): Promise<string> {
  return setHash(
    'failed',
    failed.map((f) => JSON.stringify([f.source, f.messageId ?? null, f.reason, f.payload])),
  );
}

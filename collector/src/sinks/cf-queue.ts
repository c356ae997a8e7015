import { utf8Length } from '../ingest/size.ts';
import type { Sink, SinkBatch, StoredEvent } from './sink.ts';

/** One message of `Queue.sendBatch`. */
export interface QueueMessage<Body> {
  body: Body;
  contentType?: 'json' | 'text' | 'bytes' | 'v8';
}

/** A Cloudflare Queues producer binding (`Queue<StoredEvent>` of `@cloudflare/workers-types` fits). */
export interface QueueLike<Body> {
  sendBatch(messages: Iterable<QueueMessage<Body>>): Promise<unknown>;
}

/** Limits of one `sendBatch` call. */
export interface QueueLimits {
  /** Most messages per call (Cloudflare: 100). */
  maxMessages: number;
  /** Most bytes per call (Cloudflare: 256 KB), counted as the JSON of each body plus `overheadBytes`. */
  maxBytes: number;
  /** Bytes set aside per message for what the platform adds around a body. */
  overheadBytes: number;
}

export const QUEUE_LIMITS: QueueLimits = { maxMessages: 100, maxBytes: 256 * 1024, overheadBytes: 128 };

/** Splits messages into runs that each fit one `sendBatch` call. */
export function splitForQueue<Body>(
  messages: readonly QueueMessage<Body>[],
  limits: QueueLimits = QUEUE_LIMITS,
): QueueMessage<Body>[][] {
  const chunks: QueueMessage<Body>[][] = [];
  let chunk: QueueMessage<Body>[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = utf8Length(JSON.stringify(message.body)) + limits.overheadBytes;
    if (chunk.length > 0 && (chunk.length >= limits.maxMessages || bytes + size > limits.maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    // A single message over maxBytes goes alone; the platform refuses it and the batch answers 503.
    chunk.push(message);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/**
 * A Cloudflare Queues producer: each stored event becomes one message whose body is the event
 * (JSON), `messageId` included. Failed events are not sent (the system of record, D1, keeps them).
 *
 * Queues delivers at least once, and a batch larger than one `sendBatch` call (100 messages or
 * 256 KB) is sent in several calls: when a later call fails the collector answers 503 and the client
 * resends everything, so messages already sent arrive again. Consumers must deduplicate by
 * `body.source` and `body.messageId` together (e.g. `INSERT … ON CONFLICT (source, message_id) DO
 * NOTHING`): a messageId alone is chosen by clients, and one source could suppress another's events.
 */
export function cfQueueSink(
  queue: QueueLike<StoredEvent>,
  name = 'queue',
  limits: QueueLimits = QUEUE_LIMITS,
): Sink {
  return {
    name,
    async write(batch: SinkBatch) {
      const messages = batch.events.map((body) => ({ body, contentType: 'json' as const }));
      for (const chunk of splitForQueue(messages, limits)) await queue.sendBatch(chunk);
      // A queue cannot tell duplicates; the consumer drops them.
      return undefined;
    },
    async ready() {
      // A producer binding has no health check; a failed send answers 503.
      return true;
    },
    async close() {
      // A binding has nothing to close.
    },
  };
}

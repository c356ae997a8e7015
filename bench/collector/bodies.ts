import { realisticBatch } from '../lib/events.ts';

/** Stands in for the part of every messageId that changes per request; never occurs in the events. */
const MARK = '@@request@@';

/**
 * Request bodies of `size` realistic events, each call with messageIds never sent before, so the
 * collector never takes its cheaper duplicate path. The batch is serialized once and split at the
 * ids: a call only joins strings, since the load generator shares the 2 cores with the server.
 */
export function freshBodies(size: number): () => string {
  const { batch, sentAt } = realisticBatch(size);
  const template = JSON.stringify({
    batch: batch.map((event, i) => ({ ...event, messageId: `${MARK}-${i}` })),
    sentAt,
  });
  const parts = template.split(MARK);
  let request = 0;
  return () => parts.join(`r${++request}`);
}

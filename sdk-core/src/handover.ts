import { type Platform, readJson } from './platform.ts';
import type { TrailEvent } from './protocol.ts';
import type { Handover } from './queue.ts';

const QUEUE = 'trail_q_';
const HANDOVER = 'trail_h_';

/** Where the last word of the instance owning `queue` is kept in sync storage. */
export const handoverKey = (queue: string): string => HANDOVER + queue;

/** The queues named by storage keys (stored queues and last words), other than `own`, once each. */
export const orphanQueues = (keys: string[], own: string): string[] => [
  ...new Set(
    keys
      .map((k) => (k.startsWith(HANDOVER + QUEUE) ? k.slice(HANDOVER.length) : k))
      .filter((k) => k.startsWith(QUEUE) && k !== own),
  ),
];

/**
 * Takes over the queues dead instances left: each one's stored events merged with its last word,
 * each event once. Events whose fate the dead instance could not know (in flight or unsure, or added
 * after its last committed write, which an acknowledgement may have followed) are named in `unsure`.
 * They are pushed before the dead queue is deleted: an adopter that dies meanwhile has them in its
 * own last word, or leaves the dead queue to the next.
 */
export async function adoptOrphans(
  p: Platform,
  own: string,
  push: (events: TrailEvent[], unsure: Set<string>) => void,
): Promise<void> {
  // Across queues too: an adopter that died mid-way leaves an event both in its last word and in
  // the queue it was taking.
  const seen = new Set<string>();
  await p.adopt?.(own, async (key) => {
    const word = readJson<Handover>(p.sync, handoverKey(key));
    const stored = (await p.store.get<TrailEvent[]>(key)) ?? [];
    const tail = word?.t ?? [];
    const doubt = new Set([...(word?.f ?? []), ...tail.map((e) => e.messageId)]);
    const acked = new Set(word?.d);
    push(
      [...stored, ...tail].filter(
        (e) => !acked.has(e.messageId) && !seen.has(e.messageId) && seen.add(e.messageId),
      ),
      doubt,
    );
    await p.store.del(key);
    p.sync.set(handoverKey(key), null);
  });
}

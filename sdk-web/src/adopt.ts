import type { TrailEvent } from '@trail/sdk-core';
import type { QueueStore } from './storage.ts';

type Locks = { request(name: string, opts: object, cb: (lock: unknown) => unknown): Promise<unknown> };

/**
 * One live owner per stored queue: each page holds a Web Lock named after its queue for its whole
 * life, and takes over a queue only when it can get that queue's lock, i.e. its page is gone. So two
 * tabs never send the same event. Browsers without Web Locks take every other queue (the collector's
 * deduplication covers the overlap).
 */
export function adopter(store: QueueStore) {
  const locks = (navigator as { locks?: Locks }).locks;
  let held: Promise<unknown> | undefined;
  const adopt = async (own: string): Promise<TrailEvent[]> => {
    if (locks) {
      held ??= new Promise((got) => void locks.request(own, {}, () => (got(0), new Promise(() => {}))));
      await held;
    }
    const out: TrailEvent[] = [];
    for (const key of await store.keys()) {
      if (!key.startsWith('trail_q_') || key === own) continue;
      const take = async () => {
        out.push(...((await store.get<TrailEvent[]>(key)) ?? []));
        await store.del(key);
      };
      await (locks ? locks.request(key, { ifAvailable: true }, (lock) => lock && take()) : take());
    }
    return out;
  };
  return { adopt, held: () => held };
}

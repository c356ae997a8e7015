import { orphanQueues } from '@trail/sdk-core';
import type { QueueStore } from './storage.ts';

type Locks = { request(name: string, opts: object, cb: (lock: unknown) => unknown): Promise<unknown> };

/** A queue's lease where Web Locks are missing (insecure origins, old browsers): "<time> <holder>". */
const LEASE = 'trail_l_';
/** Past this a lease is a dead page's: hidden tabs run timers only once a minute. */
const LEASE_MS = 180_000;

/**
 * One live owner per stored queue, so two tabs never send the same event. With Web Locks each page
 * holds a lock named after its queue for its whole life, and takes over a queue only when it can get
 * that queue's lock, i.e. its page is gone. Without them each page renews a lease in localStorage
 * while it lives and drops it when it leaves; a queue whose lease is gone or stale is claimed by
 * writing the lease, and taken by whoever still holds it a moment later (the last writer), so two
 * pages loading at once never both take it.
 */
export function adopter(store: QueueStore) {
  const locks = (navigator as { locks?: Locks }).locks;
  let held: Promise<unknown> | undefined;
  let own = '';
  const lease = (key: string) => {
    const mine = `${Date.now()} ${own}`;
    localStorage.setItem(LEASE + key, mine);
    return mine;
  };
  const claim = async (key: string) => {
    if (Date.now() - parseInt(localStorage.getItem(LEASE + key) ?? '0') < LEASE_MS) return false;
    const mine = lease(key);
    await new Promise((wait) => setTimeout(wait, 100));
    return localStorage.getItem(LEASE + key) === mine;
  };
  const adopt = async (queue: string, take: (key: string) => Promise<void>) => {
    own = queue;
    if (locks) {
      held ??= new Promise((got) => void locks.request(own, {}, () => (got(0), new Promise(() => {}))));
      await held;
    } else {
      lease(own);
      setInterval(() => lease(own), LEASE_MS / 3);
    }
    for (const key of orphanQueues([...(await store.keys()), ...Object.keys(localStorage)], own)) {
      if (locks) await locks.request(key, { ifAvailable: true }, (lock) => lock && take(key));
      else if (await claim(key)) await take(key).finally(() => localStorage.removeItem(LEASE + key));
    }
  };
  return {
    adopt,
    held: () => held,
    /** The page leaves (`gone`) or comes back from the back/forward cache: its lease follows. */
    leave(gone: boolean) {
      if (locks || !own) return;
      if (gone) localStorage.removeItem(LEASE + own);
      else lease(own);
    },
  };
}

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
  /** Leases this page holds: its own queue's and those of the queues it is taking over. */
  const mine = new Set<string>();
  const lease = (key: string) => {
    const value = `${Date.now()} ${own}`;
    localStorage.setItem(LEASE + key, value);
    mine.add(key);
    return value;
  };
  const release = (key: string) => {
    // Unless another page has claimed it since.
    if (localStorage.getItem(LEASE + key)?.endsWith(` ${own}`)) localStorage.removeItem(LEASE + key);
    mine.delete(key);
  };
  const claim = async (key: string) => {
    if (Date.now() - parseInt(localStorage.getItem(LEASE + key) ?? '0') < LEASE_MS) return false;
    const value = lease(key);
    await new Promise((wait) => setTimeout(wait, 100));
    if (localStorage.getItem(LEASE + key) === value) return true;
    mine.delete(key);
    return false;
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
      else if (await claim(key)) await take(key).finally(() => release(key));
    }
  };
  return {
    adopt,
    held: () => held,
    /**
     * The page leaves (`gone`): its leases go with it, a queue it was taking over included, so the
     * next page may take them at once; or it comes back from the back/forward cache.
     */
    leave(gone: boolean) {
      if (locks || !own) return;
      if (gone) mine.forEach(release);
      else lease(own);
    },
  };
}

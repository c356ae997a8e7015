import type { AsyncStore, SyncStore } from '@trail/sdk-core';
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';

/** The queue store plus listing, which finding other tabs' queues needs. */
export type QueueStore = AsyncStore & { keys(): Promise<string[]> };

/**
 * Identity and consent record in localStorage. Reading never writes. Where storage throws (disabled,
 * private modes, quota) the value simply is not kept: the client holds it in memory for the page.
 */
export function syncStore(): SyncStore {
  return {
    get: (k) => {
      try {
        return localStorage.getItem(k);
      } catch {
        return null;
      }
    },
    set: (k, v) => {
      try {
        if (v === null) localStorage.removeItem(k);
        else localStorage.setItem(k, v);
      } catch {
        // Nothing to do: see above.
      }
    },
  };
}

function idbStore(): QueueStore {
  // Opened on first use only: opening creates the database, which must not happen before consent.
  let db: UseStore | undefined;
  // A write resolves when its transaction commits, a read with its request's result.
  const tx = <T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T> | undefined) =>
    (db ??= createStore('trail', 'queue'))(mode, (s) => {
      const r = fn(s);
      return promisifyRequest(r ?? s.transaction) as Promise<T>;
    });
  return {
    get: (k) => tx('readonly', (s) => s.get(k)),
    set: (k, v) => tx('readwrite', (s) => void s.put(v, k)),
    del: (k) => tx('readwrite', (s) => void s.delete(k)),
    keys: () => tx('readonly', (s) => s.getAllKeys() as IDBRequest<string[]>),
  };
}

function localQueue(): QueueStore {
  return {
    get: async (k) => JSON.parse(localStorage.getItem(k) ?? 'null') ?? undefined,
    set: async (k, v) => localStorage.setItem(k, JSON.stringify(v)),
    del: async (k) => localStorage.removeItem(k),
    keys: async () => Object.keys(localStorage),
  };
}

function memoryQueue(): QueueStore {
  const m = new Map<string, unknown>();
  return {
    get: async <T>(k: string) => m.get(k) as T | undefined,
    set: async (k, v) => void m.set(k, v),
    del: async (k) => void m.delete(k),
    keys: async () => [...m.keys()],
  };
}

/**
 * The queue's storage: IndexedDB, else localStorage, else memory. The first failure of a level
 * (private mode, quota, blocked storage) moves every later call down to the next one.
 */
export function queueStore(): QueueStore {
  const levels = [idbStore, localQueue, memoryQueue].map((make) => make());
  // Without IndexedDB the first call throws and moves on, so no feature test is needed.
  let at = 0;
  const call =
    (op: keyof QueueStore) =>
    async (...args: unknown[]): Promise<never> => {
      for (;;) {
        try {
          return await (levels[at]?.[op] as (...a: unknown[]) => Promise<never>)(...args);
        } catch (error) {
          if (at >= 2) throw error;
          at++;
        }
      }
    };
  return { get: call('get'), set: call('set'), del: call('del'), keys: call('keys') };
}

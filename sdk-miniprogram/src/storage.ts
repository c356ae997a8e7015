import type { AsyncStore, SyncStore } from '@trail/sdk-core';
import type { NativeApi } from './native.ts';

/** Characters per stored chunk: under Alipay's 200 KB per key even when every character is 3 bytes. */
const CHUNK = 60_000;

/** The queue store plus listing, which finding earlier launches' queues needs. */
export type QueueStore = AsyncStore & { keys(): Promise<string[]> };

const call = <T>(fn: (o: { success(r: T): void; fail(e: { errMsg?: string }): void }) => void) =>
  new Promise<T>((resolve, reject) => fn({ success: resolve, fail: (e) => reject(new Error(e?.errMsg)) }));

/**
 * The queue in platform storage, written asynchronously (sync storage stalls startup) and split into
 * chunks under the per-key quota: `key` holds the chunk count, `key.N` the chunks. A failed write
 * (quota) rejects; the queue then stays in memory, bounded.
 */
export function queueStore(api: NativeApi): QueueStore {
  const get = (key: string) =>
    call<{ data: unknown }>((o) => api.getStorage({ key, ...o })).then(
      (r) => r.data,
      () => undefined,
    );
  const del = (key: string) => call((o) => api.removeStorage({ key, ...o })).catch(() => undefined);
  // One operation at a time: a set is several writes and deletes, and two sets interleaved (an ack's
  // shorter queue, a track's longer one) would delete the chunks the other just wrote.
  let tail: Promise<unknown> = Promise.resolve();
  const serial =
    <A extends unknown[], R>(op: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const run = tail.then(() => op(...args));
      tail = run.catch(() => undefined);
      return run;
    };
  const read = serial(async (key: string): Promise<unknown> => {
    const n = Number(await get(key)) || 0;
    const parts = await Promise.all(Array.from({ length: n }, (_, i) => get(`${key}.${i}`)));
    return parts.flatMap((p) => (typeof p === 'string' ? (JSON.parse(p) as unknown[]) : []));
  });
  return {
    get: <T>(key: string) => read(key) as Promise<T>,
    set: serial(async (key: string, value: unknown) => {
      const items = value as unknown[];
      const chunks: string[] = [];
      let part: string[] = [];
      let size = 0;
      for (const item of items) {
        const text = JSON.stringify(item);
        if (part.length && size + text.length > CHUNK) {
          chunks.push(`[${part.join(',')}]`);
          part = [];
          size = 0;
        }
        part.push(text);
        size += text.length + 1;
      }
      if (part.length) chunks.push(`[${part.join(',')}]`);
      const before = Number(await get(key)) || 0;
      for (const [i, data] of chunks.entries())
        await call((o) => api.setStorage({ key: `${key}.${i}`, data, ...o }));
      await call((o) => api.setStorage({ key, data: chunks.length, ...o }));
      for (let i = chunks.length; i < before; i++) await del(`${key}.${i}`);
    }),
    del: serial(async (key: string) => {
      const n = Number(await get(key)) || 0;
      for (let i = 0; i < n; i++) await del(`${key}.${i}`);
      await del(key);
    }),
    keys: () =>
      call<{ keys: string[] }>((o) => api.getStorageInfo(o)).then((r) =>
        r.keys.filter((k) => !/\.\d+$/.test(k)),
      ),
  };
}

/** Identity and consent record through the sync API, which Alipay shapes as objects. */
export function syncStore(api: NativeApi, alipay: boolean): SyncStore {
  const store: SyncStore = {
    get(key) {
      try {
        const v = alipay
          ? (api.getStorageSync({ key }) as { data?: unknown })?.data
          : api.getStorageSync(key);
        return typeof v === 'string' && v ? v : null;
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        // Removing what is not there would still count as a write; before consent there must be none.
        if (value === null) {
          if (store.get(key) !== null) api.removeStorageSync(alipay ? { key } : key);
        } else if (alipay) api.setStorageSync({ key, data: value });
        else api.setStorageSync(key, value);
      } catch {
        // Storage full: identity lives on in memory for this launch.
      }
    },
  };
  return store;
}

import type { AsyncStore } from './platform.ts';
import type { TrailEvent } from './protocol.ts';

/**
 * Events waiting for the collector's 2xx, oldest first, bounded in count and bytes (the oldest go
 * first, counted). Mirrored to storage while `_persist` is on, so a reload or crash loses nothing.
 * Members start with `_` so that the SDK bundle mangles them.
 */
export interface Queue {
  readonly _key: string;
  _items: TrailEvent[];
  _dropped: number;
  _persist: boolean;
  /** Adds events at the young end (`older`: at the old end), dropping the oldest past the bounds. */
  _push(events: TrailEvent[], older?: boolean): void;
  /** Marks and returns the oldest events not already being sent, up to a count and a byte size. */
  _take(count: number, bytes: number): TrailEvent[];
  /** Removes events the collector acknowledged (or refused for good). */
  _done(events: TrailEvent[]): void;
  /** Makes events sendable again after a failed attempt. */
  _release(events: TrailEvent[]): void;
  /** Forgets every event; storage too when it was in use. */
  _clear(): void;
  /** Writes the queue to storage once per burst of changes. */
  _save(): void;
}

/** A queue stored under `key`. */
export function createQueue(store: AsyncStore, key: string, max: number, maxBytes: number): Queue {
  const size = new Map<TrailEvent, number>();
  const flying = new WeakSet<TrailEvent>();
  let bytes = 0;
  let saving = false;
  const remove = (events: TrailEvent[]) => {
    const gone = new Set(events);
    q._items = q._items.filter((e) => !gone.has(e));
    for (const e of events) {
      // An event dropped for the bounds while in flight is acknowledged later: it counts for nothing.
      bytes -= size.get(e) || 0;
      size.delete(e);
      flying.delete(e);
    }
  };
  const q: Queue = {
    _key: key,
    _items: [],
    _dropped: 0,
    _persist: false,
    _push(events, older) {
      for (const e of events) {
        const n = JSON.stringify(e).length;
        size.set(e, n);
        bytes += n;
      }
      q._items[older ? 'unshift' : 'push'](...events);
      while (q._items.length > max || (bytes > maxBytes && q._items.length > 1)) {
        remove(q._items.slice(0, 1));
        q._dropped++;
      }
      q._save();
    },
    _take(count, limit) {
      const out: TrailEvent[] = [];
      let total = 0;
      for (const e of q._items) {
        if (out.length >= count) break;
        if (flying.has(e)) continue;
        total += size.get(e) as number;
        if (out.length && total > limit) break;
        out.push(e);
        flying.add(e);
      }
      return out;
    },
    _done(events) {
      remove(events);
      q._save();
    },
    _release(events) {
      for (const e of events) flying.delete(e);
    },
    _clear() {
      remove(q._items);
      if (q._persist) void store.del(key).catch(() => {});
    },
    _save() {
      if (!q._persist || saving) return;
      saving = true;
      void Promise.resolve().then(() => {
        saving = false;
        return (q._items.length ? store.set(key, q._items) : store.del(key)).catch(() => {});
      });
    },
  };
  return q;
}

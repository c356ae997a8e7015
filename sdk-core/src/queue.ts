import { utf8Bytes } from './encode.ts';
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
  /**
   * Adds events at the young end (`older`: at the old end), dropping the oldest past the bounds;
   * `unsure`: ids, of these or of queued events, that may have reached the collector already (see _take).
   */
  _push(events: TrailEvent[], older?: boolean, unsure?: Set<string>): void;
  /**
   * Marks and returns the oldest events not already being sent, up to a count and a byte size:
   * those whose earlier send may have arrived (`unsure`), or the others.
   */
  _take(count: number, bytes: number, unsure?: boolean): TrailEvent[];
  /** Removes events the collector acknowledged (or refused for good). */
  _done(events: TrailEvent[]): void;
  /** Makes events sendable again after a failed attempt; `unsure`: the attempt may have arrived. */
  _release(events: TrailEvent[], unsure?: boolean): void;
  /** Forgets every event; storage too when it was in use. */
  _clear(): void;
  /** Writes the queue to storage once per burst of changes. */
  _save(): void;
  /**
   * What storage does not know yet, for a synchronous last write as the instance goes away: events
   * added since the last committed write (`t`), ids acknowledged since (`d`) and ids in flight or
   * unsure (`f`).
   */
  _handover(): Handover;
}

/** The last word of an instance that went away, kept beside its stored queue (see Queue._handover). */
export interface Handover {
  t: TrailEvent[];
  d: string[];
  f: string[];
}

/** A queue stored under `key`. */
export function createQueue(store: AsyncStore, key: string, max: number, maxBytes: number): Queue {
  const size = new Map<TrailEvent, number>();
  const flying = new WeakSet<TrailEvent>();
  const doubt = new WeakSet<TrailEvent>();
  let bytes = 0;
  let saving = false;
  /** The events of the last write storage committed. */
  let saved: TrailEvent[] = [];
  /** Acknowledgements counted so far, and the ids of those a committed write may not reflect yet. */
  let acks = 0;
  let unsaved: [number, string][] = [];
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
    _push(events, older, unsure) {
      for (const e of events) {
        // In UTF-8 bytes, as the collector counts a request's size.
        const n = utf8Bytes(JSON.stringify(e));
        size.set(e, n);
        bytes += n;
      }
      q._items[older ? 'unshift' : 'push'](...events);
      // Events queued already are named too: another queue taken over may doubt what this one did not.
      if (unsure) for (const e of q._items) if (unsure.has(e.messageId)) doubt.add(e);
      while (q._items.length > max || (bytes > maxBytes && q._items.length > 1)) {
        remove(q._items.slice(0, 1));
        q._dropped++;
      }
      q._save();
    },
    _take(count, limit, unsure = false) {
      const out: TrailEvent[] = [];
      let total = 0;
      for (const e of q._items) {
        if (out.length >= count) break;
        if (flying.has(e) || doubt.has(e) !== unsure) continue;
        total += size.get(e) as number;
        if (out.length && total > limit) break;
        out.push(e);
        flying.add(e);
      }
      return out;
    },
    _done(events) {
      remove(events);
      for (const e of events) unsaved.push([acks++, e.messageId]);
      q._save();
    },
    _release(events, unsure) {
      for (const e of events) {
        flying.delete(e);
        doubt[unsure ? 'add' : 'delete'](e);
      }
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
        // Writes commit in the order they were made, so the last one to resolve is the latest.
        const snapshot = q._items.slice();
        const upTo = acks;
        return (snapshot.length ? store.set(key, snapshot) : store.del(key)).then(
          () => {
            saved = snapshot;
            unsaved = unsaved.filter(([n]) => n >= upTo);
          },
          () => {},
        );
      });
    },
    _handover() {
      const was = new Set(saved);
      return {
        t: q._items.filter((e) => !was.has(e)),
        // Every acknowledgement a committed write may not reflect: a write made before one can
        // still commit after the instance is gone, with the acknowledged event in it.
        d: unsaved.map(([, id]) => id),
        f: q._items.filter((e) => flying.has(e) || doubt.has(e)).map((e) => e.messageId),
      };
    },
  };
  return q;
}

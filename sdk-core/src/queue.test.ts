import { describe, expect, it } from 'vitest';
import type { AsyncStore } from './platform.ts';
import type { TrailEvent } from './protocol.ts';
import { createQueue } from './queue.ts';

const memory = (): AsyncStore => {
  const map = new Map<string, unknown>();
  return {
    get: async <T>(key: string) => map.get(key) as T,
    set: async (key, value) => void map.set(key, value),
    del: async (key) => void map.delete(key),
  };
};
const event = (i: number) =>
  ({ type: 'track', event: 'e', messageId: String(i), properties: { pad: 'x'.repeat(300) } }) as TrailEvent;

describe('queue bounds', () => {
  it('keeps its byte bound after an event dropped in flight is acknowledged', () => {
    // Room for three of these events by bytes.
    const q = createQueue(memory(), 'k', 1000, 1200);
    q._push([event(1), event(2), event(3)]);
    const batch = q._take(2, 1e6);
    q._push([event(4)]); // over the byte bound: the oldest, in flight, goes
    q._done(batch); // then its request succeeds
    for (let i = 5; i < 40; i++) q._push([event(i)]);
    expect(q._items.map((e) => e.messageId)).toEqual(['37', '38', '39']);
  });
});

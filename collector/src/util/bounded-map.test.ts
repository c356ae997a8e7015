import { describe, expect, it } from 'vitest';
import { BoundedMap } from './bounded-map.ts';

describe('BoundedMap', () => {
  it('forgets the least recently set entry past its capacity', () => {
    const map = new BoundedMap<string, number>(3);
    for (const [i, key] of ['a', 'b', 'c'].entries()) map.set(key, i);
    map.set('a', 10);
    map.set('d', 3);
    expect([...map.keys()]).toEqual(['c', 'a', 'd']);
    expect(map.size).toBe(3);
  });

  it('holds nothing with capacity 0', () => {
    const map = new BoundedMap<string, number>(0);
    map.set('a', 1);
    expect(map.size).toBe(0);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from './errors.ts';
import { type ReadSlot, ReadSlots } from './read-slots.ts';

const bounds = { maxReadsPerClient: 3, maxReads: 6, bodyTimeoutMs: 60_000, readGraceMs: 1000 };

describe('ReadSlots', () => {
  const taken: ReadSlot[] = [];
  const take = (slots: ReadSlots, client: string, now: number) => {
    const slot = slots.take(client, now);
    if (typeof slot !== 'string') taken.push(slot);
    return slot;
  };
  afterEach(() => {
    for (const slot of taken.splice(0)) slot.release();
  });

  it('bounds reads per client and in all, and gives slots back', () => {
    const slots = new ReadSlots(bounds);
    const first = take(slots, 'a', 0);
    take(slots, 'a', 0);
    take(slots, 'a', 0);
    expect(take(slots, 'a', 0)).toBe('client');
    for (const client of ['b', 'b', 'b']) expect(typeof take(slots, client, 0)).toBe('object');
    expect(take(slots, 'c', 0)).toBe('total');
    if (typeof first === 'string') throw new Error('no slot');
    first.release();
    first.release();
    expect(typeof take(slots, 'c', 0)).toBe('object');
    expect(take(slots, 'd', 0)).toBe('total');
  });

  it('gives a lighter client the oldest slot past its grace of a client with two more, aborting it with 408', () => {
    const slots = new ReadSlots(bounds);
    const a = [take(slots, 'a', 0), take(slots, 'a', 100), take(slots, 'a', 200)];
    for (const client of ['b', 'b', 'b']) take(slots, client, 300);
    // Within the grace, nothing is taken from anyone.
    expect(take(slots, 'c', 1000)).toBe('total');
    const c = take(slots, 'c', 1001);
    expect(typeof c).toBe('object');
    const [oldest] = a;
    if (typeof oldest === 'string' || oldest === undefined) throw new Error('no slot');
    expect(oldest.signal.aborted).toBe(true);
    expect(oldest.signal.reason).toBeInstanceOf(HttpError);
    expect(oldest.signal.reason).toMatchObject({ status: 408, code: 'body_timeout' });
    expect((oldest.signal.reason as HttpError).message).toMatch(
      /still arriving after 1 s while every read slot/,
    );
    // Shares are now 2, 3, 1: c may take one more from b (3 ≥ 1 + 2), then none are two apart.
    expect(typeof take(slots, 'c', 2000)).toBe('object');
    expect(take(slots, 'c', 2000)).toBe('total');
    expect(take(slots, 'a', 2000)).toBe('total');
    expect(take(slots, 'b', 2000)).toBe('total');
  });

  it('never lets clients with even shares take slots back and forth', () => {
    const slots = new ReadSlots({ ...bounds, maxReadsPerClient: 6 });
    for (const client of ['a', 'a', 'b', 'b', 'c', 'c']) take(slots, client, 0);
    let aborted = 0;
    for (let now = 2000; now < 20_000; now += 10)
      for (const client of ['a', 'b', 'c']) if (take(slots, client, now) !== 'total') aborted++;
    expect(aborted).toBe(0);
  });

  it('aborts a read at its deadline', async () => {
    const slots = new ReadSlots({ ...bounds, bodyTimeoutMs: 20 });
    const slot = take(slots, 'a', Date.now());
    if (typeof slot === 'string') throw new Error('no slot');
    await new Promise((done) => slot.signal.addEventListener('abort', done));
    expect((slot.signal.reason as HttpError).message).toBe('request body did not arrive within 20 ms');
  });
});

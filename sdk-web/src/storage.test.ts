// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { queueStore, syncStore } from './storage.ts';

const quotaExceeded = () => {
  throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
};
const securityError = () => {
  throw new DOMException('Access is denied for this document.', 'SecurityError');
};

beforeEach(() => localStorage.clear());
type Method = 'getItem' | 'setItem' | 'removeItem';
const METHODS: Method[] = ['getItem', 'setItem', 'removeItem'];
/**
 * Replaces a localStorage method on the instance. happy-dom binds Storage methods to the instance on
 * first use (so a spy on Storage.prototype is missed) and its Proxy ignores `delete` (so vi.spyOn on
 * the instance is never restored): define and restore by hand.
 */
const breakMethod = (m: Method, impl: () => never) => {
  const fn = vi.fn(impl);
  Object.defineProperty(localStorage, m, { value: fn, configurable: true, writable: true });
  return fn;
};
afterEach(() => {
  vi.restoreAllMocks();
  for (const m of METHODS)
    Object.defineProperty(localStorage, m, {
      value: Storage.prototype[m],
      configurable: true,
      writable: true,
    });
});

describe('queueStore', () => {
  it('runs where IndexedDB is missing (the fallback case under test)', () => {
    expect((globalThis as { indexedDB?: unknown }).indexedDB).toBeUndefined();
  });

  it('falls back to localStorage without IndexedDB: set, get, keys and del work', async () => {
    const s = queueStore();
    const events = [{ type: 'track', event: 'A', messageId: 'm1' }];
    await s.set('trail_q_1', events);
    expect(JSON.parse(localStorage.getItem('trail_q_1') ?? 'null')).toEqual(events);
    expect(await s.get('trail_q_1')).toEqual(events);
    expect(await s.get('trail_q_missing')).toBeUndefined();
    await s.set('trail_q_2', []);
    expect((await s.keys()).sort()).toEqual(['trail_q_1', 'trail_q_2']);
    await s.del('trail_q_1');
    expect(localStorage.getItem('trail_q_1')).toBeNull();
    expect(await s.get('trail_q_1')).toBeUndefined();
    expect(await s.keys()).toEqual(['trail_q_2']);
  });

  it('reads what an earlier page left in localStorage (adoption of a closed tab)', async () => {
    localStorage.setItem('trail_q_old', JSON.stringify([{ messageId: 'old' }]));
    const s = queueStore();
    expect(await s.keys()).toContain('trail_q_old');
    expect(await s.get('trail_q_old')).toEqual([{ messageId: 'old' }]);
  });

  it('falls back to memory when localStorage throws QuotaExceededError, and stays there', async () => {
    const setItem = breakMethod('setItem', quotaExceeded);
    const s = queueStore();
    await expect(s.set('trail_q_1', [{ messageId: 'm1' }])).resolves.toBeUndefined();
    expect(setItem).toHaveBeenCalled();
    expect(localStorage.getItem('trail_q_1')).toBeNull();
    expect(await s.get('trail_q_1')).toEqual([{ messageId: 'm1' }]);
    expect(await s.keys()).toEqual(['trail_q_1']);
    // Storage working again does not move the store back up: memory keeps what it has.
    Object.defineProperty(localStorage, 'setItem', { value: Storage.prototype.setItem, configurable: true });
    await s.set('trail_q_2', [{ messageId: 'm2' }]);
    expect(localStorage.getItem('trail_q_2')).toBeNull();
    expect((await s.keys()).sort()).toEqual(['trail_q_1', 'trail_q_2']);
    await s.del('trail_q_1');
    expect(await s.get('trail_q_1')).toBeUndefined();
    expect(await s.keys()).toEqual(['trail_q_2']);
  });

  it('falls back to memory when localStorage cannot be touched at all', async () => {
    vi.spyOn(globalThis, 'localStorage', 'get').mockImplementation(securityError);
    const s = queueStore();
    await s.set('trail_q_1', [1, 2]);
    expect(await s.get('trail_q_1')).toEqual([1, 2]);
    expect(await s.keys()).toEqual(['trail_q_1']);
  });

  it('opens nothing before its first use', () => {
    const setItem = breakMethod('setItem', quotaExceeded);
    queueStore();
    expect(setItem).not.toHaveBeenCalled();
    expect(localStorage.length).toBe(0);
  });
});

describe('syncStore', () => {
  it('reads null for a missing key, without creating it', () => {
    const s = syncStore();
    expect(s.get('trail_id')).toBeNull();
    expect(localStorage.length).toBe(0);
  });

  it('writes to localStorage and removes on null', () => {
    const s = syncStore();
    s.set('trail_id', '{"a":"x"}');
    expect(localStorage.getItem('trail_id')).toBe('{"a":"x"}');
    expect(s.get('trail_id')).toBe('{"a":"x"}');
    s.set('trail_id', null);
    expect(localStorage.getItem('trail_id')).toBeNull();
    expect(s.get('trail_id')).toBeNull();
    expect(localStorage.length).toBe(0);
  });

  it('reads what an earlier visit stored', () => {
    localStorage.setItem('trail_consent', '{"analytics":true,"marketing":false}');
    expect(syncStore().get('trail_consent')).toBe('{"analytics":true,"marketing":false}');
  });

  // The client keeps identity and consent in memory for the page; the store only persists them.
  it('reads null and keeps nothing when localStorage throws, without throwing', () => {
    for (const m of METHODS) breakMethod(m, securityError);
    const s = syncStore();
    expect(s.get('trail_id')).toBeNull();
    expect(() => s.set('trail_id', 'v1')).not.toThrow();
    expect(s.get('trail_id')).toBeNull();
    expect(() => s.set('trail_id', null)).not.toThrow();
  });

  it('reads null and does not throw when the localStorage global itself throws', () => {
    vi.spyOn(globalThis, 'localStorage', 'get').mockImplementation(securityError);
    const s = syncStore();
    expect(() => s.set('trail_consent', '{"analytics":true,"marketing":true}')).not.toThrow();
    expect(s.get('trail_consent')).toBeNull();
  });

  it('does not throw when a write exceeds the quota', () => {
    const setItem = breakMethod('setItem', quotaExceeded);
    const s = syncStore();
    expect(() => s.set('trail_id', 'v1')).not.toThrow();
    expect(setItem).toHaveBeenCalledWith('trail_id', 'v1');
    expect(localStorage.getItem('trail_id')).toBeNull();
  });
});

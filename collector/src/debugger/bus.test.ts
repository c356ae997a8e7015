import { describe, expect, it } from 'vitest';
import { EventBus, type IngestOutcome } from './bus.ts';

const outcome = (n: number, kind: IngestOutcome['kind'] = 'accepted'): IngestOutcome => ({
  kind,
  source: 'demo',
  receivedAt: new Date(0).toISOString(),
  messageId: `m${n}`,
  payload: { n },
});

describe('EventBus', () => {
  it('is inactive and costs nothing with no subscriber', () => {
    const bus = new EventBus();
    expect(bus.active).toBe(false);
    expect(() => bus.publish(outcome(1))).not.toThrow();
  });

  it('delivers outcomes to every subscriber in order', async () => {
    const bus = new EventBus();
    const a = bus.subscribe();
    const b = bus.subscribe();
    bus.publish(outcome(1));
    bus.publish(outcome(2, 'rejected'));
    expect((await a.pull(10)).outcomes.map((o) => o.messageId)).toEqual(['m1', 'm2']);
    expect((await b.pull(10)).outcomes.map((o) => o.kind)).toEqual(['accepted', 'rejected']);
  });

  it('wakes a waiting subscriber, and times out empty', async () => {
    const bus = new EventBus();
    const s = bus.subscribe();
    const empty = await s.pull(5);
    expect(empty).toEqual({ outcomes: [], dropped: 0 });
    const waiting = s.pull(5_000);
    bus.publish(outcome(3));
    expect((await waiting).outcomes).toHaveLength(1);
  });

  it('drops for a slow subscriber instead of blocking or growing', async () => {
    const bus = new EventBus(3);
    const s = bus.subscribe();
    for (let i = 0; i < 10; i++) bus.publish(outcome(i));
    const { outcomes, dropped } = await s.pull(10);
    expect(outcomes.map((o) => o.messageId)).toEqual(['m0', 'm1', 'm2']);
    expect(dropped).toBe(7);
  });

  it('forgets closed subscriptions and survives throwing listeners', async () => {
    const bus = new EventBus();
    const s = bus.subscribe();
    s.close();
    expect(bus.active).toBe(false);
    const seen: string[] = [];
    const off = bus.listen(() => {
      throw new Error('boom');
    });
    bus.listen((o) => seen.push(o.messageId ?? ''));
    bus.publish(outcome(4));
    expect(seen).toEqual(['m4']);
    off();
    expect(bus.size).toBe(1);
  });
});

// @vitest-environment jsdom
// Tap capture inside a real component renderer: Tencent's miniprogram-simulate (j-component) builds
// the component from its WXML and dispatches taps the way the WeChat framework does, while the SDK
// wraps the global Component() exactly as in an app. The runtime APIs come from the fake runtime.
import simulate from 'miniprogram-simulate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrailEvent } from '../../sdk-core/src/protocol.ts';
import { init } from '../../sdk-miniprogram/src/index.ts';
import { FakeMiniProgram } from './fake-runtime.ts';

type Global = Record<string, unknown>;
const g = globalThis as unknown as Global;
const events: TrailEvent[] = [];

describe('taps in a component rendered by miniprogram-simulate', () => {
  beforeAll(() => {
    g.wx = new FakeMiniProgram().api;
    // The framework's Component() registers a definition; here it hands it to the simulator.
    g.Component = (definition: object) => simulate.load(definition as never);
    const trail = init({ writeKey: 'demo', endpoint: 'http://127.0.0.1:9', consent: 'opt-out' });
    // The plugin hook is the public place to see each event as it would be sent.
    trail.use((event) => {
      events.push(event);
      return null;
    });
  });
  afterAll(() => {
    delete g.wx;
    delete g.Component;
  });

  const render = (
    template: string,
    methods: Record<string, (this: { setData(d: object): void; data: Global }) => void>,
  ) => {
    const id = (g.Component as (d: object) => string)({ template, data: { n: 0 }, methods });
    const comp = simulate.render(id);
    comp.attach(document.createElement('parent-wrapper'));
    return comp;
  };

  it('records a tap on an element with data-track, with its data-track-* properties, then runs the handler', async () => {
    const comp = render(
      '<view><button id="claim" data-track="Coupon Claimed" data-track-coupon="SAVE5" bindtap="claim">Claim</button></view>',
      {
        claim() {
          this.setData({ n: (this.data.n as number) + 1 });
        },
      },
    );
    comp.querySelector('#claim')?.dispatchEvent('tap');
    await simulate.sleep(10);
    expect(comp.data.n).toBe(1);
    const tapped = events.filter((e) => e.type === 'track' && e.event === 'Coupon Claimed');
    expect(tapped).toHaveLength(1);
    expect(tapped[0]?.type === 'track' && tapped[0].properties).toMatchObject({
      coupon: 'SAVE5',
      element_id: 'claim',
      handler: 'claim',
    });
  });

  it('names an unnamed data-track tap Element Tapped and ignores taps without data-track', async () => {
    const before = events.length;
    const comp = render(
      '<view><view id="a" data-track="" bindtap="open">A</view><view id="b" bindtap="open">B</view></view>',
      {
        open() {
          this.setData({ n: (this.data.n as number) + 1 });
        },
      },
    );
    comp.querySelector('#a')?.dispatchEvent('tap');
    comp.querySelector('#b')?.dispatchEvent('tap');
    await simulate.sleep(10);
    expect(comp.data.n).toBe(2);
    const added = events.slice(before);
    expect(added.map((e) => (e.type === 'track' ? e.event : e.type))).toEqual(['Element Tapped']);
  });
});

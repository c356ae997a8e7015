// Bounded work per byte: the worst string for each PII pattern, and objects whose keys all mask to one
// name, posted at the size limits, cost the collector about what ordinary input of the same size costs.
// Quadratic masking made one such request hold the event loop for minutes (a run of word characters
// before an @: ~2.5 s per 30 KB string, and the batch context was masked again for each of its 500
// events; 8,000 keys masking alike took 12.6 s to tell apart, each probing `#2`, `#3`… from the
// start). Timings are only compared with each other: the fastest of a few runs of the hostile request
// against the benign one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { post } from '../support/events.ts';
import {
  benignKeys,
  benignText,
  HOSTILE_OBJECTS,
  HOSTILE_STRINGS,
  LIMIT_REQUESTS,
} from '../support/hostile-inputs.ts';
import { fastest } from '../support/timing.ts';

/**
 * How much slower than the benign request of the same size a hostile one may be: measured at 0.1× to
 * 6× (long runs of short digit groups the slowest), generous for a busy machine; the quadratic
 * masking was 100×+.
 */
const FACTOR = 10;
/**
 * The same for objects whose keys all mask to one name, beside as many keys masking to names of
 * their own: measured at 0.9× to 3.1× (a card key costs more to mask than an email key); probing
 * `#2`, `#3`… from the start for each key was 11× to 15× at the event limit.
 */
const KEYS_FACTOR = 5;

describe('work per byte at the size limits', () => {
  let c: CollectorProcess;
  // Events stored: a hostile request refused whole would do less work than the benign one. (The
  // storage budget refuses most of the 500 events that would each store the 31 KB batch context.)
  const send = async (body: unknown) => {
    const res = await post(`${c.url}/v1/batch`, body);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { accepted: number }).accepted).toBeGreaterThan(0);
  };

  beforeAll(async () => {
    c = await startCollector({ config: { rateLimit: { perSecond: 0 } } });
  });
  afterAll(async () => {
    await c?.stop();
  });

  describe.each(Object.entries(LIMIT_REQUESTS))('%s', (_shape, shape) => {
    let benign = 0;
    let benignObject = 0;
    beforeAll(async () => {
      // Fresh messageIds every time: a duplicate would be cheaper.
      await send(shape(benignText)); // warm
      benign = await fastest(() => send(shape(benignText)), 3);
      benignObject = await fastest(() => send(shape(benignKeys)), 3);
    });

    it.each(Object.entries(HOSTILE_STRINGS))('%s', async (_name, make) => {
      const hostile = await fastest(() => send(shape(make)), 3);
      expect(hostile / benign).toBeLessThan(FACTOR);
    });

    // Each key is masked on its own, which costs more per byte than text does: the measure is as many
    // keys masking to names of their own.
    it.each(Object.entries(HOSTILE_OBJECTS))('%s', async (_name, make) => {
      const hostile = await fastest(() => send(shape(make)), 3);
      expect(hostile / benignObject).toBeLessThan(KEYS_FACTOR);
    });
  });

  it('answers 500 events under a 31 KB context `a…a@` about as fast as a benign one, and /healthz meanwhile', async () => {
    const issue = () => LIMIT_REQUESTS['batch context']!(HOSTILE_STRINGS['word run then @']!);
    const benign = await fastest(() => send(LIMIT_REQUESTS['batch context']!(benignText)), 3);
    // /healthz asked again and again while the request is in flight: its slowest answer.
    let inFlight = true;
    let slowest = 0;
    const poll = (async () => {
      while (inFlight) {
        const start = performance.now();
        expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
        slowest = Math.max(slowest, performance.now() - start);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const start = performance.now();
    await send(issue());
    const hostile = performance.now() - start;
    inFlight = false;
    await poll;
    expect(hostile / benign).toBeLessThan(FACTOR);
    expect(slowest / benign).toBeLessThan(FACTOR);
  });
});

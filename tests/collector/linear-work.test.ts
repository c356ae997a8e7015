// Bounded work per byte: the worst string for each PII pattern, posted at the size limits, costs the
// collector about what ordinary text of the same size costs. Quadratic masking made one such request
// hold the event loop for minutes (a run of word characters before an @: ~2.5 s per 30 KB string,
// and the batch context was masked again for each of its 500 events). Timings are only compared
// with each other: the fastest of a few runs of the hostile request against the benign one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { post } from '../support/events.ts';
import { benignText, HOSTILE_STRINGS, LIMIT_REQUESTS } from '../support/hostile-inputs.ts';
import { fastest } from '../support/timing.ts';

/**
 * How much slower than the benign request of the same size a hostile one may be: measured at 0.2× to
 * 2× (the benign text has more to mask), generous for a busy machine; the quadratic masking was 100×+.
 */
const FACTOR = 10;

describe('work per byte at the size limits', () => {
  let c: CollectorProcess;
  const send = async (body: unknown) => {
    const res = await post(`${c.url}/v1/batch`, body);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  };

  beforeAll(async () => {
    c = await startCollector({ config: { rateLimit: { perSecond: 0 } } });
  });
  afterAll(async () => {
    await c?.stop();
  });

  describe.each(Object.entries(LIMIT_REQUESTS))('%s', (_shape, shape) => {
    let benign = 0;
    beforeAll(async () => {
      // Fresh messageIds every time: a duplicate would be cheaper.
      await send(shape(benignText)); // warm
      benign = await fastest(() => send(shape(benignText)), 3);
    });

    it.each(Object.entries(HOSTILE_STRINGS))('%s', async (_name, make) => {
      const hostile = await fastest(() => send(shape(make)), 3);
      expect(hostile / benign).toBeLessThan(FACTOR);
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

import { setTimeout as delay } from 'node:timers/promises';
import type { Browser, CDPSession, Page } from 'playwright-core';
import type { Endpoint } from './endpoint.ts';
import { EVENT, PROPERTIES, type Sdk } from './sdks.ts';
import type { Site } from './site.ts';
import { BURST_MARK, startTrace } from './trace.ts';

export const BURST = 10_000;
/** Longest the SDK gets after the burst to do its deferred work and send what it kept. */
export const SETTLE_MS = 10_000;
/** No request for this long ends the settle period early: longer than any SDK's default flush interval (3 s). */
export const QUIET_MS = 4_000;
/** A burst whose task runs longer than this is stopped: the page is hung as far as a user can tell. */
export const BURST_LIMIT_MS = 20_000;
/** Quiet time after the SDK is ready and before the burst, for its own start-up work to finish. */
const IDLE_MS = 500;
/** After the settle period: the SDK handles the last answers (acknowledges, rewrites its stored queue). */
const TAIL_MS = 500;
/** The page's function that hands the loop's time to Node. */
const LOOP_DONE = 'benchLoopDone';

/** One SDK's figures from one fresh browser context. */
export interface Run {
  usPerCall: number;
  /** Main-thread task time from the burst to the end of the settle period (CDP `TaskDuration`). */
  mainThreadMs: number;
  /** The task that ran the burst's calls and the microtasks they queued. */
  burstTaskMs: number;
  longestAfterMs: number;
  longAfter: number;
  events: number;
  requests: number;
  /** Set when the burst's task never ended: the renderer crashed, or it was stopped at the limit. */
  stalled?: { crashed: boolean; afterMs: number };
}

/**
 * Opens the SDK's page in a fresh context, waits for it to be ready and idle, then runs the burst in
 * one synchronous loop (timed in the page) while CDP counts main-thread time and traces tasks.
 */
export async function measureOnce(browser: Browser, site: Site, endpoint: Endpoint, sdk: Sdk): Promise<Run> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(BURST_LIMIT_MS); // bounds loading and readiness too
    const loop = await loopTime(page);
    await page.goto(site.pageOf(sdk));
    await page.waitForFunction(() => (window as any).bench?.ready() === true);
    await page.waitForTimeout(IDLE_MS);

    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const trace = await startTrace(cdp);
    const before = await taskSeconds(cdp);
    endpoint.expect(sdk.count);
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      startBurst(page),
      new Promise<'crashed'>((done) => page.once('crash', () => done('crashed'))),
      new Promise<'stopped'>((done) => (timer = setTimeout(() => done('stopped'), BURST_LIMIT_MS))),
    ]);
    clearTimeout(timer);
    // The loop reports its time before the microtasks run, so it is known even when they never end;
    // only a loop that itself never ends leaves it unknown.
    const usPerCall = ((await Promise.race([loop.ms, delay(1_000, NaN)])) * 1000) / BURST;
    if (ended !== 'done') {
      // The renderer is hung or gone: neither the trace nor the metrics can be read from it.
      const { events, requests } = endpoint.received();
      const stalled = { crashed: ended === 'crashed', afterMs: Date.now() - started };
      return {
        usPerCall,
        mainThreadMs: NaN,
        burstTaskMs: NaN,
        longestAfterMs: NaN,
        longAfter: NaN,
        events,
        requests,
        stalled,
      };
    }
    await endpoint.waitFor(BURST, QUIET_MS, SETTLE_MS);
    await page.waitForTimeout(TAIL_MS);
    const after = await taskSeconds(cdp);
    const tasks = await trace.stop();
    const { events, requests } = endpoint.received();
    return {
      usPerCall,
      mainThreadMs: (after - before) * 1000,
      burstTaskMs: tasks.burstMs,
      longestAfterMs: tasks.longestAfterMs,
      longAfter: tasks.longAfter,
      events,
      requests,
    };
  } finally {
    await context.close();
  }
}

/**
 * The loop's time, handed to Node through a binding as soon as the loop ends: the call reaches Node at
 * once, before the microtasks the SDK queued run, and those can hang or crash the page. Call before
 * the page loads, so that exposing the binding is not part of the measured period.
 */
async function loopTime(page: Page): Promise<{ ms: Promise<number> }> {
  let report: (ms: number) => void = () => {};
  const ms = new Promise<number>((done) => (report = done));
  await page.exposeFunction(LOOP_DONE, (loopMs: number) => report(loopMs));
  return { ms }; // wrapped: an async function returning the promise itself would wait for it
}

/** Runs the 10,000 calls in one task; settles when that task ends, or as 'crashed'. */
function startBurst(page: Page): Promise<'done' | 'crashed'> {
  const done = page
    .evaluate(
      ({ event, properties, count, mark, report }) => {
        const bench = (window as any).bench;
        console.timeStamp(mark);
        const start = performance.now();
        // A fresh object per call, as site code passes: some SDKs keep or change the one they get.
        for (let i = 0; i < count; i++) bench.track(event, { ...properties });
        (window as any)[report](performance.now() - start);
      },
      { event: EVENT, properties: PROPERTIES, count: BURST, mark: BURST_MARK, report: LOOP_DONE },
    )
    .then(
      () => 'done' as const,
      (error: Error) => (/crashed/i.test(error.message) ? ('crashed' as const) : Promise.reject(error)),
    );
  // Left running when the burst is stopped, it fails once the context closes; nobody waits for it then.
  done.catch(() => {});
  return done;
}

/** Main-thread task time so far, in seconds. */
async function taskSeconds(cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN;
}

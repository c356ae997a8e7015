import type { CDPSession } from 'playwright-core';

/** Name of the `console.timeStamp` the page makes right before the burst, to find the burst's task. */
export const BURST_MARK = 'trail-bench-burst';

/** Main-thread tasks of the page's renderer, from the burst's task on. */
export interface Tasks {
  /** The task that ran the burst: the 10,000 calls plus the microtasks they queued. */
  burstMs: number;
  /** Longest task after it: the SDK's deferred work (timers, storage callbacks, responses). */
  longestAfterMs: number;
  /** How many tasks after it ran over 50 ms, the long-task threshold. */
  longAfter: number;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: { name?: string; data?: { message?: string } };
}

/** A devtools timeline trace, as the Performance panel records it; `stop` reads the page's tasks. */
export async function startTrace(cdp: CDPSession): Promise<{ stop(): Promise<Tasks> }> {
  const events: TraceEvent[] = [];
  // One event at a time: a chunk can hold more events than a spread may pass as arguments.
  cdp.on('Tracing.dataCollected', ({ value }) => {
    for (const event of value as unknown as TraceEvent[]) events.push(event);
  });
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] },
  });
  return {
    async stop() {
      const complete = new Promise<void>((done) => cdp.once('Tracing.tracingComplete', () => done()));
      await cdp.send('Tracing.end');
      await complete;
      return tasksOf(events);
    },
  };
}

function tasksOf(events: TraceEvent[]): Tasks {
  // The mark is on the page's main thread, which tells it apart from other renderers' threads.
  const mark = events.find((e) => e.name === 'TimeStamp' && e.args?.data?.message === BURST_MARK);
  if (!mark) throw new Error('the trace has no burst mark: the page did not run the burst');
  const tasks = events
    .filter((e) => e.pid === mark.pid && e.tid === mark.tid && e.ph === 'X' && e.name === 'RunTask')
    .filter((e) => e.ts + (e.dur ?? 0) >= mark.ts);
  const burst = tasks.find((t) => t.ts <= mark.ts);
  if (!burst) throw new Error('no task holds the burst mark');
  const after = tasks.filter((t) => t.ts > mark.ts).map((t) => (t.dur ?? 0) / 1000);
  return {
    burstMs: (burst.dur ?? 0) / 1000,
    longestAfterMs: after.reduce((max, ms) => Math.max(max, ms), 0),
    longAfter: after.filter((ms) => ms > 50).length,
  };
}

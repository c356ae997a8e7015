import { chromium } from 'playwright-core';
import { buildSdkIfStale } from '../../tests/support/build-sdk.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tests/support/web.ts';
import type { Section, Table } from '../lib/report.ts';
import { startEndpoint } from './endpoint.ts';
import { BURST, BURST_LIMIT_MS, measureOnce, QUIET_MS, type Run, SETTLE_MS } from './measure.ts';
import { EVENT, PROPERTIES, SDKS, type Sdk } from './sdks.ts';
import { startSite } from './site.ts';

const RUNS = 3;

/** Issue "benchmarks against the peers", figure 2: what a burst of track() calls costs the page. */
const clientCost: Section = async () => {
  const buildError = await buildSdkIfStale();
  if (buildError) throw new Error(buildError);
  const endpoint = await startEndpoint();
  const site = await startSite(SDKS, endpoint.url);
  const rows: (string | number)[][] = [];
  try {
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    try {
      for (const sdk of SDKS)
        rows.push(row(sdk, await runs(() => measureOnce(browser, site, endpoint, sdk))));
    } finally {
      await browser.close();
    }
  } finally {
    await site.close();
    await endpoint.close();
  }

  const table: Table = {
    id: 'client-cost',
    title: `Client cost in Chromium (a burst of ${BURST.toLocaleString('en-US')} track() calls)`,
    notes: [
      `Each SDK is embedded as its docs say in an otherwise empty page, in a fresh browser context, and sends to one local endpoint that answers every request 200 \`{}\` with permissive CORS. Once the SDK is ready (its own signal) and idle, the page calls \`track('${EVENT}', ${JSON.stringify(PROPERTIES)})\` ${BURST.toLocaleString('en-US')} times in one synchronous loop; µs per call is \`performance.now()\` around that loop.`,
      `Main-thread ms is the CDP \`Performance.getMetrics\` \`TaskDuration\` from just before the burst to the end of the settle period: until the endpoint has every event, or no request has come for ${QUIET_MS / 1000} s, or ${SETTLE_MS / 1000} s have passed, then 0.5 s. Tasks are \`RunTask\` events of the page's main thread in a devtools timeline trace: the burst's own task (the loop plus the microtasks the calls queued) is shown apart from the tasks after it, which are the SDK's deferred work. Events received counts burst events that reached the endpoint in that period.`,
      `Median of ${RUNS} runs per SDK, all in one Chromium (${CHROMIUM_PATH}, headless), on the 2-core machine above. A burst whose task outlives ${BURST_LIMIT_MS / 1000} s is stopped there and not repeated (the page is hung; only its µs per call and what reached the endpoint are known). Target: the lowest µs per call and no task over 50 ms.`,
      'Why events received differ, all at their defaults: trail keeps at most 1,000 queued events (`maxQueue`) and drops the oldest; ' +
        "PostHog's client rate limit refuses all but about 100 calls of the burst and logs a console error for each refusal (dearer with DevTools attached, as under Playwright); " +
        'Segment keeps every event and sends one request per event; Snowplow rewrites its whole localStorage queue (up to 1,000 events as JSON) in a microtask after every call, so its burst task does not end within the limit.',
      "Setup beyond the endpoint; batching, queue bounds and storage are every SDK's defaults: " +
        SDKS.map((sdk) => `**${sdk.name}**: ${sdk.setup}.`).join(' '),
      // An SDK reaching for a file or setting the site lacks would run differently than in production.
      ...(site.misses.length
        ? [`Asked for but not served by the site: ${[...new Set(site.misses)].join(', ')}.`]
        : []),
    ],
    headers: [
      'SDK',
      'version',
      'µs per track()',
      'main-thread ms, burst + settle',
      'burst task ms',
      'longest task after it, ms',
      'tasks after it > 50 ms',
      `events received (of ${BURST.toLocaleString('en-US')})`,
      'requests',
      'runs',
    ],
    rows,
  };
  return [table];
};

export default clientCost;

/** Up to RUNS runs; a stalled run is not repeated, since it would only stall again. */
async function runs(measure: () => Promise<Run>): Promise<Run[]> {
  const done: Run[] = [];
  while (done.length < RUNS && !done.some((run) => run.stalled)) done.push(await measure());
  return done;
}

function row(sdk: Sdk, runs: Run[]): (string | number)[] {
  const median = (pick: (run: Run) => number, digits = 0) => {
    const values = runs.map(pick).sort((a, b) => a - b);
    return Number(values[Math.floor(values.length / 2)]!.toFixed(digits));
  };
  const stalled = runs.find((run) => run.stalled)?.stalled;
  const afterMs = Math.round(stalled?.afterMs ?? 0).toLocaleString('en-US');
  const burstTask = !stalled
    ? median((r) => r.burstTaskMs)
    : stalled.crashed
      ? `renderer crashed after ${afterMs}`
      : `over ${afterMs} (stopped)`;
  return [
    sdk.name,
    sdk.version,
    median((r) => r.usPerCall, 1),
    median((r) => r.mainThreadMs),
    burstTask,
    median((r) => r.longestAfterMs, 1),
    median((r) => r.longAfter),
    median((r) => r.events),
    median((r) => r.requests),
    stalled ? `${runs.length} (stalled)` : String(runs.length),
  ];
}

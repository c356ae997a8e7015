import { freshBodies } from './bodies.ts';
import { load } from './load.ts';
import type { RunningTarget, Target } from './servers.ts';

export const WARMUP_SECONDS = 2;
export const MEASURED_SECONDS = 8;

/** The `demo` write key as Segment clients send it: Basic auth, key as user, no password. */
const HEADERS = {
  'content-type': 'application/json',
  authorization: `Basic ${Buffer.from('demo:').toString('base64')}`,
};

/** One configuration of the load. */
export interface Workload {
  /** Events per request. */
  batch: number;
  /** Keep-alive connections, each with one request in flight. */
  connections: number;
}

/** What one server did under one load, over the measured part of the run. */
export interface Measurement {
  requestsPerSecond: number;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  peakRssMb: number;
  rssMb: number;
  /** Answers other than 2xx, connection errors and timeouts. */
  failed: number;
  /** Events stored during the measured part, or undefined for a server that stores nothing. */
  stored: number | undefined;
}

/**
 * Starts the server fresh, warms it up for {@link WARMUP_SECONDS}, then sends as many requests as
 * it answered in {@link MEASURED_SECONDS} at the warm-up's rate and waits for every answer, so
 * that what it stored can be checked against what it acknowledged, exactly.
 */
export async function measure(target: Target, { batch, connections }: Workload): Promise<Measurement> {
  const server = await target.start();
  try {
    const base = { url: `${server.url}/v1/batch`, connections, headers: HEADERS, body: freshBodies(batch) };
    const warmup = await load({ ...base, until: { seconds: WARMUP_SECONDS } });
    // The warm-up ends with requests dropped in flight that the server may still store: count from here.
    const before = await settledRows(server);
    const requests = Math.max(connections, Math.round((warmup.ok / warmup.seconds) * MEASURED_SECONDS));
    const run = await load({ ...base, until: { requests } });
    const memory = server.memory();
    const after = server.storedRows();
    const stored = before === undefined || after === undefined ? undefined : after - before;
    if (stored !== undefined && stored !== run.ok * batch) {
      throw new Error(
        `${target.name}: ${run.ok} requests × ${batch} events acknowledged, but ${stored} events stored`,
      );
    }
    return {
      requestsPerSecond: run.ok / run.seconds,
      eventsPerSecond: (run.ok * batch) / run.seconds,
      p50: run.p50,
      p99: run.p99,
      peakRssMb: memory.peakMb,
      rssMb: memory.currentMb,
      failed: run.failed,
      stored,
    };
  } finally {
    await server.stop();
  }
}

/** The stored row count once it has stopped changing for a quarter of a second. */
async function settledRows(server: RunningTarget): Promise<number | undefined> {
  let rows = server.storedRows();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = server.storedRows();
    if (now === rows) return rows;
    rows = now;
  }
}

/** The cells every collector table shows for a run: req/s, events/s, p50, p99, peak RSS, non-2xx. */
export function cells(run: Measurement): number[] {
  return [
    Math.round(run.requestsPerSecond),
    Math.round(run.eventsPerSecond),
    Number(run.p50.toFixed(2)),
    Number(run.p99.toFixed(2)),
    Number(run.peakRssMb.toFixed(1)),
    run.failed,
  ];
}

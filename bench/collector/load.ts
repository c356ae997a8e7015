import { createRequire } from 'node:module';

/**
 * The one place that touches autocannon. It is a dependency of bench/ only, which CI's root
 * typecheck does not install, so it is loaded at run time and typed here by the little we use.
 */

/** What one load run sends: POST bodies to one URL over a fixed number of keep-alive connections. */
export interface LoadOptions {
  url: string;
  connections: number;
  headers: Record<string, string>;
  /** The body of each request, called once per request. */
  body: () => string;
  /**
   * Run for a time (requests still in flight at the end are dropped unanswered), or until this many
   * requests were answered, none left in flight.
   */
  until: { seconds: number } | { requests: number };
}

/** What a load run measured; latencies (ms) are of every answer, 2xx or not. */
export interface LoadResult {
  ok: number;
  /** Answers other than 2xx, plus connection errors and timeouts. */
  failed: number;
  /** From the start to the last answer. */
  seconds: number;
  p50: number;
  p99: number;
}

interface AutocannonRequest {
  method: 'POST';
  body?: string;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
}

interface AutocannonOptions {
  url: string;
  connections: number;
  headers: Record<string, string>;
  requests: AutocannonRequest[];
  duration?: number;
  amount?: number;
}

interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
}

interface Tracker {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}

type Autocannon = (
  options: AutocannonOptions,
  done: (error: Error | null, result: AutocannonResult) => void,
) => Tracker;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Runs autocannon in this process and resolves once it has finished. */
export function load(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // autocannon reports its duration only at the next 1 s sample tick, which may come well
    // after the last answer of a run bounded by `amount`; the last answer's time is exact.
    let last = started;
    // autocannon's own percentiles are whole milliseconds, too coarse for a server that answers in 1.
    const latencies: number[] = [];
    const tracker = autocannon(
      {
        url: options.url,
        connections: options.connections,
        headers: options.headers,
        requests: [{ method: 'POST', setupRequest: (request) => ({ ...request, body: options.body() }) }],
        ...('seconds' in options.until
          ? { duration: options.until.seconds }
          : { amount: options.until.requests }),
      },
      (error, result) => {
        if (error) return reject(error);
        latencies.sort((a, b) => a - b);
        resolve({
          ok: result['2xx'],
          failed: result.non2xx + result.errors,
          seconds: (last - started) / 1000,
          p50: percentile(latencies, 0.5),
          p99: percentile(latencies, 0.99),
        });
      },
    );
    tracker.on('response', (_client, _status, _bytes, ms) => {
      last = performance.now();
      latencies.push(ms);
    });
  });
}

/** The q-quantile of sorted values (nearest rank). */
function percentile(values: number[], q: number): number {
  return values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? NaN;
}

import type { Section, Table } from '../lib/report.ts';
import {
  cells,
  type Workload,
  MEASURED_SECONDS,
  type Measurement,
  measure,
  WARMUP_SECONDS,
} from './measure.ts';
import { ourCollector } from './servers.ts';

const BATCH_SIZES = [1, 20, 100, 500];
const CONNECTIONS = [1, 10, 100];
/** The batch-size runs use this many connections, and the connection runs this batch size. */
const FIXED: Workload = { batch: 20, connections: 10 };

/** How our collector's events/s and memory change with batch size and with concurrent connections. */
const costGrowth: Section = async () => {
  // The fixed point is in both tables: it is measured once.
  const runs = new Map<string, Measurement>();
  const run = async (workload: Workload) => {
    const key = `${workload.batch}×${workload.connections}`;
    if (!runs.has(key)) runs.set(key, await measure(ourCollector, workload));
    return runs.get(key)!;
  };
  const bySize: (string | number)[][] = [];
  for (const batch of BATCH_SIZES) bySize.push([batch, ...cells(await run({ ...FIXED, batch }))]);
  const byConnections: (string | number)[][] = [];
  for (const connections of CONNECTIONS)
    byConnections.push([connections, ...cells(await run({ ...FIXED, connections }))]);

  const how = `Our collector (\`node --import tsx collector/src/runtimes/node.ts\`, SQLite sink, no demo, no debugger, per-client rate limit off), started fresh with an empty database for each row; autocannon in the bench process posts realistic sdk-web events with fresh messageIds to 127.0.0.1. Per row: ${WARMUP_SECONDS} s warm-up, then as many requests as it answered in ${MEASURED_SECONDS} s at the warm-up's rate, every answer awaited. The load generator and the collector share the same 2 cores.`;
  const checked =
    'Peak RSS is the collector process’s VmHWM after the run; non-2xx counts other answers, connection errors and timeouts. Each run fails unless the events stored equal 2xx answers × batch size.';
  const headers = ['req/s', 'events/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'non-2xx'];
  return [
    {
      id: 'growth-batch-size',
      title: `Collector cost growth by batch size (${FIXED.connections} connections)`,
      notes: [how, checked],
      headers: ['batch size', ...headers],
      rows: bySize,
    },
    {
      id: 'growth-connections',
      title: `Collector cost growth by concurrent connections (batches of ${FIXED.batch})`,
      notes: [
        how,
        checked,
        `The row for ${FIXED.connections} connections is the same run as batch size ${FIXED.batch} above.`,
      ],
      headers: ['connections', ...headers],
      rows: byConnections,
    },
  ] satisfies Table[];
};

export default costGrowth;

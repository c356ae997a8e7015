import type { Section, Table } from '../lib/report.ts';
import {
  cells,
  type Workload,
  MEASURED_SECONDS,
  type Measurement,
  measure,
  WARMUP_SECONDS,
} from './measure.ts';
import { nullServer, ourCollector, sqliteFloor, trailSchemaFloor } from './servers.ts';

const WORKLOAD: Workload = { batch: 20, connections: 10 };
/** Our collector must keep this percentage of the floor's events/s … */
const TARGET_PERCENT = 70;
/** … in less memory than this. */
const TARGET_RSS_MB = 200;

const mb = (value: number) => `${value.toFixed(1)} MB`;
const verdict = (met: boolean) => (met ? 'yes' : 'no');

/** Collector throughput on Node beside the two baselines, and whether it meets its targets. */
const collectorThroughput: Section = async () => {
  const targets = [nullServer, sqliteFloor, trailSchemaFloor, ourCollector];
  const runs: Measurement[] = [];
  for (const target of targets) runs.push(await measure(target, WORKLOAD));
  const [, floor, schemaFloor, ours] = runs as [Measurement, Measurement, Measurement, Measurement];
  const percent = (ours.eventsPerSecond / floor.eventsPerSecond) * 100;

  const throughput: Table = {
    id: 'collector',
    title: `Collector throughput on Node (batches of ${WORKLOAD.batch} events, ${WORKLOAD.connections} connections)`,
    notes: [
      `autocannon in the bench process posts batches of ${WORKLOAD.batch} realistic sdk-web events (fresh messageIds in every request) to 127.0.0.1 over ${WORKLOAD.connections} keep-alive connections; each server runs in a process of its own, started fresh with an empty database.`,
      `Per server: ${WARMUP_SECONDS} s warm-up, then as many requests as it answered in ${MEASURED_SECONDS} s at the warm-up's rate, every answer awaited; rates are of 2xx answers over that part, latencies of every answer. The load generator and the server share the same 2 cores.`,
      "(a) and (b) are bench/collector/null-server.ts; (b) stores each event with one prepared INSERT OR IGNORE into (message_id UNIQUE, payload JSON), one BEGIN IMMEDIATE transaction per request, WAL and synchronous=NORMAL as our sink; (b′) does the same into the collector's own `events` table (its columns and its timestamp index, which the debugger's insights query). (c) is `collector/src/runtimes/node.ts` with its default SQLite sink, no demo, no debugger, log level warn, per-client rate limit off (the bench is one client). All four run as `node --import tsx`, as `npm start` runs the collector, so tsx's loader thread is in every RSS.",
      'Peak RSS is the server process’s VmHWM after the run. "stored" is the events in the database written during the measured part; the bench fails unless it equals 2xx answers × batch size.',
    ],
    headers: ['server', 'req/s', 'events/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'non-2xx', 'stored'],
    // NaN prints as "–": the null server stores nothing.
    rows: runs.map((run, i) => [targets[i]!.name, ...cells(run), run.stored ?? NaN]),
  };

  const goals: Table = {
    id: 'collector-targets',
    title: 'Collector throughput targets',
    notes: [
      `(c)/(b) is our collector's events/s over the floor's; RSS is our collector's, read from /proc after the run above.`,
    ],
    headers: ['measure', 'measured', 'target', 'met'],
    rows: [
      [
        "(c)/(b′) events/s: the collector's work beside its own table's floor",
        `${Math.round((ours.eventsPerSecond / schemaFloor.eventsPerSecond) * 100)}%`,
        '–',
        '–',
      ],
      [
        '(c)/(b) events/s',
        `${Math.round(percent)}%`,
        `≥ ${TARGET_PERCENT}%`,
        verdict(percent >= TARGET_PERCENT),
      ],
      ['(c) peak RSS', mb(ours.peakRssMb), `< ${TARGET_RSS_MB} MB`, verdict(ours.peakRssMb < TARGET_RSS_MB)],
      ['(c) RSS after the run', mb(ours.rssMb), `< ${TARGET_RSS_MB} MB`, verdict(ours.rssMb < TARGET_RSS_MB)],
    ],
  };
  return [throughput, goals];
};

export default collectorThroughput;

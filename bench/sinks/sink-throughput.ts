import type { StoredEvent } from '../../collector/src/sinks/sink.ts';
import { realisticBatch } from '../lib/events.ts';
import type { Section, Table } from '../lib/report.ts';
import {
  natsFloor,
  natsSink,
  postgresFloor,
  postgresSink,
  redisSink,
  sqliteSink,
  type Target,
} from './targets.ts';

const BATCH = 100;
const SECONDS = 4;
const IN_FLIGHT = [1, 8];

/** Events/s each sink stores, batches of 100, beside the bare driver doing the least. */
const sinkThroughput: Section = async () => {
  const template = storedEvents();
  const rows: (string | number)[][] = [];
  const openers = [postgresSink, postgresFloor, natsSink, natsFloor, redisSink, sqliteSink];
  for (const open of openers) {
    const target = await open();
    try {
      await target.write(fresh(template));
      for (const inFlight of IN_FLIGHT) {
        const run = await measure(target, template, inFlight);
        rows.push([target.name, inFlight, Math.round(run.eventsPerSecond), run.p50, run.p99, run.batches]);
      }
    } finally {
      await target.close();
    }
  }
  const table: Table = {
    id: 'sinks',
    title: 'Sink throughput (batches of 100 events)',
    notes: [
      `Each row writes batches of ${BATCH} realistic events (fresh messageIds) for ${SECONDS} s through the sink's own \`write\`, as the collector calls it, with 1 or 8 writes in flight; a write counts when it resolves, that is when the backend acknowledged it.`,
      'The "bare" rows are the floor: the same driver doing the least idempotent write (Postgres: one multi-row insert of id + JSONB; JetStream: one publish per event with its Msg-Id, every PubAck awaited).',
      'Servers: PostgreSQL, NATS JetStream (file storage) and Redis on 127.0.0.1, default settings, the same 2-core machine as the bench.',
    ],
    headers: ['target', 'writes in flight', 'events/s', 'p50 ms per batch', 'p99 ms per batch', 'batches'],
    rows,
  };
  return [table];
};

export default sinkThroughput;

/** The realistic batch as the collector hands it to sinks: validated, enriched, with a source. */
function storedEvents(): StoredEvent[] {
  const receivedAt = new Date().toISOString();
  return realisticBatch(BATCH).batch.map(
    (event) => ({ ...event, receivedAt, source: 'demo' }) as unknown as StoredEvent,
  );
}

let counter = 0;
/** The template with new messageIds, so no write is a duplicate the backend may skip. */
function fresh(template: StoredEvent[]): StoredEvent[] {
  const batch = ++counter;
  return template.map((event, i) => ({ ...event, messageId: `bench-${process.pid}-${batch}-${i}` }));
}

interface Run {
  eventsPerSecond: number;
  p50: number;
  p99: number;
  batches: number;
}

async function measure(target: Target, template: StoredEvent[], inFlight: number): Promise<Run> {
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const events = fresh(template);
      const t0 = performance.now();
      await target.write(events);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Number(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1));
  return {
    eventsPerSecond: (latencies.length * BATCH) / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    batches: latencies.length,
  };
}

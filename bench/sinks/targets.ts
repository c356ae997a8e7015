import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { createClient } from 'redis';
import { SERVER_SINKS } from '../../collector/src/sinks/from-url.ts';
import type { StoredEvent } from '../../collector/src/sinks/sink.ts';

/** Something that stores a batch of events and resolves once it is durable. */
export interface Target {
  name: string;
  write(events: StoredEvent[]): Promise<void>;
  close(): Promise<void>;
}

const PG = 'postgres://postgres@127.0.0.1:5432/test';
const NATS = '127.0.0.1:4222';
const suffix = () => randomUUID().slice(0, 8);

/** One of our sinks, opened from its URL exactly as the collector opens it. */
async function ourSink(name: string, url: string, cleanup: () => Promise<void>): Promise<Target> {
  const scheme = url.slice(0, url.indexOf(':'));
  const sink = await SERVER_SINKS[scheme]!(url);
  return {
    name,
    write: async (events) => void (await sink.write({ events, failed: [] })),
    close: async () => {
      await sink.close();
      await cleanup();
    },
  };
}

/** trail's Postgres sink, on a table of its own that is dropped afterwards. */
export async function postgresSink(): Promise<Target> {
  const table = `trail_bench_${suffix()}`;
  return ourSink('trail postgres sink', `${PG}?table=${table}`, () =>
    dropTables(`${table}, ${table}_failed, ${table}_identities`),
  );
}

/**
 * The floor for Postgres: the driver alone, one multi-row insert per batch of just the id and the
 * payload, idempotent as ours is. What our sink adds on top is its columns and its identity table.
 */
export async function postgresFloor(): Promise<Target> {
  const table = `trail_bench_floor_${suffix()}`;
  const pool = new pg.Pool({ connectionString: PG, max: 10 });
  await pool.query(`CREATE TABLE ${table} (message_id text PRIMARY KEY, payload jsonb NOT NULL)`);
  return {
    name: 'pg driver, bare insert',
    write: async (events) => {
      await pool.query(
        `INSERT INTO ${table} SELECT * FROM unnest($1::text[], $2::jsonb[]) ON CONFLICT (message_id) DO NOTHING`,
        [events.map((e) => e.messageId), events.map((e) => JSON.stringify(e))],
      );
    },
    close: async () => {
      await pool.end();
      await dropTables(table);
    },
  };
}

async function dropTables(tables: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS ${tables}`);
  await client.end();
}

/** trail's NATS JetStream sink, on a stream of its own that is deleted afterwards. */
export async function natsSink(): Promise<Target> {
  const stream = `TRAIL_BENCH_${suffix()}`;
  return ourSink('trail nats sink', `nats://${NATS}?stream=${stream}&prefix=${stream.toLowerCase()}`, () =>
    deleteStream(stream),
  );
}

/** The floor for JetStream: the client alone publishing each event with its Msg-Id, every PubAck awaited. */
export async function natsFloor(): Promise<Target> {
  const stream = `TRAIL_BENCH_FLOOR_${suffix()}`;
  const subject = stream.toLowerCase();
  const nc = await connect({ servers: [NATS] });
  await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`${subject}.>`] });
  const js = jetstream(nc);
  return {
    name: 'nats client, bare publish',
    write: async (events) => {
      await Promise.all(
        events.map((e) => js.publish(`${subject}.${e.type}`, JSON.stringify(e), { msgID: e.messageId })),
      );
    },
    close: async () => {
      await nc.close();
      await deleteStream(stream);
    },
  };
}

async function deleteStream(stream: string): Promise<void> {
  const nc = await connect({ servers: [NATS] });
  await (await jetstreamManager(nc)).streams.delete(stream);
  await nc.close();
}

/** trail's Redis Streams sink, on a stream key of its own that is deleted afterwards. */
export async function redisSink(): Promise<Target> {
  const stream = `trail:bench:${suffix()}`;
  // The dedup guards expire on their own after the short window; the stream is deleted.
  return ourSink(
    'trail redis sink',
    `redis://127.0.0.1:6379?stream=${stream}&seen_prefix=${stream}:seen:&dedup_window=60`,
    async () => {
      const client = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
      await client.del(stream);
      await client.quit();
    },
  );
}

/** trail's embedded SQLite store, in a temporary folder. */
export async function sqliteSink(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'trail-bench-'));
  return ourSink('trail sqlite store', `sqlite:${join(dir, 'events.db')}`, async () =>
    rmSync(dir, { recursive: true, force: true }),
  );
}

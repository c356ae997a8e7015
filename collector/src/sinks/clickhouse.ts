import { eventsBatchId, failedBatchId } from './batch-id.ts';
import { eventName, intParam } from './fields.ts';
import { answerText, checkParams, discard, fetchFailure, flagParam } from './http-util.ts';
import type { FailedEvent, Sink, SinkContext, StoredEvent } from './sink.ts';

// fetch only (no node: imports), so that this sink runs on edge runtimes such as Workers too.

/** Options of the ClickHouse sink, which talks to ClickHouse's HTTP interface. */
export interface ClickHouseSinkOptions {
  /** Base URL of the HTTP interface, ending in `/`, e.g. `http://127.0.0.1:8123/`. */
  endpoint: string;
  database: string;
  /** Events table; failed events go to `<table>_failed`. */
  table: string;
  /** Sent as `X-ClickHouse-User` / `X-ClickHouse-Key` headers, never in the URL. */
  user?: string;
  password?: string;
  /** Server-side batching (`async_insert=1`), waiting for the flush so that an ack means stored. */
  asyncInsert: boolean;
  /** Create the tables (`CREATE TABLE IF NOT EXISTS`) before the first write. */
  create: boolean;
  /** Timeout of one HTTP request. */
  timeoutMs: number;
}

/** One row of the events table, as a JSONEachRow line. */
export interface ClickHouseEventRow {
  message_id: string;
  type: string;
  event: string | null;
  anonymous_id: string | null;
  user_id: string | null;
  source: string;
  /** DateTime64(3) text, UTC: `YYYY-MM-DD hh:mm:ss.sss`. */
  timestamp: string;
  received_at: string;
  /** JSON text, or null when the event has none. */
  properties: string | null;
  context: string | null;
  traits: string | null;
  /** The whole stored event as JSON text. */
  payload: string;
}

/** One row of the failed-events table. */
export interface ClickHouseFailedRow {
  received_at: string;
  source: string;
  message_id: string | null;
  reason: string;
  payload: string;
}

const OWN_PARAMS = ['database', 'table', 'user', 'password', 'async_insert', 'create', 'timeout_ms'] as const;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,120}$/;
/** Environment variable that overrides the `password` option (it keeps the secret out of the URL). */
export const CLICKHOUSE_PASSWORD_ENV = 'TRAIL_CLICKHOUSE_PASSWORD';

/**
 * Parses `clickhouse://host:8123/?database=default&table=trail_events&user=default&password=…&async_insert=1&create=1`
 * (`clickhouse+https://host:8443/…` for TLS). User and password may also be given as `user:password@host`;
 * `TRAIL_CLICKHOUSE_PASSWORD` in the environment wins over both.
 */
export function parseClickHouseUrl(url: string, context: SinkContext = {}): ClickHouseSinkOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL may hold a password: never echo it.
    throw new Error('clickhouse sink: the URL is not valid (clickhouse://host:8123/?table=…)');
  }
  const scheme = parsed.protocol.slice(0, -1);
  const tls = scheme === 'clickhouse+https';
  if (!tls && scheme !== 'clickhouse' && scheme !== 'clickhouse+http') {
    throw new Error(
      `clickhouse sink: scheme ${scheme} must be clickhouse, clickhouse+http or clickhouse+https`,
    );
  }
  if (!parsed.hostname) throw new Error('clickhouse sink: the URL names no host');
  const params = parsed.searchParams;
  checkParams('clickhouse', params, OWN_PARAMS);
  const database = params.get('database') || 'default';
  const table = params.get('table') || 'trail_events';
  for (const [name, value] of [
    ['database', database],
    ['table', table],
  ] as const) {
    if (!IDENTIFIER.test(value)) {
      throw new Error(`clickhouse sink: ${name} "${value}" must be letters, digits and _`);
    }
  }
  const port = parsed.port || (tls ? '8443' : '8123');
  const path = parsed.pathname.endsWith('/') ? parsed.pathname : `${parsed.pathname}/`;
  const user = params.get('user') || decodeURIComponent(parsed.username) || undefined;
  const password =
    context.env?.[CLICKHOUSE_PASSWORD_ENV] ||
    params.get('password') ||
    decodeURIComponent(parsed.password) ||
    undefined;
  return {
    endpoint: `${tls ? 'https' : 'http'}://${parsed.hostname}:${port}${path}`,
    database,
    table,
    user,
    password,
    asyncInsert: flagParam(params, 'async_insert', false),
    create: flagParam(params, 'create', false),
    timeoutMs: intParam(params, 'timeout_ms', context.timeoutMs ?? 5000),
  };
}

const MIN_DATETIME64 = Date.UTC(1900, 0, 1);
const MAX_DATETIME64 = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

/**
 * ISO 8601 → ClickHouse DateTime64(3) text in UTC (`2024-05-01 12:00:00.000`). DateTime64 holds
 * 1900–2299; an event dated outside is clamped (its payload keeps the original) rather than failing
 * its whole batch on every retry.
 */
export function clickhouseDateTime(iso: string): string {
  const ms = Date.parse(iso);
  const clamped = Number.isNaN(ms) ? MIN_DATETIME64 : Math.min(Math.max(ms, MIN_DATETIME64), MAX_DATETIME64);
  return new Date(clamped).toISOString().slice(0, 23).replace('T', ' ');
}

const jsonOrNull = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/** The events-table row of a stored event; `event` is named as in every other sink. */
export function clickhouseEventRow(e: StoredEvent): ClickHouseEventRow {
  return {
    message_id: e.messageId,
    type: e.type,
    event: eventName(e),
    anonymous_id: e.anonymousId ?? null,
    user_id: e.userId ?? null,
    source: e.source,
    timestamp: clickhouseDateTime(e.timestamp),
    received_at: clickhouseDateTime(e.receivedAt),
    properties: jsonOrNull('properties' in e ? e.properties : undefined),
    context: jsonOrNull(e.context),
    traits: jsonOrNull('traits' in e ? e.traits : undefined),
    payload: JSON.stringify(e),
  };
}

/** The failed-table row of a refused event. */
export function clickhouseFailedRow(f: FailedEvent): ClickHouseFailedRow {
  return {
    received_at: clickhouseDateTime(f.receivedAt),
    source: f.source,
    message_id: f.messageId ?? null,
    reason: f.reason,
    payload: f.payload,
  };
}

const quote = (name: string) => `\`${name}\``;

/**
 * The recommended tables (also in the README). ReplacingMergeTree ordered by (source, message_id)
 * merges away rows a source stored twice under different dedup tokens; the dedup token drops a retried INSERT
 * before it is written. Plain (non-replicated) MergeTree tables only remember tokens with
 * `non_replicated_deduplication_window` set; Replicated tables do by default.
 */
export function clickhouseSchema(database: string, table: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${quote(database)}.${quote(table)}
(
    message_id   String,
    type         LowCardinality(String),
    event        String,
    anonymous_id String,
    user_id      String,
    source       LowCardinality(String),
    timestamp    DateTime64(3, 'UTC'),
    received_at  DateTime64(3, 'UTC'),
    properties   String,
    context      String,
    traits       String,
    payload      String
)
ENGINE = ReplacingMergeTree
ORDER BY (source, message_id)
SETTINGS non_replicated_deduplication_window = 1000`,
    `CREATE TABLE IF NOT EXISTS ${quote(database)}.${quote(`${table}_failed`)}
(
    received_at DateTime64(3, 'UTC'),
    source      LowCardinality(String),
    message_id  String,
    reason      String,
    payload     String
)
ENGINE = MergeTree
ORDER BY (received_at)
SETTINGS non_replicated_deduplication_window = 1000`,
  ];
}

/** Rows as JSONEachRow: one JSON object per line. */
const ndjson = (rows: readonly object[]) => rows.map((row) => `${JSON.stringify(row)}\n`).join('');

/**
 * Stores events in ClickHouse over its HTTP interface, one INSERT … FORMAT JSONEachRow per batch.
 * Each INSERT carries `insert_deduplication_token` = the hash of the batch's sources and messageIds,
 * so a client's retry of a batch whose ack was lost is dropped by the server; ReplacingMergeTree on
 * (source, message_id) catches the rest (an event resent inside another batch) at merge time.
 */
export function clickhouseSink(options: ClickHouseSinkOptions): Sink {
  const headers: Record<string, string> = {};
  if (options.user) headers['X-ClickHouse-User'] = options.user;
  if (options.password) headers['X-ClickHouse-Key'] = options.password;
  const target = `${quote(options.database)}.${quote(options.table)}`;
  const failedTarget = `${quote(options.database)}.${quote(`${options.table}_failed`)}`;

  const request = async (
    settings: Record<string, string>,
    body: string,
    contentType: string,
    what: string,
  ): Promise<void> => {
    const url = `${options.endpoint}?${new URLSearchParams(settings).toString()}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': contentType },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw new Error(`clickhouse ${what}: ${fetchFailure(error, options.timeoutMs)}`, { cause: error });
    }
    if (!res.ok) throw new Error(`clickhouse ${what}: HTTP ${res.status}: ${await answerText(res)}`);
    await discard(res);
  };

  const insert = async (into: string, rows: readonly object[], token: string): Promise<void> => {
    const settings: Record<string, string> = {
      query: `INSERT INTO ${into} FORMAT JSONEachRow`,
      insert_deduplicate: '1',
      insert_deduplication_token: token,
      // Absent values are sent as null; a String column stores '' for them, a Nullable one NULL.
      input_format_null_as_default: '1',
    };
    if (options.asyncInsert) {
      settings.async_insert = '1';
      settings.wait_for_async_insert = '1';
      settings.async_insert_deduplicate = '1';
    }
    await request(settings, ndjson(rows), 'application/x-ndjson', `insert into ${into}`);
  };

  let created: Promise<void> | undefined;
  const ensureTables = (): Promise<void> => {
    if (!options.create) return Promise.resolve();
    created ??= (async () => {
      for (const ddl of clickhouseSchema(options.database, options.table)) {
        await request({}, ddl, 'text/plain; charset=utf-8', 'create table');
      }
    })().catch((error: unknown) => {
      created = undefined; // try again on the next write
      throw error;
    });
    return created;
  };

  return {
    name: 'clickhouse',
    async write(batch) {
      await ensureTables();
      const work: Promise<void>[] = [];
      if (batch.events.length > 0) {
        const token = await eventsBatchId(batch.events);
        work.push(insert(target, batch.events.map(clickhouseEventRow), token));
      }
      if (batch.failed.length > 0) {
        const token = await failedBatchId(batch.failed);
        work.push(insert(failedTarget, batch.failed.map(clickhouseFailedRow), token));
      }
      await Promise.all(work);
      // ClickHouse does not say which rows were duplicates: the collector's own count stands.
      return undefined;
    },
    async ready() {
      try {
        const res = await fetch(`${options.endpoint}ping`, {
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        return res.ok && (await res.text()).trim() === 'Ok.';
      } catch {
        return false;
      }
    },
    async close() {
      // fetch keeps no connection of ours open.
    },
  };
}

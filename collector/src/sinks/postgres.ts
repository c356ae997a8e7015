import pg from 'pg';
import { eventName, identityLink, intParam, UNATTRIBUTED_SOURCE, withoutParams } from './fields.ts';
import type { Sink, SinkBatch, StoredEvent } from './sink.ts';

/** Options of the PostgreSQL sink. */
export interface PostgresSinkOptions {
  /** libpq-style connection URL, without trail's own options. */
  connectionString: string;
  /** Events table, optionally schema-qualified; `<table>_failed` and `<table>_identities` sit beside it. */
  table: string;
  /** Most connections the sink opens at once. */
  poolSize: number;
  /** How long a write waits for a connection before it fails. */
  connectTimeoutMs: number;
  /** How long one statement may run (server `statement_timeout` and client `query_timeout`). */
  timeoutMs: number;
}

const OWN_PARAMS = ['table', 'pool_size', 'connect_timeout_ms', 'timeout_ms'] as const;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,50}$/;

/** Parses `postgres://user@host:5432/db?table=trail_events&pool_size=10&timeout_ms=5000`. */
export function parsePostgresUrl(url: string): PostgresSinkOptions {
  const parsed = new URL(url);
  const params = parsed.searchParams;
  const table = params.get('table') || 'trail_events';
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new Error(`postgres sink: table "${table}" must be [schema.]name of letters, digits and _`);
  }
  return {
    connectionString: withoutParams(parsed, OWN_PARAMS),
    table,
    poolSize: intParam(params, 'pool_size', 10),
    connectTimeoutMs: intParam(params, 'connect_timeout_ms', 2000),
    timeoutMs: intParam(params, 'timeout_ms', 5000),
  };
}

/** Quotes a possibly schema-qualified name, with a suffix on the table part. */
function quoted(table: string, suffix = ''): string {
  const parts = table.split('.');
  parts[parts.length - 1] += suffix;
  return parts.map((part) => `"${part}"`).join('.');
}

function schemaSql(table: string): string {
  const events = quoted(table);
  const identities = quoted(table, '_identities');
  const bare = (suffix: string) => `"${table.split('.').pop()}${suffix}"`;
  return `
SELECT pg_advisory_xact_lock(hashtext('trail:schema'));
CREATE TABLE IF NOT EXISTS ${events} (
  message_id   text NOT NULL,
  type         text NOT NULL,
  event        text,
  anonymous_id text,
  user_id      text,
  source       text NOT NULL,
  "timestamp"  timestamptz NOT NULL,
  received_at  timestamptz NOT NULL,
  properties   jsonb,
  traits       jsonb,
  context      jsonb,
  payload      jsonb NOT NULL,
  PRIMARY KEY (source, message_id)
);
-- A table from before per-source dedup has message_id alone as its key: one source's id would
-- suppress another's event. Its key becomes (source, message_id); the rows stay.
DO $$
DECLARE old_key text;
BEGIN
  SELECT conname INTO old_key FROM pg_constraint
  WHERE conrelid = '${events}'::regclass AND contype = 'p' AND cardinality(conkey) = 1;
  IF old_key IS NOT NULL THEN
    EXECUTE format('ALTER TABLE ${events} DROP CONSTRAINT %I, ADD PRIMARY KEY (source, message_id)', old_key);
  END IF;
END $$;
CREATE INDEX IF NOT EXISTS ${bare('_timestamp')} ON ${events} ("timestamp");
CREATE INDEX IF NOT EXISTS ${bare('_event')} ON ${events} (event, "timestamp");
CREATE TABLE IF NOT EXISTS ${quoted(table, '_failed')} (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at timestamptz NOT NULL,
  source      text NOT NULL,
  message_id  text,
  reason      text NOT NULL,
  payload     text NOT NULL
);
CREATE TABLE IF NOT EXISTS ${identities} (
  source       text NOT NULL,
  anonymous_id text NOT NULL,
  user_id      text NOT NULL,
  first_seen   timestamptz NOT NULL,
  last_seen    timestamptz NOT NULL,
  PRIMARY KEY (source, anonymous_id, user_id)
);
-- A table from before links belonged to a source let any source move or extend another's links.
-- Each old link goes to every source whose stored identify or alias event made it, with the times
-- of that source's events; a link no stored event explains keeps its times, under a placeholder.
DO $$
DECLARE old_key text;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_attribute
                 WHERE attrelid = '${identities}'::regclass AND attname = 'source' AND NOT attisdropped) THEN
    SELECT conname INTO old_key FROM pg_constraint WHERE conrelid = '${identities}'::regclass AND contype = 'p';
    IF old_key IS NOT NULL THEN
      EXECUTE format('ALTER TABLE ${identities} DROP CONSTRAINT %I', old_key);
    END IF;
    ALTER TABLE ${identities} ADD COLUMN source text;
    INSERT INTO ${identities} (source, anonymous_id, user_id, first_seen, last_seen)
      SELECT e.source, e.anonymous_id, e.user_id, min(e.ts), max(e.ts)
      FROM (SELECT source, user_id, "timestamp" AS ts,
                   CASE type WHEN 'identify' THEN anonymous_id ELSE payload ->> 'previousId' END AS anonymous_id
            FROM ${events} WHERE type IN ('identify', 'alias')) AS e
      JOIN ${identities} AS l ON l.source IS NULL AND l.anonymous_id = e.anonymous_id AND l.user_id = e.user_id
      GROUP BY e.source, e.anonymous_id, e.user_id;
    DELETE FROM ${identities} AS l WHERE l.source IS NULL AND EXISTS (
      SELECT FROM ${identities} AS s
      WHERE s.source IS NOT NULL AND s.anonymous_id = l.anonymous_id AND s.user_id = l.user_id);
    UPDATE ${identities} SET source = '${UNATTRIBUTED_SOURCE}' WHERE source IS NULL;
    ALTER TABLE ${identities} ALTER COLUMN source SET NOT NULL,
      ADD PRIMARY KEY (source, anonymous_id, user_id);
  END IF;
END $$;`;
}

/**
 * One statement stores a whole batch, so events, failed events and identity links commit together
 * or not at all. Identity links are made only for events this statement inserted, as in SQLite, and
 * belong to the event's source.
 */
function insertSql(table: string): string {
  return `
WITH inserted AS (
  INSERT INTO ${quoted(table)} AS e
    (message_id, type, event, anonymous_id, user_id, source, "timestamp", received_at,
     properties, traits, context, payload)
  SELECT t.message_id, t.type, t.event, t.anonymous_id, t.user_id, t.source, t.ts, t.received_at,
         t.payload -> 'properties', t.payload -> 'traits', t.payload -> 'context', t.payload
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
              $7::timestamptz[], $8::timestamptz[], $9::jsonb[])
    AS t(message_id, type, event, anonymous_id, user_id, source, ts, received_at, payload)
  ON CONFLICT (source, message_id) DO NOTHING
  RETURNING e.source, e.message_id
), failed AS (
  INSERT INTO ${quoted(table, '_failed')} (received_at, source, message_id, reason, payload)
  SELECT * FROM unnest($10::timestamptz[], $11::text[], $12::text[], $13::text[], $14::text[])
), links AS (
  INSERT INTO ${quoted(table, '_identities')} AS i (source, anonymous_id, user_id, first_seen, last_seen)
  SELECT l.source, l.anonymous_id, l.user_id, min(l.ts), max(l.ts)
  FROM unnest($15::text[], $16::text[], $17::text[], $18::text[], $19::timestamptz[])
    AS l(source, message_id, anonymous_id, user_id, ts)
  JOIN inserted USING (source, message_id)
  GROUP BY l.source, l.anonymous_id, l.user_id
  ON CONFLICT (source, anonymous_id, user_id) DO UPDATE
    SET first_seen = LEAST(i.first_seen, excluded.first_seen),
        last_seen = GREATEST(i.last_seen, excluded.last_seen)
)
SELECT count(*)::int AS inserted FROM inserted`;
}

/** PostgreSQL text cannot hold NUL; the client already turns lone surrogates into U+FFFD. */
function text(value: string): string;
function text(value: string | null | undefined): string | null;
function text(value: string | null | undefined): string | null {
  return value == null ? null : value.replaceAll('\0', '\uFFFD');
}

/**
 * JSON text that jsonb accepts: JSON.stringify writes NUL and lone surrogates as \u escapes, which
 * jsonb refuses; they become U+FFFD. Escaped backslashes are matched first so `\\u0000` stays.
 */
const JSONB_UNSAFE = /\\(?:\\|u0000|u[dD][89a-fA-F][0-9a-fA-F]{2})/g;
export function jsonbText(value: unknown): string {
  return JSON.stringify(value).replace(JSONB_UNSAFE, (escape) => (escape === '\\\\' ? escape : '\\ufffd'));
}

/**
 * timestamptz takes 4-digit years only in ISO form; the rare event dated beyond year 9999 (or
 * before year 1) is clamped to ±infinity rather than failing its whole batch on every retry.
 */
function timestamptz(iso: string): string {
  if (/^\d{4}-/.test(iso) && !iso.startsWith('0000')) return iso;
  return Date.parse(iso) > 0 ? 'infinity' : '-infinity';
}

/** The statement's parameters: one array per column. */
function parameters(batch: SinkBatch): unknown[] {
  const events = batch.events;
  const links = events.flatMap((e) => {
    const link = identityLink(e);
    return link ? [{ e, link }] : [];
  });
  const column = <T>(pick: (e: StoredEvent) => T) => events.map(pick);
  return [
    column((e) => text(e.messageId)),
    column((e) => e.type),
    column((e) => text(eventName(e))),
    column((e) => text(e.anonymousId)),
    column((e) => text(e.userId)),
    column((e) => text(e.source)),
    column((e) => timestamptz(e.timestamp)),
    column((e) => timestamptz(e.receivedAt)),
    column((e) => jsonbText(e)),
    batch.failed.map((f) => timestamptz(f.receivedAt)),
    batch.failed.map((f) => text(f.source)),
    batch.failed.map((f) => text(f.messageId)),
    batch.failed.map((f) => text(f.reason)),
    batch.failed.map((f) => text(f.payload)),
    links.map(({ e }) => text(e.source)),
    links.map(({ e }) => text(e.messageId)),
    links.map(({ link }) => text(link[0])),
    links.map(({ link }) => text(link[1])),
    links.map(({ e }) => timestamptz(e.timestamp)),
  ];
}

/**
 * Stores events in PostgreSQL: one table row per event (`(source, message_id)` is the primary key,
 * so a retried batch inserts nothing twice), failed events and identity links beside them.
 */
export async function postgresSink(options: PostgresSinkOptions): Promise<Sink & { readonly pool: pg.Pool }> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    query_timeout: options.timeoutMs,
    statement_timeout: options.timeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'trail-collector',
  });
  // A pooled connection that drops while idle is discarded; without a listener it would crash us.
  pool.on('error', () => {});
  try {
    await pool.query(schemaSql(options.table));
  } catch (error) {
    await pool.end();
    throw error;
  }
  const insert = insertSql(options.table);
  let closed: Promise<void> | undefined;
  return {
    name: 'postgres',
    pool,
    async write(batch) {
      const result = await pool.query<{ inserted: number }>(insert, parameters(batch));
      return { duplicates: batch.events.length - (result.rows[0]?.inserted ?? 0) };
    },
    async ready() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      closed ??= pool.end();
      await closed;
    },
  };
}

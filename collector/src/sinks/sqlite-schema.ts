import { eventName, identityLink } from './fields.ts';
import type { FailedEvent, StoredEvent } from './sink.ts';

/**
 * The SQLite store's tables and statements, shared by every driver that writes them: better-sqlite3
 * (Node), bun:sqlite (Bun), node:sqlite (Deno) and D1 (Cloudflare Workers). Runtime-free: no driver
 * and no `node:` module is imported here, so the Workers build can use it.
 */

/** A value every one of those drivers binds the same way. */
export type SqlValue = string | number | null;

/** What makes an event a duplicate: the same messageId from the same source. */
const SOURCE_KEY = 'UNIQUE (source, message_id)';

/** The events table, as created by {@link SQLITE_SCHEMA} and by {@link REKEY_EVENTS}. */
const eventsTable = (name: string) => `CREATE TABLE IF NOT EXISTS ${name} (
  message_id   TEXT NOT NULL,
  type         TEXT NOT NULL,
  event        TEXT,
  anonymous_id TEXT,
  user_id      TEXT,
  source       TEXT NOT NULL,
  timestamp    TEXT NOT NULL,
  received_at  TEXT NOT NULL,
  payload      TEXT NOT NULL,
  ${SOURCE_KEY}
)`;

/** One statement per entry, because D1 prepares statements one at a time. */
export const SQLITE_SCHEMA: readonly string[] = [
  eventsTable('events'),
  // One index beside (source, message_id)'s: every insight reads a time window. Each index adds
  // dirty pages to every batch's commit, the largest cost of storing (see `npm run bench`, row b′),
  // so the per-event insights scan the window instead of having an (event, timestamp) index.
  'CREATE INDEX IF NOT EXISTS events_timestamp ON events (timestamp)',
  `CREATE TABLE IF NOT EXISTS failed_events (
  id          INTEGER PRIMARY KEY,
  received_at TEXT NOT NULL,
  source      TEXT NOT NULL,
  message_id  TEXT,
  reason      TEXT NOT NULL,
  payload     TEXT NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS identities (
  anonymous_id TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  first_seen   TEXT NOT NULL,
  last_seen    TEXT NOT NULL,
  PRIMARY KEY (anonymous_id, user_id)
)`,
];

/** Reads the events table's definition, to tell whether {@link REKEY_EVENTS} must run. */
export const EVENTS_TABLE_SQL = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'";

/**
 * Whether an events table (its `sql` in sqlite_master) predates per-source dedup: it was created
 * with `message_id` unique on its own, so one source's id would suppress another's event.
 */
export function needsRekey(sql: unknown): boolean {
  return typeof sql === 'string' && !sql.includes(SOURCE_KEY);
}

const COLUMNS = 'message_id, type, event, anonymous_id, user_id, source, timestamp, received_at, payload';

/**
 * Rebuilds an events table made before dedup was per source, keeping every row: SQLite cannot
 * change a constraint in place. Run in one transaction, followed by {@link SQLITE_SCHEMA}, which
 * recreates the timestamp index the DROP took along.
 */
export const REKEY_EVENTS: readonly string[] = [
  eventsTable('events_rekeyed'),
  `INSERT INTO events_rekeyed (${COLUMNS}) SELECT ${COLUMNS} FROM events`,
  'DROP TABLE events',
  'ALTER TABLE events_rekeyed RENAME TO events',
];

/** The whole schema as one script, for drivers with `exec`. */
export const SQLITE_SCHEMA_SCRIPT = SQLITE_SCHEMA.map((statement) => `${statement};`).join('\n');

/** Stores an event unless its source already stored its messageId; `changes` is 0 for a duplicate. */
export const INSERT_EVENT = `INSERT OR IGNORE INTO events
  (message_id, type, event, anonymous_id, user_id, source, timestamp, received_at, payload)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export const INSERT_FAILED =
  'INSERT INTO failed_events (received_at, source, message_id, reason, payload) VALUES (?, ?, ?, ?, ?)';

/** Links an anonymous id to a user id; run only for an event that was just inserted. */
export const LINK_IDENTITY = `INSERT INTO identities (anonymous_id, user_id, first_seen, last_seen)
VALUES (?, ?, ?, ?)
ON CONFLICT (anonymous_id, user_id) DO UPDATE SET last_seen = excluded.last_seen`;

/**
 * {@link LINK_IDENTITY} for drivers that cannot branch between the statements of a transaction (a
 * D1 batch): placed right after the event's INSERT, it links only when that INSERT stored a row.
 * (`WHERE` is also what lets SQLite parse an upsert on a `SELECT`.)
 */
export const LINK_IDENTITY_IF_INSERTED = `INSERT INTO identities (anonymous_id, user_id, first_seen, last_seen)
SELECT ?, ?, ?, ? WHERE changes() = 1
ON CONFLICT (anonymous_id, user_id) DO UPDATE SET last_seen = excluded.last_seen`;

/** The values of {@link INSERT_EVENT} for one event. */
export function eventRow(e: StoredEvent): SqlValue[] {
  return [
    e.messageId,
    e.type,
    eventName(e),
    e.anonymousId ?? null,
    e.userId ?? null,
    e.source,
    e.timestamp,
    e.receivedAt,
    JSON.stringify(e),
  ];
}

/** The values of {@link INSERT_FAILED} for one refused event. */
export function failedRow(f: FailedEvent): SqlValue[] {
  return [f.receivedAt, f.source, f.messageId ?? null, f.reason, f.payload];
}

/** The values of {@link LINK_IDENTITY} for an identify or alias event, if it links anything. */
export function identityRow(e: StoredEvent): SqlValue[] | undefined {
  const link = identityLink(e);
  return link ? [link[0], link[1], e.timestamp, e.timestamp] : undefined;
}

/** Options of the embedded SQLite store, whichever driver opens it. */
export interface SqliteSinkOptions {
  /** File path, or `:memory:`. */
  path: string;
  /** How long a write waits, in all, for a lock held by another process before failing. */
  busyTimeoutMs?: number;
}

/** Parses `sqlite:./data/events.db?busy_timeout=200` into options. */
export function parseSqliteUrl(url: string): SqliteSinkOptions {
  const [path = '', query = ''] = url.replace(/^sqlite:(\/\/)?/, '').split('?');
  const busy = new URLSearchParams(query).get('busy_timeout');
  return { path: path || './data/events.db', busyTimeoutMs: busy ? Number(busy) : undefined };
}

import { eventName, identityLink, UNATTRIBUTED_SOURCE } from './fields.ts';
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

/** The events table, as created by {@link SQLITE_SCHEMA} and by the rebuild for per-source dedup. */
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

/** What makes an identity link: each source has its own, so one source cannot touch another's. */
const IDENTITY_KEY = 'PRIMARY KEY (source, anonymous_id, user_id)';

/** The identities table, as created by {@link SQLITE_SCHEMA} and by the upgrade to per-source links. */
const identitiesTable = (name: string) => `CREATE TABLE IF NOT EXISTS ${name} (
  source       TEXT NOT NULL,
  anonymous_id TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  first_seen   TEXT NOT NULL,
  last_seen    TEXT NOT NULL,
  ${IDENTITY_KEY}
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
  identitiesTable('identities'),
];

/**
 * Reads the definitions of the tables an earlier version may have made differently, as one row
 * (`first()` is all a D1 statement needs to answer), for {@link schemaStatements}.
 */
export const TABLES_SQL = `SELECT
  (SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events') AS events,
  (SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'identities') AS identities`;

const COLUMNS = 'message_id, type, event, anonymous_id, user_id, source, timestamp, received_at, payload';

/**
 * Rebuilds an events table made before dedup was per source (`message_id` unique on its own, so
 * one source's id would suppress another's event), keeping every row: SQLite cannot change a
 * constraint in place. {@link SQLITE_SCHEMA} then recreates the timestamp index the DROP took along.
 */
const REKEY_EVENTS: readonly string[] = [
  eventsTable('events_rekeyed'),
  `INSERT INTO events_rekeyed (${COLUMNS}) SELECT ${COLUMNS} FROM events`,
  'DROP TABLE events',
  'ALTER TABLE events_rekeyed RENAME TO events',
];

/**
 * Rebuilds an identities table made before links belonged to a source, where any source could move
 * or extend another's links. Each old link goes to every source whose stored identify or alias
 * event made it, with the times of that source's events; a link no stored event explains keeps
 * its times under {@link UNATTRIBUTED_SOURCE}. Runs after {@link REKEY_EVENTS}, which it reads.
 */
const SOURCE_IDENTITIES: readonly string[] = [
  identitiesTable('identities_sourced'),
  `INSERT INTO identities_sourced (source, anonymous_id, user_id, first_seen, last_seen)
SELECT e.source, e.anonymous_id, e.user_id, MIN(e.timestamp), MAX(e.timestamp)
FROM (
  SELECT source, user_id, timestamp,
    CASE WHEN type = 'identify' THEN anonymous_id
         WHEN json_valid(payload) THEN json_extract(payload, '$.previousId') END AS anonymous_id
  FROM events WHERE type IN ('identify', 'alias')
) AS e
JOIN identities AS l ON l.anonymous_id = e.anonymous_id AND l.user_id = e.user_id
GROUP BY e.source, e.anonymous_id, e.user_id`,
  `INSERT INTO identities_sourced (source, anonymous_id, user_id, first_seen, last_seen)
SELECT '${UNATTRIBUTED_SOURCE}', anonymous_id, user_id, first_seen, last_seen FROM identities
WHERE (anonymous_id, user_id) NOT IN (SELECT anonymous_id, user_id FROM identities_sourced)`,
  'DROP TABLE identities',
  'ALTER TABLE identities_sourced RENAME TO identities',
];

/** Whether a table's definition (its `sql` in sqlite_master) exists and lacks `key`. */
const madeWithout = (sql: unknown, key: string): boolean => typeof sql === 'string' && !sql.includes(key);

/**
 * Every statement that brings the store to the current schema, given the row {@link TABLES_SQL}
 * read: first the rebuild of each table an earlier version made differently, keeping its rows,
 * then {@link SQLITE_SCHEMA}. Run them in one transaction.
 */
export function schemaStatements(tables: unknown): readonly string[] {
  const found = (tables ?? {}) as { events?: unknown; identities?: unknown };
  return [
    ...(madeWithout(found.events, SOURCE_KEY) ? REKEY_EVENTS : []),
    ...(madeWithout(found.identities, IDENTITY_KEY) ? SOURCE_IDENTITIES : []),
    ...SQLITE_SCHEMA,
  ];
}

/** The current schema as one script, for a new database opened by a driver with `exec`. */
export const SQLITE_SCHEMA_SCRIPT = SQLITE_SCHEMA.map((statement) => `${statement};`).join('\n');

/** Stores an event unless its source already stored its messageId; `changes` is 0 for a duplicate. */
export const INSERT_EVENT = `INSERT OR IGNORE INTO events
  (message_id, type, event, anonymous_id, user_id, source, timestamp, received_at, payload)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export const INSERT_FAILED =
  'INSERT INTO failed_events (received_at, source, message_id, reason, payload) VALUES (?, ?, ?, ?, ?)';

/** Times of a link only ever widen: an event dated earlier cannot move `last_seen` back. */
const WIDEN_LINK = `ON CONFLICT (source, anonymous_id, user_id) DO UPDATE SET
  first_seen = MIN(first_seen, excluded.first_seen),
  last_seen = MAX(last_seen, excluded.last_seen)`;

/** Links an anonymous id to a user id for a source; run only for an event that was just inserted. */
export const LINK_IDENTITY = `INSERT INTO identities (source, anonymous_id, user_id, first_seen, last_seen)
VALUES (?, ?, ?, ?, ?)
${WIDEN_LINK}`;

/**
 * {@link LINK_IDENTITY} for drivers that cannot branch between the statements of a transaction (a
 * D1 batch): placed right after the event's INSERT, it links only when that INSERT stored a row.
 * (`WHERE` is also what lets SQLite parse an upsert on a `SELECT`.)
 */
export const LINK_IDENTITY_IF_INSERTED = `INSERT INTO identities (source, anonymous_id, user_id, first_seen, last_seen)
SELECT ?, ?, ?, ?, ? WHERE changes() = 1
${WIDEN_LINK}`;

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
  return link ? [e.source, link[0], link[1], e.timestamp, e.timestamp] : undefined;
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

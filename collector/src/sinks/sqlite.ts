import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Sink, SinkBatch, StoredEvent } from './sink.ts';

/** Options of the embedded SQLite store. */
export interface SqliteSinkOptions {
  /** File path, or `:memory:`. */
  path: string;
  /** How long a write waits for a lock held by another process before failing. */
  busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  message_id   TEXT NOT NULL UNIQUE,
  type         TEXT NOT NULL,
  event        TEXT,
  anonymous_id TEXT,
  user_id      TEXT,
  source       TEXT NOT NULL,
  timestamp    TEXT NOT NULL,
  received_at  TEXT NOT NULL,
  payload      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_timestamp ON events (timestamp);
CREATE INDEX IF NOT EXISTS events_event ON events (event, timestamp);
CREATE TABLE IF NOT EXISTS failed_events (
  id          INTEGER PRIMARY KEY,
  received_at TEXT NOT NULL,
  source      TEXT NOT NULL,
  message_id  TEXT,
  reason      TEXT NOT NULL,
  payload     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS identities (
  anonymous_id TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  first_seen   TEXT NOT NULL,
  last_seen    TEXT NOT NULL,
  PRIMARY KEY (anonymous_id, user_id)
);
`;

/** The name an event is known by in the `event` column: track name, page or screen name. */
function eventName(event: StoredEvent): string | null {
  if (event.type === 'track') return event.event;
  if (event.type === 'page' || event.type === 'screen') return event.name ?? null;
  return null;
}

/** The anonymous → known pair an identify or alias event establishes, if any. */
function identityLink(event: StoredEvent): [string, string] | undefined {
  if (event.type === 'alias' && event.userId) return [event.previousId, event.userId];
  if (event.type === 'identify' && event.anonymousId && event.userId)
    return [event.anonymousId, event.userId];
  return undefined;
}

/** Parses `sqlite:./data/events.db?busy_timeout=200` into options. */
export function parseSqliteUrl(url: string): SqliteSinkOptions {
  const [path = '', query = ''] = url.replace(/^sqlite:(\/\/)?/, '').split('?');
  const busy = new URLSearchParams(query).get('busy_timeout');
  return { path: path || './data/events.db', busyTimeoutMs: busy ? Number(busy) : undefined };
}

/**
 * The embedded default store: one SQLite file in WAL mode. Each batch is one transaction, so
 * events, failed events and identity links are stored together or not at all.
 */
export function sqliteSink(options: SqliteSinkOptions): Sink & { readonly db: Database.Database } {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash; only an OS crash may lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  const insertEvent = db.prepare(
    `INSERT OR IGNORE INTO events
       (message_id, type, event, anonymous_id, user_id, source, timestamp, received_at, payload)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertFailed = db.prepare(
    'INSERT INTO failed_events (received_at, source, message_id, reason, payload) VALUES (?, ?, ?, ?, ?)',
  );
  const linkIdentity = db.prepare(
    `INSERT INTO identities (anonymous_id, user_id, first_seen, last_seen) VALUES (?, ?, ?, ?)
     ON CONFLICT (anonymous_id, user_id) DO UPDATE SET last_seen = excluded.last_seen`,
  );
  const store = db.transaction((batch: SinkBatch): number => {
    let duplicates = 0;
    for (const e of batch.events) {
      const { changes } = insertEvent.run(
        e.messageId,
        e.type,
        eventName(e),
        e.anonymousId ?? null,
        e.userId ?? null,
        e.source,
        e.timestamp,
        e.receivedAt,
        JSON.stringify(e),
      );
      if (changes === 0) {
        duplicates++;
        continue;
      }
      const link = identityLink(e);
      if (link) linkIdentity.run(link[0], link[1], e.timestamp, e.timestamp);
    }
    for (const f of batch.failed)
      insertFailed.run(f.receivedAt, f.source, f.messageId ?? null, f.reason, f.payload);
    return duplicates;
  });
  return {
    name: 'sqlite',
    db,
    async write(batch) {
      return { duplicates: store.immediate(batch) };
    },
    async ready() {
      return db.open && db.prepare('SELECT 1 AS ok').get() !== undefined;
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

import type { Sink, SinkBatch } from './sink.ts';
import {
  eventRow,
  failedRow,
  identityRow,
  INSERT_EVENT,
  INSERT_FAILED,
  LINK_IDENTITY,
  type SqlValue,
  SQLITE_SCHEMA_SCRIPT,
} from './sqlite-schema.ts';

/** A prepared statement of a synchronous SQLite driver (bun:sqlite, node:sqlite). */
export interface SyncStatement {
  run(...params: SqlValue[]): { changes: number | bigint };
  get(...params: SqlValue[]): unknown;
}

/** What the store needs of a synchronous SQLite driver; bun:sqlite and node:sqlite both fit. */
export interface SyncDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): SyncStatement;
  close(): unknown;
}

/**
 * The embedded SQLite store over a synchronous driver other than better-sqlite3: the same file
 * layout, schema and semantics as `sqlite.ts` (WAL, one IMMEDIATE transaction per batch, duplicates
 * counted by `changes`). Nothing can interleave with a synchronous transaction in one JS thread.
 */
export function syncSqliteSink(db: SyncDatabase, busyTimeoutMs = 5000): Sink {
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash; only an OS crash may lose the last commits.
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec(SQLITE_SCHEMA_SCRIPT);
  const insertEvent = db.prepare(INSERT_EVENT);
  const insertFailed = db.prepare(INSERT_FAILED);
  const linkIdentity = db.prepare(LINK_IDENTITY);
  let open = true;
  const store = (batch: SinkBatch): number => {
    let duplicates = 0;
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const e of batch.events) {
        if (Number(insertEvent.run(...eventRow(e)).changes) === 0) {
          duplicates++;
          continue;
        }
        const link = identityRow(e);
        if (link) linkIdentity.run(...link);
      }
      for (const f of batch.failed) insertFailed.run(...failedRow(f));
      db.exec('COMMIT');
    } catch (error) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // BEGIN itself failed (e.g. the database is locked): there is nothing to roll back.
      }
      throw error;
    }
    return duplicates;
  };
  return {
    name: 'sqlite',
    async write(batch) {
      return { duplicates: store(batch) };
    },
    async ready() {
      return open && db.prepare('SELECT 1 AS ok').get() !== undefined;
    },
    async close() {
      if (open) db.close();
      open = false;
    },
  };
}

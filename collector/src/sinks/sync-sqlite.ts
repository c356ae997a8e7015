import type { Sink, SinkBatch } from './sink.ts';
import {
  eventRow,
  failedRow,
  identityRow,
  INSERT_EVENT,
  INSERT_FAILED,
  LINK_IDENTITY,
  schemaStatements,
  type SqlValue,
  TABLES_SQL,
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
 * How long SQLite itself may wait for a lock. The drivers are synchronous, so that wait blocks the
 * event loop: health checks and every other request with it. Longer waits happen between attempts.
 */
export const LOCK_WAIT_MS = 5;
const RETRY_FIRST_MS = 5;
const RETRY_MAX_MS = 100;

/** Whether a driver's error is SQLITE_BUSY: another connection holds the lock. */
function isBusy(error: unknown): boolean {
  const e = error as { code?: unknown; errcode?: unknown; message?: unknown };
  // better-sqlite3 and bun:sqlite name the code; Node's node:sqlite numbers it; Deno's only says it.
  return (
    (typeof e.code === 'string' && e.code.startsWith('SQLITE_BUSY')) ||
    (typeof e.errcode === 'number' && (e.errcode & 0xff) === 5) ||
    e.message === 'database is locked'
  );
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Runs `work` in one IMMEDIATE transaction: all of it is committed, or none. */
function transaction<T>(db: SyncDatabase, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // BEGIN itself failed (e.g. the database is locked): there is nothing to roll back.
    }
    throw error;
  }
}

/**
 * The embedded SQLite store over a synchronous driver (better-sqlite3, bun:sqlite, node:sqlite):
 * WAL, one IMMEDIATE transaction per batch, duplicates counted by `changes`. Batches are written in
 * the order they came, one at a time. While another process holds the write lock, a batch is tried
 * again from a timer with backoff until `busyTimeoutMs` has passed since it came (then it fails, and
 * the client is told to retry); the batches behind it wait their turn.
 */
export function syncSqliteSink(db: SyncDatabase, busyTimeoutMs = 5000): Sink {
  const patience = Math.max(0, Math.floor(busyTimeoutMs));
  // Opening may wait the whole time: nothing else runs yet.
  db.exec(`PRAGMA busy_timeout = ${patience}`);
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash; only an OS crash may lose the last commits.
  db.exec('PRAGMA synchronous = NORMAL');
  transaction(db, () => {
    for (const statement of schemaStatements(db.prepare(TABLES_SQL).get())) db.exec(statement);
  });
  db.exec(`PRAGMA busy_timeout = ${Math.min(patience, LOCK_WAIT_MS)}`);
  const insertEvent = db.prepare(INSERT_EVENT);
  const insertFailed = db.prepare(INSERT_FAILED);
  const linkIdentity = db.prepare(LINK_IDENTITY);
  let open = true;

  const store = (batch: SinkBatch): number =>
    transaction(db, () => {
      let duplicates = 0;
      for (const e of batch.events) {
        if (Number(insertEvent.run(...eventRow(e)).changes) === 0) {
          duplicates++;
          continue;
        }
        const link = identityRow(e);
        if (link) linkIdentity.run(...link);
      }
      for (const f of batch.failed) insertFailed.run(...failedRow(f));
      return duplicates;
    });

  const storeWhenUnlocked = async (batch: SinkBatch, deadline: number): Promise<number> => {
    for (let wait = RETRY_FIRST_MS; ; wait = Math.min(wait * 2, RETRY_MAX_MS)) {
      if (!open) throw new Error('the SQLite store is closed');
      try {
        return store(batch);
      } catch (error) {
        const left = deadline - Date.now();
        if (!isBusy(error) || left <= 0) throw error;
        await sleep(Math.min(wait, left));
      }
    }
  };

  let queue: Promise<unknown> = Promise.resolve();
  return {
    name: 'sqlite',
    async write(batch) {
      const deadline = Date.now() + patience;
      const written = queue.then(() => storeWhenUnlocked(batch, deadline));
      queue = written.catch(() => undefined);
      return { duplicates: await written };
    },
    async ready() {
      // Ready means a write could start now: another process may hold the write lock for long.
      if (!open) return false;
      try {
        db.exec('BEGIN IMMEDIATE');
        db.exec('ROLLBACK');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (open) db.close();
      open = false;
    },
  };
}

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  eventRow,
  failedRow,
  identityRow,
  INSERT_EVENT,
  INSERT_FAILED,
  LINK_IDENTITY,
  SQLITE_SCHEMA_SCRIPT,
  type SqliteSinkOptions,
} from './sqlite-schema.ts';
import type { Sink, SinkBatch } from './sink.ts';

export { parseSqliteUrl, type SqliteSinkOptions } from './sqlite-schema.ts';

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
  db.exec(SQLITE_SCHEMA_SCRIPT);
  const insertEvent = db.prepare(INSERT_EVENT);
  const insertFailed = db.prepare(INSERT_FAILED);
  const linkIdentity = db.prepare(LINK_IDENTITY);
  const store = db.transaction((batch: SinkBatch): number => {
    let duplicates = 0;
    for (const e of batch.events) {
      const { changes } = insertEvent.run(...eventRow(e));
      if (changes === 0) {
        duplicates++;
        continue;
      }
      const link = identityRow(e);
      if (link) linkIdentity.run(...link);
    }
    for (const f of batch.failed) insertFailed.run(...failedRow(f));
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

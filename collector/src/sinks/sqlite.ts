import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Sink } from './sink.ts';
import type { SqliteSinkOptions } from './sqlite-schema.ts';
import { type SyncDatabase, syncSqliteSink } from './sync-sqlite.ts';

export { parseSqliteUrl, type SqliteSinkOptions } from './sqlite-schema.ts';

/**
 * The embedded default store on Node: one SQLite file in WAL mode through better-sqlite3, with the
 * same transaction per batch as on Bun and Deno, so events, failed events and identity links are
 * stored together or not at all.
 */
export function sqliteSink(options: SqliteSinkOptions): Sink {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  // better-sqlite3's statement types are overloaded per parameter shape; at run time it takes
  // positional values exactly as SyncDatabase describes.
  const db = new Database(options.path) as unknown as SyncDatabase;
  return syncSqliteSink(db, options.busyTimeoutMs);
}

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Sink } from './sink.ts';
import type { SqliteSinkOptions } from './sqlite-schema.ts';
import { type SyncDatabase, syncSqliteSink } from './sync-sqlite.ts';

interface BunSqliteModule {
  Database: new (path: string, options?: { create?: boolean }) => SyncDatabase;
}

/**
 * The embedded SQLite store on Bun, through the built-in `bun:sqlite` (better-sqlite3's native
 * addon does not load in Bun). Same file, schema and semantics as the Node store.
 */
export async function bunSqliteSink(options: SqliteSinkOptions): Promise<Sink> {
  // A specifier in a variable: the module exists only in Bun, so TypeScript must not resolve it.
  const specifier = 'bun:sqlite';
  const { Database } = (await import(specifier)) as BunSqliteModule;
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  return syncSqliteSink(new Database(options.path, { create: true }), options.busyTimeoutMs);
}

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Sink } from './sink.ts';
import type { SqliteSinkOptions } from './sqlite-schema.ts';
import { type SyncDatabase, syncSqliteSink } from './sync-sqlite.ts';

interface NodeSqliteModule {
  DatabaseSync: new (path: string) => SyncDatabase;
}

/**
 * The embedded SQLite store through the built-in `node:sqlite` module, which Deno provides (Deno
 * cannot load better-sqlite3, a V8/nan addon; Node 22.5+ has the module too). Same file, schema and
 * semantics as the Node store.
 */
export async function nodeSqliteSink(options: SqliteSinkOptions): Promise<Sink> {
  // A specifier in a variable: the types of node:sqlite are not in the @types/node this repo uses.
  const specifier = 'node:sqlite';
  const { DatabaseSync } = (await import(specifier)) as NodeSqliteModule;
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  return syncSqliteSink(new DatabaseSync(options.path), options.busyTimeoutMs);
}

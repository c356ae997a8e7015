import type { Sink, SinkBatch } from './sink.ts';
import {
  eventRow,
  failedRow,
  identityRow,
  INSERT_EVENT,
  INSERT_FAILED,
  LINK_IDENTITY_IF_INSERTED,
  schemaStatements,
  type SqlValue,
  TABLES_SQL,
} from './sqlite-schema.ts';

/** What a D1 statement answers; the fields the sink reads (`@cloudflare/workers-types` D1Result fits). */
export interface D1ResultLike {
  success: boolean;
  meta: { changes?: number };
}

/** A D1 prepared statement (`D1PreparedStatement` fits). */
export interface D1StatementLike {
  bind(...values: SqlValue[]): D1StatementLike;
  first(): Promise<unknown>;
}

/** A D1 binding (`D1Database` fits): `batch` runs its statements as one transaction. */
export interface D1DatabaseLike {
  prepare(query: string): D1StatementLike;
  batch(statements: D1StatementLike[]): Promise<D1ResultLike[]>;
}

/**
 * The embedded store on Cloudflare Workers: the same tables, statements and semantics as the SQLite
 * store, over a D1 binding. A batch is one `db.batch()` call, which D1 runs as one transaction, so
 * events, failed events and identity links are stored together or not at all; duplicates are the
 * event INSERTs whose `meta.changes` is 0. The schema is created on first use, and tables an
 * earlier version made differently are rebuilt then (see `schemaStatements`).
 */
export function d1Sink(db: D1DatabaseLike, name = 'd1'): Sink {
  let schema: Promise<void> | undefined;
  const ensureSchema = () => {
    schema ??= (async () => {
      const statements = schemaStatements(await db.prepare(TABLES_SQL).first());
      // A batch is one transaction: the rebuilt tables and the schema come together or not at all.
      await db.batch(statements.map((statement) => db.prepare(statement)));
    })().catch((error: unknown) => {
      schema = undefined; // try again on the next write
      throw error;
    });
    return schema;
  };

  return {
    name,
    async write(batch: SinkBatch) {
      await ensureSchema();
      const statements: D1StatementLike[] = [];
      // Index in `statements` of each event's INSERT, to read its `changes` afterwards.
      const inserts: number[] = [];
      for (const e of batch.events) {
        inserts.push(statements.length);
        statements.push(db.prepare(INSERT_EVENT).bind(...eventRow(e)));
        // A batch cannot branch, so the link itself checks that the INSERT just before stored a row.
        const link = identityRow(e);
        if (link) statements.push(db.prepare(LINK_IDENTITY_IF_INSERTED).bind(...link));
      }
      for (const f of batch.failed) statements.push(db.prepare(INSERT_FAILED).bind(...failedRow(f)));
      if (statements.length === 0) return { duplicates: 0 };
      const results = await db.batch(statements);
      const duplicates = inserts.filter((at) => (results[at]?.meta.changes ?? 0) === 0).length;
      return { duplicates };
    },
    async ready() {
      await ensureSchema();
      return (await db.prepare('SELECT 1 AS ok').first()) !== null;
    },
    async close() {
      // A binding has nothing to close.
    },
  };
}

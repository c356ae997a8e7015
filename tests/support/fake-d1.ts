import Database from 'better-sqlite3';
import type { D1DatabaseLike, D1ResultLike, D1StatementLike } from '../../collector/src/sinks/d1.ts';
import type { SqlValue } from '../../collector/src/sinks/sqlite-schema.ts';

interface FakeStatement extends D1StatementLike {
  readonly sql: string;
  readonly params: SqlValue[];
}

/**
 * A D1 binding over an in-memory SQLite database, for unit tests: `batch` runs in one transaction
 * and answers `meta.changes` as D1 does. The real D1 (workerd) runs in the conformance suite.
 */
export function fakeD1(): D1DatabaseLike & { db: Database.Database; batches: number } {
  const db = new Database(':memory:');
  const statement = (sql: string, params: SqlValue[] = []): FakeStatement => ({
    sql,
    params,
    bind: (...values) => statement(sql, values),
    first: async () => db.prepare(sql).get(...params) ?? null,
  });
  const fake = {
    db,
    batches: 0,
    prepare: (sql: string) => statement(sql),
    async batch(statements: D1StatementLike[]): Promise<D1ResultLike[]> {
      fake.batches++;
      return db.transaction(() =>
        (statements as FakeStatement[]).map((s) => ({
          success: true,
          meta: { changes: db.prepare(s.sql).run(...s.params).changes },
        })),
      )();
    },
  };
  return fake;
}

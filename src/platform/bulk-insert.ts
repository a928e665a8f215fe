/**
 * Inserting many rows fast, on both dialects. Kysely's multi-row insert builds and compiles one
 * statement with thousands of parameters, which costs more than the insert itself; so:
 * - SQLite: one prepared statement per (table, columns), cached, run once per row inside the
 *   caller's transaction (better-sqlite3 is synchronous and Kysely's SQLite driver holds a single
 *   connection, so the rows land in the transaction the caller opened);
 * - PostgreSQL: one `insert ... select * from unnest($1::text[], $2::float8[], ...)` per batch, a
 *   single round trip with one array parameter per column.
 */
import type { Statement } from 'better-sqlite3';
import { sql } from 'kysely';
import type { Database, Executor } from './database.js';

/** Column SQL types, for PostgreSQL's typed arrays. */
export type ColumnType = 'text' | 'integer' | 'int8' | 'float8';

const statements = new WeakMap<object, Map<string, Statement>>();

/** Inserts `rows` (objects with exactly `columns` as keys) into `table` in the caller's transaction. */
export async function bulkInsert(
  database: Database,
  ex: Executor,
  table: string,
  columns: Record<string, ColumnType>,
  rows: readonly object[],
): Promise<void> {
  if (rows.length === 0) return;
  // Any row type (a table's interface has no index signature); read by column name.
  const cells = rows as readonly Record<string, unknown>[];
  const names = Object.keys(columns);
  if (database.sqlite) {
    const cache = statements.get(database.sqlite) ?? new Map<string, Statement>();
    statements.set(database.sqlite, cache);
    const key = `${table}(${names.join(',')})`;
    let statement = cache.get(key);
    if (!statement) {
      statement = database.sqlite.prepare(
        `insert into "${table}" (${names.map((n) => `"${n}"`).join(', ')}) values (${names.map(() => '?').join(', ')})`,
      );
      cache.set(key, statement);
    }
    const values = new Array(names.length);
    for (const row of cells) {
      for (let i = 0; i < names.length; i++) values[i] = row[names[i]!] ?? null;
      statement.run(values);
    }
    return;
  }
  const arrays = names.map((name) => sql`${cells.map((r) => r[name] ?? null)}::${sql.raw(columns[name]!)}[]`);
  await sql`insert into ${sql.table(table)} (${sql.join(names.map((n) => sql.ref(n)))}) select * from unnest(${sql.join(arrays)})`.execute(
    ex,
  );
}

/**
 * Hands out `count` new resource keys (`resources.rid`), increasing. PostgreSQL: from a sequence, so
 * concurrent server processes never collide. SQLite: max + 1 onwards, which is safe because the
 * caller holds SQLite's single write transaction.
 */
export async function allocateRids(database: Database, ex: Executor, count: number): Promise<number[]> {
  if (count === 0) return [];
  if (database.dialect === 'postgres') {
    const rows = await sql<{
      rid: number;
    }>`select nextval('resources_rid_seq') as rid from generate_series(1, ${count})`.execute(ex);
    return rows.rows.map((r) => Number(r.rid));
  }
  const row = await sql<{ top: number | null }>`select max(rid) as top from resources`.execute(ex);
  const first = Number(row.rows[0]?.top ?? 0) + 1;
  return Array.from({ length: count }, (_, i) => first + i);
}

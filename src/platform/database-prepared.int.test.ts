import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, openTestDatabase, type TestDatabase } from '../../test/support/test-databases.js';
import { openDatabase } from './database.js';

const postgres = databaseTargets.find((d) => d.name === 'postgres')!;
const available = postgres.available;

describe('the PostgreSQL pool of prepared statements (database.prepared)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    if (!available) return;
    t = await openTestDatabase('postgres');
    await t.database.db
      .insertInto('worklist_items')
      .values(
        [1, 2, 3].map((rid) => ({
          rid,
          task_id: `t${rid}`,
          patient_id: 'p1',
          status: 'ready',
          priority: 'routine',
          created_ms: 0,
          title: `Task ${rid}`,
          interpreter: 0,
        })),
      )
      .execute();
  });
  afterAll(async () => t?.cleanup());

  it.runIf(available)('answers what the main pool answers, once committed', async () => {
    const query = (db: typeof t.database.db) =>
      db.selectFrom('worklist_items').select(['rid', 'task_id']).orderBy('rid').execute();
    const rows = await query(t.database.prepared);
    expect(rows.map((r) => [Number(r.rid), r.task_id])).toEqual([
      [1, 't1'],
      [2, 't2'],
      [3, 't3'],
    ]);
    expect(rows).toEqual(await query(t.database.db));
  });

  it.runIf(available)('does not see a transaction that has not committed', async () => {
    const count = async () =>
      Number(
        (
          await t.database.prepared
            .selectFrom('worklist_items')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    await t.database.db
      .transaction()
      .execute(async (trx) => {
        await trx.deleteFrom('worklist_items').where('rid', '=', 3).execute();
        expect(await count()).toBe(3);
        throw new Error('roll back');
      })
      .catch((err: Error) => expect(err.message).toBe('roll back'));
    expect(await count()).toBe(3);
  });

  it.runIf(available)("reports the database's error and goes on answering", async () => {
    await expect(sql`select * from no_such_table`.execute(t.database.prepared)).rejects.toThrow(
      /no_such_table/,
    );
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(t.database.prepared);
    expect(Number(rows[0]!.one)).toBe(1);
  });
});

it('database.prepared on SQLite is its one connection', async () => {
  const t = await openTestDatabase('sqlite');
  try {
    expect(t.database.prepared).toBe(t.database.db);
  } finally {
    await t.cleanup();
  }
});

describe('the PostgreSQL pool of prepared statements (database.prepared), one connection', () => {
  let t: TestDatabase;
  let single: Awaited<ReturnType<typeof openDatabase>>;
  beforeAll(async () => {
    if (!available) return;
    t = await openTestDatabase('postgres');
    // One connection, so that consecutive statements meet the same session.
    single = await openDatabase(t.url, { schema: t.schema!, preparedConnections: 1 });
  });
  afterAll(async () => {
    await single?.close();
    await t?.cleanup();
  });

  it.runIf(available)('prepares each statement once, with a generic plan', async () => {
    await sql`select ${1}::int as one`.execute(single.prepared);
    const { rows } = await sql<{
      statement: string;
      generic_plans: number;
    }>`select statement, generic_plans from pg_prepared_statements where name like 'careloop_%'`.execute(
      single.prepared,
    );
    expect(rows.map((r) => r.statement)).toContain('select $1::int as one');
    const mode = await sql<{ plan_cache_mode: string }>`show plan_cache_mode`.execute(single.prepared);
    expect(mode.rows[0]!.plan_cache_mode).toBe('force_generic_plan');
    // The main pool keeps custom plans (planned with the values) for everything else.
    const main = await sql<{ plan_cache_mode: string }>`show plan_cache_mode`.execute(single.db);
    expect(main.rows[0]!.plan_cache_mode).toBe('auto');
  });

  it.runIf(available)('keeps generic plans when DATABASE_URL sets its own options', async () => {
    const url = `${t.url}${t.url.includes('?') ? '&' : '?'}options=-c%20search_path%3D${t.schema}`;
    const other = await openDatabase(url, { preparedConnections: 1 });
    try {
      const mode = await sql<{ plan_cache_mode: string }>`show plan_cache_mode`.execute(other.prepared);
      expect(mode.rows[0]!.plan_cache_mode).toBe('force_generic_plan');
      const path = await sql<{ search_path: string }>`show search_path`.execute(other.prepared);
      expect(path.rows[0]!.search_path).toBe(t.schema);
    } finally {
      await other.close();
    }
  });

  it.runIf(available)('keeps at most 100 prepared statements per connection', async () => {
    for (let i = 0; i < 110; i++) await sql.raw(`select ${i} as n`).execute(single.prepared);
    const { rows } = await sql<{
      n: number;
    }>`select count(*) as n from pg_prepared_statements where name like 'careloop_%'`.execute(
      single.prepared,
    );
    expect(Number(rows[0]!.n)).toBe(100);
    // A text past the limit still runs.
    const past = await sql.raw<{ n: number }>('select 999 as n').execute(single.prepared);
    expect(past.rows[0]!.n).toBe(999);
  });
});

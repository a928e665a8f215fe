/**
 * The FHIR resource store: current versions, every version (history), and the search index tables.
 * Index tables are derived data: `careloop reindex` can rebuild them from `resources`.
 */
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  // Byte-order collation on PostgreSQL so that prefix ranges (value >= 'ab' and value < 'ab\uffff')
  // and sorting behave exactly as in SQLite's BINARY collation.
  const text = dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
  const double = dialect === 'postgres' ? sql`double precision` : sql`real`;

  await db.schema
    .createTable('resources')
    .addColumn('resource_type', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('rid', 'bigint', (c) => c.notNull())
    .addColumn('version_id', 'integer', (c) => c.notNull())
    .addColumn('last_updated', text, (c) => c.notNull())
    .addColumn('last_updated_ms', double, (c) => c.notNull())
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('content', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('resources_pk', ['resource_type', 'id'])
    .execute();
  await db.schema.createIndex('resources_rid').on('resources').column('rid').unique().execute();
  // PostgreSQL hands out rids from a sequence (safe across server processes); SQLite takes max + 1
  // inside its single-writer transaction.
  if (dialect === 'postgres') await sql`create sequence resources_rid_seq`.execute(db);
  await db.schema
    .createIndex('resources_type_updated')
    .on('resources')
    .columns(['resource_type', 'last_updated_ms'])
    .execute();

  await db.schema
    .createTable('resource_versions')
    .addColumn('resource_type', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('version_id', 'integer', (c) => c.notNull())
    .addColumn('last_updated', text, (c) => c.notNull())
    .addColumn('last_updated_ms', double, (c) => c.notNull())
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('content', 'text')
    .addColumn('method', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('resource_versions_pk', ['resource_type', 'id', 'version_id'])
    .execute();
  await db.schema
    .createIndex('resource_versions_type_updated')
    .on('resource_versions')
    .columns(['resource_type', 'last_updated_ms'])
    .execute();
  await db.schema
    .createIndex('resource_versions_updated')
    .on('resource_versions')
    .columns(['last_updated_ms'])
    .execute();

  const indexTable = (name: string) =>
    db.schema
      .createTable(name)
      .addColumn('resource_type', text, (c) => c.notNull())
      .addColumn('rid', 'bigint', (c) => c.notNull())
      .addColumn('param', text, (c) => c.notNull());

  await indexTable('sp_token').addColumn('system', text).addColumn('code', text).execute();
  await indexTable('sp_string')
    .addColumn('value', text, (c) => c.notNull())
    .addColumn('exact', text, (c) => c.notNull())
    .execute();
  await indexTable('sp_date').addColumn('low', double).addColumn('high', double).execute();
  await indexTable('sp_number').addColumn('low', double).addColumn('high', double).execute();
  await indexTable('sp_quantity')
    .addColumn('value', double, (c) => c.notNull())
    .addColumn('low', double, (c) => c.notNull())
    .addColumn('high', double, (c) => c.notNull())
    .addColumn('system', text)
    .addColumn('code', text)
    .execute();
  await indexTable('sp_reference')
    .addColumn('target_type', text)
    .addColumn('target_id', text)
    .addColumn('reference', text, (c) => c.notNull())
    .execute();
  await indexTable('sp_uri')
    .addColumn('value', text, (c) => c.notNull())
    .execute();
  await indexTable('sp_composite')
    .addColumn('c1_system', text)
    .addColumn('c1_code', text)
    .addColumn('c2_system', text)
    .addColumn('c2_code', text)
    .addColumn('c2_low', double)
    .addColumn('c2_high', double)
    .execute();

  // Lookups by value: (type, param, value..., rid) so that the IN (...) subqueries of a search
  // are answered from the index alone.
  const indexes: [string, string[]][] = [
    ['sp_token', ['resource_type', 'param', 'code', 'system', 'rid']],
    ['sp_string', ['resource_type', 'param', 'value', 'rid']],
    ['sp_date', ['resource_type', 'param', 'low', 'high', 'rid']],
    ['sp_date', ['resource_type', 'param', 'high', 'low', 'rid']],
    ['sp_number', ['resource_type', 'param', 'low', 'high', 'rid']],
    ['sp_quantity', ['resource_type', 'param', 'code', 'value', 'rid']],
    ['sp_reference', ['resource_type', 'param', 'target_id', 'target_type', 'rid']],
    ['sp_reference', ['target_id', 'target_type', 'resource_type', 'param', 'rid']],
    // :identifier, canonical and remote-URL reference searches compare the reference as written.
    ['sp_reference', ['resource_type', 'param', 'reference', 'rid']],
    // Quantity searches without a unit.
    ['sp_quantity', ['resource_type', 'param', 'value', 'rid']],
    ['sp_uri', ['resource_type', 'param', 'value', 'rid']],
    ['sp_composite', ['resource_type', 'param', 'c1_code', 'c2_code', 'rid']],
  ];
  for (const [i, [table, columns]] of indexes.entries()) {
    await db.schema.createIndex(`${table}_lookup_${i}`).on(table).columns(columns).execute();
  }
  // Owner indexes, by (rid, param) and then the values: re-indexing deletes a resource's rows by rid,
  // and a search checks a candidate's values (a date range, a quantity, a sort key) from the index
  // alone. rid only grows, so new rows land at the end of these indexes and cost little to write.
  const owners: [string, string[]][] = [
    ['sp_token', ['code', 'system']],
    ['sp_string', ['value']],
    ['sp_date', ['low', 'high']],
    ['sp_number', ['low', 'high']],
    ['sp_quantity', ['value', 'low', 'high', 'code', 'system']],
    ['sp_reference', ['target_type', 'target_id']],
    ['sp_uri', ['value']],
    ['sp_composite', ['c1_code', 'c1_system', 'c2_code', 'c2_system', 'c2_low', 'c2_high']],
  ];
  for (const [table, values] of owners) {
    await db.schema
      .createIndex(`${table}_owner`)
      .on(table)
      .columns(['rid', 'param', ...values])
      .execute();
  }
}

/**
 * The worklist's patient index becomes covering: every column the worklist statement reads of the
 * user's visible rows (the access rule, the six view conditions and the score) is in the index, so
 * those ~1,000–2,000 rows per request come from a few index pages per patient instead of one random
 * table lookup each (a user's rows are scattered over the table in the order their Tasks were
 * written). Measured at 100,000 patients and 1,000,000 Tasks (bench/results/NOTES.md): the table
 * lookups were most of the statement's time. Only the page's ~50 rows are then read from the table.
 *
 * The old (patient_id, due_ms) index is dropped: the new one starts with the same columns, so every
 * query that used it (the projection's per-patient updates and deletes) uses the new one.
 */
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/** The columns after (patient_id, due_ms) that the worklist statement reads of each visible row. */
const covered = [
  'rid',
  'priority',
  'owner_ref',
  'owner_role',
  'risk_tier',
  'contact_from',
  'contact_to',
  'sensitivity',
];

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema.dropIndex('worklist_items_patient').execute();
  const extra = sql.join(covered.map((c) => sql.ref(c)));
  // PostgreSQL keeps the extra columns out of the key (INCLUDE: a smaller tree, the same index-only
  // scans); SQLite has no INCLUDE, so they are trailing key columns there.
  const columns =
    dialect === 'postgres'
      ? sql`(patient_id, due_ms) include (${extra})`
      : sql`(patient_id, due_ms, ${extra})`;
  await sql`create index worklist_items_patient_covering on worklist_items ${columns}`.execute(db);
}

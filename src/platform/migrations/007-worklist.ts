/**
 * The worklist projection (src/modules/worklists): one row per open Task with what ranking and the
 * worklist screen need (owner, due, priority, the patient's name, language, contact window, risk
 * tier), kept in the write transaction of every Task, Patient and RiskAssessment write. It is derived
 * and rebuildable: this migration fills it from the Tasks already stored.
 *
 * Indexes serve the views: `mine` by owner, `team`/`overdue`/`today`/`week` by patient (the access
 * rule selects the user's patients first), `claimable` by owner role; each ends with due_ms so a
 * view's rows come out of the index in due order.
 */
import { type Kysely, sql } from 'kysely';
import { rebuildWorklistWith } from '../../modules/worklists/worklist-projection.js';
import type { Dialect } from '../database.js';
import type { DB } from '../database-schema.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const text = dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
  const double = dialect === 'postgres' ? sql`double precision` : sql`real`;
  await db.schema
    .createTable('worklist_items')
    .addColumn('rid', 'bigint', (c) => c.primaryKey())
    .addColumn('task_id', text, (c) => c.notNull())
    .addColumn('patient_id', text, (c) => c.notNull())
    .addColumn('owner_ref', text)
    .addColumn('owner_display', 'text')
    .addColumn('owner_role', text)
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('priority', text, (c) => c.notNull())
    .addColumn('due_ms', double)
    .addColumn('created_ms', double, (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('discharged_ms', double)
    .addColumn('sensitivity', text)
    .addColumn('patient_name', 'text')
    .addColumn('birth_date', text)
    .addColumn('language', text)
    .addColumn('interpreter', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('contact_from', 'integer')
    .addColumn('contact_to', 'integer')
    .addColumn('risk_tier', text)
    .execute();
  await db.schema
    .createIndex('worklist_items_owner')
    .on('worklist_items')
    .columns(['owner_ref', 'due_ms'])
    .execute();
  await db.schema
    .createIndex('worklist_items_patient')
    .on('worklist_items')
    .columns(['patient_id', 'due_ms'])
    .execute();
  await db.schema
    .createIndex('worklist_items_role')
    .on('worklist_items')
    .columns(['owner_role', 'due_ms'])
    .execute();
  await rebuildWorklistWith(db as unknown as Kysely<DB>, undefined);
}

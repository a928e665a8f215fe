/**
 * The job table of the SQLite scheduler (src/platform/jobs/table-scheduler.ts): one row per recurring
 * job, when it may next run, and a lease so that two processes on one file never run it together.
 * Created on PostgreSQL too (one schema for both dialects), where pg-boss keeps its own tables instead.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('interval_ms', 'double precision', (c) => c.notNull())
    .addColumn('run_after_ms', 'double precision', (c) => c.notNull())
    .addColumn('locked_until_ms', 'double precision')
    .addColumn('last_run_at', 'text')
    .addColumn('last_error', 'text')
    .execute();
}

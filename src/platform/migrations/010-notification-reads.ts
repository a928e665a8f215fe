/**
 * Who has read which care-team notification (src/modules/transitions/notifications.service.ts): the
 * notification itself is a FHIR Communication shared by the whole team, its read state is per user.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('notification_reads')
    .addColumn('communication_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('read_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('notification_reads_pk', ['user_id', 'communication_id'])
    .execute();
}

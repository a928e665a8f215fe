/**
 * The HL7 v2 message log (src/integrations/hl7): one row per message received, whatever became of
 * it, with the raw text and the ACK that was sent. It is the record of the feed: processed messages
 * (their ACK answers a resent duplicate), failed ones (the dead letters, replayable once their cause
 * is fixed) and rejected ones (unreadable, unsupported). Raw text lives here and never in logs.
 *
 * A (sender, control id) pair is processed at most once: the unique index covers processed rows
 * only, so a failed message resent after a fix can still be processed, and two connections sending
 * the same message at once end in one processing (the second insert fails on the index).
 */
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('hl7_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('control_id', 'text', (c) => c.notNull())
    .addColumn('message_type', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('raw', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('ack', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_location', 'text')
    .addColumn('error_text', 'text')
    .addColumn('processed_at', 'text')
    .addColumn('replayed_from', 'text')
    .execute();
  await sql`create unique index hl7_messages_processed_key on hl7_messages (sender, control_id) where status = 'processed'`.execute(
    db,
  );
  await db.schema
    .createIndex('hl7_messages_status')
    .on('hl7_messages')
    .columns(['status', 'received_at'])
    .execute();
}

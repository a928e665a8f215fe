/**
 * The hl7_messages table (migration 008): the record of every message received, its ACK and, for
 * dead letters, why it failed. Reads for the dead-letter list (without the raw text), one message
 * (with it, for those allowed), and the duplicate lookup.
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/database.js';
import type { Hl7MessageTable } from '../../platform/database-schema.js';

export const hl7Statuses = ['processed', 'failed', 'rejected'] as const;
export type Hl7Status = (typeof hl7Statuses)[number];

/** A row of the dead-letter list: what an integrator needs to triage, never the raw text. */
export interface Hl7MessageSummary {
  id: string;
  receivedAt: string;
  sender: string;
  /** `ADT^A01`. */
  type: string;
  controlId: string;
  version: string;
  status: Hl7Status;
  error?: { code: string; location: string; text: string };
  processedAt?: string;
  replayedFrom?: string;
  /** For a failed or rejected message: the row that processed the same message later (a replay or a resend). */
  resolvedBy?: string;
}

/** One message in full: the summary, the ACK sent and (when the caller may see it) the raw text. */
export interface Hl7MessageDetail extends Hl7MessageSummary {
  ack: string;
  raw?: string;
}

type Row = Hl7MessageTable & { resolved_by?: string | null };

function summary(row: Row): Hl7MessageSummary {
  return {
    id: row.id,
    receivedAt: row.received_at,
    sender: row.sender,
    type: row.event ? `${row.message_type}^${row.event}` : row.message_type,
    controlId: row.control_id,
    version: row.version,
    status: row.status as Hl7Status,
    ...(row.error_code
      ? { error: { code: row.error_code, location: row.error_location ?? '', text: row.error_text ?? '' } }
      : {}),
    ...(row.processed_at ? { processedAt: row.processed_at } : {}),
    ...(row.replayed_from ? { replayedFrom: row.replayed_from } : {}),
    ...(row.resolved_by ? { resolvedBy: row.resolved_by } : {}),
  };
}

const summaryColumns = [
  'm.id',
  'm.sender',
  'm.control_id',
  'm.message_type',
  'm.event',
  'm.version',
  'm.received_at',
  'm.status',
  'm.error_code',
  'm.error_location',
  'm.error_text',
  'm.processed_at',
  'm.replayed_from',
] as const;

/** The messages of a status (all when none), newest first, with the total for paging. */
export async function listHl7Messages(
  ex: Executor,
  options: { status?: Hl7Status; limit: number; offset: number },
): Promise<{ total: number; messages: Hl7MessageSummary[] }> {
  let query = ex.selectFrom('hl7_messages as m');
  if (options.status) query = query.where('m.status', '=', options.status);
  const counted = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  const rows = await query
    .select(summaryColumns)
    .select(
      sql<
        string | null
      >`(select p.id from hl7_messages p where p.sender = m.sender and p.control_id = m.control_id and p.status = 'processed' and m.status <> 'processed')`.as(
        'resolved_by',
      ),
    )
    .orderBy('m.received_at', 'desc')
    .orderBy('m.id')
    .limit(options.limit)
    .offset(options.offset)
    .execute();
  return { total: Number(counted?.n ?? 0), messages: rows.map((r) => summary(r as Row)) };
}

/** One message; `withRaw` adds the raw text (patient data: for administrators). */
export async function getHl7Message(
  ex: Executor,
  id: string,
  options: { withRaw: boolean },
): Promise<Hl7MessageDetail | undefined> {
  const row = await ex
    .selectFrom('hl7_messages as m')
    .selectAll('m')
    .select(
      sql<
        string | null
      >`(select p.id from hl7_messages p where p.sender = m.sender and p.control_id = m.control_id and p.status = 'processed' and m.status <> 'processed')`.as(
        'resolved_by',
      ),
    )
    .where('m.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  return { ...summary(row), ack: row.ack, ...(options.withRaw ? { raw: row.raw } : {}) };
}

/** The processed row of a (sender, control id), if any: a resent message is answered with its ACK. */
export async function findProcessed(
  ex: Executor,
  sender: string,
  controlId: string,
): Promise<{ id: string; ack: string } | undefined> {
  return ex
    .selectFrom('hl7_messages')
    .select(['id', 'ack'])
    .where('sender', '=', sender)
    .where('control_id', '=', controlId)
    .where('status', '=', 'processed')
    .executeTakeFirst();
}

/** Appends one row. */
export async function insertHl7Message(ex: Executor, row: Hl7MessageTable): Promise<void> {
  await ex.insertInto('hl7_messages').values(row).execute();
}

/** True for a unique-index violation on either dialect (a concurrent duplicate won the race). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | undefined;
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

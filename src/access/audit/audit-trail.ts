/**
 * The audit trail: who did what to whose record, when, from where, and with what outcome. Entries are
 * appended in the caller's transaction (an action and its audit commit or roll back together) and
 * chained: each entry's hash covers the previous entry's hash, so an entry changed or removed after
 * the fact breaks the chain from that point on. `verifyAuditChain` names the first broken entry.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { canonicalJson } from '../../platform/canonical-json.js';
import type { Database, Dialect, Executor } from '../../platform/database.js';

/** What one audit entry records (R4 AuditEvent's who / what / when / where / why, flattened). */
export interface AuditEntry {
  /** read, vread, search, create, update, patch, delete, sign-in, sign-in-failed, token-use, export, ... */
  action: string;
  outcome: 'success' | 'failure' | 'denied';
  /** Who acted: `Practitioner/1`, `Patient/7`, `Device/careloop-import`. */
  actor?: string;
  role?: string;
  /** For a caregiver or a delegate: the person acted for. */
  onBehalfOf?: string;
  /** Patients whose records the action touched (ids, not names: no patient data beyond ids). */
  patientIds?: string[];
  /** Resources touched, as `Type/id`. */
  resources?: string[];
  purposeOfUse?: string;
  clientAddress?: string;
  /** Free text such as a break-the-glass reason. */
  detail?: string;
}

/** The hash before the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hash of an entry: SHA-256 over the previous hash, the position, the time and the entry. */
export function entryHash(prevHash: string, seq: number, recorded: string, entryJson: string): string {
  return createHash('sha256').update(`${prevHash}\n${seq}\n${recorded}\n${entryJson}`).digest('hex');
}

/**
 * A user whose access to the entry's patients may rest on a break-the-glass grant: the entry's
 * purpose of use becomes ETREAT (emergency treatment) when `principal` holds an active grant to one
 * of them at `now`.
 */
export interface BreakGlassCheck {
  principal: string;
  now: number;
}

/** The condition that `check` holds for one of `patientIds`, as SQL. */
function underBreakGlass(dialect: Dialect, check: BreakGlassCheck, patientIds: string[]) {
  // PostgreSQL: the patients as one array parameter, so that the statement's text is the same for any
  // number of them (it is prepared once per connection, database.ts).
  const patients =
    dialect === 'postgres' ? sql`= any(${patientIds}::text[])` : sql`in (${sql.join(patientIds)})`;
  return sql<boolean>`exists (select 1 from access_relationships where principal = ${check.principal} and kind = 'break-the-glass' and patient_id ${patients} and expires_ms > ${check.now})`;
}

/**
 * Appends an entry in the caller's transaction; returns its position and hash. With `breakGlass`,
 * the purpose of use is decided here (ETREAT when the user reaches one of the entry's patients
 * through an active break-the-glass grant), in the same statement as the append on PostgreSQL.
 */
export async function appendAudit(
  database: Database,
  ex: Executor,
  entry: AuditEntry,
  recorded: Date,
  breakGlass?: BreakGlassCheck,
): Promise<{ seq: number; hash: string }> {
  // The entry's patients, each once: for the break-the-glass check and the per-patient index rows.
  const patients = [...new Set(entry.patientIds ?? [])];
  const check = breakGlass && patients.length > 0 ? breakGlass : undefined;
  if (database.dialect === 'postgres') return appendAuditPostgres(ex, entry, patients, recorded, check);
  if (check) {
    const { rows } = await sql<{
      yes: number;
    }>`select ${underBreakGlass('sqlite', check, patients)} as yes`.execute(ex);
    if (Number(rows[0]?.yes)) entry = { ...entry, purposeOfUse: 'ETREAT' };
  }
  const last = await ex
    .selectFrom('audit_events')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const seq = Number(last?.seq ?? 0) + 1;
  const prevHash = last?.hash ?? GENESIS_HASH;
  const at = recorded.toISOString();
  const json = canonicalJson(entry);
  const hash = entryHash(prevHash, seq, at, json);
  const row = {
    seq,
    recorded: at,
    action: entry.action,
    outcome: entry.outcome,
    actor: entry.actor ?? null,
    patient_ids: entry.patientIds?.length ? ` ${entry.patientIds.join(' ')} ` : null,
    entry: json,
    prev_hash: prevHash,
    hash,
  };
  await ex.insertInto('audit_events').values(row).execute();
  if (patients.length > 0)
    await ex
      .insertInto('audit_event_patients')
      .values(patients.map((patient_id) => ({ patient_id, seq })))
      .execute();
  return { seq, hash };
}

/**
 * PostgreSQL: one appender at a time across all server processes (the chain has a single head). The
 * head is a row (`audit_head`, migration 014) that this one statement updates, taking its lock until
 * the caller's transaction commits; an appender that waited re-reads the row as its holder committed
 * it (READ COMMITTED re-checks an updated row), so it always chains to the newest entry. The new hash
 * is the same SHA-256 as `entryHash` (UTF-8 bytes of the same text), computed in the statement from
 * the head's. Being one statement, it is atomic on its own: an audited read appends its entry without
 * a transaction, in one round trip.
 */
async function appendAuditPostgres(
  ex: Executor,
  entry: AuditEntry,
  patients: string[],
  recorded: Date,
  breakGlass: BreakGlassCheck | undefined,
): Promise<{ seq: number; hash: string }> {
  const at = recorded.toISOString();
  const patientIds = entry.patientIds?.length ? ` ${entry.patientIds.join(' ')} ` : null;
  // The entry as it is, or as emergency treatment when the break-the-glass check holds: both are
  // canonical JSON made here; the statement picks one and hashes what it stores.
  const json = canonicalJson(entry);
  const chosen = breakGlass
    ? sql`case when ${underBreakGlass('postgres', breakGlass, patients)} then ${canonicalJson({ ...entry, purposeOfUse: 'ETREAT' })}::text else ${json}::text end`
    : sql`${json}::text`;
  // In SET, `seq` and `hash` are the row's values before the update: prev_hash becomes the old head.
  const { rows } = await sql<{ seq: string | number; hash: string }>`with v as (
      select ${chosen} as entry
    ), head as (
      update audit_head set seq = seq + 1, prev_hash = hash,
        hash = encode(sha256(convert_to(hash || E'\n' || (seq + 1)::text || E'\n' || ${at}::text || E'\n' || (select entry from v), 'UTF8')), 'hex')
      where id = 1
      returning seq, prev_hash, hash
    ), added as (
      insert into audit_events (seq, recorded, action, outcome, actor, patient_ids, entry, prev_hash, hash)
      select head.seq, ${at}, ${entry.action}, ${entry.outcome}, ${entry.actor ?? null}, ${patientIds}, v.entry, head.prev_hash, head.hash
      from head, v
      returning seq, hash
    ), indexed as (
      insert into audit_event_patients (patient_id, seq) select p, added.seq from added, unnest(${patients}::text[]) as p
    )
    select seq, hash from added`.execute(ex);
  const row = rows[0];
  if (!row) throw new Error('the audit chain has no head row (migration 014-audit-head)');
  return { seq: Number(row.seq), hash: row.hash };
}

/** True when `appendAudit` is one statement, atomic without a transaction (PostgreSQL). */
export function appendsInOneStatement(database: Database): boolean {
  return database.dialect === 'postgres';
}

export interface ChainReport {
  /** Entries checked. */
  entries: number;
  /** The first entry that does not hold, and why; absent when the whole chain holds. */
  broken?: { seq: number; reason: string };
}

/** Checks the whole chain, in order, a thousand entries at a time. */
export async function verifyAuditChain(ex: Executor): Promise<ChainReport> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (;;) {
    const rows = await ex
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .orderBy('seq')
      .limit(1000)
      .execute();
    if (rows.length === 0) return { entries: expectedSeq - 1 };
    for (const row of rows) {
      const seq = Number(row.seq);
      const broken = (reason: string): ChainReport => ({ entries: expectedSeq - 1, broken: { seq, reason } });
      if (seq !== expectedSeq)
        return {
          entries: expectedSeq - 1,
          broken: { seq: expectedSeq, reason: `entry ${expectedSeq} is missing` },
        };
      if (row.prev_hash !== prevHash)
        return broken('its link to the previous entry does not match that entry');
      if (entryHash(prevHash, seq, row.recorded, row.entry) !== row.hash)
        return broken('its content does not match its hash');
      const entry = JSON.parse(row.entry) as AuditEntry;
      const patients = entry.patientIds?.length ? ` ${entry.patientIds.join(' ')} ` : null;
      if (
        row.action !== entry.action ||
        row.outcome !== entry.outcome ||
        row.actor !== (entry.actor ?? null) ||
        row.patient_ids !== patients
      )
        return broken('its searchable columns differ from the hashed entry');
      prevHash = row.hash;
      expectedSeq++;
    }
  }
}

/**
 * The worklist projection: `worklist_items`, one row per open Task with what ranking and the worklist
 * screen need, derived from the resources and never edited by hand. The store calls `syncWorklist` in
 * the transaction of every write (next to the access relationships), so the worklist is never stale:
 * a Task created or reopened gets its row, a Task closed or deleted loses it, and a Patient or
 * RiskAssessment write refreshes the patient facts on that patient's rows. `rebuildWorklist` derives
 * the whole table again from the stored Tasks.
 */
import type { Extension, Patient, Reference, Resource, RiskAssessment, Task } from 'fhir/r4.js';
import { sql } from 'kysely';
import { coversSensitivity, sensitivityOf } from '../../access/policy/access-facts.js';
import { bulkInsert } from '../../platform/bulk-insert.js';
import type { Database, Executor } from '../../platform/database.js';
import type { WorklistItemTable } from '../../platform/database-schema.js';
import { TASK_TRIGGERED_AT } from '../tasks/tasks.rules.js';

/** Task statuses that still need someone to act (draft is not yet a request; the rest are terminal). */
export const openStatuses: readonly string[] = [
  'requested',
  'received',
  'accepted',
  'ready',
  'in-progress',
  'on-hold',
];

/** R4 core extension: whether the patient needs an interpreter. */
export const INTERPRETER_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired';
/** The patient's preferred contact window (sub-extensions `start` and `end`, valueTime, organization zone). */
export const CONTACT_TIME_EXTENSION = 'https://careloop.org/fhir/StructureDefinition/contact-time';

/** What the worklist shows of a patient. */
export interface PatientFacts {
  patient_name: string | null;
  birth_date: string | null;
  language: string | null;
  interpreter: number;
  contact_from: number | null;
  contact_to: number | null;
}

const noPatient: PatientFacts = {
  patient_name: null,
  birth_date: null,
  language: null,
  interpreter: 0,
  contact_from: null,
  contact_to: null,
};

function minutesOf(time: string | undefined): number | null {
  const m = time?.match(/^(\d{2}):(\d{2})/);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** A person's name as it is said: given names then family name (or the text). */
export function displayName(patient: Pick<Patient, 'name'>): string | null {
  const name = patient.name?.find((n) => n.use === 'official') ?? patient.name?.[0];
  if (!name) return null;
  return name.text ?? ([...(name.given ?? []), name.family].filter(Boolean).join(' ') || null);
}

/** The worklist facts of a Patient: name, birth date, preferred language, interpreter need, contact window. */
export function patientFacts(patient: Patient): PatientFacts {
  const communication = patient.communication?.find((c) => c.preferred) ?? patient.communication?.[0];
  const coding = communication?.language.coding?.[0];
  const code = coding?.code?.toLowerCase();
  const language = communication?.language.text ?? coding?.display ?? coding?.code ?? null;
  const stated = patient.extension?.find((e) => e.url === INTERPRETER_EXTENSION)?.valueBoolean;
  // Without a stated need, a preferred language other than English is taken to need one.
  const interpreter = stated ?? (code !== undefined && !code.startsWith('en'));
  const window = patient.extension?.find((e) => e.url === CONTACT_TIME_EXTENSION);
  const part = (url: string) => window?.extension?.find((e: Extension) => e.url === url)?.valueTime;
  return {
    patient_name: displayName(patient),
    birth_date: patient.birthDate ?? null,
    language,
    interpreter: interpreter ? 1 : 0,
    contact_from: minutesOf(part('start')),
    contact_to: minutesOf(part('end')),
  };
}

/** The patient's risk tier: the latest usable RiskAssessment's qualitativeRisk code. */
export function riskTierOf(assessments: RiskAssessment[]): string | null {
  let best: { at: string; tier: string } | undefined;
  for (const a of assessments) {
    if (a.status === 'entered-in-error' || a.status === 'cancelled') continue;
    const tier = a.prediction?.find((p) => p.qualitativeRisk?.coding?.[0]?.code)?.qualitativeRisk?.coding?.[0]
      ?.code;
    if (!tier) continue;
    const at = a.occurrenceDateTime ?? a.meta?.lastUpdated ?? '';
    if (!best || at > best.at) best = { at, tier };
  }
  return best?.tier ?? null;
}

function refKey(ref: Reference | undefined): string | null {
  const m = ref?.reference?.match(/([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/);
  return m ? `${m[1]}/${m[2]}` : null;
}

function instant(value: string | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** The title of a task as a coordinator reads it. */
export function taskTitle(task: Task): string {
  return task.code?.text ?? task.code?.coding?.[0]?.display ?? task.description ?? 'Task';
}

/** The row of an open Task (undefined for a closed one or one without a patient). */
export function worklistRow(
  rid: number,
  task: Task,
  patientId: string | undefined,
  patient: PatientSources | undefined,
): WorklistItemTable | undefined {
  if (!patientId || !openStatuses.includes(task.status)) return undefined;
  const reason =
    task.reasonCode?.text ?? task.reasonCode?.coding?.[0]?.display ?? task.reasonReference?.display ?? null;
  const created = instant(task.authoredOn) ?? instant(task.meta?.lastUpdated) ?? 0;
  return {
    rid,
    task_id: task.id!,
    patient_id: patientId,
    owner_ref: refKey(task.owner),
    owner_display: task.owner?.display ?? null,
    owner_role: task.performerType?.[0]?.coding?.[0]?.code ?? task.performerType?.[0]?.text ?? null,
    status: task.status,
    priority: task.priority ?? 'routine',
    due_ms: instant(task.restriction?.period?.end) ?? instant(task.executionPeriod?.end),
    created_ms: created,
    title: taskTitle(task),
    reason,
    // A task raised for a discharge (transitional care) shows how long ago the discharge was: the
    // time a follow-up rule recorded on it, else when the task was made.
    discharged_ms:
      reason && /discharg/i.test(reason)
        ? (instant(task.extension?.find((e) => e.url === TASK_TRIGGERED_AT)?.valueDateTime) ?? created)
        : null,
    sensitivity: sensitivityOf(task),
    ...rowFacts(patient, sensitivityOf(task)),
  };
}

/** Column types for bulk inserts. */
export const worklistColumns = {
  rid: 'int8',
  task_id: 'text',
  patient_id: 'text',
  owner_ref: 'text',
  owner_display: 'text',
  owner_role: 'text',
  status: 'text',
  priority: 'text',
  due_ms: 'float8',
  created_ms: 'float8',
  title: 'text',
  reason: 'text',
  discharged_ms: 'float8',
  sensitivity: 'text',
  patient_name: 'text',
  birth_date: 'text',
  language: 'text',
  interpreter: 'integer',
  contact_from: 'integer',
  contact_to: 'integer',
  risk_tier: 'text',
} as const;

const CHUNK = 500;

async function chunks<T>(items: T[], visit: (chunk: T[]) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += CHUNK) await visit(items.slice(i, i + CHUNK));
}

/** What the worklist may show of a patient: records it reads, each with its sensitivity. */
export interface PatientSources {
  patient?: { facts: PatientFacts; sensitivity: string | null };
  assessments: { resource: RiskAssessment; sensitivity: string | null }[];
}

/** The Patient and RiskAssessments of `patientIds`, read from the stored resources. */
export async function loadPatientSources(
  ex: Executor,
  patientIds: string[],
): Promise<Map<string, PatientSources>> {
  const sources = new Map<string, PatientSources>();
  const of = (id: string) => {
    const entry = sources.get(id) ?? { assessments: [] };
    sources.set(id, entry);
    return entry;
  };
  await chunks([...new Set(patientIds)], async (ids) => {
    const rows = await ex
      .selectFrom('resources')
      .select(['resource_type', 'id', 'patient_id', 'content', 'sensitivity'])
      .where('patient_id', 'in', ids)
      .where('resource_type', 'in', ['Patient', 'RiskAssessment'])
      .where('deleted', '=', 0)
      .execute();
    for (const row of rows) {
      if (row.resource_type === 'Patient')
        of(row.id).patient = {
          facts: patientFacts(JSON.parse(row.content) as Patient),
          sensitivity: row.sensitivity,
        };
      else
        of(row.patient_id!).assessments.push({
          resource: JSON.parse(row.content) as RiskAssessment,
          sensitivity: row.sensitivity,
        });
    }
  });
  return sources;
}

/**
 * The patient facts and risk tier a row shows: only from records every reader of the row may see. A
 * row is read by those who may see its Task (its sensitivity), so a labelled Patient (a restricted
 * record) or RiskAssessment (one computed from an HIV-labelled condition) is quoted only on the rows of
 * tasks that carry the same labels; elsewhere the row shows no name and the tier of the latest
 * assessment it may quote, if any.
 */
export function rowFacts(
  sources: PatientSources | undefined,
  rowSensitivity: string | null,
): PatientFacts & { risk_tier: string | null } {
  const quotable = (sensitivity: string | null) => coversSensitivity(rowSensitivity, sensitivity);
  const patient =
    sources?.patient && quotable(sources.patient.sensitivity) ? sources.patient.facts : noPatient;
  const assessments = (sources?.assessments ?? [])
    .filter((a) => quotable(a.sensitivity))
    .map((a) => a.resource);
  return { ...patient, risk_tier: riskTierOf(assessments) };
}

async function insertRows(ex: Executor, database: Database | undefined, rows: WorklistItemTable[]) {
  if (rows.length === 0) return;
  if (database) {
    await bulkInsert(database, ex, 'worklist_items', worklistColumns, rows);
    return;
  }
  await chunks(rows, async (chunk) => {
    for (let i = 0; i < chunk.length; i += 50)
      await ex
        .insertInto('worklist_items')
        .values(chunk.slice(i, i + 50))
        .execute();
  });
}

/**
 * Keeps worklist_items in step with a batch the store just wrote (in the caller's transaction):
 * Task rows replaced or removed, patient facts refreshed after Patient and RiskAssessment writes.
 */
export async function syncWorklist(
  database: Database,
  ex: Executor,
  written: { rid: number; resource?: Resource; patientId?: string }[],
): Promise<void> {
  const taskRids: number[] = [];
  const tasks: { rid: number; task: Task; patientId?: string }[] = [];
  const refreshPatients = new Set<string>();
  const deletedRids: number[] = [];
  for (const w of written) {
    const type = w.resource?.resourceType;
    if (!w.resource) deletedRids.push(w.rid);
    else if (type === 'Task') {
      taskRids.push(w.rid);
      tasks.push({ rid: w.rid, task: w.resource as Task, patientId: w.patientId });
    } else if ((type === 'Patient' || type === 'RiskAssessment') && w.patientId)
      refreshPatients.add(w.patientId);
  }
  if (deletedRids.length) {
    // A deleted resource keeps its row (flagged): a deleted RiskAssessment changes its patient's tier.
    await chunks(deletedRids, async (rids) => {
      const rows = await ex
        .selectFrom('resources')
        .select(['patient_id'])
        .where('rid', 'in', rids)
        .where('resource_type', 'in', ['RiskAssessment', 'Patient'])
        .execute();
      for (const r of rows) if (r.patient_id) refreshPatients.add(r.patient_id);
    });
    taskRids.push(...deletedRids);
  }
  await chunks(taskRids, (rids) => ex.deleteFrom('worklist_items').where('rid', 'in', rids).execute().then());
  const open = tasks.filter((t) => t.patientId && openStatuses.includes(t.task.status));
  if (open.length) {
    const sources = await loadPatientSources(
      ex,
      open.map((t) => t.patientId!),
    );
    const rows = open
      .map((t) => worklistRow(t.rid, t.task, t.patientId, sources.get(t.patientId!)))
      .filter((r): r is WorklistItemTable => !!r);
    await insertRows(ex, database, rows);
  }
  if (refreshPatients.size) await refreshPatientFacts(ex, [...refreshPatients]);
}

/**
 * Rewrites the patient facts on the rows of `patientIds` (only patients that have open tasks), once per
 * sensitivity their rows have (what a row may quote depends on it, rowFacts).
 */
async function refreshPatientFacts(ex: Executor, patientIds: string[]): Promise<void> {
  await chunks(patientIds, async (ids) => {
    const present = await ex
      .selectFrom('worklist_items')
      .select(['patient_id', 'sensitivity'])
      .distinct()
      .where('patient_id', 'in', ids)
      .execute();
    if (present.length === 0) return;
    const sources = await loadPatientSources(
      ex,
      present.map((r) => r.patient_id),
    );
    for (const { patient_id, sensitivity } of present)
      await ex
        .updateTable('worklist_items')
        .set(rowFacts(sources.get(patient_id), sensitivity))
        .where('patient_id', '=', patient_id)
        .where('sensitivity', sensitivity === null ? 'is' : '=', sensitivity)
        .execute();
  });
}

/** Derives worklist_items again from every stored Task (after a change of rules, or to repair it). */
export async function rebuildWorklist(database: Database): Promise<number> {
  return database.db.transaction().execute((trx) => rebuildWorklistWith(trx, database));
}

/**
 * The rebuild itself, in the caller's transaction: Tasks in rid order, 2,000 at a time, with their
 * patients' facts. `database` enables bulk inserts (the migration has only an executor).
 */
export async function rebuildWorklistWith(ex: Executor, database: Database | undefined): Promise<number> {
  await sql`delete from worklist_items`.execute(ex);
  let after = -1;
  let count = 0;
  for (;;) {
    const rows = await ex
      .selectFrom('resources')
      .select(['rid', 'content', 'patient_id'])
      .where('resource_type', '=', 'Task')
      .where('deleted', '=', 0)
      .where('rid', '>', after)
      .orderBy('rid')
      .limit(2000)
      .execute();
    if (rows.length === 0) return count;
    after = Number(rows.at(-1)!.rid);
    const tasks = rows
      .map((r) => ({
        rid: Number(r.rid),
        task: JSON.parse(r.content) as Task,
        patientId: r.patient_id ?? undefined,
      }))
      .filter((t) => t.patientId && openStatuses.includes(t.task.status));
    const sources = await loadPatientSources(
      ex,
      tasks.map((t) => t.patientId!),
    );
    const out = tasks
      .map((t) => worklistRow(t.rid, t.task, t.patientId, sources.get(t.patientId!)))
      .filter((r): r is WorklistItemTable => !!r);
    await insertRows(ex, database, out);
    count += out.length;
  }
}

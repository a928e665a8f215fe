/**
 * The state of one reconciliation, read from the store: the task, its encounter, the list before
 * admission, the discharge list, the diff between them and the decisions recorded so far.
 */
import type { Encounter, List, MedicationRequest, MedicationStatement, Resource, Task } from 'fhir/r4.js';
import { unprocessable } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { type DiffLine, diffMedicationLists } from './medication-diff.js';
import { entryOf, type MedicationEntry } from './medication-entry.js';
import { RECONCILIATION_TASK_CODE, SNOMED_RECONCILIATION } from './medication-reconciliation.rules.js';
import {
  RECONCILIATION_SYSTEM,
  type Resolution,
  resolutionsOf,
  type StoredLine,
} from './reconciliation-list.js';

/** A diff line with the decision taken on it, if any. */
export interface ReconciliationLine extends DiffLine {
  resolution?: Resolution;
}

/** Everything a step needs: the task, its encounter and patient, the lines and the stored decisions. */
export interface ReconciliationState {
  task: Task;
  encounter: Encounter;
  patientId: string;
  list?: List;
  lines: ReconciliationLine[];
}

const idOf = (reference: string | undefined, type: string): string | undefined =>
  reference?.startsWith(`${type}/`) ? reference.slice(type.length + 1) : undefined;

/** True when the Task asks for a medication reconciliation (CareLoop task code or SNOMED CT 430193006). */
export function isReconciliationTask(task: Task): boolean {
  return (task.code?.coding ?? []).some(
    (c) =>
      (c.code === RECONCILIATION_TASK_CODE && c.system?.startsWith('https://careloop.org/')) ||
      (c.code === SNOMED_RECONCILIATION.code && c.system === SNOMED_RECONCILIATION.system),
  );
}

async function all<T extends Resource>(store: ResourceStore, type: string, query: [string, string][]) {
  const bundle = await store.search(type, [...query, ['_count', String(store.options.maxPageSize)]], '');
  return (bundle.entry ?? []).map((e) => e.resource as T);
}

const byTimeThenId = (time: (r: Resource) => string | undefined) => (a: Resource, b: Resource) =>
  (time(a) ?? '').localeCompare(time(b) ?? '') || a.id!.localeCompare(b.id!);

/** Reads the task, its encounter, both lists and the decisions so far. */
export async function reconciliationState(
  store: ResourceStore,
  taskId: string,
): Promise<ReconciliationState> {
  const task = (await store.read('Task', taskId)) as Task;
  if (!isReconciliationTask(task))
    throw unprocessable(`Task/${taskId} is not a medication reconciliation task`, 'Task.code');
  const encounterId = idOf(task.focus?.reference, 'Encounter');
  const patientId = idOf(task.for?.reference, 'Patient');
  if (!encounterId) throw unprocessable(`Task/${taskId} has no Encounter as its focus`, 'Task.focus');
  if (!patientId) throw unprocessable(`Task/${taskId} is not for a patient`, 'Task.for');
  const encounter = (await store.read('Encounter', encounterId)) as Encounter;
  const [list] = await all<List>(store, 'List', [['identifier', `${RECONCILIATION_SYSTEM}|${taskId}`]]);
  const stored = resolutionsOf(list);
  if (task.status === 'completed' && list)
    return { task, encounter, patientId, list, lines: await storedLines(store, stored) };
  const [before, discharge] = await Promise.all([
    beforeAdmission(store, patientId, encounter),
    dischargeList(store, encounter),
  ]);
  const lines = diffMedicationLists(before, discharge).map((line): ReconciliationLine => {
    const resolution = stored.get(line.id)?.resolution;
    return resolution ? { ...line, resolution } : line;
  });
  return { task, encounter, patientId, ...(list ? { list } : {}), lines };
}

/**
 * The patient's medications before admission: active or on-hold MedicationRequests and
 * MedicationStatements not tied to this encounter, written (authoredOn; a statement's effective start
 * or dateAsserted) before the admission. Undated ones count: they were on the record already.
 */
async function beforeAdmission(
  store: ResourceStore,
  patientId: string,
  encounter: Encounter,
): Promise<MedicationEntry[]> {
  const admitted = Date.parse(encounter.period?.start ?? '');
  const here = `Encounter/${encounter.id}`;
  const before = (when: string | undefined) => Number.isNaN(admitted) || !when || Date.parse(when) < admitted;
  const patient = ['patient', `Patient/${patientId}`] as [string, string];
  const requests = (
    await all<MedicationRequest>(store, 'MedicationRequest', [patient, ['status', 'active,on-hold']])
  ).filter((r) => r.encounter?.reference !== here && before(r.authoredOn));
  const statements = (
    await all<MedicationStatement>(store, 'MedicationStatement', [patient, ['status', 'active,on-hold']])
  ).filter(
    (s) =>
      s.context?.reference !== here &&
      before(s.effectivePeriod?.start ?? s.effectiveDateTime ?? s.dateAsserted),
  );
  return [
    ...requests.sort(byTimeThenId((r) => (r as MedicationRequest).authoredOn)),
    ...statements.sort(byTimeThenId((s) => (s as MedicationStatement).dateAsserted)),
  ].map(entryOf);
}

/** The discharge list: MedicationRequests of the discharge encounter (EHR, HL7 RDE, or the pharmacist). */
async function dischargeList(store: ResourceStore, encounter: Encounter): Promise<MedicationEntry[]> {
  const requests = await all<MedicationRequest>(store, 'MedicationRequest', [
    ['encounter', `Encounter/${encounter.id}`],
    ['status', 'active,on-hold,draft'],
  ]);
  return requests.sort(byTimeThenId((r) => (r as MedicationRequest).authoredOn)).map(entryOf);
}

/** The lines of a completed reconciliation, from its snapshot (the medications as they are now). */
async function storedLines(
  store: ResourceStore,
  stored: Map<string, StoredLine>,
): Promise<ReconciliationLine[]> {
  const lines: ReconciliationLine[] = [];
  const entry = async (reference: string | undefined) => {
    if (!reference) return undefined;
    const [type, id] = reference.split('/');
    try {
      return entryOf((await store.read(type!, id!)) as MedicationRequest | MedicationStatement);
    } catch {
      return undefined;
    }
  };
  for (const s of stored.values()) {
    const [before, after] = await Promise.all([entry(s.before), entry(s.after)]);
    lines.push({
      id: s.id,
      kind: s.kind,
      detail: s.detail,
      ...(s.class ? { class: s.class } : {}),
      ...(before ? { before } : {}),
      ...(after ? { after } : {}),
      resolution: s.resolution,
    });
  }
  return lines;
}

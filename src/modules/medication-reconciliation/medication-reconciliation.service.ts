/**
 * Medication reconciliation at a care transition, worked from a Task (code medication-reconciliation,
 * focus = the discharge Encounter, for = the patient): the list before admission against the
 * discharge list, each line resolved by a pharmacist, physician or nurse, the decisions kept in a
 * List linked from Task.output, and — when the last line is resolved — the result applied as the
 * patient's active medications and the Task completed, in one transaction. Every function takes a
 * store acting for someone (`store.as(context)`): access is checked and audited in the store.
 */
import type { Dosage, List, MedicationRequest, Patient, Task } from 'fhir/r4.js';
import { withSensitivityLabels } from '../../access/policy/access-facts.js';
import { forbidden } from '../../access/policy/visibility.js';
import { badRequest, conflict, notFound } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { openStatuses, type TaskStatus } from '../tasks/tasks.rules.js';
import type { DiffLine } from './medication-diff.js';
import { reconcilingRoles } from './medication-reconciliation.rules.js';
import { applyReconciliation, moveTask } from './reconciliation-apply.js';
import {
  type DecisionCode,
  entryFor,
  newList,
  RECONCILIATION_SYSTEM,
  type Resolution,
  readEntry,
} from './reconciliation-list.js';
import {
  type ReconciliationLine,
  type ReconciliationState,
  reconciliationState,
} from './reconciliation-state.js';

export type { ReconciliationLine, ReconciliationState } from './reconciliation-state.js';
export { isReconciliationTask } from './reconciliation-state.js';

export interface ReconciliationView {
  task: { id: string; status: string; owner?: string };
  patient: { id: string; name?: string };
  encounter: { id: string; status: string; admitted?: string; discharged?: string };
  /** The List holding the decisions, once the first line is resolved. */
  listId?: string;
  completed: boolean;
  lines: ReconciliationLine[];
  progress: { resolved: number; total: number };
}

/** A structured dosage as the pharmacist enters it; text alone is allowed. */
export interface DosageInput {
  text?: string;
  dose?: { value: number; unit: string };
  frequency?: number;
  period?: number;
  periodUnit?: 'h' | 'd' | 'wk';
  asNeeded?: boolean;
  route?: string;
}

export interface LineDecision {
  decision: DecisionCode;
  dosage?: DosageInput;
  note?: string;
}

export interface DischargeMedicationInput {
  /** RxNorm code (product or ingredient), when known. */
  rxnorm?: string;
  name: string;
  dosage: DosageInput;
  note?: string;
}

const UCUM = 'http://unitsofmeasure.org';

/** The FHIR Dosage of an entered dosage. */
export function dosageOf(input: DosageInput): Dosage {
  return {
    ...(input.text ? { text: input.text } : {}),
    ...(input.frequency !== undefined
      ? {
          timing: {
            repeat: {
              frequency: input.frequency,
              period: input.period ?? 1,
              periodUnit: input.periodUnit ?? 'd',
            },
          },
        }
      : {}),
    ...(input.asNeeded ? { asNeededBoolean: true } : {}),
    ...(input.route ? { route: { text: input.route } } : {}),
    ...(input.dose
      ? {
          doseAndRate: [
            {
              doseQuantity: {
                value: input.dose.value,
                unit: input.dose.unit,
                system: UCUM,
                code: input.dose.unit,
              },
            },
          ],
        }
      : {}),
  };
}

async function present(store: ResourceStore, state: ReconciliationState): Promise<ReconciliationView> {
  const { task, encounter, patientId, list, lines } = state;
  let name: string | undefined;
  try {
    const patient = (await store.read('Patient', patientId)) as Patient;
    const n = patient.name?.find((x) => x.use === 'official') ?? patient.name?.[0];
    name = n?.text ?? ([...(n?.given ?? []), n?.family].filter(Boolean).join(' ') || undefined);
  } catch {
    // A role that sees the medications but not the demographics still gets the lines.
  }
  return {
    task: {
      id: task.id!,
      status: task.status,
      ...(task.owner?.reference ? { owner: task.owner.reference } : {}),
    },
    patient: { id: patientId, ...(name ? { name } : {}) },
    encounter: {
      id: encounter.id!,
      status: encounter.status,
      ...(encounter.period?.start ? { admitted: encounter.period.start } : {}),
      ...(encounter.period?.end ? { discharged: encounter.period.end } : {}),
    },
    ...(list?.id ? { listId: list.id } : {}),
    completed: task.status === 'completed',
    lines,
    progress: { resolved: lines.filter((l) => l.resolution).length, total: lines.length },
  };
}

/** The reconciliation of a task: patient, encounter, every line with its resolution, progress. */
export async function loadReconciliation(store: ResourceStore, taskId: string): Promise<ReconciliationView> {
  return present(store, await reconciliationState(store, taskId));
}

function assertMayReconcile(store: ResourceStore): void {
  const { context } = store;
  if (context.kind === 'user' && !(reconcilingRoles as readonly string[]).includes(context.role))
    throw forbidden(`only a ${reconcilingRoles.join(', ')} may reconcile medications, not a ${context.role}`);
}

function assertOpen(task: Task): void {
  if (!openStatuses.includes(task.status as TaskStatus))
    throw conflict(`Task/${task.id} is ${task.status}: its reconciliation can no longer change`);
}

/** The decisions a line of this kind takes; 400 naming the field otherwise. */
function checkDecision(line: DiffLine, input: LineDecision): void {
  const duplicate = line.kind === 'duplicate-class';
  const allowed: DecisionCode[] = duplicate ? ['keep-both', 'stop'] : ['continue', 'stop', 'change'];
  if (!allowed.includes(input.decision))
    throw badRequest(
      `decision: a ${line.kind} line is resolved with ${allowed.join(' or ')}, not ${input.decision}`,
      'decision',
    );
  if (input.decision === 'change' && !input.dosage)
    throw badRequest('dosage: a change needs the new dosage', 'dosage');
  if (input.decision === 'keep-both' && !input.note?.trim())
    throw badRequest('note: keeping both drugs of one class needs the reason', 'note');
}

/**
 * Records one decision (replacing an earlier one on the same line). The first decision starts the
 * task; the last one applies the result to the patient's medications and completes it. One
 * transaction; 409 once the task is closed.
 */
export async function resolveLine(
  store: ResourceStore,
  taskId: string,
  lineId: string,
  input: LineDecision,
): Promise<ReconciliationView> {
  assertMayReconcile(store);
  let detail = '';
  return store.audited(
    'update',
    async (s) => {
      const state = await reconciliationState(s, taskId);
      assertOpen(state.task);
      const line = state.lines.find((l) => l.id === lineId);
      if (!line) throw notFound(`Task/${taskId} has no line ${lineId} (the lists may have changed: reload)`);
      checkDecision(line, input);
      detail = `line ${lineId} ${line.kind} → ${input.decision}`;
      const now = s.options.clock.now().toISOString();
      const resolution: Resolution = {
        decision: input.decision,
        ...(input.note ? { note: input.note } : {}),
        ...(input.decision === 'change' && input.dosage ? { dosage: dosageOf(input.dosage) } : {}),
        by: s.context.resource ?? s.context.actor,
        at: now,
      };
      line.resolution = resolution;
      const list = await saveList(s, state, line, resolution, now);
      state.list = list;
      const done = state.lines.every((l) => l.resolution);
      if (done) {
        await applyReconciliation(s, state, now);
        state.list = (
          await s.update(
            'List',
            list.id!,
            { ...list, mode: 'snapshot' },
            {
              ifMatch: Number(list.meta?.versionId),
            },
          )
        ).resource as List;
        state.task = await moveTask(s, state.task, 'completed', list.id!, now);
      } else {
        state.task = await moveTask(s, state.task, 'in-progress', list.id!, now);
      }
      return present(s, state);
    },
    () => ({ resources: [`Task/${taskId}`], detail }),
    { resources: [`Task/${taskId}`], detail: `resolve line ${lineId}` },
  );
}

async function saveList(
  store: ResourceStore,
  state: ReconciliationState,
  line: DiffLine,
  resolution: Resolution,
  now: string,
): Promise<List> {
  const source = /^(Practitioner|PractitionerRole)\//.test(store.context.resource ?? '')
    ? store.context.resource
    : undefined;
  const current =
    state.list ??
    ((
      await store.create(
        newList({
          taskId: state.task.id!,
          patient: `Patient/${state.patientId}`,
          encounter: `Encounter/${state.encounter.id}`,
          now,
          ...(source ? { source } : {}),
        }),
        { ifNoneExist: `identifier=${RECONCILIATION_SYSTEM}|${state.task.id}` },
      )
    ).resource as List);
  // Only the lines that still exist keep their entries: a line whose medication left the lists is gone.
  const live = new Set(state.lines.map((l) => l.id));
  const entries = (current.entry ?? []).filter((e) => {
    const id = readEntry(e)?.id;
    return id ? live.has(id) && id !== line.id : true;
  });
  // The record quotes the medications of its lines (names, doses): it carries their labels.
  const quoted = state.lines
    .filter((l) => l.resolution)
    .flatMap((l) => [...(l.before?.security ?? []), ...(l.after?.security ?? [])]);
  const next: List = withSensitivityLabels(
    {
      ...current,
      date: now,
      ...(source ? { source: { reference: source } } : {}),
      entry: [...entries, entryFor(line, resolution)],
    },
    quoted,
  );
  return (await store.update('List', current.id!, next, { ifMatch: Number(current.meta?.versionId) }))
    .resource as List;
}

/** The pharmacist enters a discharge medication (a MedicationRequest of the discharge encounter). */
export async function addDischargeMedication(
  store: ResourceStore,
  taskId: string,
  input: DischargeMedicationInput,
): Promise<{ medicationRequest: MedicationRequest; reconciliation: ReconciliationView }> {
  assertMayReconcile(store);
  let created = '';
  return store.audited(
    'create',
    async (s) => {
      const state = await reconciliationState(s, taskId);
      assertOpen(state.task);
      const now = s.options.clock.now().toISOString();
      const me = s.context.resource;
      const request: MedicationRequest = {
        resourceType: 'MedicationRequest',
        status: 'active',
        intent: 'order',
        medicationCodeableConcept: {
          ...(input.rxnorm
            ? { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: input.rxnorm }] }
            : {}),
          text: input.name,
        },
        subject: { reference: `Patient/${state.patientId}` },
        encounter: { reference: `Encounter/${state.encounter.id}` },
        authoredOn: now,
        ...(me && /^(Practitioner|PractitionerRole)\//.test(me) ? { requester: { reference: me } } : {}),
        dosageInstruction: [dosageOf(input.dosage)],
        ...(input.note ? { note: [{ text: input.note, time: now }] } : {}),
      };
      const saved = (await s.create(request)).resource as MedicationRequest;
      created = `MedicationRequest/${saved.id}`;
      return { medicationRequest: saved, reconciliation: await loadReconciliation(s, taskId) };
    },
    () => ({ resources: [created, `Task/${taskId}`].filter(Boolean) }),
    { resources: [`Task/${taskId}`], detail: 'add discharge medication' },
  );
}

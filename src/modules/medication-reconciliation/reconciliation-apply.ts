/**
 * Applying a finished reconciliation: every decision becomes the state of the patient's medication
 * records, and the Task moves along its state machine. Runs inside resolveLine's transaction.
 *
 * - continue: the discharge order stays (or becomes) active; the order it replaces from before
 *   admission is completed (superseded), a medication only on the list before admission stays as it is;
 * - stop: the medication is stopped (a discharge order stopped before it started is cancelled as well
 *   as stopped in meaning: status `stopped`, the reason in statusReason);
 * - change: a new MedicationRequest with the new dosage (priorPrescription = the old order) and the
 *   old one(s) stopped;
 * - duplicate-class `stop` stops the later drug of the pair, whatever its own line said;
 *   `keep-both` changes nothing (the reason stays in the List).
 */
import type { MedicationRequest, MedicationStatement, Task } from 'fhir/r4.js';
import { withLabelsOf } from '../../access/policy/access-facts.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { isOverdueMarked } from '../tasks/tasks.service.js';
import { TASK_CODE_SYSTEM } from './medication-reconciliation.rules.js';
import { RECONCILIATION_SYSTEM } from './reconciliation-list.js';
import type { ReconciliationState } from './reconciliation-state.js';

type Medication = MedicationRequest | MedicationStatement;

async function readMedication(store: ResourceStore, reference: string): Promise<Medication> {
  const [type, id] = reference.split('/');
  return (await store.read(type!, id!)) as Medication;
}

/** Sets a medication's status (and why), unless it already has it. */
async function setStatus(
  store: ResourceStore,
  reference: string,
  status: 'active' | 'stopped' | 'completed',
  reason?: string,
): Promise<void> {
  const current = await readMedication(store, reference);
  if (current.status === status) return;
  const next = { ...current, status } as Medication;
  if (reason) {
    if (next.resourceType === 'MedicationRequest') next.statusReason = { text: reason };
    else next.statusReason = [{ text: reason }];
  }
  await store.update(current.resourceType, current.id!, next, { ifMatch: Number(current.meta?.versionId) });
}

/** Applies every resolved line of `state` to the patient's medication records. */
export async function applyReconciliation(
  store: ResourceStore,
  state: ReconciliationState,
  now: string,
): Promise<void> {
  const taskId = state.task.id!;
  const stoppedAsDuplicate = new Set(
    state.lines
      .filter((l) => l.kind === 'duplicate-class' && l.resolution?.decision === 'stop')
      .map((l) => l.after!.reference),
  );
  const me = store.context.resource;
  for (const line of state.lines) {
    if (line.kind === 'duplicate-class') continue;
    const resolution = line.resolution!;
    const duplicate = !!line.after && stoppedAsDuplicate.has(line.after.reference);
    const decision = duplicate ? 'stop' : resolution.decision;
    const why = (fallback: string) =>
      duplicate
        ? 'Stopped at medication reconciliation: therapeutic duplication'
        : (resolution.note ?? fallback);
    const before = line.before?.reference;
    const after = line.after?.reference;
    if (decision === 'continue') {
      if (after) await setStatus(store, after, 'active');
      if (before && after)
        await setStatus(
          store,
          before,
          'completed',
          `Superseded at discharge by ${after} (medication reconciliation)`,
        );
      continue;
    }
    if (decision === 'change') {
      const source = await readMedication(store, (after ?? before)!);
      const request: MedicationRequest = {
        resourceType: 'MedicationRequest',
        identifier: [{ system: RECONCILIATION_SYSTEM, value: `${taskId}:${line.id}` }],
        status: 'active',
        intent: 'order',
        ...(source.medicationCodeableConcept
          ? { medicationCodeableConcept: source.medicationCodeableConcept }
          : { medicationReference: source.medicationReference! }),
        subject: source.subject,
        encounter: { reference: `Encounter/${state.encounter.id}` },
        authoredOn: now,
        ...(me && /^(Practitioner|PractitionerRole)\//.test(me) ? { requester: { reference: me } } : {}),
        dosageInstruction: [resolution.dosage!],
        ...(source.resourceType === 'MedicationRequest'
          ? { priorPrescription: { reference: `MedicationRequest/${source.id}` } }
          : {}),
        ...(resolution.note ? { note: [{ text: resolution.note, time: now }] } : {}),
      };
      // The new order repeats the medication: it carries the old order's sensitivity labels.
      await store.create(withLabelsOf(request, [source]), {
        ifNoneExist: `identifier=${RECONCILIATION_SYSTEM}|${taskId}:${line.id}`,
      });
    }
    for (const reference of [before, after])
      if (reference)
        await setStatus(
          store,
          reference,
          'stopped',
          decision === 'change'
            ? 'Dose changed at medication reconciliation: replaced by a new order'
            : why('Stopped at medication reconciliation'),
        );
  }
}

/** How an open task reaches in-progress along the R4 state machine (src/modules/tasks/tasks.rules.ts). */
const toInProgress: Record<string, string[]> = {
  requested: ['accepted', 'in-progress'],
  received: ['accepted', 'in-progress'],
  accepted: ['in-progress'],
  ready: ['in-progress'],
  'on-hold': ['in-progress'],
  'in-progress': [],
};

/**
 * Moves the task to in-progress (the first decision) or through it to completed (the last one), one
 * allowed step per version so the task state machine's guard holds, and links the List as its output.
 */
export async function moveTask(
  store: ResourceStore,
  task: Task,
  to: 'in-progress' | 'completed',
  listId: string,
  now: string,
): Promise<Task> {
  const steps = [...(toInProgress[task.status] ?? []), ...(to === 'completed' ? ['completed'] : [])];
  const listReference = `List/${listId}`;
  const linked = (task.output ?? []).some((o) => o.valueReference?.reference === listReference);
  if (steps.length === 0 && linked) return task;
  let current = task;
  if (steps.length === 0) steps.push(task.status);
  for (const [i, status] of steps.entries()) {
    const last = i === steps.length - 1;
    const next: Task = { ...current, status: status as Task['status'], lastModified: now };
    if (status === 'in-progress' && !next.executionPeriod?.start)
      next.executionPeriod = { ...next.executionPeriod, start: now };
    if (status === 'completed') {
      next.executionPeriod = { ...next.executionPeriod, end: now };
      if (isOverdueMarked(next)) delete next.businessStatus;
    }
    if (last && !linked)
      next.output = [
        ...(current.output ?? []),
        {
          type: {
            coding: [{ system: TASK_CODE_SYSTEM, code: 'medication-reconciliation-record' }],
            text: 'Medication reconciliation record',
          },
          valueReference: { reference: listReference },
        },
      ];
    current = (await store.update('Task', current.id!, next, { ifMatch: Number(current.meta?.versionId) }))
      .resource as Task;
  }
  return current;
}

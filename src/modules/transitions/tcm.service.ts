/**
 * Transitional Care Management after a qualifying discharge (tcm.rules.ts): three Tasks per discharge
 * (interactive contact, face-to-face visit, medication reconciliation), identified by (encounter,
 * kind) so a resent A03 makes nothing twice, cancelled when the discharge is cancelled (A13) and
 * restored when it is sent again. The 30-day service period is kept on the contact task.
 */
import type { Encounter, Extension, Task } from 'fhir/r4.js';
import type { Role } from '../../access/access-context.js';
import { withLabelsOf } from '../../access/policy/access-facts.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import type { BusinessCalendar } from '../../platform/business-calendar.js';
import { leadCoordinatorOf } from '../care-teams/lead.js';
import { FOLLOW_UP_SYSTEM } from '../tasks/follow-up.service.js';
import {
  openStatuses,
  type Priority,
  roleCodes,
  TASK_RULE,
  TASK_TRIGGERED_AT,
} from '../tasks/tasks.rules.js';
import { identifierQuery } from './adt-fields.js';
import { activeCareTeams } from './notifications.service.js';
import { TCM_SOURCE, tcmComplexity, tcmDeadlines, tcmQualification } from './tcm.rules.js';
import { type TcmTaskKind, tcmTaskKinds } from './transition-view.js';
import {
  TASK_CODE_SYSTEM,
  TCM_COMPLEXITY_EXTENSION,
  TCM_PERIOD_EXTENSION,
  TCM_TASK_ID_SYSTEM,
  V2_DISPOSITION,
} from './transitions.rules.js';

const taskDefinitions: Record<TcmTaskKind, { title: string; role: Role; priority: Priority; why: string }> = {
  'tcm-interactive-contact': {
    title: 'TCM interactive contact after discharge',
    role: 'care-coordinator',
    priority: 'urgent',
    why: 'interactive contact with the patient or caregiver within 2 business days of discharge',
  },
  'tcm-face-to-face': {
    title: 'TCM face-to-face visit after discharge',
    role: 'physician',
    priority: 'routine',
    why: 'face-to-face visit within 7 (high complexity, 99496) or 14 (moderate, 99495) days',
  },
  'medication-reconciliation': {
    title: 'Medication reconciliation after discharge',
    role: 'pharmacist',
    priority: 'routine',
    why: 'medication reconciliation no later than the face-to-face visit',
  },
};

/** Discharges further back than the 30-day TCM service period start no TCM (history, back-loads). */
const SERVICE_PERIOD_DAYS = 30;

export interface TcmOptions {
  timeZone: string;
  calendar: BusinessCalendar;
}

/** The complexity recorded on a visit task (by the rules at discharge, or by a clinician since). */
export function complexityOf(
  task: Task | undefined,
): { level: 'high' | 'moderate'; reason: string; by?: string } | undefined {
  const ext = task?.extension?.find((e) => e.url === TCM_COMPLEXITY_EXTENSION);
  if (!ext) return undefined;
  const part = (url: string) => ext.extension?.find((e) => e.url === url);
  const level = part('level')?.valueCode === 'high' ? 'high' : 'moderate';
  const by = part('setBy')?.valueString;
  return { level, reason: part('reason')?.valueString ?? '', ...(by ? { by } : {}) };
}

export function complexityExtension(level: 'high' | 'moderate', reason: string, by?: string): Extension {
  return {
    url: TCM_COMPLEXITY_EXTENSION,
    extension: [
      { url: 'level', valueCode: level },
      { url: 'reason', valueString: reason },
      ...(by ? [{ url: 'setBy', valueString: by }] : []),
    ],
  };
}

/** The TCM task of one kind for an encounter, if made. */
export async function tcmTask(
  store: ResourceStore,
  encounterId: string,
  kind: TcmTaskKind,
): Promise<Task | undefined> {
  const [id] = await store.matchIds(
    'Task',
    identifierQuery({ system: TCM_TASK_ID_SYSTEM, value: `${encounterId}:${kind}` }),
    1,
  );
  return id ? ((await store.read('Task', id)) as Task) : undefined;
}

/**
 * Starts TCM for a finished encounter the rules accept: the three tasks, due per tcmDeadlines, the
 * visit 7 days out when LACE/HOSPITAL are in their high band (tcmComplexity) or a clinician said so.
 */
export async function startTcm(
  store: ResourceStore,
  encounter: Encounter,
  scores: { lace?: number; hospital?: number },
  options: TcmOptions,
): Promise<{ qualifies: boolean; reason: string; tasks: Task[] }> {
  const disposition = encounter.hospitalization?.dischargeDisposition?.coding?.find(
    (c) => c.system === V2_DISPOSITION,
  )?.code;
  const qualification = tcmQualification({
    encounterClass: encounter.class?.code ?? '',
    ...(disposition ? { dischargeDisposition: disposition } : {}),
  });
  const end = encounter.period?.end;
  if (!qualification.qualifies || !end) return { ...qualification, tasks: [] };
  const dischargedAt = new Date(end);
  const now = store.options.clock.now();
  if (now.getTime() - dischargedAt.getTime() > SERVICE_PERIOD_DAYS * 86_400_000)
    return {
      qualifies: false,
      reason: 'The discharge is older than the 30-day TCM service period.',
      tasks: [],
    };

  const previousVisit = await tcmTask(store, encounter.id!, 'tcm-face-to-face');
  const clinician = complexityOf(previousVisit);
  const complexity = tcmComplexity({
    ...scores,
    ...(clinician?.by ? { clinicianSays: clinician.level } : {}),
  });
  const deadlines = tcmDeadlines({
    dischargedAt,
    timeZone: options.timeZone,
    calendar: options.calendar,
    highComplexity: complexity.high,
  });
  const patientId = encounter.subject!.reference!.slice('Patient/'.length);
  const { teams } = await activeCareTeams(store, patientId);
  const lead = teams.length ? await leadCoordinatorOf(store, patientId) : undefined;
  const team = teams[0] ? `CareTeam/${teams[0].id}` : undefined;
  const due: Record<TcmTaskKind, Date> = {
    'tcm-interactive-contact': deadlines.contactDue,
    'tcm-face-to-face': deadlines.visitDue,
    'medication-reconciliation': deadlines.medicationReconciliationDue,
  };
  const tasks: Task[] = [];
  for (const kind of tcmTaskKinds) {
    const def = taskDefinitions[kind];
    const owner = kind === 'tcm-interactive-contact' && lead ? lead.reference : team;
    const extension: Extension[] = [
      { url: TASK_RULE, valueString: kind },
      { url: TASK_TRIGGERED_AT, valueDateTime: dischargedAt.toISOString() },
    ];
    if (kind === 'tcm-interactive-contact')
      extension.push({
        url: TCM_PERIOD_EXTENSION,
        valuePeriod: { start: dischargedAt.toISOString(), end: deadlines.periodEnd.toISOString() },
      });
    if (kind === 'tcm-face-to-face')
      extension.push(
        clinician?.by
          ? complexityExtension(clinician.level, clinician.reason, clinician.by)
          : complexityExtension(complexity.high ? 'high' : 'moderate', complexity.reason),
      );
    const role = roleCodes[def.role];
    const task: Task = {
      resourceType: 'Task',
      extension,
      identifier: [{ system: TCM_TASK_ID_SYSTEM, value: `${encounter.id}:${kind}` }],
      status: 'requested',
      intent: 'order',
      priority: def.priority,
      code: { coding: [{ system: TASK_CODE_SYSTEM, code: kind, display: def.title }], text: def.title },
      focus: { reference: `Encounter/${encounter.id}` },
      for: { reference: `Patient/${patientId}` },
      encounter: { reference: `Encounter/${encounter.id}` },
      authoredOn: now.toISOString(),
      lastModified: now.toISOString(),
      performerType: [role ? { coding: [{ ...role }], text: def.role } : { text: def.role }],
      ...(owner ? { owner: { reference: owner } } : {}),
      restriction: { period: { start: dischargedAt.toISOString(), end: due[kind].toISOString() } },
      reasonCode: { text: `TCM (CPT ${deadlines.cpt}): ${def.why} (source: ${TCM_SOURCE.title})` },
    };
    // The task tells of the discharge: it carries the stay's sensitivity labels.
    const labelled = withLabelsOf(task, [encounter]);
    const existing = kind === 'tcm-face-to-face' ? previousVisit : await tcmTask(store, encounter.id!, kind);
    if (!existing) tasks.push((await store.create(labelled)).resource as Task);
    else if (existing.status === 'cancelled')
      // Discharge cancelled (A13) and sent again: the same task comes back with the new deadlines.
      tasks.push(
        (
          await store.update('Task', existing.id!, {
            ...labelled,
            id: existing.id!,
            authoredOn: existing.authoredOn ?? task.authoredOn,
          })
        ).resource as Task,
      );
    else tasks.push(existing);
  }
  return { ...qualification, tasks };
}

/**
 * Cancels the open tasks an event made for an encounter: TCM and follow-up-rule tasks for a cancelled
 * discharge (A13), every open task of the encounter for a cancelled admission (A11).
 */
export async function cancelEncounterTasks(
  store: ResourceStore,
  encounterId: string,
  reason: string,
  scope: 'discharge' | 'all',
): Promise<Task[]> {
  const bundle = await store.search(
    'Task',
    [
      ['encounter', `Encounter/${encounterId}`],
      ['_count', '1000'],
    ],
    '',
  );
  const now = store.options.clock.now().toISOString();
  const cancelled: Task[] = [];
  for (const entry of bundle.entry ?? []) {
    const task = entry.resource as Task;
    if (!(openStatuses as readonly string[]).includes(task.status)) continue;
    const madeByDischarge = (task.identifier ?? []).some(
      (i) => i.system === TCM_TASK_ID_SYSTEM || i.system === FOLLOW_UP_SYSTEM,
    );
    if (scope === 'discharge' && !madeByDischarge) continue;
    const next: Task = {
      ...task,
      status: 'cancelled',
      statusReason: { text: reason },
      lastModified: now,
      executionPeriod: { ...task.executionPeriod, end: now },
    };
    delete next.businessStatus;
    cancelled.push((await store.update('Task', task.id!, next)).resource as Task);
  }
  return cancelled;
}

/**
 * What the care team does during TCM: contact attempts (each a FHIR Communication based on the
 * contact task; a reached patient completes the task, and so do two timely unsuccessful attempts)
 * and a clinician's complexity call (moves the visit and medication reconciliation deadlines).
 * Everything runs as the signed-in user, so access and audit apply.
 */
import type { Communication, Encounter, Task } from 'fhir/r4.js';
import { badRequest, conflict, FhirError, notFound } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { terminalStatuses } from '../tasks/tasks.rules.js';
import { transitionTask } from '../tasks/tasks.service.js';
import { tcmDeadlines } from './tcm.rules.js';
import { complexityExtension, type TcmOptions, tcmTask } from './tcm.service.js';
import {
  CONTACT_OUTCOME_EXTENSION,
  CONTACT_OUTCOME_SYSTEM,
  TCM_COMPLEXITY_EXTENSION,
  TRANSITION_SYSTEM,
} from './transitions.rules.js';

export const contactChannels = ['phone', 'video', 'in-person', 'portal', 'text'] as const;
export const contactOutcomes = ['reached', 'no-answer', 'left-message', 'wrong-number'] as const;
export type ContactChannel = (typeof contactChannels)[number];
export type ContactOutcome = (typeof contactOutcomes)[number];

/** Communication.category of a TCM contact attempt. */
export const CONTACT_ATTEMPT_CATEGORY = { system: TRANSITION_SYSTEM, code: 'tcm-contact-attempt' };
/** Task.statusReason when two documented timely attempts stand in for the contact (CMS TCM FAQ). */
export const TWO_ATTEMPTS = 'two-attempts';

/** Channel → Communication.medium (v3 ParticipationMode). */
const mediumOf: Record<ContactChannel, { code: string; display: string }> = {
  phone: { code: 'PHONE', display: 'telephone' },
  video: { code: 'VIDEOCONF', display: 'videoconferencing' },
  'in-person': { code: 'FACE', display: 'face-to-face' },
  portal: { code: 'ONLINEWRIT', display: 'online written' },
  text: { code: 'SMSWRIT', display: 'SMS written' },
};

export interface ContactAttemptInput {
  at: string;
  channel: ContactChannel;
  outcome: ContactOutcome;
  note?: string;
}

/** The attempts recorded against a contact task, oldest first. */
export async function contactAttempts(store: ResourceStore, taskId: string): Promise<Communication[]> {
  const bundle = await store.search(
    'Communication',
    [
      ['based-on', `Task/${taskId}`],
      ['_count', '200'],
    ],
    '',
  );
  return (bundle.entry ?? [])
    .map((e) => e.resource as Communication)
    .filter((c) => c.category?.some((x) => x.coding?.some((k) => k.code === CONTACT_ATTEMPT_CATEGORY.code)))
    .sort((a, b) => (a.sent ?? '').localeCompare(b.sent ?? ''));
}

export function outcomeOf(c: Communication): string | undefined {
  return c.extension?.find((e) => e.url === CONTACT_OUTCOME_EXTENSION)?.valueCode;
}

async function requireTask(
  store: ResourceStore,
  encounterId: string,
  kind: 'tcm-interactive-contact' | 'tcm-face-to-face',
): Promise<Task> {
  await store.read('Encounter', encounterId);
  const task = await tcmTask(store, encounterId, kind);
  if (!task) throw notFound(`encounter ${encounterId} has no TCM ${kind} task`);
  return task;
}

/** Completes a task as the user, walking the R4 state machine (requested → accepted → completed). */
async function complete(store: ResourceStore, task: Task, note: string, reason?: string): Promise<Task> {
  if (task.status === 'requested' || task.status === 'received')
    await transitionTask(store, task.id!, { to: 'accepted' });
  return transitionTask(store, task.id!, { to: 'completed', note, ...(reason ? { reason } : {}) });
}

/**
 * Records one contact attempt. Reached: the contact task is completed. Not reached: once two
 * attempts made by the contact deadline are documented, the task is completed with statusReason
 * 'two-attempts' (CMS: "two or more separate attempts ... made in a timely manner").
 */
export async function recordContactAttempt(
  store: ResourceStore,
  encounterId: string,
  input: ContactAttemptInput,
): Promise<{ attempt: Communication; task: Task }> {
  return store.transaction(async (tx) => {
    let task = await requireTask(tx, encounterId, 'tcm-interactive-contact');
    const at = Date.parse(input.at);
    const now = tx.options.clock.now().getTime();
    if (at > now + 5 * 60_000) throw badRequest('a contact attempt cannot be in the future', 'at');
    const dischargedAt = task.restriction?.period?.start;
    if (dischargedAt && at < Date.parse(dischargedAt))
      throw badRequest('the attempt is before the discharge', 'at');
    const reached = input.outcome === 'reached';
    const attempt: Communication = {
      resourceType: 'Communication',
      extension: [{ url: CONTACT_OUTCOME_EXTENSION, valueCode: input.outcome }],
      basedOn: [{ reference: `Task/${task.id}` }],
      status: reached ? 'completed' : 'not-done',
      ...(reached
        ? {}
        : { statusReason: { coding: [{ system: CONTACT_OUTCOME_SYSTEM, code: input.outcome }] } }),
      category: [{ coding: [CONTACT_ATTEMPT_CATEGORY] }],
      medium: [
        {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode',
              ...mediumOf[input.channel],
            },
          ],
          text: input.channel,
        },
      ],
      subject: task.for!,
      encounter: { reference: `Encounter/${encounterId}` },
      sent: new Date(at).toISOString(),
      recipient: [task.for!],
      ...(tx.context.resource ? { sender: { reference: tx.context.resource } } : {}),
      ...(input.note ? { note: [{ text: input.note, time: new Date(now).toISOString() }] } : {}),
    };
    const saved = (await tx.create(attempt)).resource as Communication;
    if ((terminalStatuses as readonly string[]).includes(task.status)) return { attempt: saved, task };
    if (reached) {
      task = await complete(tx, task, `Interactive contact made (${input.channel}).`);
    } else {
      const due = Date.parse(task.restriction?.period?.end ?? '');
      const timelyFailures = (await contactAttempts(tx, task.id!)).filter(
        (c) => c.status === 'not-done' && (Number.isNaN(due) || Date.parse(c.sent ?? '') <= due),
      );
      if (timelyFailures.length >= 2)
        task = await complete(
          tx,
          task,
          `${timelyFailures.length} timely contact attempts documented without reaching the patient.`,
          TWO_ATTEMPTS,
        );
    }
    return { attempt: saved, task };
  });
}

/** Roles whose complexity call counts: the clinicians who decide medical decision making. */
const clinicianRoles = ['physician', 'nurse'];

/**
 * A clinician sets the TCM complexity: high → visit (and medication reconciliation) due 7 days
 * after discharge (99496), moderate → 14 (99495). Recorded on the visit task with the reason and who.
 */
export async function setTcmComplexity(
  store: ResourceStore,
  encounterId: string,
  input: { level: 'high' | 'moderate'; reason: string },
  options: TcmOptions,
): Promise<{ visitTask: Task; medicationTask?: Task }> {
  if (!clinicianRoles.includes(store.context.role))
    throw new FhirError(403, [
      {
        code: 'forbidden',
        diagnostics: `your role (${store.context.role}) may not set TCM complexity; a physician or nurse may`,
      },
    ]);
  return store.transaction(async (tx) => {
    const encounter = (await tx.read('Encounter', encounterId)) as Encounter;
    const visit = await requireTask(tx, encounterId, 'tcm-face-to-face');
    if ((terminalStatuses as readonly string[]).includes(visit.status))
      throw conflict(`the visit task is ${visit.status}; its deadline no longer moves`);
    const dischargedAt = new Date(encounter.period?.end ?? visit.restriction?.period?.start ?? '');
    const deadlines = tcmDeadlines({
      dischargedAt,
      timeZone: options.timeZone,
      calendar: options.calendar,
      highComplexity: input.level === 'high',
    });
    const now = tx.options.clock.now().toISOString();
    const by = tx.context.resource ?? tx.context.actor;
    const moved = (task: Task, due: Date, extra: Partial<Task> = {}): Task => ({
      ...task,
      ...extra,
      lastModified: now,
      restriction: { ...task.restriction, period: { ...task.restriction?.period, end: due.toISOString() } },
    });
    const visitTask = (
      await tx.update(
        'Task',
        visit.id!,
        moved(visit, deadlines.visitDue, {
          extension: [
            ...(visit.extension ?? []).filter((e) => e.url !== TCM_COMPLEXITY_EXTENSION),
            complexityExtension(input.level, input.reason, by),
          ],
        }),
      )
    ).resource as Task;
    const med = await tcmTask(tx, encounterId, 'medication-reconciliation');
    const medicationTask =
      med && !(terminalStatuses as readonly string[]).includes(med.status)
        ? ((await tx.update('Task', med.id!, moved(med, deadlines.medicationReconciliationDue)))
            .resource as Task)
        : med;
    return { visitTask, ...(medicationTask ? { medicationTask } : {}) };
  });
}

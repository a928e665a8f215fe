/**
 * Overdue detection and escalation (the `tasks-escalate-overdue` job). An open task past its due time
 * is marked overdue (Task.businessStatus); past the threshold for its priority (tasks.rules.ts) it is
 * escalated once: one priority step up, the patient's lead coordinator told by a Communication, and
 * the time recorded on the task (task-escalated extension), so running the job again changes nothing.
 */
import type { Communication, Task } from 'fhir/r4.js';
import { systemContext } from '../../access/access-context.js';
import { withLabelsOf } from '../../access/policy/access-facts.js';
import { FhirError } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { leadCoordinatorOf } from '../care-teams/lead.js';
import {
  BUSINESS_STATUS,
  escalatedPriority,
  escalationAfterHours,
  openStatuses,
  type Priority,
  priorities,
  TASK_ESCALATED,
} from './tasks.rules.js';
import { isOverdueMarked } from './tasks.service.js';

export interface EscalationResult {
  /** Open tasks past due at `now`. */
  overdue: number;
  /** Of those, newly marked overdue by this run. */
  marked: number;
  /** Of those, escalated by this run. */
  escalated: number;
}

const HOUR_MS = 60 * 60 * 1000;
const PAGE = 500;

/** True once the task has been escalated (it carries the task-escalated extension). */
export function isEscalated(task: Task): boolean {
  return (task.extension ?? []).some((e) => e.url === TASK_ESCALATED);
}

/** Marks and escalates the open tasks that are overdue at `now`; acts as Device/careloop-jobs. */
export async function escalateOverdue(store: ResourceStore, now: Date): Promise<EscalationResult> {
  const system = store.as(systemContext('jobs'));
  const open: Task[] = [];
  // Collect first, then write: updates must not shift the pages still to be read.
  for (let offset = 0; ; offset += PAGE) {
    const bundle = await system.search(
      'Task',
      [
        ['status', openStatuses.join(',')],
        ['_count', String(PAGE)],
        ['_offset', String(offset)],
      ],
      '',
    );
    const page = (bundle.entry ?? []).map((e) => e.resource as Task);
    open.push(...page);
    if (page.length < PAGE) break;
  }
  const result: EscalationResult = { overdue: 0, marked: 0, escalated: 0 };
  for (const task of open) {
    const due = Date.parse(task.restriction?.period?.end ?? '');
    if (Number.isNaN(due) || due >= now.getTime()) continue;
    result.overdue++;
    try {
      const outcome = await escalateOne(system, task, now, (now.getTime() - due) / HOUR_MS);
      if (outcome.marked) result.marked++;
      if (outcome.escalated) result.escalated++;
    } catch (err) {
      // Changed since it was read (another server's run, a user's edit): the next run sees it afresh.
      if (err instanceof FhirError && err.status === 412) continue;
      throw err;
    }
  }
  return result;
}

async function escalateOne(
  store: ResourceStore,
  task: Task,
  now: Date,
  hoursOverdue: number,
): Promise<{ marked: boolean; escalated: boolean }> {
  const priority: Priority = (priorities as readonly string[]).includes(task.priority ?? '')
    ? (task.priority as Priority)
    : 'routine';
  const mark = !isOverdueMarked(task);
  const escalate = !isEscalated(task) && hoursOverdue >= escalationAfterHours[priority];
  if (!mark && !escalate) return { marked: false, escalated: false };
  const at = now.toISOString();
  const next: Task = { ...task };
  if (mark)
    next.businessStatus = {
      coding: [{ system: BUSINESS_STATUS, code: 'overdue', display: 'Overdue' }],
      text: 'Overdue',
    };
  await store.transaction(async (s) => {
    if (escalate) {
      next.priority = escalatedPriority[priority];
      next.extension = [...(task.extension ?? []), { url: TASK_ESCALATED, valueDateTime: at }];
      const patient = task.for?.reference;
      const lead = patient?.startsWith('Patient/') ? await leadCoordinatorOf(s, patient.slice(8)) : undefined;
      const communication: Communication = {
        resourceType: 'Communication',
        status: 'completed',
        category: [
          {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'alert' },
            ],
          },
        ],
        priority: next.priority,
        ...(patient ? { subject: { reference: patient } } : {}),
        about: [{ reference: `Task/${task.id}` }],
        ...(lead ? { recipient: [{ reference: lead.reference }] } : {}),
        sent: at,
        payload: [
          {
            contentString: `Overdue task escalated: "${task.code?.text ?? 'task'}" was due ${task.restriction!.period!.end} (${Math.floor(hoursOverdue)} hours ago); priority raised from ${priority} to ${next.priority}.`,
          },
        ],
      };
      // The alert quotes the task (its title, its due time): it carries the task's labels.
      await s.create(withLabelsOf(communication, [task]));
    }
    await s.update('Task', task.id!, next, { ifMatch: Number(task.meta?.versionId) });
  });
  return { marked: mark, escalated: escalate };
}

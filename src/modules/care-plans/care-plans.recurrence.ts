/**
 * Recurring plan activities. A template activity that repeats (TemplateActivity.repeatEveryDays)
 * becomes one Task per occurrence: when an occurrence is completed, the next is created, due that many
 * days after the completion, for the same owner. Each occurrence carries the identifier
 * `<plan id>/<activity id>/<n>` so that replaying the completion (a retry, a second server) creates it
 * once. The series ends when the plan is no longer active or an occurrence is cancelled rather than
 * completed (the team decided it is no longer needed). Runs after commit as the server's own account.
 */
import type { CarePlan, Task } from 'fhir/r4.js';
import { systemContext } from '../../access/access-context.js';
import { withLabelsOf } from '../../access/policy/access-facts.js';
import type { ResourceChange, ResourceStore } from '../../fhir/store/store.js';
import { newId } from '../../fhir/store/write.js';
import { dueAfter } from '../tasks/due-dates.js';
import { TEMPLATE_ITEM_SYSTEM } from './care-plans.rules.js';
import { findTemplate } from './templates/index.js';

/** Task.identifier system of an activity's occurrence: `<plan id>/<activity id>/<n>`. */
export const OCCURRENCE_SYSTEM = 'https://careloop.org/fhir/activity-occurrence';

/** Creates the next occurrence for every completed recurring activity task in `changes`. */
export async function scheduleNextOccurrences(
  store: ResourceStore,
  changes: ResourceChange[],
  timeZone: string,
): Promise<Task[]> {
  const created: Task[] = [];
  for (const change of changes) {
    if (change.resourceType !== 'Task' || change.action !== 'update' || !change.resource) continue;
    const task = change.resource as Task;
    if (task.status !== 'completed') continue;
    const next = await nextOccurrence(store, task, timeZone);
    if (next) created.push(next);
  }
  return created;
}

async function nextOccurrence(store: ResourceStore, task: Task, timeZone: string): Promise<Task | undefined> {
  const item = task.identifier?.find((i) => i.system === TEMPLATE_ITEM_SYSTEM)?.value;
  const planRef = task.basedOn?.find((b) => b.reference?.startsWith('CarePlan/'))?.reference;
  if (!item || !planRef) return undefined;
  const [templateId, activityId] = item.split('/');
  const activity = findTemplate(templateId ?? '')?.activities.find((a) => a.id === activityId);
  if (!activity?.repeatEveryDays) return undefined;
  const system = store.as(systemContext('care-plans'));
  const planId = planRef.slice('CarePlan/'.length);
  const plan = (await system.read('CarePlan', planId).catch(() => undefined)) as CarePlan | undefined;
  if (plan?.status !== 'active') return undefined;

  const occurrence = occurrenceOf(task);
  const completedAt = new Date(task.lastModified ?? store.options.clock.now().toISOString());
  const due = dueAfter(completedAt, { days: activity.repeatEveryDays }, timeZone).toISOString();
  const now = store.options.clock.now().toISOString();
  const value = `${planId}/${activityId}/${occurrence + 1}`;
  const next: Task = {
    resourceType: 'Task',
    id: newId(),
    identifier: [
      { system: TEMPLATE_ITEM_SYSTEM, value: item },
      { system: OCCURRENCE_SYSTEM, value },
    ],
    basedOn: task.basedOn,
    status: 'requested',
    intent: task.intent,
    priority: task.priority ?? 'routine',
    code: task.code,
    description: task.description,
    for: task.for,
    authoredOn: now,
    lastModified: now,
    ...(task.requester ? { requester: task.requester } : {}),
    ...(task.performerType ? { performerType: task.performerType } : {}),
    ...(task.owner ? { owner: task.owner } : {}),
    restriction: { period: { end: due } },
    note: [
      {
        text: `Occurrence ${occurrence + 1}: the previous one was completed on ${completedAt.toISOString().slice(0, 10)}.`,
        time: now,
      },
    ],
  };
  // The next occurrence repeats the task (title, description): it carries the task's labels.
  const { resource } = await system.create(withLabelsOf(next, [task]), {
    ifNoneExist: `identifier=${OCCURRENCE_SYSTEM}|${value}`,
  });
  return resource as Task;
}

/** The occurrence number of an activity task (the first one, made with the plan, carries none). */
export function occurrenceOf(task: Task): number {
  const value = task.identifier?.find((i) => i.system === OCCURRENCE_SYSTEM)?.value;
  const n = Number(value?.split('/').pop());
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/** Keeps recurring activities going: registered once by the app (after commit; errors are logged). */
export function repeatRecurringActivities(
  store: ResourceStore,
  timeZone: string,
  log?: (err: unknown) => void,
): void {
  store.onChange(async (changes) => {
    try {
      await scheduleNextOccurrences(store, changes, timeZone);
    } catch (err) {
      // The completion is committed whatever happens here; the lead sees the activity as done.
      log?.(err);
    }
  });
}

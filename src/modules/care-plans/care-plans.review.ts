/**
 * The review job: when a care plan's next-review date has come, its lead coordinator gets a task to
 * review it. Runs as the server (Device/careloop-care-plans); idempotent, so running it twice, or on
 * two servers, makes one task per plan per review date.
 */
import type { CarePlan, Task } from 'fhir/r4.js';
import { systemContext } from '../../access/access-context.js';
import { withLabelsOf } from '../../access/policy/access-facts.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { leadCoordinatorOf } from '../care-teams/lead.js';
import {
  DAY_MS,
  localDateAfter,
  REVIEW_TASK_DUE_DAYS,
  REVIEW_TASK_SYSTEM,
  roleConcept,
} from './care-plans.rules.js';
import { nextReviewOf } from './care-plans.service.js';

const PAGE = 200;

/**
 * Creates a review Task for every active CarePlan whose next-review date is on or before today (in
 * `timeZone`). Task.identifier = `<carePlanId>/<review date>` with a conditional create, so a task is
 * made once per review date. Owner: the patient's lead coordinator, else the plan's care team (the
 * team's coordinators can claim it). Due REVIEW_TASK_DUE_DAYS after `now`. Returns the tasks created.
 */
export async function createDueReviewTasks(
  store: ResourceStore,
  now: Date,
  options: { timeZone: string } = { timeZone: 'UTC' },
): Promise<Task[]> {
  const system = store.as(systemContext('care-plans'));
  const today = localDateAfter(now, 0, options.timeZone);
  const created: Task[] = [];
  // No search parameter indexes the next-review extension yet: page through the active plans.
  for (let offset = 0; ; offset += PAGE) {
    const bundle = await system.search(
      'CarePlan',
      [
        ['status', 'active'],
        ['_sort', '_id'],
        ['_count', String(PAGE)],
        ['_offset', String(offset)],
      ],
      '',
    );
    const plans = (bundle.entry ?? []).map((e) => e.resource as CarePlan);
    for (const plan of plans) {
      const due = nextReviewOf(plan);
      if (!due || due > today) continue;
      const task = await reviewTask(system, plan, due, now);
      if (task) created.push(task);
    }
    if (plans.length < PAGE) break;
  }
  return created;
}

async function reviewTask(
  system: ResourceStore,
  plan: CarePlan,
  reviewDate: string,
  now: Date,
): Promise<Task | undefined> {
  const patientRef = plan.subject.reference!;
  const patientId = patientRef.replace(/^Patient\//, '');
  const identifier = { system: REVIEW_TASK_SYSTEM, value: `${plan.id}/${reviewDate}` };
  const lead = await leadCoordinatorOf(system, patientId);
  const owner = lead?.reference ?? plan.careTeam?.[0]?.reference;
  const task: Task = {
    resourceType: 'Task',
    identifier: [identifier],
    basedOn: [{ reference: `CarePlan/${plan.id}` }],
    focus: { reference: `CarePlan/${plan.id}` },
    status: 'requested',
    intent: 'order',
    priority: 'routine',
    code: { text: 'Review care plan' },
    description: `Review "${plan.title ?? 'care plan'}": goals, activities, barriers and the patient's priorities (review date ${reviewDate})`,
    for: { reference: patientRef },
    authoredOn: now.toISOString(),
    lastModified: now.toISOString(),
    performerType: [roleConcept('care-coordinator')],
    ...(owner ? { owner: { reference: owner } } : {}),
    restriction: { period: { end: new Date(now.getTime() + REVIEW_TASK_DUE_DAYS * DAY_MS).toISOString() } },
  };
  // The task quotes the plan's title: it carries the plan's labels.
  const { resource, status } = await system.create(withLabelsOf(task, [plan]), {
    ifNoneExist: `identifier=${encodeURIComponent(`${identifier.system}|${identifier.value}`)}`,
  });
  return status === 201 ? (resource as Task) : undefined;
}

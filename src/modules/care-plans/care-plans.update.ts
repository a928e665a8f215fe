/**
 * Revising a plan: every change is a new version of the CarePlan (the store keeps them all) with a
 * Provenance saying who, when and why, written in the same transaction. Nothing is overwritten: a
 * removed priority is a Goal cancelled, not deleted.
 */
import type { CarePlan, Extension, Goal } from 'fhir/r4.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { newId } from '../../fhir/store/write.js';
import { goalTarget, type TargetInput } from '../goals/goals.service.js';
import { recordRevision } from './care-plans.revisions.js';
import { extensionUrls, localDateAfter } from './care-plans.rules.js';
import {
  type CarePlanOptions,
  detailExtensions,
  isPriorityGoal,
  type PlanDetails,
  priorityGoal,
} from './care-plans.service.js';

export interface ReviseCarePlanInput extends PlanDetails {
  status?: CarePlan['status'];
  /** The next review date (YYYY-MM-DD). */
  nextReview?: string;
  reason: string;
}

/** Replaces the extensions with `url` by `replacement` (kept in place order-wise at the end). */
function replaceExtensions(
  list: Extension[] | undefined,
  urls: string[],
  replacement: Extension[],
): Extension[] {
  return [...(list ?? []).filter((e) => !urls.includes(e.url)), ...replacement];
}

/**
 * Writes a new version of a care plan with the changes asked for, and its Provenance. A request that
 * changes nothing makes no version (the store keeps identical content as it is) and no Provenance.
 */
export async function reviseCarePlan(
  store: ResourceStore,
  id: string,
  input: ReviseCarePlanInput,
  options: CarePlanOptions,
): Promise<CarePlan> {
  return store.transaction(async (tx) => {
    const current = (await tx.read('CarePlan', id)) as CarePlan;
    const next: CarePlan = structuredClone(current);
    const now = tx.options.clock.now();
    if (input.title !== undefined) next.title = input.title;
    if (input.status !== undefined) next.status = input.status;
    if (input.preferences !== undefined)
      next.extension = replaceExtensions(
        next.extension,
        [extensionUrls.preferences],
        detailExtensions({ preferences: input.preferences }, ''),
      );
    if (input.barriers !== undefined)
      next.extension = replaceExtensions(
        next.extension,
        [extensionUrls.barrier],
        detailExtensions({ barriers: input.barriers }, ''),
      );
    if (input.agreement !== undefined)
      next.extension = replaceExtensions(
        next.extension,
        [extensionUrls.agreement],
        detailExtensions({ agreement: input.agreement }, now.toISOString()),
      );
    if (input.nextReview !== undefined)
      next.extension = replaceExtensions(
        next.extension,
        [extensionUrls.nextReview],
        [{ url: extensionUrls.nextReview, valueDate: input.nextReview }],
      );
    if (input.priorities !== undefined)
      await revisePriorities(tx, next, input.priorities, options, input.reason);
    if (next.extension?.length === 0) delete next.extension;
    const { resource } = await tx.update('CarePlan', id, next, { ifMatch: Number(current.meta?.versionId) });
    if (resource.meta?.versionId !== current.meta?.versionId)
      await recordRevision(tx, resource, input.reason, 'UPDATE');
    return resource as CarePlan;
  });
}

/**
 * Makes the plan's patient-priority goals match `priorities`: new ones are created, dropped ones
 * cancelled (their history stays), and the plan's goal list follows.
 */
async function revisePriorities(
  tx: ResourceStore,
  plan: CarePlan,
  priorities: string[],
  options: CarePlanOptions,
  reason: string,
): Promise<void> {
  const ids = (plan.goal ?? []).map((g) => g.reference?.split('/')[1]).filter((x): x is string => !!x);
  const goals: Goal[] = [];
  for (const gid of ids) goals.push((await tx.read('Goal', gid)) as Goal);
  const current = goals.filter((g) => isPriorityGoal(g) && g.lifecycleStatus === 'active');
  const keep = new Set(priorities);
  const dropped = current.filter((g) => !keep.has(g.description.text ?? ''));
  for (const g of dropped) {
    const { resource } = await tx.update('Goal', g.id!, { ...g, lifecycleStatus: 'cancelled' });
    await recordRevision(tx, resource, reason, 'UPDATE');
  }
  const have = new Set(current.map((g) => g.description.text));
  const today = localDateAfter(tx.options.clock.now(), 0, options.timeZone);
  const patient = plan.subject.reference!;
  const added: Goal[] = priorities.filter((p) => !have.has(p)).map((p) => priorityGoal(patient, p, today));
  if (added.length)
    await tx.write(
      added.map((g) => ({ method: 'POST' as const, resourceType: 'Goal', id: g.id!, resource: g })),
    );
  const droppedIds = new Set(dropped.map((g) => `Goal/${g.id}`));
  plan.goal = [
    ...(plan.goal ?? []).filter((r) => !droppedIds.has(r.reference ?? '')),
    ...added.map((g) => ({ reference: `Goal/${g.id}` })),
  ];
  if (plan.goal.length === 0) delete plan.goal;
}

/** Adds a goal to a plan: the Goal, and a new plan version listing it (each with its Provenance). */
export async function addGoalToPlan(
  store: ResourceStore,
  carePlanId: string,
  input: { description: string; target?: TargetInput; reason?: string },
): Promise<Goal> {
  return store.transaction(async (tx) => {
    const plan = (await tx.read('CarePlan', carePlanId)) as CarePlan;
    const now = tx.options.clock.now();
    const goal: Goal = {
      resourceType: 'Goal',
      id: newId(),
      lifecycleStatus: 'active',
      achievementStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/goal-achievement', code: 'in-progress' }],
      },
      description: { text: input.description },
      subject: plan.subject,
      startDate: now.toISOString().slice(0, 10),
      ...(input.target ? { target: [goalTarget(input.target)] } : {}),
      ...(input.target && 'text' in input.target ? { note: [{ text: input.target.text }] } : {}),
      ...(plan.addresses ? { addresses: plan.addresses } : {}),
    };
    const [saved] = await tx.write([{ method: 'POST', resourceType: 'Goal', id: goal.id!, resource: goal }]);
    const reason = input.reason ?? `goal added: ${input.description}`;
    await recordRevision(tx, saved!.resource!, reason, 'CREATE');
    const { resource } = await tx.update(
      'CarePlan',
      carePlanId,
      { ...plan, goal: [...(plan.goal ?? []), { reference: `Goal/${goal.id}` }] },
      { ifMatch: Number(plan.meta?.versionId) },
    );
    await recordRevision(tx, resource, reason, 'UPDATE');
    return saved!.resource as Goal;
  });
}

/**
 * Goal tracking: progress of a goal from the patient's Observations of its measure, and a change
 * listener that keeps Goal.achievementStatus current when results arrive (after commit, not a poll).
 */
import type { Goal, GoalTarget, Observation } from 'fhir/r4.js';
import { systemContext } from '../../access/access-context.js';
import type { ResourceChange, ResourceStore } from '../../fhir/store/store.js';
import { recordRevision } from '../care-plans/care-plans.revisions.js';
import { assessGoal, type GoalProgress, targetSpecs, ucum } from './goal-progress.js';
import {
  achievementCode,
  achievementDisplay,
  countedObservationStatuses,
  GOAL_ACHIEVEMENT,
  LOINC,
  SERIES_LIMIT,
} from './goals.rules.js';

const patientIdOf = (goal: Goal) => goal.subject.reference?.replace(/^Patient\//, '');

/**
 * The patient's Observations of any of `loincs` (as code or component code, so a blood pressure panel
 * counts for systolic and diastolic), newest first, as far as `store` may see them.
 */
export async function observationsOf(
  store: ResourceStore,
  patientId: string,
  loincs: string[],
  options: { before?: string; count?: number } = {},
): Promise<Observation[]> {
  if (loincs.length === 0) return [];
  const query: [string, string][] = [
    ['patient', `Patient/${patientId}`],
    ['combo-code', loincs.map((c) => `${LOINC}|${c}`).join(',')],
    ['status', countedObservationStatuses.join(',')],
    ['_sort', '-date'],
    ['_count', String(options.count ?? SERIES_LIMIT)],
  ];
  if (options.before) query.push(['date', `le${options.before}`]);
  const bundle = await store.search('Observation', query, '');
  return (bundle.entry ?? []).map((e) => e.resource as Observation);
}

/** The patient's latest counted Observation of `loinc` up to now (a baseline), if any. */
export async function latestObservation(
  store: ResourceStore,
  patientId: string,
  loinc: string,
): Promise<Observation | undefined> {
  const now = store.options.clock.now().toISOString();
  return (await observationsOf(store, patientId, [loinc], { before: now, count: 1 }))[0];
}

/** Progress of a goal from the patient's observations of its measures. */
export async function goalProgress(store: ResourceStore, goal: Goal): Promise<GoalProgress> {
  const patientId = patientIdOf(goal);
  const loincs = [...new Set(targetSpecs(goal).map((s) => s.loinc))];
  const observations = patientId ? await observationsOf(store, patientId, loincs) : [];
  return assessGoal(goal, observations);
}

/** Reads a goal and its progress (404 for a goal out of reach). */
export async function readGoalProgress(store: ResourceStore, id: string): Promise<GoalProgress> {
  return store.transaction(async (tx) => goalProgress(tx, (await tx.read('Goal', id)) as Goal));
}

/** The server's own context for goal updates: audited as Device/careloop-goals. */
export const goalsContext = () => systemContext('goals');

/**
 * Goal.achievementStatus for `progress`. Its text is the summary, which quotes no result: the Goal is
 * read by people who may not see the Observations (a caregiver, or a role without the sensitivity
 * category of a labelled result); the values are on the chart and in the progress view, both read as
 * the reader.
 */
function achievement(progress: GoalProgress, previous: string | undefined): Goal['achievementStatus'] {
  const code = achievementCode(progress.status, previous);
  return {
    coding: [{ system: GOAL_ACHIEVEMENT, code, display: achievementDisplay[code] }],
    text: progress.summary,
  };
}

/**
 * Recomputes a goal's achievementStatus and writes it only when it changed (a new version only for a
 * real change; a text written before summaries quoted no values is replaced). Returns the goal as it
 * now is.
 */
export async function refreshAchievement(store: ResourceStore, goal: Goal): Promise<Goal> {
  if (goal.lifecycleStatus !== 'active' || targetSpecs(goal).length === 0) return goal;
  const progress = await goalProgress(store, goal);
  const previous = goal.achievementStatus?.coding?.find((c) => c.system === GOAL_ACHIEVEMENT)?.code;
  const achievementStatus = achievement(progress, previous);
  if (
    achievementStatus?.coding?.[0]?.code === previous &&
    achievementStatus?.text === goal.achievementStatus?.text
  )
    return goal;
  const next: Goal = { ...goal, achievementStatus };
  return (await store.update('Goal', goal.id!, next, { ifMatch: Number(goal.meta?.versionId) }))
    .resource as Goal;
}

/** The LOINC codes an Observation reports: its code and its components' codes. */
function loincsOf(o: Observation): Set<string> {
  const codes = new Set<string>();
  for (const c of o.code?.coding ?? []) if (c.system === LOINC && c.code) codes.add(c.code);
  for (const comp of o.component ?? [])
    for (const c of comp.code?.coding ?? []) if (c.system === LOINC && c.code) codes.add(c.code);
  return codes;
}

/**
 * Updates the achievement of the active goals that measure what the changed Observations report. The
 * server acts (Device/careloop-goals): the listener runs after the user's commit, for every source of
 * Observations (REST, bundles, HL7 feeds, imports).
 */
export async function onObservationsChanged(
  store: ResourceStore,
  changes: ResourceChange[],
): Promise<number> {
  const byPatient = new Map<string, Set<string>>();
  for (const c of changes) {
    if (c.resourceType !== 'Observation' || c.action === 'delete' || !c.resource) continue;
    const o = c.resource as Observation;
    const patientId = o.subject?.reference?.startsWith('Patient/') ? o.subject.reference.slice(8) : undefined;
    if (!patientId) continue;
    const codes = byPatient.get(patientId) ?? new Set<string>();
    for (const code of loincsOf(o)) codes.add(code);
    byPatient.set(patientId, codes);
  }
  if (byPatient.size === 0) return 0;
  const system = store.as(goalsContext());
  let updated = 0;
  for (const [patientId, codes] of byPatient) {
    if (codes.size === 0) continue;
    const bundle = await system.search(
      'Goal',
      [
        ['patient', `Patient/${patientId}`],
        ['lifecycle-status', 'active'],
        ['_count', '200'],
      ],
      '',
    );
    for (const e of bundle.entry ?? []) {
      const goal = e.resource as Goal;
      if (!targetSpecs(goal).some((s) => codes.has(s.loinc))) continue;
      const after = await refreshAchievement(system, goal);
      if (after !== goal) updated++;
    }
  }
  return updated;
}

/** Registers the listener that keeps Goal.achievementStatus current. */
export function trackGoalAchievement(store: ResourceStore, log?: (err: unknown) => void): void {
  store.onChange(async (changes) => {
    try {
      await onObservationsChanged(store, changes);
    } catch (err) {
      // The Observation is committed whatever happens here; the next result recomputes the goal.
      log?.(err);
    }
  });
}

/** A target as the API takes it. */
export type TargetInput =
  | {
      loinc: string;
      display?: string;
      comparator: '<' | '<=' | '>=' | '>';
      value: number;
      unit: string;
      dueDate?: string;
    }
  | { loinc: string; display?: string; low: number; high: number; unit: string; dueDate?: string }
  | { text: string; dueDate?: string };

/** Goal.target from the API's target. */
export function goalTarget(t: TargetInput): GoalTarget {
  const due = t.dueDate ? { dueDate: t.dueDate } : {};
  if ('text' in t) return { ...due };
  const measure = { coding: [{ system: LOINC, code: t.loinc }], ...(t.display ? { text: t.display } : {}) };
  if ('comparator' in t) return { measure, detailQuantity: ucum(t.value, t.unit, t.comparator), ...due };
  return { measure, detailRange: { low: ucum(t.low, t.unit), high: ucum(t.high, t.unit) }, ...due };
}

/** Edits a goal (description, target) as a new version with its Provenance (who, when, why). */
export async function updateGoal(
  store: ResourceStore,
  id: string,
  input: { description?: string; target?: TargetInput; reason: string },
): Promise<Goal> {
  return store.transaction(async (tx) => {
    const goal = (await tx.read('Goal', id)) as Goal;
    const next: Goal = { ...goal };
    if (input.description) next.description = { text: input.description };
    if (input.target) {
      next.target = [goalTarget(input.target)];
      if ('text' in input.target) next.note = [...(goal.note ?? []), { text: input.target.text }];
    }
    if (input.target && next.lifecycleStatus === 'active') {
      // A new target changes what "achieved" means: restate the achievement in the same version.
      next.achievementStatus = achievement(await goalProgress(tx, next), undefined);
    }
    const { resource } = await tx.update('Goal', id, next, { ifMatch: Number(goal.meta?.versionId) });
    if (resource.meta?.versionId !== goal.meta?.versionId)
      await recordRevision(tx, resource, input.reason, 'UPDATE');
    return resource as Goal;
  });
}

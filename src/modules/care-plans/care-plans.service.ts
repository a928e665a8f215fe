/**
 * Care plans from templates: instantiating a template for a patient (CarePlan, Goals, Tasks and the
 * record of who made it, in one transaction), revising a plan (a new version and its Provenance), and
 * the plan view with goal progress. Every function takes the store acting as the user, so access and
 * audit apply as on /fhir.
 */
import type {
  CarePlan,
  CarePlanActivity,
  CareTeam,
  Condition,
  Extension,
  Goal,
  GoalTarget,
  Observation,
  Reference,
  Task,
} from 'fhir/r4.js';
import { withLabelsOf } from '../../access/policy/access-facts.js';
import { badRequest } from '../../fhir/outcome.js';
import { searchLimits } from '../../fhir/search/limits.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { newId } from '../../fhir/store/write.js';
import { type GoalProgress, ucum } from '../goals/goal-progress.js';
import { measuredQuantity } from '../goals/goal-targets.js';
import {
  achievementDisplay,
  GOAL_ACHIEVEMENT,
  GOAL_CATEGORY_SYSTEM,
  LOINC,
  RELATIVE_TARGET_URL,
} from '../goals/goals.rules.js';
import { goalProgress, latestObservation } from '../goals/goals.service.js';
import { dueAfter } from '../tasks/due-dates.js';
import { OCCURRENCE_SYSTEM, occurrenceOf } from './care-plans.recurrence.js';
import { recordRevision } from './care-plans.revisions.js';
import {
  carePlanCategory,
  extensionUrls,
  localDateAfter,
  roleConcept,
  roleOf,
  TEMPLATE_CANONICAL,
  TEMPLATE_ITEM_SYSTEM,
} from './care-plans.rules.js';
import { findTemplate } from './templates/index.js';
import type { CarePlanTemplate, TemplateActivity, TemplateGoal } from './templates/template-types.js';

/** The organization's settings plans need (review dates are local dates). */
export interface CarePlanOptions {
  timeZone: string;
}

export interface PlanDetails {
  title?: string;
  priorities?: string[];
  preferences?: { language?: string; contact?: string; times?: string };
  barriers?: string[];
  agreement?: { agreed: boolean; note?: string };
}

export interface CreateCarePlanInput extends PlanDetails {
  patientId: string;
  templateId: string;
  reason?: string;
}

export interface CreatedCarePlan {
  carePlan: CarePlan;
  goals: Goal[];
  tasks: Task[];
}

const AUTHOR = /^(Practitioner|PractitionerRole|Patient|RelatedPerson|Device|Organization)\//;

const inProgress = () => ({
  coding: [{ system: GOAL_ACHIEVEMENT, code: 'in-progress', display: achievementDisplay['in-progress'] }],
});

/**
 * Creates a care plan for a patient from a template, in one transaction: the Goals (targets from the
 * template; a relative target such as the PHQ-9 response computed from the latest baseline), a Task
 * per activity that someone must do by a date (owned by the patient's care team, performerType = the
 * role), the CarePlan linking them, and a Provenance for its first version.
 */
export async function createCarePlan(
  store: ResourceStore,
  input: CreateCarePlanInput,
  options: CarePlanOptions,
): Promise<CreatedCarePlan> {
  const template = findTemplate(input.templateId);
  if (!template) throw badRequest(`unknown care-plan template "${input.templateId}"`, 'templateId');
  return store.transaction(async (tx) => {
    const patient = `Patient/${input.patientId}`;
    await tx.read('Patient', input.patientId); // 404 for a patient out of the user's reach
    const now = tx.options.clock.now();
    const start = now.toISOString();
    const today = localDateAfter(now, 0, options.timeZone);
    const careTeam = await activeCareTeam(tx, input.patientId);
    const conditions = await matchingConditions(tx, input.patientId, template);
    const addresses = conditions.map((c) => ({ reference: `Condition/${c.id}` }));
    const author = tx.context.resource && AUTHOR.test(tx.context.resource) ? tx.context.resource : undefined;

    const goals: Goal[] = [];
    for (const g of template.goals)
      goals.push(
        await goalFromTemplate(tx, template, g, {
          patient,
          today,
          now,
          addresses,
          timeZone: options.timeZone,
        }),
      );
    for (const text of input.priorities ?? []) goals.push(priorityGoal(patient, text, today));

    const tasks: Task[] = [];
    const activity: CarePlanActivity[] = [];
    const carePlanId = newId();
    for (const a of template.activities) {
      if (a.dueInDays === undefined) {
        activity.push({ detail: standingInstruction(a, patient) });
        continue;
      }
      const task = activityTask(a, {
        patient,
        carePlanId,
        template,
        start,
        due: dueAfter(now, { days: a.dueInDays }, options.timeZone).toISOString(),
        owner: careTeam ? `CareTeam/${careTeam.id}` : undefined,
        requester: author,
      });
      tasks.push(task);
      activity.push({ reference: { reference: `Task/${task.id}`, display: a.title } });
    }

    const carePlan: CarePlan = {
      resourceType: 'CarePlan',
      id: carePlanId,
      extension: [
        {
          url: extensionUrls.nextReview,
          valueDate: localDateAfter(now, template.reviewIntervalDays, options.timeZone),
        },
        ...detailExtensions(input, start),
      ],
      instantiatesCanonical: [`${TEMPLATE_CANONICAL}/${template.id}`],
      status: 'active',
      intent: 'plan',
      category: [carePlanCategory],
      title: input.title ?? template.title,
      description: `From the "${template.title}" template; source: ${template.source.title} (${template.source.url})`,
      subject: { reference: patient },
      period: { start },
      created: start,
      ...(author ? { author: { reference: author } } : {}),
      ...(careTeam ? { careTeam: [{ reference: `CareTeam/${careTeam.id}` }] } : {}),
      ...(addresses.length ? { addresses } : {}),
      ...(goals.length ? { goal: goals.map((g) => ({ reference: `Goal/${g.id}` })) } : {}),
      ...(activity.length ? { activity } : {}),
    };
    const written = await tx.write(
      [...goals, ...tasks, carePlan].map((r) => ({
        method: 'POST' as const,
        resourceType: r.resourceType,
        id: r.id!,
        resource: r,
      })),
    );
    const saved = written.map((w) => w.resource!);
    const savedPlan = saved.at(-1) as CarePlan;
    await recordRevision(tx, savedPlan, input.reason ?? `created from the ${template.id} template`, 'CREATE');
    return {
      carePlan: savedPlan,
      goals: saved.filter((r) => r.resourceType === 'Goal') as Goal[],
      tasks: saved.filter((r) => r.resourceType === 'Task') as Task[],
    };
  });
}

async function activeCareTeam(store: ResourceStore, patientId: string): Promise<CareTeam | undefined> {
  const bundle = await store.search(
    'CareTeam',
    [
      ['patient', `Patient/${patientId}`],
      ['status', 'active'],
    ],
    '',
  );
  return bundle.entry?.[0]?.resource as CareTeam | undefined;
}

/** The patient's Conditions (not resolved or refuted) that the template's condition codes match. */
async function matchingConditions(
  store: ResourceStore,
  patientId: string,
  template: CarePlanTemplate,
): Promise<Condition[]> {
  const wanted = template.condition;
  if (!wanted) return [];
  const bundle = await store.search(
    'Condition',
    [
      ['patient', `Patient/${patientId}`],
      ['_count', '200'],
    ],
    '',
  );
  return (bundle.entry ?? [])
    .map((e) => e.resource as Condition)
    .filter((c) => {
      const clinical = c.clinicalStatus?.coding?.[0]?.code;
      if (clinical && !['active', 'recurrence', 'relapse'].includes(clinical)) return false;
      if (c.verificationStatus?.coding?.some((v) => v.code === 'refuted' || v.code === 'entered-in-error'))
        return false;
      return (c.code?.coding ?? []).some((coding) => {
        const code = coding.code ?? '';
        if (coding.system === 'http://snomed.info/sct') return wanted.snomed.includes(code);
        if (coding.system?.includes('icd-10')) return wanted.icd10Prefixes.some((p) => code.startsWith(p));
        return false;
      });
    });
}

async function goalFromTemplate(
  store: ResourceStore,
  template: CarePlanTemplate,
  g: TemplateGoal,
  at: { patient: string; today: string; now: Date; addresses: Reference[]; timeZone: string },
): Promise<Goal> {
  const dueDate = localDateAfter(at.now, g.dueInDays, at.timeZone);
  const target: GoalTarget[] = [];
  // Results the goal quotes (a relative target's baseline): it carries their sensitivity labels.
  const quoted: Observation[] = [];
  for (const t of g.targets) {
    const measure = {
      coding: [{ system: LOINC, code: t.measure.loinc }],
      text: t.measure.display,
    };
    if (t.kind === 'bound')
      target.push({ measure, detailQuantity: ucum(t.value, t.measure.unit, t.comparator), dueDate });
    else if (t.kind === 'range')
      target.push({
        measure,
        detailRange: { low: ucum(t.low, t.measure.unit), high: ucum(t.high, t.measure.unit) },
        dueDate,
      });
    else {
      // Relative to the baseline: the latest result before the plan starts. Without one the first
      // result after it becomes the baseline (goal-progress.ts), and the target stays open until then.
      const baseline = await latestObservation(store, at.patient.split('/')[1]!, t.measure.loinc);
      const value = baseline ? measuredQuantity(baseline, t.measure.loinc)?.value : undefined;
      const parts: Extension[] = [{ url: 'fraction', valueDecimal: t.fraction }];
      if (value !== undefined && baseline) {
        quoted.push(baseline);
        parts.push(
          { url: 'baseline', valueQuantity: ucum(value, t.measure.unit) },
          { url: 'baselineDate', valueDateTime: baseline.effectiveDateTime ?? baseline.issued! },
          { url: 'baselineObservation', valueReference: { reference: `Observation/${baseline.id}` } },
        );
      }
      target.push({
        extension: [{ url: RELATIVE_TARGET_URL, extension: parts }],
        measure,
        ...(value !== undefined
          ? { detailQuantity: ucum(value * (1 - t.fraction), t.measure.unit, '<=') }
          : {}),
        dueDate,
      });
    }
  }
  if (g.targets.length === 0) target.push({ dueDate });
  const goal: Goal = {
    resourceType: 'Goal',
    id: newId(),
    identifier: [{ system: TEMPLATE_ITEM_SYSTEM, value: `${template.id}/${g.id}` }],
    lifecycleStatus: 'active',
    achievementStatus: inProgress(),
    description: { text: g.description },
    subject: { reference: at.patient },
    startDate: at.today,
    target,
    ...(at.addresses.length ? { addresses: at.addresses } : {}),
    note: [{ text: [g.text, `Source: ${g.source.title} (${g.source.url})`].filter(Boolean).join('. ') }],
  };
  return withLabelsOf(goal, quoted);
}

/**
 * "What matters to me": each of the patient's priorities is a Goal expressed by the patient (not a
 * note), so it sits beside the clinical goals, can be tracked and revised, and is the patient's own.
 */
export function priorityGoal(patient: string, text: string, today: string): Goal {
  return {
    resourceType: 'Goal',
    id: newId(),
    lifecycleStatus: 'active',
    achievementStatus: inProgress(),
    category: [
      { coding: [{ system: GOAL_CATEGORY_SYSTEM, code: 'what-matters', display: 'What matters to me' }] },
    ],
    description: { text },
    subject: { reference: patient },
    startDate: today,
    expressedBy: { reference: patient },
  };
}

/** True for a goal that states a patient priority. */
export function isPriorityGoal(goal: Goal): boolean {
  return (goal.category ?? []).some((c) =>
    c.coding?.some((x) => x.system === GOAL_CATEGORY_SYSTEM && x.code === 'what-matters'),
  );
}

function activityTask(
  a: TemplateActivity,
  at: {
    patient: string;
    carePlanId: string;
    template: CarePlanTemplate;
    start: string;
    due: string;
    owner?: string;
    requester?: string;
  },
): Task {
  return {
    resourceType: 'Task',
    id: newId(),
    identifier: [{ system: TEMPLATE_ITEM_SYSTEM, value: `${at.template.id}/${a.id}` }],
    basedOn: [{ reference: `CarePlan/${at.carePlanId}` }],
    status: 'requested',
    intent: 'order',
    priority: 'routine',
    code: { text: a.title },
    description: [
      a.title,
      a.recurrence ? `Repeats ${a.recurrence}.` : '',
      `Source: ${a.source.title} (${a.source.url})`,
    ]
      .filter(Boolean)
      .join('. '),
    for: { reference: at.patient },
    authoredOn: at.start,
    lastModified: at.start,
    ...(at.requester && !at.requester.startsWith('Device/')
      ? { requester: { reference: at.requester } }
      : {}),
    performerType: [roleConcept(a.role)],
    ...(at.owner ? { owner: { reference: at.owner } } : {}),
    restriction: { period: { end: at.due } },
  };
}

/** A standing instruction (no due date): CarePlan.activity.detail with who does it and how often. */
function standingInstruction(a: TemplateActivity, patient: string): NonNullable<CarePlanActivity['detail']> {
  return {
    extension: [{ url: extensionUrls.performerRole, valueCodeableConcept: roleConcept(a.role) }],
    code: { text: a.title },
    status: 'in-progress',
    description: `${a.title}. Source: ${a.source.title} (${a.source.url})`,
    ...(a.timing ? { scheduledTiming: { repeat: { ...a.timing } } } : {}),
    ...(a.role === 'patient' ? { performer: [{ reference: patient }] } : {}),
  };
}

/** Preferences, barriers and agreement as CarePlan extensions (see care-plans.rules.ts). */
export function detailExtensions(input: PlanDetails, now: string): Extension[] {
  const out: Extension[] = [];
  const p = input.preferences;
  if (p && (p.language || p.contact || p.times))
    out.push({
      url: extensionUrls.preferences,
      extension: (['language', 'contact', 'times'] as const)
        .filter((k) => p[k])
        .map((k) => ({ url: k, valueString: p[k]! })),
    });
  for (const b of input.barriers ?? []) out.push({ url: extensionUrls.barrier, valueString: b });
  if (input.agreement)
    out.push({
      url: extensionUrls.agreement,
      extension: [
        { url: 'agreed', valueBoolean: input.agreement.agreed },
        { url: 'date', valueDateTime: now },
        ...(input.agreement.note ? [{ url: 'note', valueString: input.agreement.note }] : []),
      ],
    });
  return out;
}

/** The next-review date of a plan, if set. */
export function nextReviewOf(plan: CarePlan): string | undefined {
  return plan.extension?.find((e) => e.url === extensionUrls.nextReview)?.valueDate;
}

export interface CarePlanView {
  carePlan: CarePlan;
  nextReview?: string;
  goals: { goal: Goal; progress: GoalProgress }[];
  activities: { task?: Task; title: string; status: string; owner?: string; role?: string }[];
}

function templateItemOf(task: Task): string | undefined {
  return task.identifier?.find((i) => i.system === TEMPLATE_ITEM_SYSTEM)?.value;
}

/** The latest occurrence of each recurring activity of a plan, by its template item. */
async function latestOccurrences(store: ResourceStore, plan: CarePlan): Promise<Map<string, Task>> {
  const bundle = await store.search(
    'Task',
    [
      ['based-on', `CarePlan/${plan.id}`],
      ['identifier', `${OCCURRENCE_SYSTEM}|`],
      ['_count', '500'],
    ],
    '',
  );
  const latest = new Map<string, Task>();
  for (const e of bundle.entry ?? []) {
    const task = e.resource as Task;
    const item = templateItemOf(task);
    const current = item ? latest.get(item) : undefined;
    if (item && (!current || occurrenceOf(task) > occurrenceOf(current))) latest.set(item, task);
  }
  return latest;
}

/** The patient's care plans with goal progress and activity status (404 for a patient out of reach). */
export async function listCarePlans(store: ResourceStore, patientId: string): Promise<CarePlanView[]> {
  return store.transaction(async (tx) => {
    await tx.read('Patient', patientId);
    const bundle = await tx.search(
      'CarePlan',
      [
        ['subject', `Patient/${patientId}`],
        ['_sort', '-_lastUpdated'],
        ['_count', '100'],
      ],
      '',
    );
    const plans = (bundle.entry ?? []).map((e) => e.resource as CarePlan);
    const views: CarePlanView[] = [];
    for (const plan of plans) views.push(await carePlanView(tx, plan));
    return views;
  });
}

async function byIds<T>(store: ResourceStore, type: string, ids: string[]): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  // A long-running plan's recurring activities can name more tasks than one search takes as values
  // of _id (searchLimits.values) or returns on a page (maxPageSize): ask in chunks.
  const size = Math.min(searchLimits.values, store.options.maxPageSize);
  for (let i = 0; i < ids.length; i += size) {
    const chunk = ids.slice(i, i + size);
    const bundle = await store.search(
      type,
      [
        ['_id', chunk.join(',')],
        ['_count', String(chunk.length)],
      ],
      '',
    );
    for (const e of bundle.entry ?? []) out.set(e.resource!.id!, e.resource as T);
  }
  return out;
}

async function carePlanView(store: ResourceStore, plan: CarePlan): Promise<CarePlanView> {
  const goalIds = (plan.goal ?? []).map((g) => g.reference?.split('/')[1]).filter((x): x is string => !!x);
  const taskIds = (plan.activity ?? [])
    .map((a) => a.reference?.reference)
    .filter((r): r is string => !!r?.startsWith('Task/'))
    .map((r) => r.split('/')[1]!);
  const goals = await byIds<Goal>(store, 'Goal', goalIds);
  const tasks = await byIds<Task>(store, 'Task', taskIds);
  const latest = await latestOccurrences(store, plan);
  const goalViews = [];
  for (const id of goalIds) {
    const goal = goals.get(id);
    if (goal) goalViews.push({ goal, progress: await goalProgress(store, goal) });
  }
  const activities = (plan.activity ?? []).map((a) => {
    const first = a.reference?.reference ? tasks.get(a.reference.reference.split('/')[1]!) : undefined;
    // A recurring activity shows its current occurrence (care-plans.recurrence.ts).
    const task = (first && latest.get(templateItemOf(first) ?? '')) ?? first;
    if (task)
      return {
        task,
        title: task.code?.text ?? a.reference?.display ?? 'Task',
        status: task.status,
        ...(task.owner?.reference ? { owner: task.owner.reference } : {}),
        ...(roleOf(task.performerType?.[0]) ? { role: roleOf(task.performerType?.[0]) } : {}),
      };
    const role = roleOf(
      a.detail?.extension?.find((e) => e.url === extensionUrls.performerRole)?.valueCodeableConcept,
    );
    return {
      title: a.detail?.code?.text ?? a.detail?.description ?? a.reference?.display ?? 'Activity',
      status: a.detail?.status ?? 'unknown',
      ...(role ? { role } : {}),
    };
  });
  const nextReview = nextReviewOf(plan);
  return { carePlan: plan, ...(nextReview ? { nextReview } : {}), goals: goalViews, activities };
}

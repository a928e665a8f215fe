/**
 * Applies the follow-up rules (follow-up.rules.ts) to a scored response: tasks for the right role
 * and owner with the right due instant, the suicide-risk Flag, and per positive social-needs domain a
 * Condition, a Goal and a referral suggestion. Each record carries the identifier
 * `<response key>:<rule>`, created with If-None-Exist, so saving the response again makes nothing twice.
 */
import type {
  CareTeam,
  Condition,
  Flag,
  Goal,
  QuestionnaireResponse,
  Reference,
  Resource,
  Task,
} from 'fhir/r4.js';
import { withLabelsOf } from '../../access/policy/access-facts.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { leadCoordinatorOf } from '../care-teams/lead.js';
import { roleCodes, roleOfCode, TASK_RULE, TASK_TRIGGERED_AT } from '../tasks/tasks.rules.js';
import { startOfLocalDay } from '../worklists/local-day.js';
import {
  type OwnerKind,
  rescreenFor,
  scoreRules,
  socialNeedRules,
  type TaskAction,
} from './follow-up.rules.js';
import { onceFor, responseKey } from './observations.js';
import type { ScoreResult } from './scoring.js';
import type { ScoringDefinition } from './scoring.rules.js';

/** Identifier system of everything the rules make; the value is `<response key>:<rule id>[:<part>]`. */
export const ASSESSMENT_FOLLOW_UP = 'https://careloop.org/fhir/assessment-follow-up';
/** Task.code system of CareLoop's assessment tasks (`rescreen-phq-9`, a rule id). */
export const ASSESSMENT_TASK_CODE = 'https://careloop.org/fhir/CodeSystem/assessment-task';
/** Task input type naming a suggested care-plan template. */
export const CARE_PLAN_TEMPLATE_INPUT = 'https://careloop.org/fhir/CodeSystem/task-input|care-plan-template';

const DAY_MS = 86_400_000;
/** Responses authored longer ago make no follow-ups (as encounter follow-ups: 30 days). */
export const FOLLOW_UP_WINDOW_DAYS = 30;
const US_CORE_CATEGORY = 'http://hl7.org/fhir/us/core/CodeSystem/us-core-category';
const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';

export interface FollowUps {
  tasks: Task[];
  flags: Flag[];
  conditions: Condition[];
  goals: Goal[];
}

/** How far a response goes: `partial` (in progress, stopped, refused) applies only the `anyResponse` rules. */
export interface FollowUpScope {
  partial?: boolean;
  /** Why the response was refused (it is not saved: the follow-ups point at the patient and say why). */
  refused?: string;
}

/** Creates the follow-ups a scored response calls for (each once); `store` acts as the server. */
export async function applyAssessmentFollowUps(
  store: ResourceStore,
  definition: ScoringDefinition,
  response: QuestionnaireResponse,
  score: ScoreResult,
  timeZone: string,
  scope: FollowUpScope = {},
): Promise<FollowUps> {
  const out: FollowUps = { tasks: [], flags: [], conditions: [], goals: [] };
  const patient = response.subject?.reference;
  if (!patient?.startsWith('Patient/')) return out;
  const authored = Date.parse(response.authored ?? '');
  // History (an import, a back-load) is not a new screening: results are recorded, nothing is set in motion.
  if (
    !Number.isNaN(authored) &&
    store.options.clock.now().getTime() - authored > FOLLOW_UP_WINDOW_DAYS * DAY_MS
  )
    return out;
  const rules = scoreRules.filter(
    (r) => r.instrument === definition.instrument && (!scope.partial || r.anyResponse) && r.applies(score),
  );
  if (scope.partial && rules.length === 0) return out;
  const ctx: Context = {
    store,
    response,
    key: responseKey(response),
    evidence:
      response.id && !scope.refused ? { reference: `QuestionnaireResponse/${response.id}` } : undefined,
    refused: scope.refused,
    patient,
    timeZone,
    at: new Date(response.authored ?? store.options.clock.now().toISOString()),
    owners: await owners(store, patient.slice('Patient/'.length)),
  };
  for (const rule of rules) {
    out.tasks.push(await ensureTask(ctx, rule.id, rule.task, rule.source.title));
    if (rule.flag) out.flags.push(await ensureFlag(ctx, rule.id, rule.flag.code));
  }
  // An unfinished response has no result to follow up, nor does it answer earlier reminders.
  if (scope.partial) return out;
  for (const domain of score.domains.filter((d) => d.positive)) {
    const rule = socialNeedRules.find((r) => r.domain === domain.id);
    if (!rule) continue;
    const id = `sdoh-${domain.id}`;
    const condition = await ensure<Condition>(ctx, `${id}:condition`, {
      resourceType: 'Condition',
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      },
      // A screen finds a need the patient reports; a clinician confirms it.
      verificationStatus: {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'unconfirmed' },
        ],
      },
      category: [
        { coding: [{ system: CONDITION_CATEGORY, code: 'problem-list-item', display: 'Problem List Item' }] },
        { coding: [{ system: US_CORE_CATEGORY, code: 'sdoh', display: 'SDOH' }] },
        { coding: [rule.category] },
      ],
      code: rule.condition,
      subject: { reference: patient },
      recordedDate: ctx.at.toISOString(),
      evidence: [{ detail: [{ reference: `QuestionnaireResponse/${response.id}` }] }],
      note: [{ text: `AHC HRSN ${domain.label}: ${domain.reason}` }],
    });
    out.conditions.push(condition);
    out.goals.push(
      await ensure<Goal>(ctx, `${id}:goal`, {
        resourceType: 'Goal',
        lifecycleStatus: 'proposed',
        category: [{ coding: [rule.category] }],
        description: { text: rule.goal },
        subject: { reference: patient },
        addresses: [{ reference: `Condition/${condition.id}` }],
        startDate: localDate(ctx.at, timeZone),
      }),
    );
    out.tasks.push(
      await ensureTask(ctx, `${id}:referral`, rule.task, rule.source.title, {
        reference: `Condition/${condition.id}`,
      }),
    );
  }
  const rescreen = rescreenFor(score);
  if (rescreen) await closeOpenTasks(ctx, `rescreen-${definition.instrument}`, 'cancelled', 'Rescreened');
  for (const rule of scoreRules.filter((r) => r.doneBy === definition.instrument))
    await closeOpenTasks(ctx, rule.id, 'completed', `Done: ${definition.title}`);
  if (rescreen)
    out.tasks.push(
      await ensureTask(
        ctx,
        'rescreen',
        {
          title: `Rescreen: ${definition.title} (${score.band?.positive || score.domains.some((d) => d.positive) ? 'follow the response' : 'routine interval'})`,
          role: 'care-coordinator',
          owner: 'lead-coordinator',
          priority: 'routine',
          due: { days: rescreen.days },
        },
        rescreen.source.title,
        undefined,
        `rescreen-${definition.instrument}`,
      ),
    );
  return out;
}

/**
 * A new screening answers what earlier ones left open: rescreen reminders of the same instrument are
 * cancelled, "complete the PHQ-9" is completed, each with the reason, when the earlier response was
 * authored no later than this one. (The server records the outcome: the Task guard applies to users.)
 */
async function closeOpenTasks(
  ctx: Context,
  code: string,
  status: 'cancelled' | 'completed',
  why: string,
): Promise<void> {
  const bundle = await ctx.store.search(
    'Task',
    [
      ['patient', ctx.patient],
      ['code', `${ASSESSMENT_TASK_CODE}|${code}`],
      ['status', 'requested,received,accepted,ready,in-progress,on-hold'],
    ],
    '',
  );
  for (const entry of bundle.entry ?? []) {
    const task = entry.resource as Task;
    if (task.identifier?.some((i) => i.value?.startsWith(`${ctx.key}:`))) continue;
    const triggered = task.extension?.find((e) => e.url === TASK_TRIGGERED_AT)?.valueDateTime;
    if (!triggered || Date.parse(triggered) > ctx.at.getTime()) continue;
    await ctx.store.update('Task', task.id!, {
      ...task,
      status,
      statusReason: { text: `${why}: QuestionnaireResponse/${ctx.response.id} (${ctx.at.toISOString()})` },
      lastModified: ctx.store.options.clock.now().toISOString(),
    });
  }
}

interface Context {
  store: ResourceStore;
  response: QuestionnaireResponse;
  key: string;
  /** The saved response the follow-ups stem from (none when it was refused). */
  evidence?: Reference;
  refused?: string;
  patient: string;
  timeZone: string;
  /** When the response was authored: due times count from it. */
  at: Date;
  owners: Record<OwnerKind, string | undefined>;
}

/**
 * The responsible clinician (a physician on the patient's active care team) and the lead coordinator
 * (or, with no lead, the team itself, as encounter follow-ups do).
 */
async function owners(
  store: ResourceStore,
  patientId: string,
): Promise<Record<OwnerKind, string | undefined>> {
  const bundle = await store.search(
    'CareTeam',
    [
      ['patient', `Patient/${patientId}`],
      ['status', 'active'],
    ],
    '',
  );
  const teams = (bundle.entry ?? []).map((e) => e.resource as CareTeam);
  const now = store.options.clock.now().getTime();
  let physician: string | undefined;
  for (const team of teams)
    for (const p of team.participant ?? []) {
      const ref = p.member?.reference ?? '';
      const current = !p.period?.end || Date.parse(p.period.end) >= now;
      const isPhysician = (p.role ?? []).some((r) =>
        (r.coding ?? []).some((c) => roleOfCode(c.code) === 'physician'),
      );
      if (!physician && current && isPhysician && /^(Practitioner|PractitionerRole)\//.test(ref))
        physician = ref;
    }
  const lead = teams.length > 0 ? await leadCoordinatorOf(store, patientId) : undefined;
  return {
    'responsible-clinician': physician,
    'lead-coordinator': lead?.reference ?? (teams[0] ? `CareTeam/${teams[0].id}` : undefined),
  };
}

/** 23:59:59 local time on the day of `at`, or `days` calendar days after `at`. */
export function dueInstant(at: Date, due: TaskAction['due'], timeZone: string): Date {
  if ('endOfDay' in due) return new Date(startOfLocalDay(at.getTime(), timeZone, 1) - 1000);
  return new Date(at.getTime() + due.days * DAY_MS);
}

function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

async function ensure<T extends Resource>(ctx: Context, part: string, resource: T): Promise<T> {
  const value = `${ctx.key}:${part}`;
  // What the rules make tells of the answers (a task's title, a flag, a need): it carries the
  // response's sensitivity labels.
  const { resource: saved } = await ctx.store.create(
    withLabelsOf({ ...resource, identifier: [{ system: ASSESSMENT_FOLLOW_UP, value }] } as Resource, [
      ctx.response,
    ]),
    { ifNoneExist: onceFor(ASSESSMENT_FOLLOW_UP, value, ctx.patient) },
  );
  return saved as T;
}

async function ensureTask(
  ctx: Context,
  ruleId: string,
  action: TaskAction,
  source: string,
  focus?: Reference,
  code = ruleId,
): Promise<Task> {
  const now = ctx.store.options.clock.now().toISOString();
  const role = roleCodes[action.role];
  const owner = ctx.owners[action.owner];
  return ensure<Task>(ctx, ruleId, {
    resourceType: 'Task',
    extension: [
      { url: TASK_RULE, valueString: ruleId },
      { url: TASK_TRIGGERED_AT, valueDateTime: ctx.at.toISOString() },
    ],
    status: 'requested',
    intent: 'order',
    priority: action.priority,
    code: { coding: [{ system: ASSESSMENT_TASK_CODE, code }], text: action.title },
    description: action.title,
    focus: focus ?? ctx.evidence ?? { reference: ctx.patient },
    for: { reference: ctx.patient },
    authoredOn: now,
    lastModified: now,
    performerType: [role ? { coding: [{ ...role }], text: action.role } : { text: action.role }],
    ...(owner ? { owner: { reference: owner } } : {}),
    restriction: { period: { end: dueInstant(ctx.at, action.due, ctx.timeZone).toISOString() } },
    ...(ctx.evidence ? { reasonReference: ctx.evidence } : {}),
    reasonCode: { text: `${action.title} (rule ${ruleId}; source: ${source})` },
    ...(ctx.refused ? { note: [{ text: ctx.refused, time: now }] } : {}),
    ...(action.carePlanTemplate
      ? {
          input: [
            {
              type: {
                coding: [
                  {
                    system: CARE_PLAN_TEMPLATE_INPUT.split('|')[0],
                    code: CARE_PLAN_TEMPLATE_INPUT.split('|')[1],
                  },
                ],
                text: 'Suggested care-plan template',
              },
              valueString: action.carePlanTemplate,
            },
          ],
        }
      : {}),
  });
}

async function ensureFlag(ctx: Context, ruleId: string, code: Flag['code']): Promise<Flag> {
  return ensure<Flag>(ctx, `${ruleId}:flag`, {
    resourceType: 'Flag',
    status: 'active',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/flag-category',
            code: 'clinical',
            display: 'Clinical',
          },
        ],
      },
    ],
    code,
    subject: { reference: ctx.patient },
    period: { start: ctx.store.options.clock.now().toISOString() },
  });
}

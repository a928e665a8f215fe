/**
 * HTTP routes of care planning (docs/workspace-api.md, Care plans and goals). Handlers parse, call
 * the service as the signed-in user, and present; access and audit happen in the store.
 */
import type { FastifyInstance } from 'fastify';
import { requireUser } from '../../access/identity/authenticate.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { listRevisions } from './care-plans.revisions.js';
import { addGoalBody, createCarePlanBody, idParams, parse, reviseCarePlanBody } from './care-plans.schema.js';
import { createCarePlan, listCarePlans } from './care-plans.service.js';
import { addGoalToPlan, reviseCarePlan } from './care-plans.update.js';
import { carePlanTemplates } from './templates/index.js';
import type { CarePlanTemplate, GoalTarget } from './templates/template-types.js';

export interface CarePlansRoutesOptions {
  store: ResourceStore;
  /** The organization's IANA time zone: review and due dates are local dates. */
  timeZone: string;
}

const tags = ['care plans'];

function presentTarget(targets: GoalTarget[], text?: string) {
  const t = targets[0];
  if (!t) return { text: text ?? 'no measurable target' };
  if (targets.length > 1 && targets.every((x) => x.kind === 'bound'))
    return {
      text: `${targets.map((x) => (x.kind === 'bound' ? `${x.measure.display} ${x.comparator} ${x.value}` : '')).join(' and ')} ${t.measure.unit}`,
      targets: targets.map((x) =>
        x.kind === 'bound'
          ? { loinc: x.measure.loinc, comparator: x.comparator, value: x.value, unit: x.measure.unit }
          : {},
      ),
    };
  if (t.kind === 'bound') return { comparator: t.comparator, value: t.value, unit: t.measure.unit };
  if (t.kind === 'range') return { text: `${t.low}–${t.high} ${t.measure.unit}` };
  return { text: `≥ ${Math.round(t.fraction * 100)}% reduction from baseline` };
}

/** A template as the contract lists it. */
export function presentTemplate(t: CarePlanTemplate) {
  return {
    id: t.id,
    title: t.title,
    condition: t.condition?.text ?? null,
    source: t.source,
    reviewIntervalDays: t.reviewIntervalDays,
    goals: t.goals.map((g) => ({
      id: g.id,
      description: g.description,
      ...(g.targets[0]
        ? { measure: { loinc: g.targets[0].measure.loinc, display: g.targets[0].measure.display } }
        : {}),
      target: presentTarget(g.targets, g.text),
      dueInDays: g.dueInDays,
      source: g.source,
    })),
    activities: t.activities.map((a) => ({
      id: a.id,
      title: a.title,
      kind: a.kind,
      role: a.role,
      ...(a.dueInDays !== undefined ? { dueInDays: a.dueInDays } : {}),
      ...(a.recurrence ? { recurrence: a.recurrence } : a.timing ? { recurrence: timingText(a.timing) } : {}),
      source: a.source,
    })),
  };
}

function timingText(t: { frequency: number; period: number; periodUnit: string }): string {
  const unit = { d: 'day', wk: 'week', mo: 'month' }[t.periodUnit] ?? t.periodUnit;
  return `${t.frequency === 1 ? 'once' : `${t.frequency} times`} every ${t.period === 1 ? unit : `${t.period} ${unit}s`}`;
}

/** Registers the care-plan routes. */
export async function carePlansRoutes(app: FastifyInstance, options: CarePlansRoutesOptions): Promise<void> {
  const { store, timeZone } = options;

  app.get(
    '/api/care-plan-templates',
    { schema: { tags, summary: 'Care-plan templates with their sources' } },
    async (request) => {
      requireUser(request);
      return { templates: carePlanTemplates.map(presentTemplate) };
    },
  );

  app.post(
    '/api/patients/:id/care-plans',
    {
      schema: { tags, summary: 'Create a care plan from a template' },
      config: { access: { writes: ['CarePlan', 'Goal', 'Task'] } },
    },
    async (request, reply) => {
      const { id } = parse(idParams, request.params);
      const body = parse(createCarePlanBody, request.body);
      const created = await createCarePlan(
        store.as(requireUser(request)),
        { ...body, patientId: id },
        { timeZone },
      );
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/api/patients/:id/care-plans',
    { schema: { tags, summary: "A patient's care plans with goal progress" } },
    async (request) => {
      const { id } = parse(idParams, request.params);
      return { carePlans: await listCarePlans(store.as(requireUser(request)), id) };
    },
  );

  app.put(
    '/api/care-plans/:id',
    {
      schema: { tags, summary: 'Revise a care plan (a new version)' },
      config: { access: { writes: ['CarePlan', 'Goal'] } },
    },
    async (request) => {
      const { id } = parse(idParams, request.params);
      const body = parse(reviseCarePlanBody, request.body);
      return { carePlan: await reviseCarePlan(store.as(requireUser(request)), id, body, { timeZone }) };
    },
  );

  app.get(
    '/api/care-plans/:id/revisions',
    { schema: { tags, summary: 'Versions of a care plan: who, when, why, what' } },
    async (request) => {
      const { id } = parse(idParams, request.params);
      return { revisions: await listRevisions(store.as(requireUser(request)), 'CarePlan', id) };
    },
  );

  app.post(
    '/api/care-plans/:id/goals',
    {
      schema: { tags, summary: 'Add a goal to a care plan' },
      config: { access: { writes: ['Goal', 'CarePlan'] } },
    },
    async (request, reply) => {
      const { id } = parse(idParams, request.params);
      const body = parse(addGoalBody, request.body);
      return reply.code(201).send({ goal: await addGoalToPlan(store.as(requireUser(request)), id, body) });
    },
  );
}

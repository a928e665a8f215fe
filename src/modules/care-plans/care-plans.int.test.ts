/**
 * Care plans over real HTTP on SQLite and PostgreSQL: every template instantiated (goals, targets,
 * tasks with roles, review date, valid R4), revisions with Provenance, the review job, and access —
 * a nurse not on the patient's care team sees no plan and cannot make one.
 */
import type { Bundle, CarePlan, Goal, Resource, Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCareTeam,
  buildCondition,
  buildObservation,
  buildPatient,
  buildPractitioner,
} from '../../../test/support/factories.js';
import { bearerFor } from '../../../test/support/identity.js';
import { openTestApp, type TestApp } from '../../../test/support/test-app.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import { assertValid } from '../../fhir/store/store.js';
import { OCCURRENCE_SYSTEM, scheduleNextOccurrences } from './care-plans.recurrence.js';
import { createDueReviewTasks } from './care-plans.review.js';
import { extensionUrls, REVIEW_TASK_SYSTEM } from './care-plans.rules.js';
import { listCarePlans } from './care-plans.service.js';
import { carePlanTemplates } from './templates/index.js';

const CASE_MANAGER = { coding: [{ system: 'http://snomed.info/sct', code: '768832004' }] };
const conditionCodes: Record<string, [string, string]> = {
  'diabetes-type-2': ['E11.9', 'Type 2 diabetes mellitus'],
  'heart-failure': ['I50.9', 'Heart failure, unspecified'],
  copd: ['J44.9', 'COPD, unspecified'],
  hypertension: ['I10', 'Essential (primary) hypertension'],
  'depression-collaborative-care': ['F32.9', 'Major depressive disorder, single episode'],
};

describe.each(databaseTargets)('care plans ($name)', ({ name, available }) => {
  let t: TestApp;
  const as: Record<string, string> = {};

  beforeAll(async () => {
    if (!available) return;
    t = await openTestApp(name);
    const s = t.store;
    for (const id of ['pr-nurse', 'pr-coord', 'pr-other'])
      await s.update('Practitioner', id, { ...buildPractitioner({ name: [{ family: `Lee-${id}` }] }), id });
    for (const id of ['p1', 'p2']) {
      await s.update('Patient', id, { ...buildPatient({ identifier: [{ value: `MRN-${id}` }] }), id });
      await s.update('CareTeam', `ct-${id}`, {
        ...buildCareTeam(id, []),
        id: `ct-${id}`,
        participant: [
          { member: { reference: 'Practitioner/pr-coord' }, role: [CASE_MANAGER] },
          { member: { reference: 'Practitioner/pr-nurse' } },
        ],
      });
    }
    for (const [template, [code, display]] of Object.entries(conditionCodes))
      await s.update('Condition', `c-${template}`, {
        ...buildCondition('p1', {
          code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code, display }] },
        }),
        id: `c-${template}`,
      });
    // A resolved condition is not what the plan addresses.
    await s.update('Condition', 'c-old-htn', {
      ...buildCondition('p1', {
        clinicalStatus: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }],
        },
        code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I10' }] },
      }),
      id: 'c-old-htn',
    });
    // The PHQ-9 baseline the response goal is computed from.
    await s.update('Observation', 'phq-baseline', {
      ...buildObservation('p1', {
        code: { coding: [{ system: 'http://loinc.org', code: '44261-6' }] },
        effectiveDateTime: '2026-11-20T10:00:00Z',
        valueQuantity: { value: 18, unit: '{score}', system: 'http://unitsofmeasure.org', code: '{score}' },
      }),
      id: 'phq-baseline',
    });
    const token = async (role: 'nurse' | 'care-coordinator', resource: string) =>
      (await bearerFor(t.db.database, { role, resource })).authorization;
    as.coord = await token('care-coordinator', 'Practitioner/pr-coord');
    as.nurse = await token('nurse', 'Practitioner/pr-nurse');
    as.outsider = await token('nurse', 'Practitioner/pr-other');
  }, 60_000);
  afterAll(async () => t?.close());

  const req = (who: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: { authorization: as[who]! },
      ...(payload ? { payload: payload as object } : {}),
    });

  it.runIf(available)(
    'lists every template with its source, goals with targets and activities with roles',
    async () => {
      const res = await req('nurse', 'GET', '/api/care-plan-templates');
      expect(res.statusCode).toBe(200);
      const { templates } = res.json();
      expect(templates.map((x: { id: string }) => x.id)).toEqual([
        'diabetes-type-2',
        'heart-failure',
        'copd',
        'hypertension',
        'depression-collaborative-care',
        'blank',
      ]);
      for (const x of templates) expect(x.source.url).toMatch(/^https:\/\//);
      const diabetes = templates[0];
      expect(diabetes.goals[0]).toMatchObject({
        measure: { loinc: '4548-4' },
        target: { comparator: '<', value: 7, unit: '%' },
      });
      expect(diabetes.activities.find((a: { id: string }) => a.id === 'dsmes')).toMatchObject({
        role: 'care-coordinator',
        dueInDays: 30,
      });
    },
  );

  it.runIf(available).each(carePlanTemplates.map((x) => x.id))(
    'instantiates the %s template: goals, targets, tasks with roles and a review date, all valid R4',
    async (templateId) => {
      const template = carePlanTemplates.find((x) => x.id === templateId)!;
      const res = await req('coord', 'POST', '/api/patients/p1/care-plans', { templateId });
      expect(res.statusCode).toBe(201);
      const { carePlan, goals, tasks } = res.json() as { carePlan: CarePlan; goals: Goal[]; tasks: Task[] };
      for (const r of [carePlan, ...goals, ...tasks] as Resource[])
        expect(() => assertValid(r)).not.toThrow();
      expect(carePlan).toMatchObject({
        status: 'active',
        intent: 'plan',
        subject: { reference: 'Patient/p1' },
        author: { reference: 'Practitioner/pr-coord' },
        careTeam: [{ reference: 'CareTeam/ct-p1' }],
        title: template.title,
      });
      // The test clock stands at 2026-11-30 (07:00 in New York, the default zone).
      const review = new Date(Date.UTC(2026, 10, 30 + template.reviewIntervalDays))
        .toISOString()
        .slice(0, 10);
      expect(carePlan.extension).toContainEqual({ url: extensionUrls.nextReview, valueDate: review });
      if (templateId === 'blank') expect(carePlan.addresses).toBeUndefined();
      else expect(carePlan.addresses).toEqual([{ reference: `Condition/c-${templateId}` }]);
      expect(goals).toHaveLength(template.goals.length);
      expect(carePlan.goal ?? []).toEqual(goals.map((g) => ({ reference: `Goal/${g.id}` })));
      for (const g of goals) {
        expect(g.lifecycleStatus).toBe('active');
        expect(g.achievementStatus?.coding?.[0]?.code).toBe('in-progress');
        expect(g.target?.[0]?.dueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
      const withDue = template.activities.filter((a) => a.dueInDays !== undefined);
      expect(tasks).toHaveLength(withDue.length);
      for (const [i, task] of tasks.entries()) {
        expect(task).toMatchObject({
          status: 'requested',
          for: { reference: 'Patient/p1' },
          owner: { reference: 'CareTeam/ct-p1' },
          basedOn: [{ reference: `CarePlan/${carePlan.id}` }],
        });
        expect(task.performerType?.[0]?.text).toBe(withDue[i]!.role);
        const due = Date.parse('2026-11-30T12:00:00Z') + withDue[i]!.dueInDays! * 86_400_000;
        expect(Date.parse(task.restriction!.period!.end!)).toBe(due);
      }
      const refs = (carePlan.activity ?? []).filter((a) => a.reference).map((a) => a.reference!.reference);
      expect(refs).toEqual(tasks.map((x) => `Task/${x.id}`));
      expect((carePlan.activity ?? []).filter((a) => a.detail)).toHaveLength(
        template.activities.length - withDue.length,
      );
      if (templateId === 'diabetes-type-2') {
        expect(goals[0]!.target![0]).toMatchObject({
          measure: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
          detailQuantity: { value: 7, comparator: '<', unit: '%' },
        });
        expect(goals[1]!.target!.map((x) => x.measure?.coding?.[0]?.code)).toEqual(['8480-6', '8462-4']);
      }
      if (templateId === 'depression-collaborative-care') {
        // Response = at least 50% below the latest PHQ-9 before the plan (18): at most 9.
        expect(goals[0]!.target![0]!.detailQuantity).toMatchObject({ value: 9, comparator: '<=' });
        expect(goals[1]!.target![0]!.detailQuantity).toMatchObject({ value: 5, comparator: '<' });
      }
      // What was stored is what was answered.
      const stored = await req('coord', 'GET', `/fhir/CarePlan/${carePlan.id}`);
      expect(stored.json().meta.versionId).toBe('1');
    },
  );

  it.runIf(available)(
    'a completed recurring activity makes its next occurrence once, shown on the plan; none after the plan ends',
    async () => {
      const res = await req('coord', 'POST', '/api/patients/p2/care-plans', { templateId: 'hypertension' });
      expect(res.statusCode).toBe(201);
      const { carePlan, tasks } = res.json() as { carePlan: CarePlan; tasks: Task[] };
      // Hypertension follow-up: "monthly until at target", repeatEveryDays 30.
      const first = tasks.find((x) => x.code?.text?.match(/follow-up/i))!;
      expect(first).toBeDefined();
      const complete = async (task: Task, at: string) =>
        (await t.store.update('Task', task.id!, { ...task, status: 'completed', lastModified: at }))
          .resource as Task;
      const done = await complete(first, '2026-12-05T15:00:00Z');

      const occurrences = async () =>
        (
          await t.store.search(
            'Task',
            [
              ['based-on', `CarePlan/${carePlan.id}`],
              ['identifier', `${OCCURRENCE_SYSTEM}|`],
            ],
            '',
          )
        ).entry?.map((e) => e.resource as Task) ?? [];
      const [second, ...others] = await occurrences();
      expect(others).toHaveLength(0);
      expect(second).toMatchObject({
        status: 'requested',
        owner: { reference: 'CareTeam/ct-p2' },
        code: first.code,
        identifier: expect.arrayContaining([
          { system: OCCURRENCE_SYSTEM, value: `${carePlan.id}/follow-up/2` },
        ]),
      });
      expect(second!.restriction?.period?.end).toBe('2027-01-04T15:00:00.000Z');

      // Announcing the same completion again (a retry) makes nothing twice.
      await scheduleNextOccurrences(
        t.store,
        [{ action: 'update', resourceType: 'Task', id: done.id!, versionId: 9, resource: done }],
        'America/New_York',
      );
      expect(await occurrences()).toHaveLength(1);

      // The plan shows the current occurrence of the activity.
      const view = (await req('coord', 'GET', '/api/patients/p2/care-plans')).json();
      const plan = view.carePlans.find((p: { carePlan: CarePlan }) => p.carePlan.id === carePlan.id);
      const activity = plan.activities.find((a: { task?: Task }) => a.task?.code?.text === first.code?.text);
      expect(activity.task.id).toBe(second!.id);

      // Once the plan is completed, finishing the occurrence ends the series.
      const stored = (await t.store.read('CarePlan', carePlan.id!)) as CarePlan;
      await t.store.update('CarePlan', carePlan.id!, { ...stored, status: 'completed' });
      await complete(second!, '2027-01-03T15:00:00Z');
      expect(await occurrences()).toHaveLength(1);
    },
  );

  it.runIf(available)(
    'records priorities as patient-expressed goals and preferences, barriers, agreement on the plan',
    async () => {
      const res = await req('coord', 'POST', '/api/patients/p1/care-plans', {
        templateId: 'hypertension',
        priorities: ['Walk my granddaughter to school'],
        preferences: { language: 'es', contact: 'phone', times: 'mornings' },
        barriers: ['No car'],
        agreement: { agreed: true, note: 'Agreed at visit' },
      });
      expect(res.statusCode).toBe(201);
      const { carePlan, goals } = res.json() as { carePlan: CarePlan; goals: Goal[] };
      const priority = goals.find((g) => g.expressedBy?.reference === 'Patient/p1')!;
      expect(priority.description.text).toBe('Walk my granddaughter to school');
      const urls = (carePlan.extension ?? []).map((e) => e.url);
      expect(urls).toEqual(
        expect.arrayContaining([extensionUrls.preferences, extensionUrls.barrier, extensionUrls.agreement]),
      );
      const agreement = carePlan.extension!.find((e) => e.url === extensionUrls.agreement)!;
      expect(agreement.extension).toContainEqual({ url: 'agreed', valueBoolean: true });
    },
  );

  it.runIf(available)('refuses an unknown template with 400 naming the field', async () => {
    const res = await req('coord', 'POST', '/api/patients/p1/care-plans', { templateId: 'nope' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('templateId');
  });

  it.runIf(available)(
    'keeps every revision: two PUTs make three versions, listed with who, when, why and what changed',
    async () => {
      const created = await req('coord', 'POST', '/api/patients/p1/care-plans', { templateId: 'copd' });
      const id = created.json().carePlan.id as string;
      const first = await req('coord', 'PUT', `/api/care-plans/${id}`, {
        title: 'COPD plan (home)',
        reason: 'Patient asked',
      });
      expect(first.statusCode).toBe(200);
      expect(first.json().carePlan.meta.versionId).toBe('2');
      const second = await req('nurse', 'PUT', `/api/care-plans/${id}`, {
        nextReview: '2027-01-15',
        barriers: ['Cost of inhalers'],
        reason: 'Review after exacerbation',
      });
      expect(second.json().carePlan.meta.versionId).toBe('3');
      const history = (await req('coord', 'GET', `/fhir/CarePlan/${id}/_history`)).json() as Bundle;
      expect(history.total).toBe(3);
      expect((history.entry ?? []).map((e) => (e.resource as CarePlan).title)).toEqual([
        'COPD plan (home)',
        'COPD plan (home)',
        'COPD care plan',
      ]);
      const res = await req('coord', 'GET', `/api/care-plans/${id}/revisions`);
      expect(res.statusCode).toBe(200);
      const { revisions } = res.json();
      expect(revisions).toHaveLength(3);
      expect(revisions[0]).toMatchObject({ version: 1, by: 'Practitioner/pr-coord', changes: ['created'] });
      expect(revisions[1]).toMatchObject({
        version: 2,
        by: 'Practitioner/pr-coord',
        reason: 'Patient asked',
        changes: ['title'],
      });
      expect(revisions[2]).toMatchObject({
        version: 3,
        by: 'Practitioner/pr-nurse',
        reason: 'Review after exacerbation',
      });
      expect(revisions[2].changes).toEqual(['extension:barrier', 'extension:next-review']);
      expect(revisions[2].at).toMatch(/^2026-11-30T12:00:00/);
    },
  );

  it.runIf(available)('asks for a reason when revising (400)', async () => {
    const created = await req('coord', 'POST', '/api/patients/p1/care-plans', { templateId: 'blank' });
    const res = await req('coord', 'PUT', `/api/care-plans/${created.json().carePlan.id}`, { title: 'x' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('reason');
  });

  it.runIf(available)(
    'creates one review task for the lead coordinator when the review date comes, however often it runs',
    async () => {
      const created = await req('coord', 'POST', '/api/patients/p2/care-plans', {
        templateId: 'hypertension',
      });
      expect(created.statusCode).toBe(201);
      const planId = created.json().carePlan.id as string; // next review 2026-12-30
      const forP2 = (tasks: Task[]) => tasks.filter((x) => x.for?.reference === 'Patient/p2');
      const zone = { timeZone: 'America/New_York' };
      expect(forP2(await createDueReviewTasks(t.store, new Date('2026-12-29T15:00:00Z'), zone))).toEqual([]);
      const now = new Date('2026-12-30T15:00:00Z');
      const made = forP2(await createDueReviewTasks(t.store, now, zone));
      expect(made).toHaveLength(1);
      expect(made[0]).toMatchObject({
        status: 'requested',
        focus: { reference: `CarePlan/${planId}` },
        owner: { reference: 'Practitioner/pr-coord' },
        identifier: [{ system: REVIEW_TASK_SYSTEM, value: `${planId}/2026-12-30` }],
      });
      expect(Date.parse(made[0]!.restriction!.period!.end!)).toBe(now.getTime() + 3 * 86_400_000);
      expect(forP2(await createDueReviewTasks(t.store, new Date('2026-12-31T15:00:00Z'), zone))).toEqual([]);
      const found = await t.app.inject({
        method: 'GET',
        url: `/fhir/Task?identifier=${encodeURIComponent(`${REVIEW_TASK_SYSTEM}|${planId}/2026-12-30`)}`,
      });
      expect(found.json().total).toBe(1);
    },
  );

  it.runIf(available)(
    'lists the plans with goal progress and activities to a nurse on the team',
    async () => {
      const res = await req('nurse', 'GET', '/api/patients/p1/care-plans');
      expect(res.statusCode).toBe(200);
      const { carePlans } = res.json();
      const diabetes = carePlans.find(
        (p: { carePlan: CarePlan }) => p.carePlan.title === 'Type 2 diabetes care plan',
      );
      expect(diabetes.nextReview).toBe('2027-02-28');
      expect(diabetes.goals[0].progress).toMatchObject({ status: 'no-data' });
      expect(
        diabetes.activities.find((a: { title: string }) => a.title.startsWith('Refer to diabetes')),
      ).toMatchObject({
        status: 'requested',
        owner: 'CareTeam/ct-p1',
        role: 'care-coordinator',
      });
    },
  );

  it.runIf(available)(
    'hides every plan of the patient from a nurse not on the care team, and refuses to let them make one',
    async () => {
      const list = await req('outsider', 'GET', '/api/patients/p1/care-plans');
      expect(list.statusCode).toBe(404);
      const create = await req('outsider', 'POST', '/api/patients/p1/care-plans', { templateId: 'copd' });
      expect([403, 404]).toContain(create.statusCode);
      const mine = (await req('coord', 'GET', '/api/patients/p1/care-plans')).json().carePlans[0].carePlan.id;
      expect((await req('outsider', 'GET', `/api/care-plans/${mine}/revisions`)).statusCode).toBe(404);
      expect(
        (await req('outsider', 'PUT', `/api/care-plans/${mine}`, { title: 'x', reason: 'y' })).statusCode,
      ).toBe(404);
      const search = await req('outsider', 'GET', '/fhir/CarePlan?subject=Patient/p1');
      expect(search.json().total).toBe(0);
    },
  );

  it.runIf(available)(
    'shows every activity of a long-running plan, more than one search may ask for by _id',
    async () => {
      await t.store.update('Patient', 'p-long', { ...buildPatient(), id: 'p-long' });
      const taskIds = Array.from({ length: 130 }, (_, i) => `long-task-${i}`);
      for (const id of taskIds)
        await t.store.update('Task', id, {
          resourceType: 'Task',
          id,
          status: 'completed',
          intent: 'order',
          for: { reference: 'Patient/p-long' },
          description: `Weekly call ${id}`,
        });
      await t.store.update('CarePlan', 'plan-long', {
        resourceType: 'CarePlan',
        id: 'plan-long',
        status: 'active',
        intent: 'plan',
        subject: { reference: 'Patient/p-long' },
        activity: taskIds.map((id) => ({ reference: { reference: `Task/${id}` } })),
      });
      const [view] = await listCarePlans(t.store, 'p-long');
      expect(view!.activities.filter((a) => a.task !== undefined)).toHaveLength(130);
    },
  );
});

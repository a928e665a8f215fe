/**
 * Goal tracking over real HTTP on SQLite and PostgreSQL: progress from observation series, and
 * Goal.achievementStatus kept current by the change listener when results arrive through /fhir.
 */
import type { Goal, Observation } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCareTeam,
  buildObservation,
  buildPatient,
  buildPractitioner,
} from '../../../test/support/factories.js';
import { bearerFor } from '../../../test/support/identity.js';
import { openTestApp, type TestApp } from '../../../test/support/test-app.js';
import { databaseTargets } from '../../../test/support/test-databases.js';

const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });
const hba1c = (patient: string, date: string, value: number): Observation =>
  buildObservation(patient, {
    effectiveDateTime: date,
    valueQuantity: { value, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
  });
const phq9 = (patient: string, date: string, value: number): Observation =>
  buildObservation(patient, {
    code: loinc('44261-6'),
    effectiveDateTime: date,
    valueQuantity: { value, unit: '{score}', system: 'http://unitsofmeasure.org', code: '{score}' },
  });
const bp = (patient: string, date: string, systolic: number, diastolic: number): Observation =>
  buildObservation(patient, {
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' },
        ],
      },
    ],
    code: loinc('85354-9'),
    effectiveDateTime: date,
    valueQuantity: undefined,
    component: [
      { code: loinc('8480-6'), valueQuantity: { value: systolic, unit: 'mm[Hg]' } },
      { code: loinc('8462-4'), valueQuantity: { value: diastolic, unit: 'mm[Hg]' } },
    ],
  });

const patients = ['none', 'up', 'down', 'flat', 'met', 'bp', 'dep', 'live', 'other'];
const ucum = (value: number, code: string) => ({
  value,
  unit: code,
  system: 'http://unitsofmeasure.org',
  code,
});
/** A Goal as another system writes it: a LOINC measure and any R4 detail[x]. */
const foreignGoal = (patient: string, code: string, detail: object, extra: object = {}): Goal => ({
  resourceType: 'Goal',
  lifecycleStatus: 'active',
  achievementStatus: {
    coding: [{ system: 'http://terminology.hl7.org/CodeSystem/goal-achievement', code: 'in-progress' }],
  },
  description: { text: `goal on ${code}` },
  subject: { reference: `Patient/${patient}` },
  target: [{ measure: loinc(code), ...detail }],
  ...extra,
});
const egfr = (patient: string, date: string, value: number): Observation =>
  buildObservation(patient, {
    code: loinc('33914-3'),
    effectiveDateTime: date,
    valueQuantity: ucum(value, 'mL/min/{1.73_m2}'),
  });

describe.each(databaseTargets)('goal tracking ($name)', ({ name, available }) => {
  let t: TestApp;
  let nurse: string;
  let outsider: string;
  const goals: Record<string, string> = {};

  const post = (resource: object) =>
    t.app.inject({
      method: 'POST',
      url: `/fhir/${(resource as { resourceType: string }).resourceType}`,
      payload: resource,
    });
  const progress = (id: string, auth = nurse) =>
    t.app.inject({ method: 'GET', url: `/api/goals/${id}/progress`, headers: { authorization: auth } });
  const plan = async (patient: string, templateId: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/patients/${patient}/care-plans`,
      headers: { authorization: nurse },
      payload: { templateId },
    });
    expect(res.statusCode).toBe(201);
    return res.json().goals as Goal[];
  };

  beforeAll(async () => {
    if (!available) return;
    t = await openTestApp(name);
    const s = t.store;
    for (const id of ['pr-nurse', 'pr-other'])
      await s.update('Practitioner', id, { ...buildPractitioner(), id });
    for (const id of patients)
      await s.update('Patient', id, { ...buildPatient({ identifier: [{ value: `MRN-${id}` }] }), id });
    for (const id of patients)
      await s.update('CareTeam', `ct-${id}`, {
        ...buildCareTeam(id, ['Practitioner/pr-nurse']),
        id: `ct-${id}`,
      });
    nurse = (await bearerFor(t.db.database, { role: 'nurse', resource: 'Practitioner/pr-nurse' }))
      .authorization;
    outsider = (await bearerFor(t.db.database, { role: 'nurse', resource: 'Practitioner/pr-other' }))
      .authorization;
    for (const id of ['none', 'up', 'down', 'flat', 'met', 'live'])
      goals[id] = (await plan(id, 'diabetes-type-2'))[0]!.id!;
    goals.bp = (await plan('bp', 'hypertension'))[0]!.id!;
    await post(phq9('dep', '2026-08-01T10:00:00Z', 20)); // the baseline, before the plan
    const dep = await plan('dep', 'depression-collaborative-care');
    goals.response = dep[0]!.id!;
    goals.remission = dep[1]!.id!;
    const series: [string, [string, number][]][] = [
      [
        'down',
        [
          ['2026-07-01', 8.4],
          ['2026-10-01', 7.8],
        ],
      ],
      [
        'up',
        [
          ['2026-07-01', 7.4],
          ['2026-10-01', 8.2],
        ],
      ],
      [
        'flat',
        [
          ['2026-07-01', 7.5],
          ['2026-10-01', 7.5],
        ],
      ],
      [
        'met',
        [
          ['2026-07-01', 7.3],
          ['2026-10-01', 6.8],
        ],
      ],
    ];
    for (const [patient, values] of series)
      for (const [date, value] of values) await post(hba1c(patient, `${date}T09:00:00Z`, value));
    await post(bp('bp', '2026-09-01T09:00:00Z', 150, 92));
    await post(bp('bp', '2026-10-01T09:00:00Z', 138, 84));
    await post(phq9('dep', '2026-09-01T10:00:00Z', 12));
    await post(phq9('dep', '2026-10-01T10:00:00Z', 4));
  }, 90_000);
  afterAll(async () => t?.close());

  it.runIf(available)('reports no-data when the patient has no result of the measure', async () => {
    const res = await progress(goals.none!);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'no-data',
      series: [],
      target: { comparator: '<', value: 7, unit: '%' },
    });
  });

  it.runIf(available)(
    'reports improving, worsening, no-change and achieved HbA1c series with explanations',
    async () => {
      const down = (await progress(goals.down!)).json();
      expect(down).toMatchObject({ status: 'improving', trend: -0.6, latest: { value: 7.8, unit: '%' } });
      expect(down.series.map((s: { value: number }) => s.value)).toEqual([8.4, 7.8]);
      expect(down.explanation).toBe(
        'HbA1c 7.8 % on 2026-10-01, target < 7.0 %; down 0.6 from 8.4 % on 2026-07-01: improving',
      );
      expect((await progress(goals.up!)).json().status).toBe('worsening');
      expect((await progress(goals.flat!)).json().status).toBe('no-change');
      expect((await progress(goals.met!)).json().status).toBe('achieved');
    },
  );

  it.runIf(available)('reads blood pressure goals from the panel components', async () => {
    const res = (await progress(goals.bp!)).json();
    expect(res.status).toBe('improving');
    expect(res.measures.map((m: { latest: { value: number } }) => m.latest.value)).toEqual([138, 84]);
  });

  it.runIf(available)(
    'tracks PHQ-9 response (50% below the baseline of 20) and remission (< 5)',
    async () => {
      const response = (await progress(goals.response!)).json();
      expect(response.target).toMatchObject({ comparator: '<=', value: 10 });
      expect(response.status).toBe('achieved');
      const remission = (await progress(goals.remission!)).json();
      expect(remission.status).toBe('achieved');
      expect(remission.explanation).toContain('PHQ-9 4 on 2026-10-01, target < 5');
    },
  );

  it.runIf(available)(
    'keeps Goal.achievementStatus current when results are posted through /fhir',
    async () => {
      const read = async () =>
        (await t.app.inject({ method: 'GET', url: `/fhir/Goal/${goals.live}` })).json() as Goal;
      expect((await read()).achievementStatus?.coding?.[0]?.code).toBe('in-progress');
      await post(hba1c('live', '2026-07-01T09:00:00Z', 8.6));
      const afterOne = await read();
      expect(afterOne.achievementStatus?.coding?.[0]?.code).toBe('no-change');
      expect(afterOne.meta?.versionId).toBe('2');
      await post(hba1c('live', '2026-10-01T09:00:00Z', 7.9));
      expect((await read()).achievementStatus?.coding?.[0]).toMatchObject({
        system: 'http://terminology.hl7.org/CodeSystem/goal-achievement',
        code: 'improving',
      });
      await post(hba1c('live', '2026-11-01T09:00:00Z', 6.7));
      expect((await read()).achievementStatus?.coding?.[0]?.code).toBe('achieved');
      await post(hba1c('live', '2026-11-20T09:00:00Z', 6.6));
      const sustained = await read();
      expect(sustained.achievementStatus?.coding?.[0]?.code).toBe('sustaining');
      // An unrelated result changes nothing: no new version.
      await post(
        buildObservation('live', { code: loinc('2345-7'), valueQuantity: { value: 110, unit: 'mg/dL' } }),
      );
      expect((await read()).meta?.versionId).toBe(sustained.meta?.versionId);
      // The update is the server's own, audited as such.
      const rows = await t.db.database.db
        .selectFrom('audit_events')
        .select('entry')
        .orderBy('seq', 'desc')
        .limit(400)
        .execute();
      const entries = rows.map(
        (r) => JSON.parse(r.entry) as { actor: string; resources?: string[]; action: string },
      );
      expect(
        entries.some(
          (e) =>
            e.actor === 'Device/careloop-goals' &&
            e.action === 'update' &&
            e.resources?.includes(`Goal/${goals.live}`),
        ),
      ).toBe(true);
    },
  );

  it.runIf(available)('hides goal progress from a nurse not on the care team (404)', async () => {
    expect((await progress(goals.down!, outsider)).statusCode).toBe(404);
  });

  it.runIf(available)(
    'edits a goal target as a new version with its reason and restates its achievement',
    async () => {
      const before = (await t.app.inject({ method: 'GET', url: `/fhir/Goal/${goals.flat}` })).json() as Goal;
      const res = await t.app.inject({
        method: 'PUT',
        url: `/api/goals/${goals.flat}`,
        headers: { authorization: nurse },
        payload: {
          target: { loinc: '4548-4', comparator: '<', value: 8, unit: '%' },
          reason: 'Frail, hypoglycemia risk',
        },
      });
      expect(res.statusCode).toBe(200);
      const goal = res.json().goal as Goal;
      expect(Number(goal.meta!.versionId)).toBe(Number(before.meta!.versionId) + 1);
      expect(goal.achievementStatus?.coding?.[0]?.code).toBe('achieved');
      expect((await progress(goals.flat!)).json().status).toBe('achieved');
    },
  );

  it.runIf(available)(
    'progresses goals with a one-sided range from another system: HbA1c "high 8 %" and eGFR "low 60"',
    async () => {
      const created = async (goal: Goal) => ((await post(goal)).json() as Goal).id!;
      const read = async (id: string) =>
        (await t.app.inject({ method: 'GET', url: `/fhir/Goal/${id}` })).json() as Goal;
      const code = (goal: Goal) => goal.achievementStatus?.coding?.[0]?.code;
      const a1c = await created(foreignGoal('other', '4548-4', { detailRange: { high: ucum(8, '%') } }));
      const kidney = await created(
        foreignGoal('other', '33914-3', { detailRange: { low: ucum(60, 'mL/min/{1.73_m2}') } }),
      );
      await post(hba1c('other', '2026-07-01T09:00:00Z', 9.1));
      expect(code(await read(a1c))).toBe('no-change');
      await post(hba1c('other', '2026-10-01T09:00:00Z', 7.4));
      const met = await read(a1c);
      expect(code(met)).toBe('achieved');
      // What the Goal says quotes no result: its readers need not be allowed the Observations.
      expect(met.achievementStatus?.text).toBe('HbA1c: achieved, target ≤ 8.0 %');
      expect((await progress(a1c)).json()).toMatchObject({
        status: 'achieved',
        target: { comparator: '<=', value: 8, unit: '%' },
        latest: { value: 7.4 },
      });
      // A result in another unit is not compared (75 against ≤ 8 would be worsening): still met.
      await post(
        buildObservation('other', {
          effectiveDateTime: '2026-11-01T09:00:00Z',
          valueQuantity: ucum(75, 'mmol/mol'),
        }),
      );
      expect(code(await read(a1c))).toBe('sustaining');
      const after = (await progress(a1c)).json();
      expect(after).toMatchObject({ status: 'achieved', latest: { value: 7.4 } });
      expect(after.explanation).toContain('results in mmol/mol not compared');
      await post(egfr('other', '2026-07-01T09:00:00Z', 45));
      await post(egfr('other', '2026-10-01T09:00:00Z', 52));
      expect(code(await read(kidney))).toBe('improving');
      await post(egfr('other', '2026-11-01T09:00:00Z', 60));
      expect(code(await read(kidney))).toBe('achieved');
    },
  );

  it.runIf(available)(
    'leaves a coded target to the team: an Observation of its measure does not overwrite what they recorded',
    async () => {
      const goal = (
        await post(
          foreignGoal(
            'other',
            '72166-2',
            { detailCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '8517006' }] } },
            {
              achievementStatus: {
                coding: [
                  { system: 'http://terminology.hl7.org/CodeSystem/goal-achievement', code: 'achieved' },
                ],
                text: 'Quit in March, confirmed at the visit',
              },
            },
          ),
        )
      ).json() as Goal;
      await post(
        buildObservation('other', {
          code: loinc('72166-2'),
          valueQuantity: undefined,
          valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '77176002' }] },
        }),
      );
      const after = (await t.app.inject({ method: 'GET', url: `/fhir/Goal/${goal.id}` })).json() as Goal;
      expect(after.meta?.versionId).toBe(goal.meta?.versionId);
      expect(after.achievementStatus?.text).toBe('Quit in March, confirmed at the visit');
      expect((await progress(goal.id!)).json()).toMatchObject({ status: 'no-data', series: [] });
    },
  );
});

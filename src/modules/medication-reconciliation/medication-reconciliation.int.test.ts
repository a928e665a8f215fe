/**
 * Medication reconciliation over HTTP on both databases: a patient whose list before admission and
 * discharge list hold every kind of line; a partial resolution leaves the task open; the last
 * decision applies the result (the active list equals the decisions) and completes the task in one
 * go; bad decisions are refused naming the field; only reconciling roles on the patient's team act.
 */
import type { List, MedicationRequest, MedicationStatement, Resource, Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCareTeam,
  buildEncounter,
  buildPatient,
  buildPractitioner,
  buildTask,
} from '../../../test/support/factories.js';
import { bearerFor } from '../../../test/support/identity.js';
import { openTestApp, type TestApp } from '../../../test/support/test-app.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import { DRUGS, type DrugKey } from '../../generator/medications-data.js';
import { RECONCILIATION_TASK_CODE, RXNORM, TASK_CODE_SYSTEM } from './medication-reconciliation.rules.js';
import type { ReconciliationView } from './medication-reconciliation.service.js';

const ADMITTED = '2026-11-20T08:00:00Z';

function order(
  id: string,
  drug: DrugKey | { code: string; text: string },
  options: {
    dose?: number;
    perDay?: number;
    encounter?: string;
    authoredOn?: string;
    status?: MedicationRequest['status'];
  } = {},
): MedicationRequest {
  const d = typeof drug === 'string' ? DRUGS[drug] : undefined;
  const code = d?.rxnorm ?? (drug as { code: string }).code;
  const text = d?.text ?? (drug as { text: string }).text;
  return {
    resourceType: 'MedicationRequest',
    id,
    status: options.status ?? 'active',
    intent: 'order',
    subject: { reference: 'Patient/p1' },
    ...(options.encounter ? { encounter: { reference: `Encounter/${options.encounter}` } } : {}),
    medicationCodeableConcept: { coding: [{ system: RXNORM, code }], text },
    authoredOn: options.authoredOn ?? (options.encounter ? '2026-11-24T10:00:00Z' : '2026-06-01T09:00:00Z'),
    dosageInstruction: [
      {
        timing: { repeat: { frequency: options.perDay ?? 1, period: 1, periodUnit: 'd' } },
        doseAndRate: [
          {
            doseQuantity: {
              value: options.dose ?? 1,
              system: 'http://unitsofmeasure.org',
              code: d?.doseUnit[0] ?? '{tbl}',
            },
          },
        ],
      },
    ],
  };
}

describe.each(databaseTargets)('medication reconciliation ($name)', ({ name, available }) => {
  let t: TestApp;
  const as: Record<string, string> = {};

  beforeAll(async () => {
    if (!available) return;
    t = await openTestApp(name);
    const s = t.store;
    for (const id of ['pr-pharm', 'pr-coord', 'pr-nurse-out'])
      await s.update('Practitioner', id, { ...buildPractitioner({ name: [{ family: id }] }), id });
    await s.update('Patient', 'p1', { ...buildPatient(), id: 'p1' });
    await s.update('CareTeam', 'ct1', {
      ...buildCareTeam('p1', ['Practitioner/pr-pharm', 'Practitioner/pr-coord']),
      id: 'ct1',
    });
    await s.update('Encounter', 'enc1', {
      ...buildEncounter('p1', { period: { start: ADMITTED, end: '2026-11-24T15:00:00Z' } }),
      id: 'enc1',
    });
    const puts: Resource[] = [
      // Before admission.
      order('b-lisinopril', 'lisinopril10'),
      order('b-metformin', 'metformin500', { perDay: 2 }),
      order('b-carvedilol', 'carvedilol12'),
      order('b-warfarin', 'warfarin5'),
      order('b-atorvastatin', 'atorvastatin40'),
      {
        resourceType: 'MedicationStatement',
        id: 's-aspirin',
        status: 'active',
        subject: { reference: 'Patient/p1' },
        medicationCodeableConcept: {
          coding: [{ system: RXNORM, code: '243670' }],
          text: 'Aspirin 81 mg tablet',
        },
        dateAsserted: '2026-10-01T09:00:00Z',
        dosage: [{ text: 'Take 1 tablet by mouth once daily' }],
      } as MedicationStatement,
      // Not on the list before admission: already stopped, and one started during the stay.
      order('x-stopped', 'escitalopram10', { status: 'stopped' }),
      order('x-during-stay', 'hctz25', { authoredOn: '2026-11-21T09:00:00Z' }),
      // The discharge list.
      order('d-lisinopril', 'lisinopril20', { encounter: 'enc1' }),
      order('d-metformin', 'metformin500', { perDay: 2, encounter: 'enc1' }),
      order('d-carvedilol', 'carvedilol12', { perDay: 2, encounter: 'enc1' }),
      order('d-atorvastatin', 'atorvastatin40', { encounter: 'enc1' }),
      order('d-aspirin', 'aspirin81', { encounter: 'enc1' }),
      order('d-rosuvastatin', { code: '301542', text: 'Rosuvastatin 10 mg tablet' }, { encounter: 'enc1' }),
      order('d-apixaban', 'apixaban5', { perDay: 2, encounter: 'enc1' }),
    ];
    for (const r of puts) await s.update(r.resourceType, r.id!, r);
    await s.update('Task', 'rec1', {
      ...buildTask('p1', {
        code: {
          coding: [{ system: TASK_CODE_SYSTEM, code: RECONCILIATION_TASK_CODE }],
          text: 'Medication reconciliation',
        },
        focus: { reference: 'Encounter/enc1' },
      }),
      id: 'rec1',
    });
    const token = async (role: Parameters<typeof bearerFor>[1]['role'], resource: string) =>
      (await bearerFor(t.db.database, { role, resource })).authorization;
    as.pharmacist = await token('pharmacist', 'Practitioner/pr-pharm');
    as.coordinator = await token('care-coordinator', 'Practitioner/pr-coord');
    as.outsider = await token('nurse', 'Practitioner/pr-nurse-out');
  }, 60_000);
  afterAll(async () => t?.close());

  const req = (who: string, method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: as[who]! }, ...(payload ? { payload } : {}) });
  const view = async (): Promise<ReconciliationView> => {
    const res = await req('pharmacist', 'GET', '/api/medication-reconciliation/rec1');
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const lineOf = (v: ReconciliationView, kind: string, after?: string, before?: string) =>
    v.lines.find(
      (l) =>
        l.kind === kind &&
        (!after || l.after?.reference === `MedicationRequest/${after}`) &&
        (!before || l.before?.reference.endsWith(`/${before}`)),
    )!;
  const resolve = (lineId: string, body: object, who = 'pharmacist') =>
    req(who, 'PUT', `/api/medication-reconciliation/rec1/lines/${lineId}`, body);
  const statusOf = async (type: string, id: string) =>
    ((await t.store.read(type, id)) as MedicationRequest | MedicationStatement).status;

  it.runIf(available)(
    'shows every kind of line between the list before admission and the discharge list',
    async () => {
      const v = await view();
      expect(v.patient).toEqual({ id: 'p1', name: 'Ana Lucia Rivera' });
      expect(v.encounter).toMatchObject({ id: 'enc1', admitted: ADMITTED });
      const summary = v.lines.map((l) => [
        l.kind,
        l.before?.reference ?? null,
        l.after?.reference ?? null,
        l.class ?? null,
      ]);
      // Each list in order of writing, then id: the list before admission, then what is new, then duplicates.
      expect(summary).toEqual([
        ['unchanged', 'MedicationRequest/b-atorvastatin', 'MedicationRequest/d-atorvastatin', 'statin'],
        [
          'frequency-changed',
          'MedicationRequest/b-carvedilol',
          'MedicationRequest/d-carvedilol',
          'beta-blocker',
        ],
        ['dose-changed', 'MedicationRequest/b-lisinopril', 'MedicationRequest/d-lisinopril', 'ace-inhibitor'],
        ['unchanged', 'MedicationRequest/b-metformin', 'MedicationRequest/d-metformin', 'biguanide'],
        ['stopped', 'MedicationRequest/b-warfarin', null, 'anticoagulant'],
        ['unchanged', 'MedicationStatement/s-aspirin', 'MedicationRequest/d-aspirin', 'antiplatelet'],
        ['new', null, 'MedicationRequest/d-apixaban', 'anticoagulant'],
        ['new', null, 'MedicationRequest/d-rosuvastatin', 'statin'],
        ['duplicate-class', 'MedicationRequest/d-atorvastatin', 'MedicationRequest/d-rosuvastatin', 'statin'],
      ]);
      expect(lineOf(v, 'dose-changed').detail).toBe('dose 10 mg → 20 mg');
      expect(v.progress).toEqual({ resolved: 0, total: 9 });
      expect(v.lines.every((l) => !l.resolution)).toBe(true);
    },
  );

  it.runIf(available)(
    'refuses a decision the line does not take, naming the field, and changes nothing',
    async () => {
      const v = await view();
      const unchanged = lineOf(v, 'unchanged', 'd-metformin');
      const dup = lineOf(v, 'duplicate-class');
      const cases: [string, object, string][] = [
        [unchanged.id, { decision: 'maybe' }, 'decision'],
        [unchanged.id, { decision: 'keep-both', note: 'why not' }, 'decision'],
        [dup.id, { decision: 'continue' }, 'decision'],
        [dup.id, { decision: 'keep-both' }, 'note'],
        [unchanged.id, { decision: 'change' }, 'dosage'],
        [unchanged.id, { decision: 'change', dosage: { route: 'oral' } }, 'dosage'],
        [unchanged.id, { decision: 'continue', extra: 1 }, 'body'],
      ];
      for (const [lineId, body, field] of cases) {
        const res = await resolve(lineId, body);
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        expect(res.json().error.code).toBe('bad_request');
        if (field !== 'body') expect(res.json().error.message).toMatch(new RegExp(`^${field}: `));
      }
      const unknown = await resolve('med-0000000000000000', { decision: 'continue' });
      expect(unknown.statusCode).toBe(404);
      expect((await view()).progress.resolved).toBe(0);
      expect(((await t.store.read('Task', 'rec1')) as Task).status).toBe('requested');
    },
  );

  it.runIf(available)(
    'lets no one off the patient team see or resolve it, and no role that does not reconcile',
    async () => {
      const v = await view();
      expect((await req('outsider', 'GET', '/api/medication-reconciliation/rec1')).statusCode).toBe(404);
      const outsider = await resolve(v.lines[0]!.id, { decision: 'continue' }, 'outsider');
      expect(outsider.statusCode).toBe(404);
      const coordinator = await resolve(v.lines[0]!.id, { decision: 'continue' }, 'coordinator');
      expect(coordinator.statusCode).toBe(403);
      expect((await view()).progress.resolved).toBe(0);
    },
  );

  it.runIf(available)('adds a discharge medication the pharmacist enters as a new line', async () => {
    const res = await req('pharmacist', 'POST', '/api/medication-reconciliation/rec1/medications', {
      rxnorm: '40790',
      name: 'Pantoprazole 40 mg tablet',
      dosage: {
        dose: { value: 1, unit: '{tbl}' },
        frequency: 1,
        periodUnit: 'd',
        text: 'Take 1 tablet before breakfast',
      },
    });
    expect(res.statusCode).toBe(201);
    const mr = res.json().medicationRequest as MedicationRequest;
    expect(mr).toMatchObject({
      status: 'active',
      encounter: { reference: 'Encounter/enc1' },
      requester: { reference: 'Practitioner/pr-pharm' },
    });
    const v = res.json().reconciliation as ReconciliationView;
    expect(lineOf(v, 'new', mr.id)).toMatchObject({
      class: 'ppi',
      after: { name: 'Pantoprazole 40 mg tablet' },
    });
    expect(v.progress).toEqual({ resolved: 0, total: 10 });
    const bad = await req('pharmacist', 'POST', '/api/medication-reconciliation/rec1/medications', {
      name: 'Pantoprazole',
      dosage: { frequency: 0 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^dosage\.frequency: /);
  });

  it.runIf(available)('keeps the task open after some decisions, and a decision can be changed', async () => {
    const v = await view();
    let res = await resolve(lineOf(v, 'stopped').id, { decision: 'continue', note: 'omitted by mistake?' });
    expect(res.statusCode).toBe(200);
    res = await resolve(lineOf(v, 'stopped').id, {
      decision: 'stop',
      note: 'Switched to apixaban in hospital',
    });
    expect(res.statusCode).toBe(200);
    const after = res.json() as ReconciliationView;
    expect(after.progress).toEqual({ resolved: 1, total: 10 });
    expect(lineOf(after, 'stopped').resolution).toMatchObject({
      decision: 'stop',
      note: 'Switched to apixaban in hospital',
      by: 'Practitioner/pr-pharm',
      at: '2026-11-30T12:00:00.000Z',
    });
    const task = (await t.store.read('Task', 'rec1')) as Task;
    expect(task.status).toBe('in-progress');
    const list = (await t.store.read('List', after.listId!)) as List;
    expect(list).toMatchObject({ mode: 'working', status: 'current', subject: { reference: 'Patient/p1' } });
    expect(list.entry).toHaveLength(1);
    expect(task.output?.[0]?.valueReference?.reference).toBe(`List/${after.listId}`);
    // Nothing is applied yet.
    expect(await statusOf('MedicationRequest', 'b-warfarin')).toBe('active');
  });

  it.runIf(available)('applies every decision and completes the task with the last one', async () => {
    const v = await view();
    const decide: [string, object][] = [
      [lineOf(v, 'dose-changed').id, { decision: 'continue' }],
      [lineOf(v, 'unchanged', 'd-metformin').id, { decision: 'continue' }],
      [
        lineOf(v, 'frequency-changed').id,
        {
          decision: 'change',
          dosage: {
            dose: { value: 1, unit: '{tbl}' },
            frequency: 2,
            periodUnit: 'd',
            text: 'Take 1 tablet twice daily with food',
          },
          note: 'Heart rate 58: keep 12.5 mg twice daily',
        },
      ],
      [lineOf(v, 'unchanged', 'd-atorvastatin').id, { decision: 'continue' }],
      [lineOf(v, 'unchanged', 'd-aspirin').id, { decision: 'continue' }],
      [lineOf(v, 'new', 'd-rosuvastatin').id, { decision: 'continue' }],
      [lineOf(v, 'new', 'd-apixaban').id, { decision: 'continue' }],
      [lineOf(v, 'duplicate-class').id, { decision: 'stop', note: 'Two statins: keep atorvastatin' }],
    ];
    for (const [lineId, body] of decide) {
      const res = await resolve(lineId, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(200);
      expect(res.json().completed).toBe(false);
    }
    expect(((await t.store.read('Task', 'rec1')) as Task).status).toBe('in-progress');
    const last = await resolve(v.lines.find((l) => l.after?.name === 'Pantoprazole 40 mg tablet')!.id, {
      decision: 'continue',
    });
    expect(last.statusCode).toBe(200);
    const done = last.json() as ReconciliationView;
    expect(done.completed).toBe(true);
    expect(done.progress).toEqual({ resolved: 10, total: 10 });

    const task = (await t.store.read('Task', 'rec1')) as Task;
    expect(task.status).toBe('completed');
    expect(task.executionPeriod?.end).toBe('2026-11-30T12:00:00.000Z');
    const list = (await t.store.read('List', done.listId!)) as List;
    expect(list.mode).toBe('snapshot');
    expect(list.entry).toHaveLength(10);

    // The active list is exactly what was decided.
    const active = async (type: string) => {
      const bundle = await t.store.search(
        type,
        [
          ['patient', 'Patient/p1'],
          ['status', 'active'],
          ['_count', '100'],
        ],
        '',
      );
      return (bundle.entry ?? []).map((e) => e.resource as MedicationRequest);
    };
    const requests = await active('MedicationRequest');
    const names = requests.map((r) => r.medicationCodeableConcept?.text).sort();
    expect(names).toEqual([
      'Apixaban 5 mg tablet',
      'Aspirin 81 mg tablet',
      'Atorvastatin 40 mg tablet',
      'Carvedilol 12.5 mg tablet',
      'Hydrochlorothiazide 25 mg tablet', // started during the stay without an encounter: not part of either list
      'Lisinopril 20 mg tablet',
      'Metformin 500 mg tablet',
      'Pantoprazole 40 mg tablet',
    ]);
    expect(await active('MedicationStatement')).toEqual([]);
    const carvedilol = requests.find((r) => r.medicationCodeableConcept?.text?.startsWith('Carvedilol'))!;
    expect(carvedilol.id).not.toBe('d-carvedilol');
    expect(carvedilol).toMatchObject({
      priorPrescription: { reference: 'MedicationRequest/d-carvedilol' },
      dosageInstruction: [
        { text: 'Take 1 tablet twice daily with food', timing: { repeat: { frequency: 2 } } },
      ],
      note: [{ text: 'Heart rate 58: keep 12.5 mg twice daily' }],
    });
    expect(await statusOf('MedicationRequest', 'b-warfarin')).toBe('stopped');
    expect(await statusOf('MedicationRequest', 'd-rosuvastatin')).toBe('stopped');
    expect(await statusOf('MedicationRequest', 'd-carvedilol')).toBe('stopped');
    expect(await statusOf('MedicationRequest', 'b-carvedilol')).toBe('stopped');
    expect(await statusOf('MedicationRequest', 'b-lisinopril')).toBe('completed');
    expect(await statusOf('MedicationStatement', 's-aspirin')).toBe('completed');
    expect(
      ((await t.store.read('MedicationRequest', 'b-warfarin')) as MedicationRequest).statusReason?.text,
    ).toBe('Switched to apixaban in hospital');
  });

  it.runIf(available)('answers 409 to any change after completion and still shows the record', async () => {
    const v = await view();
    expect(v.completed).toBe(true);
    expect(v.lines).toHaveLength(10);
    expect(v.lines.every((l) => l.resolution)).toBe(true);
    expect(lineOf(v, 'duplicate-class').resolution?.note).toBe('Two statins: keep atorvastatin');
    const again = await resolve(v.lines[0]!.id, { decision: 'stop' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('conflict');
    const add = await req('pharmacist', 'POST', '/api/medication-reconciliation/rec1/medications', {
      name: 'Omeprazole 20 mg capsule',
      dosage: { text: 'once daily' },
    });
    expect(add.statusCode).toBe(409);
  });

  it.runIf(available)(
    'works from a task a user made by hand (SNOMED CT code) and refuses other tasks',
    async () => {
      await t.store.update('Encounter', 'enc2', { ...buildEncounter('p1'), id: 'enc2' });
      await t.store.update('Task', 'rec2', {
        ...buildTask('p1', {
          code: { coding: [{ system: 'http://snomed.info/sct', code: '430193006' }] },
          focus: { reference: 'Encounter/enc2' },
        }),
        id: 'rec2',
      });
      const res = await req('pharmacist', 'GET', '/api/medication-reconciliation/rec2');
      expect(res.statusCode).toBe(200);
      expect(res.json().encounter.id).toBe('enc2');
      await t.store.update('Task', 'other', { ...buildTask('p1'), id: 'other' });
      const other = await req('pharmacist', 'GET', '/api/medication-reconciliation/other');
      expect(other.statusCode).toBe(422);
    },
  );
});

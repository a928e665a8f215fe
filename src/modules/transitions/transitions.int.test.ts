/**
 * Transitional care on both databases, through the ADT handler and the HTTP API as real users: TCM
 * tasks due at the right instants across a weekend and a holiday (fixed clock, New York), a
 * clinician's complexity call moving the visit, contact attempts, LACE/HOSPITAL RiskAssessments with
 * their factors (and the worklist's risk tier), care-team notifications readable only by those with
 * access, the 30-day readmission flag (and not at 31 days), and the board with its countdown data.
 */
import type { Communication, Encounter, Flag, Patient, Resource, RiskAssessment, Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCareTeam, buildObservation, buildPractitioner } from '../../../test/support/factories.js';
import { adtSender } from '../../../test/support/hl7.js';
import { bearerFor, type ClockedTestApp, openClockedTestApp } from '../../../test/support/identity.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import { adtMessage } from './adt-fixture.js';
import { RISK_FACTOR_EXTENSION, TASK_CODE_SYSTEM, TCM_PERIOD_EXTENSION } from './transitions.rules.js';

const TZ = 'America/New_York';
const snomed = (code: string) => ({ coding: [{ system: 'http://snomed.info/sct', code }] });
const kindOf = (t: Task) => t.code?.coding?.find((c) => c.system === TASK_CODE_SYSTEM)?.code;

describe.each(databaseTargets)('transitions of care ($name)', ({ name, available }) => {
  let t: ClockedTestApp;
  const auth: Record<'coord' | 'doc' | 'outsider', string> = { coord: '', doc: '', outsider: '' };

  const send = (raw: string) => adtSender(t, TZ)(raw);
  const all = async <T extends Resource>(type: string, query: [string, string][] = []): Promise<T[]> => {
    const bundle = await t.store.search(type, [...query, ['_count', '1000']], '');
    return (bundle.entry ?? []).map((e) => e.resource as T);
  };
  const visit = async (id: string) =>
    (await all<Encounter>('Encounter', [['identifier', `urn:careloop:hl7-visit:CLH|${id}`]]))[0]!;
  const tasksOf = async (encounter: Encounter): Promise<Record<string, Task>> =>
    Object.fromEntries(
      (await all<Task>('Task', [['encounter', `Encounter/${encounter.id}`]])).map((x) => [kindOf(x), x]),
    );
  const api = (who: keyof typeof auth, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: auth[who] }, ...(payload ? { payload } : {}) });
  /** A patient (from an A31) on the team of the coordinator and the physician. */
  const patientOnTeam = async (mrn: string): Promise<Patient> => {
    await send(
      adtMessage('A31', { patient: { mrn, name: `${mrn}^PAT`, birthDate: '19500312' }, noPv1: true }),
    );
    const patient = (
      await all<Patient>('Patient', [['identifier', `urn:careloop:hl7-authority:CLH|${mrn}`]])
    )[0]!;
    await t.store.create({
      ...buildCareTeam(patient.id!, []),
      participant: [
        { role: [snomed('768832004')], member: { reference: 'Practitioner/pr-coord' } },
        { role: [snomed('446050000')], member: { reference: 'Practitioner/pr-doc' } },
      ],
    });
    return patient;
  };

  beforeAll(async () => {
    if (!available) return;
    t = await openClockedTestApp(name, { timeZone: TZ, rateLimitPerMinute: 1_000_000 });
    for (const id of ['pr-coord', 'pr-doc', 'pr-out'])
      await t.store.update('Practitioner', id, { ...buildPractitioner({ name: [{ family: id }] }), id });
    const clock = t.clock;
    auth.coord = (
      await bearerFor(t.db.database, { role: 'care-coordinator', resource: 'Practitioner/pr-coord', clock })
    ).authorization;
    auth.doc = (
      await bearerFor(t.db.database, { role: 'physician', resource: 'Practitioner/pr-doc', clock })
    ).authorization;
    auth.outsider = (
      await bearerFor(t.db.database, { role: 'nurse', resource: 'Practitioner/pr-out', clock })
    ).authorization;
  }, 60_000);
  afterAll(async () => t?.close());

  it.runIf(available)(
    'a Wednesday discharge before Thanksgiving: contact due end of Monday, visit and med rec in 14 days, LACE and HOSPITAL stored with factors',
    async () => {
      const patient = await patientOnTeam('MRN-T1');
      for (const [code, value, unit] of [
        ['718-7', 10.5, 'g/dL'],
        ['2951-2', 132, 'mmol/L'],
      ] as const)
        await t.store.create(
          buildObservation(patient.id!, {
            code: { coding: [{ system: 'http://loinc.org', code }] },
            effectiveDateTime: '2026-11-24T12:00:00Z',
            valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
          }),
        );
      const stay = { patient: { mrn: 'MRN-T1', name: 'MRN-T1^PAT' }, visit: 'V-T1', admissionType: 'E' };
      await send(
        adtMessage('A01', { ...stay, diagnoses: ['I50.9^Heart failure^I10', 'E11.9^Type 2 diabetes^I10'] }),
      );
      const discharge = adtMessage('A03', {
        ...stay,
        dischargeAt: '20261125150000-0500',
        disposition: '01',
        diagnoses: ['I50.9^Heart failure^I10', 'E11.9^Type 2 diabetes^I10'],
        procedures: ['0JH60DZ^Insertion of pacemaker^I10P'],
      });
      await send(discharge);
      await send(discharge);
      const encounter = await visit('V-T1');
      const tasks = await tasksOf(encounter);
      expect(Object.keys(tasks).sort()).toEqual([
        'medication-reconciliation',
        'tcm-face-to-face',
        'tcm-interactive-contact',
      ]);
      const contact = tasks['tcm-interactive-contact']!;
      // Wed 25 discharge; Thu 26 Thanksgiving, Sat/Sun: business days are Fri 27 and Mon 30 → Mon 23:59:59.999 EST.
      expect(contact).toMatchObject({
        status: 'requested',
        owner: { reference: 'Practitioner/pr-coord' },
        restriction: { period: { end: '2026-12-01T04:59:59.999Z' } },
        focus: { reference: `Encounter/${encounter.id}` },
      });
      expect(contact.extension?.find((e) => e.url === TCM_PERIOD_EXTENSION)?.valuePeriod?.end).toBe(
        '2026-12-25T04:59:59.999Z',
      );
      expect(tasks['tcm-face-to-face']!.restriction?.period?.end).toBe('2026-12-10T04:59:59.999Z');
      expect(tasks['tcm-face-to-face']!.performerType?.[0]?.coding?.[0]?.code).toBe('446050000');
      expect(tasks['medication-reconciliation']).toMatchObject({
        code: { coding: [{ system: TASK_CODE_SYSTEM, code: 'medication-reconciliation' }] },
        focus: { reference: `Encounter/${encounter.id}` },
        restriction: { period: { end: '2026-12-10T04:59:59.999Z' } },
      });
      expect(tasks['medication-reconciliation']!.performerType?.[0]?.coding?.[0]?.code).toBe('46255001');

      const risks = await all<RiskAssessment>('RiskAssessment', [['encounter', `Encounter/${encounter.id}`]]);
      const byCode = Object.fromEntries(risks.map((r) => [r.code?.coding?.[0]?.code, r]));
      expect(Object.keys(byCode).sort()).toEqual(['HOSPITAL', 'LACE']);
      const points = (ra: RiskAssessment) =>
        Object.fromEntries(
          ra
            .extension!.filter((e) => e.url === RISK_FACTOR_EXTENSION)
            .map((e) => [
              e.extension!.find((x) => x.url === 'code')!.valueString,
              e.extension!.find((x) => x.url === 'points')!.valueInteger,
            ]),
        );
      // LACE: L 5 days → 4, A emergency → 3, C CHF + diabetes = 2 → 2, E none → 0: 9, moderate.
      expect(points(byCode.LACE!)).toEqual({ L: 4, A: 3, C: 2, E: 0 });
      expect(byCode.LACE!.prediction?.[0]?.qualitativeRisk?.coding?.[0]?.code).toBe('moderate');
      expect(byCode.LACE!.method?.text).toContain('van Walraven');
      // A band is no probability: the prediction states none (R4 allows that; ras-2 bounds a given one).
      for (const ra of risks)
        expect(Object.keys(ra.prediction![0]!).filter((k) => k.startsWith('probability'))).toEqual([]);
      // HOSPITAL: Hb 10.5 → 1, Na 132 → 1, procedure → 1, non-elective → 1, LOS 5 → 2: 6, intermediate.
      expect(points(byCode.HOSPITAL!)).toMatchObject({ H: 1, O: 0, S: 1, P: 1, IT: 1, A: 0, L: 2 });
      expect(byCode.HOSPITAL!.prediction?.[0]?.qualitativeRisk?.text).toMatch(/^intermediate/);
      const row = await t.db.database.db
        .selectFrom('worklist_items')
        .select(['risk_tier'])
        .where('task_id', '=', contact.id!)
        .executeTakeFirstOrThrow();
      expect(row.risk_tier).toBe('moderate');
    },
  );

  it.runIf(available)(
    'a physician sets high complexity: visit and med rec move to 7 days; a coordinator may not',
    async () => {
      const encounter = await visit('V-T1');
      const refused = await api('coord', 'PUT', `/api/transitions/${encounter.id}/complexity`, {
        level: 'high',
        reason: 'x',
      });
      expect(refused.statusCode).toBe(403);
      const bad = await api('doc', 'PUT', `/api/transitions/${encounter.id}/complexity`, {
        level: 'extreme',
        reason: 'x',
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toContain('level');
      const res = await api('doc', 'PUT', `/api/transitions/${encounter.id}/complexity`, {
        level: 'high',
        reason: 'new oxygen need',
      });
      expect(res.statusCode, res.body).toBe(200);
      const tasks = await tasksOf(encounter);
      expect(tasks['tcm-face-to-face']!.restriction?.period?.end).toBe('2026-12-03T04:59:59.999Z');
      expect(tasks['medication-reconciliation']!.restriction?.period?.end).toBe('2026-12-03T04:59:59.999Z');
      const detail = (await api('coord', 'GET', `/api/transitions/${encounter.id}`)).json().transition;
      expect(detail.complexity).toMatchObject({
        level: 'high',
        reason: 'new oxygen need',
        by: 'Practitioner/pr-doc',
      });
      // A resent discharge keeps the clinician's call.
      await send(
        adtMessage('A03', {
          patient: { mrn: 'MRN-T1', name: 'MRN-T1^PAT' },
          visit: 'V-T1',
          dischargeAt: '20261125150000-0500',
          disposition: '01',
        }),
      );
      expect((await tasksOf(encounter))['tcm-face-to-face']!.restriction?.period?.end).toBe(
        '2026-12-03T04:59:59.999Z',
      );
    },
  );

  it.runIf(available)(
    'the board lists the discharge with patient, risk, tasks and countdown inputs; outsiders see nothing',
    async () => {
      await patientOnTeam('MRN-T3');
      // Friday 20 Nov: contact due Tuesday 24 → overdue on Monday 30.
      await send(
        adtMessage('A03', {
          patient: { mrn: 'MRN-T3', name: 'MRN-T3^PAT' },
          visit: 'V-T3',
          dischargeAt: '20261120100000-0500',
          admitAt: '20261118080000-0500',
          admissionType: 'R',
        }),
      );
      const res = await api('coord', 'GET', '/api/transitions?days=30');
      expect(res.statusCode, res.body).toBe(200);
      const board = res.json().transitions as {
        encounterId: string;
        patient: { name: string; age: number };
        risk: { lace: { band: string } };
        tasks: { kind: string; dueAt: string; overdue: boolean; status: string }[];
      }[];
      const t1Id = (await visit('V-T1')).id;
      const t1 = board.find((b) => b.encounterId === t1Id)!;
      expect(t1.patient).toMatchObject({ name: 'PAT MRN-T1', age: 76 });
      expect(t1.risk.lace.band).toBe('moderate');
      expect(t1.tasks.map((x) => [x.kind, x.dueAt, x.overdue])).toEqual([
        ['tcm-interactive-contact', '2026-12-01T04:59:59.999Z', false],
        ['tcm-face-to-face', '2026-12-03T04:59:59.999Z', false],
        ['medication-reconciliation', '2026-12-03T04:59:59.999Z', false],
      ]);
      const t3Id = (await visit('V-T3')).id;
      const t3 = board.find((b) => b.encounterId === t3Id)!;
      expect(t3.tasks.find((x) => x.kind === 'tcm-interactive-contact')).toMatchObject({
        dueAt: '2026-11-25T04:59:59.999Z',
        overdue: true,
      });
      const narrow = (await api('coord', 'GET', '/api/transitions?days=7')).json().transitions as {
        encounterId: string;
      }[];
      expect(narrow.map((b) => b.encounterId)).toEqual([t1.encounterId]);
      expect((await api('coord', 'GET', '/api/transitions?days=0')).statusCode).toBe(400);

      expect((await api('outsider', 'GET', '/api/transitions?days=30')).json().transitions).toEqual([]);
      expect((await api('outsider', 'GET', `/api/transitions/${t1.encounterId}`)).statusCode).toBe(404);
      const detail = (await api('coord', 'GET', `/api/transitions/${t1.encounterId}`)).json().transition;
      expect(detail.risk.hospital.factors.map((f: { code: string }) => f.code)).toEqual([
        'H',
        'O',
        'S',
        'P',
        'IT',
        'A',
        'L',
      ]);
    },
  );

  it.runIf(available)(
    'a reached contact completes the contact task; two timely failed attempts complete it as two-attempts',
    async () => {
      const t1 = await visit('V-T1');
      const bad = await api('coord', 'POST', `/api/transitions/${t1.id}/contact-attempts`, {
        at: '2026-11-30T10:00:00Z',
        channel: 'pigeon',
        outcome: 'reached',
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toContain('channel');
      const reached = await api('coord', 'POST', `/api/transitions/${t1.id}/contact-attempts`, {
        at: '2026-11-30T10:00:00Z',
        channel: 'phone',
        outcome: 'reached',
        note: 'spoke with daughter',
      });
      expect(reached.statusCode, reached.body).toBe(201);
      expect(reached.json().task.status).toBe('completed');

      await patientOnTeam('MRN-T2');
      await send(
        adtMessage('A03', {
          patient: { mrn: 'MRN-T2', name: 'MRN-T2^PAT' },
          visit: 'V-T2',
          dischargeAt: '20261127100000-0500',
          disposition: '06',
        }),
      );
      const t2 = await visit('V-T2');
      const first = await api('coord', 'POST', `/api/transitions/${t2.id}/contact-attempts`, {
        at: '2026-11-28T15:00:00Z',
        channel: 'phone',
        outcome: 'no-answer',
      });
      expect(first.statusCode, first.body).toBe(201);
      expect(first.json().task.status).toBe('requested');
      const second = await api('coord', 'POST', `/api/transitions/${t2.id}/contact-attempts`, {
        at: '2026-11-30T11:00:00Z',
        channel: 'text',
        outcome: 'left-message',
      });
      expect(second.json().task).toMatchObject({
        status: 'completed',
        statusReason: { text: 'two-attempts' },
      });
      const detail = (await api('coord', 'GET', `/api/transitions/${t2.id}`)).json().transition;
      expect(
        detail.contactAttempts.map((a: { outcome: string; channel: string }) => [a.channel, a.outcome]),
      ).toEqual([
        ['phone', 'no-answer'],
        ['text', 'left-message'],
      ]);
      const outsider = await api('outsider', 'POST', `/api/transitions/${t2.id}/contact-attempts`, {
        at: '2026-11-30T11:00:00Z',
        channel: 'phone',
        outcome: 'reached',
      });
      expect(outsider.statusCode).toBe(404);
    },
  );

  it.runIf(available)(
    'notifies the care team once per event, readable only by those with access, read per user',
    async () => {
      const t1 = await visit('V-T1');
      const notes = await all<Communication>('Communication', [
        ['encounter', `Encounter/${t1.id}`],
        ['category', 'http://terminology.hl7.org/CodeSystem/communication-category|notification'],
      ]);
      expect(notes.map((n) => n.topic?.coding?.[0]?.code).sort()).toEqual(['admission', 'discharge']);
      expect(notes[0]!.recipient?.map((r) => r.reference)).toEqual(
        expect.arrayContaining(['Practitioner/pr-coord', 'Practitioner/pr-doc']),
      );
      expect(notes.every((n) => !JSON.stringify(n.payload).includes('MRN-T1'))).toBe(true);

      const mine = await api('coord', 'GET', '/api/notifications?unread=true');
      expect(mine.statusCode, mine.body).toBe(200);
      const list = mine.json().notifications as { id: string; kind: string; encounterId: string }[];
      const discharge = list.find((n) => n.encounterId === t1.id && n.kind === 'discharge')!;
      expect(discharge).toBeDefined();
      expect((await api('outsider', 'GET', '/api/notifications')).json().notifications).toEqual([]);
      expect((await api('outsider', 'POST', `/api/notifications/${discharge.id}/read`)).statusCode).toBe(404);
      const read = await api('coord', 'POST', `/api/notifications/${discharge.id}/read`);
      expect(read.statusCode, read.body).toBe(200);
      const after = (await api('coord', 'GET', '/api/notifications?unread=true')).json().notifications as {
        id: string;
      }[];
      expect(after.map((n) => n.id)).not.toContain(discharge.id);
      expect(after.length).toBe(list.length - 1);
      // The physician has not read it.
      const docs = (await api('doc', 'GET', '/api/notifications?unread=true')).json().notifications as {
        id: string;
      }[];
      expect(docs.map((n) => n.id)).toContain(discharge.id);
    },
  );

  it.runIf(available)(
    'through the real intake (POST /hl7/v2): a discharge is acknowledged AA and lands on the board; a bad one AE naming PID-3',
    async () => {
      await patientOnTeam('MRN-H1');
      const { authorization } = await bearerFor(t.db.database, { role: 'integration', clock: t.clock });
      const post = (raw: string) =>
        t.app.inject({
          method: 'POST',
          url: '/hl7/v2',
          headers: { authorization, 'content-type': 'x-application/hl7-v2+er7' },
          payload: raw,
        });
      const ok = await post(
        adtMessage('A03', {
          patient: { mrn: 'MRN-H1', name: 'MRN-H1^PAT' },
          visit: 'V-H1',
          dischargeAt: '20261129100000-0500',
          disposition: '01',
        }),
      );
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toMatch(/MSA\|AA\|/);
      const bad = await post(
        adtMessage('A03', { patient: { mrn: '' }, visit: 'V-H2', dischargeAt: '20261129100000-0500' }),
      );
      expect(bad.body).toMatch(/MSA\|AE\|/);
      expect(bad.body).toContain('PID^1^3');
      const board = (await api('coord', 'GET', '/api/transitions?days=30')).json().transitions as {
        encounterId: string;
        tasks: unknown[];
      }[];
      const stay = await visit('V-H1');
      expect(board.find((b) => b.encounterId === stay.id)?.tasks).toHaveLength(3);
    },
  );

  it.runIf(available)(
    'a discharge as expired (disposition 20) starts no TCM and tells the team of the death once',
    async () => {
      await patientOnTeam('MRN-D1');
      const raw = adtMessage('A03', {
        patient: { mrn: 'MRN-D1', name: 'MRN-D1^PAT' },
        visit: 'V-D1',
        dischargeAt: '20261129040000-0500',
        disposition: '20',
      });
      await send(raw);
      await send(raw);
      const stay = await visit('V-D1');
      expect(await tasksOf(stay)).toEqual({});
      const told = await all<Communication>('Communication', [['encounter', `Encounter/${stay.id}`]]);
      expect(told.map((c) => c.topic?.coding?.[0]?.code).sort()).toEqual(['death', 'discharge']);
      expect(told.find((c) => c.topic?.coding?.[0]?.code === 'discharge')?.payload?.[0]?.contentString).toBe(
        'Discharged from CLH General (expired).',
      );
    },
  );

  it.runIf(available)(
    'an inpatient admission 30 days after an inpatient discharge flags both stays and tells the team; 31 days does not',
    async () => {
      await patientOnTeam('MRN-R1');
      const r1 = { patient: { mrn: 'MRN-R1', name: 'MRN-R1^PAT' } };
      await send(adtMessage('A01', { ...r1, visit: 'V-R1A', admitAt: '20261025080000-0400' }));
      await send(
        adtMessage('A03', {
          ...r1,
          visit: 'V-R1A',
          admitAt: '20261025080000-0400',
          dischargeAt: '20261029100000-0400',
        }),
      );
      await send(adtMessage('A01', { ...r1, visit: 'V-R1B', admitAt: '20261128090000-0500' }));
      await send(adtMessage('A01', { ...r1, visit: 'V-R1B', admitAt: '20261128090000-0500' }));
      const [index, again] = [await visit('V-R1A'), await visit('V-R1B')];
      const flags = await all<Flag>('Flag', [['patient', index.subject!.reference!]]);
      expect(flags).toHaveLength(1);
      expect(flags[0]!.extension?.map((e) => e.valueReference?.reference)).toEqual([
        `Encounter/${index.id}`,
        `Encounter/${again.id}`,
      ]);
      expect(index.meta?.tag?.map((x) => x.code)).toContain('readmitted-within-30-days');
      expect(again.meta?.tag?.map((x) => x.code)).toContain('readmission-within-30-days');
      const told = await all<Communication>('Communication', [['encounter', `Encounter/${again.id}`]]);
      expect(told.map((c) => c.topic?.coding?.[0]?.code).sort()).toEqual(['admission', 'readmission']);

      const r2 = { patient: { mrn: 'MRN-R2', name: 'MRN-R2^PAT' } };
      await send(
        adtMessage('A03', {
          ...r2,
          visit: 'V-R2A',
          admitAt: '20260928080000-0400',
          dischargeAt: '20261001100000-0400',
        }),
      );
      await send(adtMessage('A01', { ...r2, visit: 'V-R2B', admitAt: '20261101090000-0500' }));
      const r2stay = await visit('V-R2B');
      expect(await all<Flag>('Flag', [['patient', r2stay.subject!.reference!]])).toHaveLength(0);
      expect(r2stay.meta?.tag).toBeUndefined();
    },
  );
});

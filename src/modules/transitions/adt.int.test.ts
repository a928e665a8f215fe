/**
 * The ADT handler on both databases: every supported event and what it does to the record, cancels
 * undoing their effects, resends creating nothing twice, the real sample messages processed, and bad
 * messages answered with the field named (and nothing half-written).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Communication, Condition, Encounter, Location, Patient, Resource, Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCareTeam, buildPractitioner } from '../../../test/support/factories.js';
import { adtSender } from '../../../test/support/hl7.js';
import { type ClockedTestApp, openClockedTestApp } from '../../../test/support/identity.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import { Hl7ProcessingError } from '../../integrations/hl7/hl7-handler.js';
import { adtMessage } from './adt-fixture.js';
import { HL7_LOCATION_SYSTEM, HL7_VISIT_PREFIX } from './transitions.rules.js';

const TZ = 'America/New_York';
const FIXTURES = new URL('../../../test/fixtures/hl7v2/', import.meta.url);

describe.each(databaseTargets)('ADT events ($name)', ({ name, available }) => {
  let t: ClockedTestApp;

  beforeAll(async () => {
    if (!available) return;
    t = await openClockedTestApp(name, { timeZone: TZ, rateLimitPerMinute: 1_000_000 });
    await t.store.update('Practitioner', 'pr-coord', { ...buildPractitioner(), id: 'pr-coord' });
  }, 60_000);
  afterAll(async () => t?.close());

  const send = (raw: string) => adtSender(t, TZ)(raw);
  const refusal = async (raw: string): Promise<Hl7ProcessingError> => {
    try {
      await send(raw);
    } catch (err) {
      if (err instanceof Hl7ProcessingError) return err;
      throw err;
    }
    throw new Error('the message was accepted');
  };
  const all = async <T extends Resource>(type: string, query: [string, string][] = []): Promise<T[]> => {
    const bundle = await t.store.search(type, [...query, ['_count', '1000']], '');
    return (bundle.entry ?? []).map((e) => e.resource as T);
  };
  const visitOf = async (visit: string, authority = 'CLH') =>
    (await all<Encounter>('Encounter', [['identifier', `${HL7_VISIT_PREFIX}${authority}|${visit}`]]))[0];
  const patientByMrn = async (mrn: string) =>
    (await all<Patient>('Patient', [['identifier', `urn:careloop:hl7-authority:CLH|${mrn}`]]))[0];

  it.runIf(available)(
    'A01 admits: Patient from PID, Encounter keyed by visit number with class, priority, attending, location, conditions',
    async () => {
      await send(
        adtMessage('A01', {
          patient: {
            mrn: 'MRN-A01',
            name: 'RIVERA^ANA^LUCIA^^^^L~RIVERA^ANNIE^^^^^N',
            birthDate: '19561204',
            sex: 'F',
          },
          pid: {
            11: '12 Elm St^Apt 2^Springfield^MA^01101^USA^H',
            13: '^PRN^PH^^1^413^5550101',
            15: 'es^Spanish^HL70296',
          },
          visit: 'V-A01',
          diagnoses: ['I50.9^Heart failure, unspecified^I10', '422504002^Ischemic stroke^SCT'],
        }),
      );
      const patient = (await patientByMrn('MRN-A01'))!;
      expect(patient).toMatchObject({
        name: [
          { use: 'official', family: 'RIVERA', given: ['ANA', 'LUCIA'] },
          { use: 'nickname', family: 'RIVERA', given: ['ANNIE'] },
        ],
        birthDate: '1956-12-04',
        gender: 'female',
        address: [
          {
            use: 'home',
            line: ['12 Elm St', 'Apt 2'],
            city: 'Springfield',
            state: 'MA',
            postalCode: '01101',
          },
        ],
        telecom: [{ system: 'phone', value: '413 5550101', use: 'home' }],
        communication: [
          { language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'es' }], text: 'Spanish' } },
        ],
      });
      const encounter = (await visitOf('V-A01'))!;
      expect(encounter).toMatchObject({
        status: 'in-progress',
        class: { code: 'IMP' },
        subject: { reference: `Patient/${patient.id}` },
        period: { start: '2026-11-20T13:00:00.000Z' },
        priority: { coding: [{ code: 'EM' }, { code: 'E' }] },
        serviceProvider: { display: 'CLH General' },
      });
      expect(encounter.participant?.[0]?.individual?.display).toBe('DR ANNA SMITH');
      expect(encounter.location).toHaveLength(1);
      expect(encounter.location![0]).toMatchObject({ status: 'active', location: { display: '4E 401 A' } });
      const conditions = await all<Condition>('Condition', [['encounter', `Encounter/${encounter.id}`]]);
      expect(conditions.map((c) => c.code?.coding?.[0]?.system).sort()).toEqual([
        'http://hl7.org/fhir/sid/icd-10',
        'http://snomed.info/sct',
      ]);
      expect(
        conditions.find((c) => c.code?.coding?.[0]?.code === 'I50.9')?.category?.[0]?.coding?.[0]?.code,
      ).toBe('encounter-diagnosis');
    },
  );

  it.runIf(available)(
    'a resend with a new control id duplicates nothing; an empty field keeps, "" erases',
    async () => {
      const base = {
        patient: { mrn: 'MRN-RE' },
        visit: 'V-RE',
        pid: { 13: '4135550111' },
        diagnoses: ['E11.9^Type 2 diabetes^I10'],
      };
      await send(adtMessage('A01', base));
      await send(adtMessage('A01', base));
      await send(adtMessage('A03', { ...base, dischargeAt: '20261128100000-0500', disposition: '01' }));
      const counts = async () => {
        const encounter = (await visitOf('V-RE'))!;
        return {
          patients: (await all('Patient', [['identifier', 'urn:careloop:hl7-authority:CLH|MRN-RE']])).length,
          encounters: (await all('Encounter', [['identifier', `${HL7_VISIT_PREFIX}CLH|V-RE`]])).length,
          conditions: (await all('Condition', [['encounter', `Encounter/${encounter.id}`]])).length,
          tasks: (await all('Task', [['encounter', `Encounter/${encounter.id}`]])).length,
          risk: (await all('RiskAssessment', [['encounter', `Encounter/${encounter.id}`]])).length,
        };
      };
      const before = await counts();
      expect(before).toMatchObject({ patients: 1, encounters: 1, conditions: 1, tasks: 3, risk: 1 });
      await send(adtMessage('A03', { ...base, dischargeAt: '20261128100000-0500', disposition: '01' }));
      await send(adtMessage('A01', base));
      expect(await counts()).toEqual(before);
      // A late A01 does not reopen the finished stay.
      expect((await visitOf('V-RE'))!.status).toBe('finished');

      await send(adtMessage('A08', { patient: { mrn: 'MRN-RE', name: '' }, visit: 'V-RE', pid: { 13: '' } }));
      let patient = (await patientByMrn('MRN-RE'))!;
      expect(patient.telecom?.[0]?.value).toBe('4135550111');
      expect(patient.name?.[0]?.family).toBe('DOE');
      await send(adtMessage('A31', { patient: { mrn: 'MRN-RE' }, pid: { 13: '""' }, noPv1: true }));
      patient = (await patientByMrn('MRN-RE'))!;
      expect(patient.telecom).toBeUndefined();
    },
  );

  it.runIf(available)(
    'A04 registers an emergency visit, A05 plans one, A06/A07 change the class and keep the old one',
    async () => {
      await send(adtMessage('A04', { patient: { mrn: 'MRN-ED' }, visit: 'V-ED', patientClass: 'E' }));
      expect((await visitOf('V-ED'))!).toMatchObject({ status: 'in-progress', class: { code: 'EMER' } });
      await send(adtMessage('A05', { patient: { mrn: 'MRN-ED' }, visit: 'V-PRE', patientClass: 'P' }));
      expect((await visitOf('V-PRE'))!).toMatchObject({ status: 'planned', class: { code: 'PRENC' } });
      await send(adtMessage('A06', { patient: { mrn: 'MRN-ED' }, visit: 'V-ED', patientClass: 'I' }));
      let stay = (await visitOf('V-ED'))!;
      expect(stay.class.code).toBe('IMP');
      expect(stay.classHistory?.[0]?.class.code).toBe('EMER');
      await send(adtMessage('A07', { patient: { mrn: 'MRN-ED' }, visit: 'V-ED', patientClass: 'O' }));
      stay = (await visitOf('V-ED'))!;
      expect(stay.class.code).toBe('AMB');
      expect(stay.classHistory?.map((h) => h.class.code)).toEqual(['EMER', 'IMP']);
    },
  );

  it.runIf(available)(
    'A06 under a new visit number finds the emergency visit by MRG-5 and keeps both numbers',
    async () => {
      await send(adtMessage('A04', { patient: { mrn: 'MRN-RN' }, visit: 'V-RN-ED', patientClass: 'E' }));
      await send(
        adtMessage('A06', {
          patient: { mrn: 'MRN-RN' },
          visit: 'V-RN-IP',
          patientClass: 'I',
          mrg: { 1: 'MRN-RN^^^CLH^MR', 5: 'V-RN-ED^^^CLH^VN' },
        }),
      );
      const byOld = (await visitOf('V-RN-ED'))!;
      const byNew = (await visitOf('V-RN-IP'))!;
      expect(byNew.id).toBe(byOld.id);
      expect(byNew).toMatchObject({ class: { code: 'IMP' }, classHistory: [{ class: { code: 'EMER' } }] });
    },
  );

  it.runIf(available)(
    'A02 transfers with a location history; A12 restores the previous location',
    async () => {
      await send(adtMessage('A01', { patient: { mrn: 'MRN-TR' }, visit: 'V-TR', location: '4E^401^A^CLH' }));
      await send(
        adtMessage('A02', {
          patient: { mrn: 'MRN-TR' },
          visit: 'V-TR',
          location: 'ICU^12^1^CLH',
          occurredAt: '20261121090000-0500',
        }),
      );
      let stay = (await visitOf('V-TR'))!;
      expect(stay.location?.map((l) => [l.location.display, l.status])).toEqual([
        ['4E 401 A', 'completed'],
        ['ICU 12 1', 'active'],
      ]);
      expect(stay.location![0]!.period?.end).toBe('2026-11-21T14:00:00.000Z');
      const locations = await all<Location>('Location', [
        ['identifier', `${HL7_LOCATION_SYSTEM}|CLH^ICU^12^1`],
      ]);
      expect(locations).toHaveLength(1);
      // The A12 carries the location the patient returns to.
      await send(adtMessage('A12', { patient: { mrn: 'MRN-TR' }, visit: 'V-TR', location: '4E^401^A^CLH' }));
      stay = (await visitOf('V-TR'))!;
      expect(stay.location?.map((l) => [l.location.display, l.status])).toEqual([['4E 401 A', 'active']]);
      expect(stay.location![0]!.period?.end).toBeUndefined();
      await send(adtMessage('A12', { patient: { mrn: 'MRN-TR' }, visit: 'V-TR', location: '4E^401^A^CLH' }));
      expect((await visitOf('V-TR'))!.location).toHaveLength(1);
    },
  );

  it.runIf(available)(
    'A03 discharges; A13 cancels it and its TCM tasks; a new A03 brings them back; A11 cancels the admission and every task',
    async () => {
      const patient = { mrn: 'MRN-CX' };
      await send(adtMessage('A01', { patient, visit: 'V-CX' }));
      await send(
        adtMessage('A03', { patient, visit: 'V-CX', dischargeAt: '20261127110000-0500', disposition: '01' }),
      );
      let stay = (await visitOf('V-CX'))!;
      expect(stay).toMatchObject({
        status: 'finished',
        period: { end: '2026-11-27T16:00:00.000Z' },
        hospitalization: {
          dischargeDisposition: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0112', code: '01' }],
          },
        },
      });
      const tasks = () => all<Task>('Task', [['encounter', `Encounter/${stay.id}`]]);
      expect((await tasks()).map((x) => x.status)).toEqual(['requested', 'requested', 'requested']);

      await send(adtMessage('A13', { patient, visit: 'V-CX' }));
      stay = (await visitOf('V-CX'))!;
      expect(stay.status).toBe('in-progress');
      expect(stay.period?.end).toBeUndefined();
      expect(stay.hospitalization?.dischargeDisposition).toBeUndefined();
      const cancelled = await tasks();
      expect(cancelled.map((x) => x.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
      expect(cancelled[0]!.statusReason?.text).toContain('A13');
      const risk = await all<{ status: string } & Resource>('RiskAssessment', [
        ['encounter', `Encounter/${stay.id}`],
      ]);
      expect(risk.map((r) => r.status)).toEqual(['cancelled']);

      await send(
        adtMessage('A03', { patient, visit: 'V-CX', dischargeAt: '20261128110000-0500', disposition: '01' }),
      );
      const back = await tasks();
      expect(back.map((x) => x.id).sort()).toEqual(cancelled.map((x) => x.id).sort());
      expect(back.map((x) => x.status)).toEqual(['requested', 'requested', 'requested']);

      await send(adtMessage('A13', { patient, visit: 'V-CX' }));
      await send(adtMessage('A11', { patient, visit: 'V-CX' }));
      stay = (await visitOf('V-CX'))!;
      expect(stay.status).toBe('cancelled');
      expect((await tasks()).every((x) => x.status === 'cancelled')).toBe(true);
    },
  );

  it.runIf(available)('A01 then A11 withdraws the admission notification sent to the team', async () => {
    await send(adtMessage('A31', { patient: { mrn: 'MRN-NT' }, noPv1: true }));
    const patient = (await patientByMrn('MRN-NT'))!;
    await t.store.create(buildCareTeam(patient.id!, ['Practitioner/pr-coord']));
    await send(adtMessage('A01', { patient: { mrn: 'MRN-NT' }, visit: 'V-NT' }));
    const stay = (await visitOf('V-NT'))!;
    const notes = () => all<Communication>('Communication', [['encounter', `Encounter/${stay.id}`]]);
    expect((await notes()).map((c) => [c.topic?.coding?.[0]?.code, c.status])).toEqual([
      ['admission', 'completed'],
    ]);
    await send(adtMessage('A11', { patient: { mrn: 'MRN-NT' }, visit: 'V-NT' }));
    expect((await notes()).map((c) => c.status)).toEqual(['entered-in-error']);
  });

  it.runIf(available)(
    'A40 merges: the MRG-1 patient is inactive and replaced by the PID patient',
    async () => {
      await send(adtMessage('A31', { patient: { mrn: 'MRN-OLD', name: 'OLDNAME^PAT' }, noPv1: true }));
      await send(
        adtMessage('A31', {
          patient: { mrn: 'MRN-NEW', name: 'NEWNAME^PAT', birthDate: '19800101' },
          noPv1: true,
        }),
      );
      await send(
        adtMessage('A40', {
          patient: { mrn: 'MRN-NEW', name: 'NEWNAME^PAT', birthDate: '19800101' },
          noPv1: true,
          mrg: { 1: 'MRN-OLD^^^CLH^MR' },
        }),
      );
      const old = (await patientByMrn('MRN-OLD'))!;
      const kept = (await patientByMrn('MRN-NEW'))!;
      expect(old.active).toBe(false);
      expect(old.link).toEqual([{ other: { reference: `Patient/${kept.id}` }, type: 'replaced-by' }]);
      expect(kept.link).toEqual([{ other: { reference: `Patient/${old.id}` }, type: 'replaces' }]);
    },
  );

  it.runIf(available)(
    'processes the sample messages (another vendor, v2.3 and v2.8) without error, and rejects unsupported events with AR 201',
    async () => {
      const order = [
        'ADT-A01-01',
        'ADT-A02-01',
        'ADT-A08-01',
        'ADT-A03-01',
        'ADT-A13-01',
        'ADT-A11-01',
        'ADT-A04-01',
        'ADT-A05-01',
        'ADT-A06-01',
        'ADT-A07-01',
        'ADT-A31-01',
        'ADT-A40-01',
        'ADT01-23',
        'ADT04-23',
        'ADT04-28',
      ];
      expect(readdirSync(FIXTURES)).toEqual(expect.arrayContaining(order.map((f) => `${f}.hl7`)));
      for (const file of order) {
        const raw = readFileSync(new URL(`${file}.hl7`, FIXTURES), 'utf8');
        await expect(send(raw), file).resolves.toBeUndefined();
      }
      const ghh = (
        await all<Encounter>('Encounter', [['identifier', `${HL7_VISIT_PREFIX}AccMng|40007716`]])
      )[0]!;
      // A11 cancelled it, then the A04 registered the visit again.
      expect(ghh.status).toBe('in-progress');
      const everyman = (
        await all<Patient>('Patient', [['identifier', 'urn:careloop:hl7-authority:test1|PATID1234']])
      )[0]!;
      expect(everyman).toMatchObject({
        gender: 'male',
        birthDate: '1988-08-18',
        deceasedDateTime: '2008-08-25T10:01:30.000Z',
      });
      const duck = (
        await all<Encounter>('Encounter', [['identifier', `${HL7_VISIT_PREFIX}AccMgr|40007716`]])
      )[0]!;
      expect(duck).toMatchObject({ class: { code: 'IMP' }, status: 'in-progress' });

      const a09 = await refusal(readFileSync(new URL('ADT-A09-01.hl7', FIXTURES), 'utf8'));
      expect([a09.ackCode, a09.errorCode, a09.location]).toEqual(['AR', '201', 'MSH-9.2']);
    },
  );

  it.runIf(available)('answers bad messages AE/AR naming the field, and writes nothing', async () => {
    const patientsBefore = (await all('Patient')).length;
    const cases: [string, [string, string, string]][] = [
      [adtMessage('A01', { patient: { mrn: '' }, visit: 'V-BAD1' }), ['AE', '101', 'PID-3']],
      [adtMessage('A01', { patient: { mrn: 'MRN-BAD' }, visit: '' }), ['AE', '101', 'PV1-19']],
      [
        adtMessage('A01', {
          patient: { mrn: 'MRN-BAD' },
          visit: 'V-BAD3',
          admitAt: '20261340',
          sentAt: '20261120080000',
        }),
        ['AE', '102', 'PV1-44'],
      ],
      [
        adtMessage('A03', { patient: { mrn: 'MRN-BAD' }, visit: 'V-BAD4', dischargeAt: '2026112' }),
        ['AE', '102', 'PV1-45'],
      ],
      [
        adtMessage('A03', {
          patient: { mrn: 'MRN-BAD' },
          visit: 'V-BAD5',
          dischargeAt: '20261101000000-0500',
        }),
        ['AE', '102', 'PV1-45'],
      ],
      [adtMessage('A01', { patient: { mrn: 'MRN-BAD', sex: 'X' }, visit: 'V-BAD6' }), ['AE', '103', 'PID-8']],
      [adtMessage('A11', { patient: { mrn: 'MRN-BAD' }, visit: 'V-NEVER' }), ['AE', '204', 'PV1-19']],
      [adtMessage('A40', { patient: { mrn: 'MRN-BAD' }, noPv1: true }), ['AE', '101', 'MRG-1']],
      [adtMessage('A17', { patient: { mrn: 'MRN-BAD' } }), ['AR', '201', 'MSH-9.2']],
    ];
    for (const [raw, expected] of cases) {
      const err = await refusal(raw);
      expect([err.ackCode, err.errorCode, err.location], raw.split('\r')[0]).toEqual(expected);
    }
    expect(await patientByMrn('MRN-BAD')).toBeUndefined();
    expect((await all('Patient')).length).toBe(patientsBefore);
  });
});

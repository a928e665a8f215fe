/**
 * Regression suite for the access-control bypasses a security review found: each test asserts the
 * secure behaviour, and where it helps, that the same request does reach the data for someone allowed
 * to see it, so a test cannot pass merely because the query matches nothing.
 */
import type { Bundle, Observation, OperationOutcome, Patient, RelatedPerson, Task } from 'fhir/r4.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCareTeam,
  buildCondition,
  buildEncounter,
  buildGroup,
  buildObservation,
  buildPatient,
  buildPractitioner,
  buildPrivacyConsent,
  buildTask,
  securityLabels,
} from '../../test/support/factories.js';
import { bearerFor, type ClockedTestApp, openClockedTestApp } from '../../test/support/identity.js';
import { databaseTargets } from '../../test/support/test-databases.js';
import { frequencyPositions, PHQ9_ITEMS, responseTo } from '../modules/assessments/assessment-fixture.js';
import { ensureInstruments } from '../modules/assessments/questionnaires.js';
import type { AuditEntry } from './audit/audit-trail.js';
import { routesOf } from './identity/write-scopes.js';
import { breakGlassMinutes } from './policy/permission-matrix.js';

type Who =
  | 'integration'
  | 'nurse'
  | 'dietitian'
  | 'physician'
  | 'readOnlyPhysician'
  | 'caregiver'
  | 'patient'
  | 'coordinator'
  | 'mover'
  | 'cNurse';

const icd10 = (code: string) => ({ coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code }] });
const emergency = 'emergency department arrival, unconscious';
const CONTACTS = 'urn:clinic:contact';

describe.each(databaseTargets)('access-control bypasses stay closed ($name)', ({ name, available }) => {
  let t: ClockedTestApp;
  const auth = {} as Record<Who, string>;
  const userIds = {} as Record<Who, string>;

  const request = (
    who: Who,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH',
    url: string,
    payload?: object,
    contentType = 'application/fhir+json',
  ) =>
    t.app.inject({
      method,
      url,
      ...(payload ? { payload } : {}),
      headers: { authorization: auth[who], 'content-type': contentType },
    });
  const get = (who: Who, url: string) => request(who, 'GET', url);
  const postJson = (who: Who, url: string, payload: object) =>
    request(who, 'POST', url, payload, 'application/json');
  const fhirPost = (who: Who, url: string, payload: object, ifNoneExist: string) =>
    t.app.inject({
      method: 'POST',
      url,
      payload,
      headers: {
        authorization: auth[who],
        'content-type': 'application/fhir+json',
        'if-none-exist': ifNoneExist,
      },
    });
  const total = async (who: Who, url: string) => {
    const response = await get(who, url);
    expect(response.statusCode).toBe(200);
    return (response.json() as Bundle).total;
  };
  const auditEntries = async (): Promise<AuditEntry[]> =>
    (await t.db.database.db.selectFrom('audit_events').select('entry').orderBy('seq').execute()).map(
      (row) => JSON.parse(row.entry) as AuditEntry,
    );

  beforeAll(async () => {
    if (!available) return;
    t = await openClockedTestApp(name, { rateLimitPerMinute: 1_000_000 });
    const s = t.store;
    for (const id of [
      'pr-nurse',
      'pr-dietitian',
      'pr-physician',
      'pr-physician2',
      'pr-coord',
      'pr-mover',
      'pr-cnurse',
    ])
      await s.update('Practitioner', id, { ...buildPractitioner({ name: [{ family: `Doe-${id}` }] }), id });

    // Patient A is on the nurse's and dietitian's care team; B (linked from A) is on no one's.
    await s.update('Patient', 'B', {
      ...buildPatient({
        identifier: [{ value: 'MRN-B' }],
        name: [{ family: 'Hiddenson', given: ['Bea'] }],
        birthDate: '1990-03-03',
      }),
      id: 'B',
    });
    await s.update('Patient', 'A', {
      ...buildPatient({
        identifier: [{ value: 'MRN-A' }],
        link: [{ other: { reference: 'Patient/B' }, type: 'seealso' }],
      }),
      id: 'A',
    });
    await s.update('CareTeam', 'ct-A', {
      ...buildCareTeam('A', ['Practitioner/pr-nurse', 'Practitioner/pr-dietitian']),
      id: 'ct-A',
    });
    await s.update('Observation', 'obs-A', { ...buildObservation('A'), id: 'obs-A' });
    await s.update('Observation', 'obs-B', { ...buildObservation('B'), id: 'obs-B' });

    // A's encounter names a behavioral-health diagnosis (hidden from a dietitian) and a visible one.
    await s.update('Condition', 'cond-psy', {
      ...buildCondition('A', { code: icd10('F32.9'), meta: securityLabels('PSY') }),
      id: 'cond-psy',
    });
    await s.update('Condition', 'cond-dm', {
      ...buildCondition('A', { code: icd10('E11.9') }),
      id: 'cond-dm',
    });
    await s.update('Encounter', 'enc-A', {
      ...buildEncounter('A', {
        diagnosis: [
          { condition: { reference: 'Condition/cond-psy' } },
          { condition: { reference: 'Condition/cond-dm' } },
        ],
      }),
      id: 'enc-A',
    });

    // A condition labelled PSY only in its second version.
    await s.update('Condition', 'cond-later', {
      ...buildCondition('A', { code: icd10('F20.9') }),
      id: 'cond-later',
    });
    await s.update('Condition', 'cond-later', {
      ...buildCondition('A', { code: icd10('F20.9'), meta: securityLabels('PSY') }),
      id: 'cond-later',
    });

    await s.update('Group', 'grp', {
      ...buildGroup(['Patient/B'], { name: 'HIV clinic cohort' }),
      id: 'grp',
    });

    // Patient C: the mover (a physician) is on A's and C's teams, cNurse on C's only; G: no one's.
    await s.update('Patient', 'C', { ...buildPatient(), id: 'C' });
    await s.update('CareTeam', 'ct-C', {
      ...buildCareTeam('C', ['Practitioner/pr-mover', 'Practitioner/pr-cnurse']),
      id: 'ct-C',
    });
    await s.update('CareTeam', 'ct-A-mover', {
      ...buildCareTeam('A', ['Practitioner/pr-mover']),
      id: 'ct-A-mover',
    });
    await s.update('Patient', 'G', { ...buildPatient(), id: 'G' });

    // A deleted patient whose records remain.
    await s.update('Patient', 'P', { ...buildPatient({ identifier: [{ value: 'MRN-P' }] }), id: 'P' });
    await s.update('Observation', 'obs-P', { ...buildObservation('P'), id: 'obs-P' });
    await s.delete('Patient', 'P');

    // A deleted observation of hidden patient B.
    await s.update('Observation', 'obs-Bdel', { ...buildObservation('B'), id: 'obs-Bdel' });
    await s.update('Observation', 'obs-Bdel', {
      ...buildObservation('B', { status: 'amended' }),
      id: 'obs-Bdel',
    });
    await s.delete('Observation', 'obs-Bdel');

    // B's emergency contact carries a clinic identifier; A's caregiver (rp-x) holds A's proxy Consent.
    await s.update('RelatedPerson', 'rp-B', {
      resourceType: 'RelatedPerson',
      id: 'rp-B',
      patient: { reference: 'Patient/B' },
      // One identifier per test below, so no test meets a record an earlier one made.
      identifier: ['C-1001', 'C-1002', 'C-1003', 'C-1004'].map((value) => ({ system: CONTACTS, value })),
      name: [{ family: 'Hiddenson', given: ['Contact'] }],
    });
    await s.update('RelatedPerson', 'rp-x', {
      resourceType: 'RelatedPerson',
      id: 'rp-x',
      patient: { reference: 'Patient/A' },
      identifier: [{ system: CONTACTS, value: 'C-A' }],
    });
    await s.create(buildPrivacyConsent('A', { type: 'permit', actors: ['RelatedPerson/rp-x'] }));
    await ensureInstruments(s);

    const identities: [Who, Parameters<typeof bearerFor>[1]][] = [
      ['integration', { role: 'integration' }],
      ['nurse', { role: 'nurse', resource: 'Practitioner/pr-nurse' }],
      ['dietitian', { role: 'dietitian', resource: 'Practitioner/pr-dietitian' }],
      ['physician', { role: 'physician', resource: 'Practitioner/pr-physician' }],
      [
        'readOnlyPhysician',
        { role: 'physician', resource: 'Practitioner/pr-physician2', scopes: 'user/Observation.read' },
      ],
      ['caregiver', { role: 'caregiver', resource: 'RelatedPerson/rp-x' }],
      ['patient', { role: 'patient', resource: 'Patient/A' }],
      ['coordinator', { role: 'care-coordinator', resource: 'Practitioner/pr-coord' }],
      ['mover', { role: 'physician', resource: 'Practitioner/pr-mover' }],
      ['cNurse', { role: 'nurse', resource: 'Practitioner/pr-cnurse' }],
    ];
    for (const [who, options] of identities) {
      const bearer = await bearerFor(t.db.database, { ...options, clock: t.clock });
      auth[who] = bearer.authorization;
      userIds[who] = bearer.user.id;
    }
  }, 120_000);
  afterAll(async () => t?.close());

  it.runIf(available)(
    'a chained search does not follow references into records the user may not see (a hidden behavioral-health Condition)',
    async () => {
      const chain = (code: string) => `/fhir/Encounter?diagnosis:Condition.code=${code}`;
      expect(await total('integration', chain('F32.9'))).toBe(1);
      // The dietitian may follow the chain into a diagnosis they can see...
      expect(await total('dietitian', chain('E11.9'))).toBe(1);
      // ...but a hidden one answers exactly like a code that matches nothing.
      expect(await total('dietitian', chain('F32.9'))).toBe(0);
      expect(await total('dietitian', chain('Z99.9'))).toBe(0);
    },
  );

  it.runIf(available)(
    "a chained search through Patient.link or a Group never reveals a hidden patient's name, birth date or identifier",
    async () => {
      expect((await get('nurse', '/fhir/Patient/B')).statusCode).toBe(404);
      expect(await total('integration', '/fhir/Patient?link:Patient.name=Hiddenson')).toBe(1);
      expect(await total('nurse', '/fhir/Patient?link:Patient.name=Hiddenson')).toBe(0);
      expect(await total('nurse', '/fhir/Patient?link:Patient.birthdate=1990-03-03')).toBe(0);
      expect(await total('nurse', '/fhir/Patient?link:Patient.identifier=MRN-B')).toBe(0);

      expect((await get('caregiver', '/fhir/Group/grp')).statusCode).toBe(404);
      const groupChain = '/fhir/Group?member:Patient.identifier=MRN-B&_summary=count';
      expect(await total('integration', groupChain)).toBe(1);
      expect(await total('caregiver', groupChain)).toBe(0);
    },
  );

  it.runIf(available)(
    'a sensitivity label added in a later version hides the earlier versions too',
    async () => {
      expect((await get('integration', '/fhir/Condition/cond-later/_history/1')).statusCode).toBe(200);
      expect((await get('dietitian', '/fhir/Condition/cond-dm')).statusCode).toBe(200);
      expect((await get('dietitian', '/fhir/Condition/cond-later')).statusCode).toBe(404);
      expect((await get('dietitian', '/fhir/Condition/cond-later/_history/1')).statusCode).toBe(404);
      expect((await get('dietitian', '/fhir/Condition/cond-later/_history')).statusCode).toBe(404);
    },
  );

  it.runIf(available)(
    "writing over a deleted patient's id is no way into the records that remain under it, and answers as a free id",
    async () => {
      expect((await get('integration', '/fhir/Observation/obs-P')).statusCode).toBe(200);
      const patient = (id: string): Patient => ({
        resourceType: 'Patient',
        id,
        generalPractitioner: [{ reference: 'Practitioner/pr-nurse' }],
      });
      const deleted = await request('nurse', 'PUT', '/fhir/Patient/P', patient('P'));
      const free = await request('nurse', 'PUT', '/fhir/Patient/P-free', patient('P-free'));
      expect(deleted.statusCode).toBe(405);
      expect(free.statusCode).toBe(405);
      expect(deleted.body.replaceAll('/P ', '/{id} ')).toBe(free.body.replaceAll('/P-free ', '/{id} '));
      expect((await get('nurse', '/fhir/Observation/obs-P')).statusCode).toBe(404);
      expect((await get('integration', '/fhir/Patient/P')).statusCode).toBe(410);
    },
  );

  it.runIf(available)(
    "a user's PUT to a hidden deleted record answers exactly as one to a free id: users create with POST",
    async () => {
      const put = (id: string) =>
        request('nurse', 'PUT', `/fhir/Observation/${id}`, { ...buildObservation('A'), id });
      const absent = await put('never-existed');
      const hidden = await put('obs-Bdel');
      expect(absent.statusCode).toBe(405);
      expect(hidden.statusCode).toBe(405);
      const text = (response: typeof absent) => (response.json() as OperationOutcome).issue[0]?.diagnostics;
      expect(text(absent)).toBe(
        'Observation/never-existed does not exist; create records with POST (the server assigns the id)',
      );
      expect(text(hidden)).toBe(
        'Observation/obs-Bdel does not exist; create records with POST (the server assigns the id)',
      );
      expect((await get('integration', '/fhir/Observation/obs-Bdel')).statusCode).toBe(410);
      expect((await get('integration', '/fhir/Observation/never-existed')).statusCode).toBe(404);
      // A conditional update that matches nothing is a create (R4), which a user may make.
      const conditional = await request('nurse', 'POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            request: { method: 'PUT', url: 'Observation?identifier=urn:lab|conditional-1' },
            resource: buildObservation('A', { identifier: [{ system: 'urn:lab', value: 'conditional-1' }] }),
          },
        ],
      });
      expect(conditional.statusCode).toBe(200);
      expect((conditional.json() as Bundle).entry![0]!.response!.status).toBe('201');
      // An integration still creates with its own ids (update-as-create).
      const integration = await request('integration', 'PUT', '/fhir/Observation/from-the-ehr', {
        ...buildObservation('A'),
        id: 'from-the-ehr',
      });
      expect(integration.statusCode).toBe(201);
    },
  );

  it.runIf(available)(
    "an update may not drop the patient reference: the record would leave every user's reach",
    async () => {
      const created = await request('nurse', 'POST', '/fhir/Observation', buildObservation('A'));
      expect(created.statusCode).toBe(201);
      const id = created.json().id as string;
      const patch = await t.app.inject({
        method: 'PATCH',
        url: `/fhir/Observation/${id}`,
        payload: [{ op: 'remove', path: '/subject' }],
        headers: { authorization: auth.nurse, 'content-type': 'application/json-patch+json' },
      });
      expect(patch.statusCode).toBe(403);
      expect((patch.json() as OperationOutcome).issue[0]).toMatchObject({
        diagnostics: 'write Observation: the resource must name the patient it is about',
        expression: ['Observation'],
      });
      expect((await get('nurse', `/fhir/Observation/${id}`)).json().meta.versionId).toBe('1');

      const task = await request('nurse', 'POST', '/fhir/Task', buildTask('A'));
      expect(task.statusCode).toBe(201);
      const { for: _for, ...withoutFor } = task.json() as Task;
      const put = await request('nurse', 'PUT', `/fhir/Task/${withoutFor.id}`, withoutFor);
      expect(put.statusCode).toBe(403);
      expect((put.json() as OperationOutcome).issue[0]?.diagnostics).toBe(
        'write Task: the resource must name the patient it is about',
      );
      const inBundle = await request('nurse', 'POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ request: { method: 'PUT', url: `Task/${withoutFor.id}` }, resource: withoutFor }],
      });
      expect(inBundle.statusCode).toBe(403);
      expect((await get('nurse', `/fhir/Task/${withoutFor.id}`)).json().for.reference).toBe('Patient/A');
    },
  );

  it.runIf(available)(
    'a record moved to another patient takes its earlier versions out of sight of those who cannot see the new patient',
    async () => {
      const obs = { ...buildObservation('A'), id: 'obs-moved' };
      expect((await request('mover', 'PUT', '/fhir/Observation/obs-moved', obs)).statusCode).toBe(405);
      const created = await request('mover', 'POST', '/fhir/Observation', buildObservation('A'));
      const id = created.json().id as string;
      expect((await get('nurse', `/fhir/Observation/${id}/_history/1`)).statusCode).toBe(200);

      // Only someone who may write for both patients moves it.
      const toC = { ...(created.json() as Observation), subject: { reference: 'Patient/C' } };
      expect((await request('nurse', 'PUT', `/fhir/Observation/${id}`, toC)).statusCode).toBe(403);
      expect((await request('mover', 'PUT', `/fhir/Observation/${id}`, toC)).statusCode).toBe(200);

      // The nurse sees A but not C: nothing of the record is left for her, not even version 1.
      expect((await get('nurse', `/fhir/Observation/${id}`)).statusCode).toBe(404);
      expect((await get('nurse', `/fhir/Observation/${id}/_history/1`)).statusCode).toBe(404);
      expect((await get('nurse', `/fhir/Observation/${id}/_history`)).statusCode).toBe(404);
      const typeHistory = (await get('nurse', '/fhir/Observation/_history?_count=1000')).json() as Bundle;
      expect(typeHistory.entry!.some((e) => e.fullUrl!.endsWith(`/Observation/${id}`))).toBe(false);
      // cNurse sees C but not A: the record as it is now, not the version filed under A.
      expect((await get('cNurse', `/fhir/Observation/${id}/_history/2`)).statusCode).toBe(200);
      expect((await get('cNurse', `/fhir/Observation/${id}/_history/1`)).statusCode).toBe(404);
      expect(((await get('cNurse', `/fhir/Observation/${id}/_history`)).json() as Bundle).total).toBe(1);
      // The mover sees both patients, so both versions.
      expect(((await get('mover', `/fhir/Observation/${id}/_history`)).json() as Bundle).total).toBe(2);
    },
  );

  it.runIf(available)(
    'break-the-glass does not become standing access: a CareTeam naming oneself is refused under the grant, and assigning stays refused',
    async () => {
      const glass = await postJson('coordinator', '/api/break-glass', { patientId: 'G', reason: emergency });
      expect(glass.statusCode).toBe(200);
      const team = await request(
        'coordinator',
        'POST',
        '/fhir/CareTeam',
        buildCareTeam('G', ['Practitioner/pr-coord']),
      );
      expect(team.statusCode).toBe(403);
      expect((team.json() as OperationOutcome).issue[0]?.diagnostics).toBe(
        "the emergency (break-the-glass) grant to Patient/G does not allow writing a CareTeam that changes who may see the patient's records; only the patient's care team or attributed provider may",
      );
      const assign = await postJson('coordinator', '/api/assignments', {
        patientId: 'G',
        userId: userIds.nurse,
      });
      expect(assign.statusCode).toBe(403);
      expect(assign.json().error.message).toBe(
        "the emergency (break-the-glass) grant to Patient/G does not allow assigning the patient; only the patient's care team or attributed provider may",
      );
      // The grant still serves the emergency: the coordinator reads and records.
      expect((await get('coordinator', '/fhir/Patient/G')).statusCode).toBe(200);
      expect((await request('coordinator', 'POST', '/fhir/Task', buildTask('G'))).statusCode).toBe(201);
      const relationships = await t.db.database.db
        .selectFrom('access_relationships')
        .select('kind')
        .where('patient_id', '=', 'G')
        .execute();
      expect(relationships.map((r) => r.kind)).toEqual(['break-the-glass']);

      // On the patient's care team, the same coordinator may do both.
      await t.store.update('CareTeam', 'ct-G', {
        ...buildCareTeam('G', ['Practitioner/pr-coord']),
        id: 'ct-G',
      });
      expect(
        (
          await request(
            'coordinator',
            'POST',
            '/fhir/CareTeam',
            buildCareTeam('G', ['Practitioner/pr-coord', 'Practitioner/pr-nurse']),
          )
        ).statusCode,
      ).toBe(201);
      expect(
        (await postJson('coordinator', '/api/assignments', { patientId: 'G', userId: userIds.dietitian }))
          .statusCode,
      ).toBe(201);
    },
  );

  it.runIf(available)(
    'a failed transaction is recorded in the audit trail as one failure entry',
    async () => {
      const before = (await auditEntries()).length;
      const bundle: Bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            request: { method: 'POST', url: 'Observation' },
            resource: buildObservation('A', {
              subject: { reference: 'Patient?_id=A&link:Patient.birthdate=1991-01-01' },
            }),
          },
        ],
      };
      const response = await request('nurse', 'POST', '/fhir', bundle);
      expect(response.statusCode).toBe(400);

      const added = (await auditEntries()).slice(before);
      expect(added).toHaveLength(1);
      expect(added[0]).toMatchObject({
        action: 'transaction',
        outcome: 'failure',
        actor: 'Practitioner/pr-nurse',
      });
    },
  );

  it.runIf(available)(
    'a reference to a hidden record is refused exactly as a reference to a missing one',
    async () => {
      const withMember = (reference: string) =>
        request('nurse', 'POST', '/fhir/Observation', buildObservation('A', { hasMember: [{ reference }] }));
      expect((await withMember('Observation/obs-A')).statusCode).toBe(201);

      const hidden = await withMember('Observation/obs-B');
      const absent = await withMember('Observation/obs-nope');
      expect(hidden.statusCode).toBe(400);
      expect(absent.statusCode).toBe(400);
      const diagnostics = (response: typeof hidden) =>
        (response.json() as OperationOutcome).issue[0]?.diagnostics;
      expect(diagnostics(hidden)).toBe('the referenced resource Observation/obs-B does not exist');
      expect(diagnostics(absent)).toBe('the referenced resource Observation/obs-nope does not exist');
    },
  );

  it.runIf(available)('a failed break-the-glass by MRN is recorded', async () => {
    const response = await postJson('nurse', '/api/break-glass', { mrn: 'MRN-Z', reason: emergency });
    expect(response.statusCode).toBe(404);
    expect((await auditEntries()).at(-1)).toMatchObject({
      action: 'break-the-glass',
      outcome: 'failure',
      actor: 'Practitioner/pr-nurse',
    });
  });

  it.runIf(available)(
    'a token without Patient write scope can neither break the glass nor assign',
    async () => {
      const denied =
        "insufficient_scope: this token's scopes (user/Observation.read) do not allow writing Patient; " +
        'it needs user/Patient.write (or user/*.write)';
      const glass = await postJson('readOnlyPhysician', '/api/break-glass', {
        patientId: 'B',
        reason: emergency,
      });
      expect(glass.statusCode).toBe(403);
      expect(glass.json().error.message).toBe(denied);
      const assign = await postJson('readOnlyPhysician', '/api/assignments', {
        patientId: 'A',
        userId: userIds.nurse,
      });
      expect(assign.statusCode).toBe(403);
      expect(assign.json().error.message).toBe(denied);
    },
  );

  describe('search over trimmed elements', () => {
    // Community-organization staff see a referred Patient without identifier, generalPractitioner,
    // managingOrganization or link; a search through any of them would confirm a guess at its value.
    let food: string;
    const asFood = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object, headers = {}) =>
      t.app.inject({
        method,
        url,
        ...(payload ? { payload } : {}),
        headers: { authorization: food, 'content-type': 'application/fhir+json', ...headers },
      });
    /** Asserts a 403 whose OperationOutcome names `expression` and the hidden element. */
    const refused = async (
      response: Awaited<ReturnType<typeof asFood>>,
      expression: string,
      element: string,
    ) => {
      expect(response.statusCode, response.body).toBe(403);
      const issue = (response.json() as OperationOutcome).issue[0]!;
      expect(issue.code).toBe('forbidden');
      expect(issue.expression).toEqual([expression]);
      expect(issue.diagnostics).toContain(element);
    };
    const referral = (id: string, patient: string): Task => ({
      resourceType: 'Task',
      id,
      status: 'requested',
      intent: 'order',
      for: { reference: `Patient/${patient}` },
      owner: { reference: 'Organization/org-food' },
    });

    beforeAll(async () => {
      if (!available) return;
      const s = t.store;
      await s.update('Organization', 'org-food', {
        resourceType: 'Organization',
        id: 'org-food',
        name: 'Food bank',
      });
      await s.update('Organization', 'org-clinic', {
        resourceType: 'Organization',
        id: 'org-clinic',
        name: 'Clinic',
      });
      await s.update('PractitionerRole', 'role-food', {
        resourceType: 'PractitionerRole',
        id: 'role-food',
        organization: { reference: 'Organization/org-food' },
      });
      // Two referred patients; R2 is linked to R and has a general practitioner of its own.
      await s.update('Patient', 'R', {
        ...buildPatient({
          identifier: [{ system: 'urn:mrn', value: 'MRN-R' }],
          name: [{ family: 'Referred', given: ['Rita'] }],
          generalPractitioner: [{ reference: 'Practitioner/pr-physician' }],
          managingOrganization: { reference: 'Organization/org-clinic' },
        }),
        id: 'R',
      });
      await s.update('Patient', 'R2', {
        ...buildPatient({
          identifier: [{ system: 'urn:mrn', value: 'MRN-R2' }],
          generalPractitioner: [{ reference: 'Practitioner/pr-physician2' }],
          link: [{ other: { reference: 'Patient/R' }, type: 'seealso' }],
        }),
        id: 'R2',
      });
      await s.update('Task', 'ref-R', referral('ref-R', 'R'));
      await s.update('Task', 'ref-R2', referral('ref-R2', 'R2'));
      food = (
        await bearerFor(t.db.database, {
          role: 'community-organization',
          resource: 'PractitionerRole/role-food',
          clock: t.clock,
        })
      ).authorization;
    });

    /** Each GET as the organization answers 403 naming `expression` and the hidden element. */
    const refusesAll = async (cases: [url: string, expression: string, element: string][]) => {
      for (const [url, expression, element] of cases)
        await refused(await asFood('GET', url), expression, element);
    };

    it.runIf(available)(
      'a search on an element the role does not see is refused naming the parameter, while one on what it sees answers',
      async () => {
        expect((await asFood('GET', '/fhir/Patient?name=Referred')).json().total).toBe(1);
        expect(await total('integration', '/fhir/Patient?identifier=urn:mrn|MRN-R')).toBe(1);
        await refusesAll([
          ['/fhir/Patient?identifier=urn:mrn|MRN-R', 'identifier', 'Patient.identifier'],
          [
            '/fhir/Patient?general-practitioner=Practitioner/pr-physician',
            'general-practitioner',
            'Patient.generalPractitioner',
          ],
          [
            '/fhir/Patient?organization=Organization/org-clinic',
            'organization',
            'Patient.managingOrganization',
          ],
          ['/fhir/Patient?identifier:missing=false', 'identifier:missing', 'Patient.identifier'],
          ['/fhir/Patient?active=true', 'active', 'Patient.active'],
        ]);
        // The form post is the same search.
        const post = (payload: string) =>
          t.app.inject({
            method: 'POST',
            url: '/fhir/Patient/_search',
            payload,
            headers: { authorization: food, 'content-type': 'application/x-www-form-urlencoded' },
          });
        expect((await post('name=Referred')).json().total).toBe(1);
        await refused(await post('identifier=MRN-R'), 'identifier', 'Patient.identifier');
      },
    );

    it.runIf(available)(
      'chains, _sort, _include and _revinclude through a hidden element are refused; _has is not supported for anyone',
      async () => {
        expect(await total('integration', '/fhir/Task?patient.identifier=MRN-R')).toBe(1);
        expect((await asFood('GET', '/fhir/Task?patient.name=Referred')).json().total).toBe(1);
        // Whose general practitioner is pr-physician: the reverse include would name the patient.
        const reverse = '/fhir/Practitioner?_id=pr-physician&_revinclude=Patient:general-practitioner';
        expect(((await get('integration', reverse)).json() as Bundle).entry).toHaveLength(2);
        await refusesAll([
          ['/fhir/Task?patient.identifier=MRN-R', 'patient.identifier', 'Patient.identifier'],
          [
            '/fhir/Task?subject:Patient.organization=Organization/org-clinic',
            'subject:Patient.organization',
            'Patient.managingOrganization',
          ],
          [
            '/fhir/Patient?general-practitioner.name=Doe-pr-physician',
            'general-practitioner.name',
            'Patient.generalPractitioner',
          ],
          ['/fhir/Patient?name=Referred&_sort=identifier', '_sort', 'Patient.identifier'],
          [
            '/fhir/Patient?name=Referred&_include=Patient:general-practitioner',
            '_include',
            'Patient.generalPractitioner',
          ],
          [reverse, '_revinclude', 'Patient.generalPractitioner'],
        ]);
        expect((await asFood('GET', '/fhir/Patient?_has:Task:patient:status=requested')).statusCode).toBe(
          400,
        );
      },
    );

    it.runIf(available)(
      'a compartment search through a hidden element (Patient/{id}/Patient goes through Patient.link) is refused; through what the role sees it answers',
      async () => {
        expect(await total('integration', '/fhir/Patient/R/Patient')).toBe(1);
        await refused(await asFood('GET', '/fhir/Patient/R/Patient'), 'link', 'Patient.link');
        expect((await asFood('GET', '/fhir/Patient/R/Task')).json().total).toBe(1);
      },
    );

    it.runIf(available)(
      'conditional create, conditional update and conditional references match only on what the role sees',
      async () => {
        // Before the fix a match answered 200 with the referral, no match 403: an answer to the guess.
        const create = await asFood('POST', '/fhir/Task', referral('x', 'R'), {
          'if-none-exist': 'Task?patient.identifier=MRN-R',
        });
        await refused(create, 'patient.identifier', 'Patient.identifier');
        await refused(
          await asFood('PUT', '/fhir/Task?patient.identifier=MRN-R', {
            ...referral('ref-R', 'R'),
            status: 'accepted',
          }),
          'patient.identifier',
          'Patient.identifier',
        );
        const accepted: Task = {
          ...referral('ref-R', 'R'),
          status: 'accepted',
          for: { reference: 'Patient?identifier=MRN-R' },
        };
        const bundle: Bundle = {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [{ request: { method: 'PUT', url: 'Task/ref-R' }, resource: accepted }],
        };
        await refused(await asFood('POST', '/fhir', bundle), 'identifier', 'Patient.identifier');
        expect(((await get('integration', '/fhir/Task/ref-R')).json() as { status: string }).status).toBe(
          'requested',
        );
      },
    );

    it.runIf(available)(
      '$everything trims a linked patient as a read does, and does not follow its general practitioner',
      async () => {
        const everything = (await asFood('GET', '/fhir/Patient/R/$everything')).json() as Bundle;
        const linked = everything.entry?.find((e) => e.resource?.id === 'R2')?.resource as
          | Patient
          | undefined;
        expect(linked).toBeDefined();
        expect(linked!.identifier).toBeUndefined();
        expect(linked!.generalPractitioner).toBeUndefined();
        expect(linked!.link).toBeUndefined();
        const keys = everything.entry!.map((e) => `${e.resource!.resourceType}/${e.resource!.id}`);
        expect(keys).not.toContain('Practitioner/pr-physician2');
        expect(keys).not.toContain('Practitioner/pr-physician');
      },
    );
  });

  // Conditional matches run as the user: a match made for a user's write sees only what that user
  // sees, so an identifier another patient's record holds neither finds, returns nor changes it.
  describe('conditional matches run as the user', () => {
    const screening = { system: 'urn:clinic:screening', value: 'SCR-1001' };
    const phq9 = (points: number[]) => {
      const r = responseTo('phq-9', frequencyPositions(PHQ9_ITEMS, points));
      return { questionnaire: r.questionnaire, status: 'completed', items: r.item, identifier: screening };
    };
    let bResponse: string;
    let bSecrets: string[];
    const bTotal = async () =>
      (
        (
          await get('integration', '/fhir/Observation?subject=Patient/B&code=http://loinc.org|44261-6')
        ).json() as Bundle
      ).entry?.map((e) => e.resource as Observation) ?? [];

    beforeAll(async () => {
      if (!available) return;
      const b = await postJson(
        'integration',
        '/api/patients/B/assessments',
        phq9([3, 3, 3, 3, 3, 3, 3, 3, 2]),
      );
      expect(b.statusCode, b.body).toBe(201);
      bResponse = b.json().assessment.id;
      // Everything of B's that a leak would show: the response, its results and follow-ups, B's name.
      bSecrets = [
        bResponse,
        'Patient/B',
        'Hiddenson',
        ...b.json().observations,
        ...b.json().followUps.tasks.map((x: { id: string }) => x.id),
        ...b.json().followUps.flags.map((x: { id: string }) => x.id),
      ];
      expect(bSecrets.length).toBeGreaterThan(12);
    });

    const leaksNothingOfB = (response: { body: string; headers: Record<string, unknown> }) => {
      const seen = `${response.body} ${JSON.stringify(response.headers)}`;
      for (const secret of bSecrets) expect(seen).not.toContain(secret);
    };

    for (const who of ['patient', 'caregiver'] as const)
      it.runIf(available)(
        `the assessments route, as a ${who}: another patient's identifier gives a new response of patient A, with nothing of B's and B's results untouched`,
        async () => {
          const fresh = await postJson(who, '/api/patients/A/assessments', {
            ...phq9([0, 0, 0, 0, 0, 0, 0, 0, 0]),
            identifier: { system: screening.system, value: `${who}-never-used` },
          });
          const res = await postJson(who, '/api/patients/A/assessments', phq9([0, 0, 0, 0, 0, 0, 0, 0, 0]));
          // Exactly what an identifier nobody used answers: 201, patient A's own answers and score.
          expect(res.statusCode, res.body).toBe(201);
          expect(res.statusCode).toBe(fresh.statusCode);
          const { assessment, observations } = res.json();
          expect(assessment.id).not.toBe(bResponse);
          expect(assessment).toMatchObject({ total: 0, response: { subject: { reference: 'Patient/A' } } });
          leaksNothingOfB(res);
          // The results are A's own (a shared identifier must not reach B's Observations either).
          for (const ref of observations as string[]) {
            const o = (await get('integration', `/fhir/${ref}`)).json() as Observation;
            expect(o.subject?.reference).toBe('Patient/A');
          }
          const [total] = await bTotal();
          expect(total).toMatchObject({ valueInteger: 26, subject: { reference: 'Patient/B' } });
          expect(total?.meta?.versionId).toBe('1');
          const stored = (await get('integration', `/fhir/QuestionnaireResponse/${bResponse}`)).json();
          expect(stored).toMatchObject({ subject: { reference: 'Patient/B' }, meta: { versionId: '1' } });
        },
      );

    it.runIf(available)(
      "the assessments route, as a patient: the same identifier again finds the patient's own response",
      async () => {
        const payload = {
          ...phq9([1, 0, 0, 0, 0, 0, 0, 0, 0]),
          identifier: { system: screening.system, value: 'SCR-A-1' },
        };
        const first = await postJson('patient', '/api/patients/A/assessments', payload);
        const again = await postJson('patient', '/api/patients/A/assessments', payload);
        expect(first.statusCode, first.body).toBe(201);
        expect(again.json().assessment.id).toBe(first.json().assessment.id);
      },
    );

    const contact = (value: string): RelatedPerson => ({
      resourceType: 'RelatedPerson',
      patient: { reference: 'Patient/A' },
      identifier: [{ system: CONTACTS, value }],
      name: [{ family: 'Own', given: ['Contact'] }],
    });
    const rpB = async () => (await get('integration', '/fhir/RelatedPerson/rp-B')).json() as RelatedPerson;

    it.runIf(available)(
      "a conditional create through /fhir (If-None-Exist), as a patient: another patient's identifier matches nothing, their own does",
      async () => {
        const created = await fhirPost(
          'patient',
          '/fhir/RelatedPerson',
          contact('C-1001'),
          `identifier=${CONTACTS}|C-1001`,
        );
        expect(created.statusCode, created.body).toBe(201);
        expect(created.json()).toMatchObject({ patient: { reference: 'Patient/A' } });
        expect(created.json().id).not.toBe('rp-B');
        leaksNothingOfB(created);
        const own = await fhirPost(
          'patient',
          '/fhir/RelatedPerson',
          contact('C-A'),
          `identifier=${CONTACTS}|C-A`,
        );
        expect(own.statusCode, own.body).toBe(200);
        expect(own.json().id).toBe('rp-x');
        expect((await rpB()).meta?.versionId).toBe('1');
      },
    );

    it.runIf(available)(
      "a conditional create through /fhir (If-None-Exist), as a caregiver: another patient's identifier neither matches nor lets them write",
      async () => {
        const res = await fhirPost(
          'caregiver',
          '/fhir/RelatedPerson',
          contact('C-1002'),
          `identifier=${CONTACTS}|C-1002`,
        );
        expect(res.statusCode, res.body).toBe(403);
        leaksNothingOfB(res);
        expect((await rpB()).meta?.versionId).toBe('1');
      },
    );

    for (const [who, status, value] of [
      ['patient', 201, 'C-1003'],
      ['caregiver', 403, 'C-1004'],
    ] as const)
      it.runIf(available)(
        `a conditional update through /fhir, as a ${who}: another patient's identifier neither matches nor changes their record`,
        async () => {
          const res = await request(who, 'PUT', `/fhir/RelatedPerson?identifier=${CONTACTS}|${value}`, {
            ...contact(value),
            name: [{ family: 'Overwritten' }],
          });
          expect(res.statusCode, res.body).toBe(status);
          leaksNothingOfB(res);
          const b = await rpB();
          expect(b).toMatchObject({ patient: { reference: 'Patient/B' }, meta: { versionId: '1' } });
          expect(b.name?.[0]?.family).toBe('Hiddenson');
        },
      );
  });

  it.runIf(available)(
    'scopes on every write route: a read-only token is refused 403 insufficient_scope (or told to sign in) on every route that writes, before anything is written',
    async () => {
      // Every route the app has, as it was registered: a route added later is covered without a line here.
      const writes = routesOf(t.app).flatMap((route) =>
        route.methods
          .filter((m) => !['GET', 'HEAD', 'OPTIONS'].includes(m))
          .map((method) => ({ ...route, method })),
      );
      expect(writes.length).toBeGreaterThan(40);
      // The only POSTs that read, held to read scopes: widening this list is a decision to review.
      expect(writes.filter((r) => r.access.readOnly).map((r) => `${r.method} ${r.url}`)).toEqual([
        'POST /fhir/:type/_search',
        'POST /fhir/:type/:id/:target/_search',
        'POST /api/assessments/check',
      ]);
      // Sign-in and account security: a signed-in session only, whatever a token's scopes.
      expect(writes.filter((r) => r.access.sessionOnly).map((r) => `${r.method} ${r.url}`)).toEqual([
        'POST /auth/login',
        'POST /auth/mfa',
        'POST /auth/password',
        'POST /auth/logout',
        'POST /auth/mfa/enroll',
        'POST /auth/mfa/confirm',
        'POST /admin/users/:id/reset-password',
        'POST /admin/users/:id/tokens',
      ]);
      // An integration may write everything its token allows: only the scope stands in the way.
      const { authorization } = await bearerFor(t.db.database, {
        role: 'integration',
        scopes: 'user/*.read',
        clock: t.clock,
      });
      const stored = async () =>
        Promise.all(
          ['resources', 'resource_versions', 'access_relationships', 'notification_reads', 'hl7_messages']
            .concat(['users', 'api_tokens', 'sessions'])
            .map(async (table) =>
              Number(
                (
                  await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(
                    t.db.database.db,
                  )
                ).rows[0]!.n,
              ),
            ),
        );
      const before = await stored();
      const observation = { ...buildObservation('A'), id: 'obs-A' };
      for (const route of writes) {
        const url = route.url.replace(':type', 'Observation').replace(/:\w+/g, 'obs-A');
        const request = (() => {
          if (route.method === 'DELETE') return {};
          if (route.url === '/hl7/v2') return { payload: 'MSH|^~\\&|LAB', contentType: 'text/plain' };
          if (route.method === 'PATCH')
            return { payload: [{ op: 'remove', path: '/note' }], contentType: 'application/json-patch+json' };
          if (route.url === '/fhir' || route.url === '/fhir/')
            return {
              payload: {
                resourceType: 'Bundle',
                type: 'transaction',
                entry: [{ resource: observation, request: { method: 'PUT', url: 'Observation/obs-A' } }],
              },
              contentType: 'application/fhir+json',
            };
          if (route.url.startsWith('/fhir/'))
            return { payload: observation, contentType: 'application/fhir+json' };
          return { payload: {}, contentType: 'application/json' };
        })();
        const response = await t.app.inject({
          method: route.method as 'POST',
          url,
          headers: { authorization, ...(request.contentType ? { 'content-type': request.contentType } : {}) },
          ...(request.payload ? { payload: request.payload } : {}),
        });
        const said = `${route.method} ${route.url}: ${response.body}`;
        if (route.access.readOnly) {
          expect(response.statusCode, said).not.toBe(403);
          continue;
        }
        expect(response.statusCode, said).toBe(403);
        const message = route.url.startsWith('/fhir')
          ? (response.json() as OperationOutcome).issue[0]?.diagnostics
          : response.json().error.message;
        if (route.access.sessionOnly)
          expect(message, said).toMatch(/^this needs a signed-in session, not a bearer token/);
        else expect(message, said).toMatch(/^insufficient_scope: .* it needs user\/[A-Za-z*]+\.write/);
      }
      expect(await stored()).toEqual(before);
    },
  );

  // Last: it moves the app's clock past the grant's expiry.
  it.runIf(available)(
    'break-the-glass is no ground to assign a patient: self-assignment and assignment from emergency access are refused, and access ends with the grant',
    async () => {
      expect((await get('physician', '/fhir/Patient/B')).statusCode).toBe(404);
      const glass = await postJson('physician', '/api/break-glass', { patientId: 'B', reason: emergency });
      expect(glass.statusCode).toBe(200);
      expect((await get('physician', '/fhir/Patient/B')).statusCode).toBe(200);

      const self = await postJson('physician', '/api/assignments', {
        patientId: 'B',
        userId: userIds.physician,
      });
      expect(self.statusCode).toBe(403);
      expect(self.json().error.message).toMatch(/cannot assign a patient to yourself/);
      const other = await postJson('physician', '/api/assignments', {
        patientId: 'B',
        userId: userIds.nurse,
      });
      expect(other.statusCode).toBe(403);
      expect(other.json().error.message).toMatch(/care team or attributed provider/);
      expect((await get('nurse', '/fhir/Patient/B')).statusCode).toBe(404);

      t.clock.advance((breakGlassMinutes + 1) * 60_000);
      expect((await get('physician', '/fhir/Patient/B')).statusCode).toBe(404);
    },
  );
});

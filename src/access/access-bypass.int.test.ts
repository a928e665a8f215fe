/**
 * Regression suite for the access-control bypasses a security review found: each test asserts the
 * secure behaviour, and where it helps, that the same request does reach the data for someone allowed
 * to see it, so a test cannot pass merely because the query matches nothing.
 */
import type { Bundle, Observation, OperationOutcome, Patient, Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCareTeam,
  buildCondition,
  buildEncounter,
  buildGroup,
  buildObservation,
  buildPatient,
  buildPractitioner,
  buildTask,
  securityLabels,
} from '../../test/support/factories.js';
import { bearerFor, type ClockedTestApp, openClockedTestApp } from '../../test/support/identity.js';
import { databaseTargets } from '../../test/support/test-databases.js';
import type { AuditEntry } from './audit/audit-trail.js';
import { breakGlassMinutes } from './policy/permission-matrix.js';

type Who =
  | 'integration'
  | 'nurse'
  | 'dietitian'
  | 'physician'
  | 'readOnlyPhysician'
  | 'caregiver'
  | 'coordinator'
  | 'mover'
  | 'cNurse';

const icd10 = (code: string) => ({ coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code }] });
const emergency = 'emergency department arrival, unconscious';

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
    await s.update('RelatedPerson', 'rp-x', {
      resourceType: 'RelatedPerson',
      id: 'rp-x',
      patient: { reference: 'Patient/A' },
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
      const denied = "this token's scopes do not allow write on Patient";
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

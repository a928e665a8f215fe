/**
 * Classes of attack through the write paths, for every role, through the REST API on both databases,
 * with expectations read from docs/security.md (the matrix and break-the-glass roles):
 * - writes that change who may see a patient (CareTeam, attribution, consent, referrals), under a
 *   break-the-glass grant and from a standing care-team relationship, by POST, PUT, PATCH, DELETE,
 *   conditional update, transaction and the care-team API;
 * - updates that drop a record's patient reference or move it to another patient;
 * - write answers that would tell a record out of sight from a missing one (DELETE, PUT, in
 *   transactions and batches).
 */
import type { Bundle, FhirResource, OperationOutcome } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCarePlan,
  buildCareTeam,
  buildCoverage,
  buildObservation,
  buildPatient,
  buildPractitioner,
  buildPrivacyConsent,
  buildTask,
  securityLabels,
} from '../../test/support/factories.js';
import { bearersByRole } from '../../test/support/identity.js';
import { docBreakGlassRoles, docMatrix } from '../../test/support/security-doc.js';
import { openTestApp, type TestApp } from '../../test/support/test-app.js';
import { databaseTargets } from '../../test/support/test-databases.js';
import { type Role, roles } from './access-context.js';

const OTHER = 'w-other'; // no relationship with anyone; holds the records out of everyone's sight
const std = (role: Role) => `std-${role}`; // the role's user is on its care team (a standing relationship)
const std2 = (role: Role) => `std2-${role}`; // a second such patient
const btg = (role: Role) => `btg-${role}`; // no relationship; reached by breaking the glass
const SOMEONE = 'Practitioner/pr-someone';
const emergencyReason = 'emergency (break-the-glass) grant';

/** The FHIR resource each role's user is. */
function userResource(role: Role): string | undefined {
  if (role === 'community-organization') return 'PractitionerRole/role-food';
  if (role === 'patient') return `Patient/${std('patient')}`;
  if (role === 'caregiver') return 'RelatedPerson/rp-caregiver';
  if (role === 'integration') return undefined;
  return `Practitioner/pr-${role}`;
}

const reach = (role: Role, group: string, action: 'read' | 'write' | 'delete') =>
  docMatrix[role]![group]![action];

/** Records whose patient reference is optional, one per patient-bound group that can lose it. */
const movable: { type: string; group: string; path: string; build: (p: string) => FhirResource }[] = [
  { type: 'Observation', group: 'clinical', path: 'subject', build: (p) => buildObservation(p) },
  {
    type: 'Task',
    group: 'care-coordination',
    path: 'for',
    build: (p) => buildTask(p, { owner: { reference: 'Organization/org-food' } }),
  },
  {
    type: 'Consent',
    group: 'consent',
    path: 'patient',
    build: (p) => buildPrivacyConsent(p, { type: 'deny', labels: ['HIV'] }),
  },
  {
    type: 'Account',
    group: 'financial',
    path: 'subject',
    build: (p) => ({ resourceType: 'Account', status: 'active', subject: [{ reference: `Patient/${p}` }] }),
  },
];

/** A record of every group, kept out of everyone's sight (substance-use records without consent). */
const hiddenSamples: { type: string; group: string; build: (p: string) => FhirResource }[] = [
  {
    type: 'RelatedPerson',
    group: 'demographics',
    build: (p) => ({
      resourceType: 'RelatedPerson',
      patient: { reference: `Patient/${p}` },
      name: [{ family: 'Doe' }],
    }),
  },
  { type: 'Observation', group: 'clinical', build: (p) => buildObservation(p) },
  { type: 'CarePlan', group: 'care-coordination', build: (p) => buildCarePlan(p) },
  {
    type: 'Consent',
    group: 'consent',
    build: (p) => buildPrivacyConsent(p, { type: 'deny', labels: ['HIV'] }),
  },
  { type: 'Coverage', group: 'financial', build: (p) => buildCoverage(p) },
];

async function seed(app: TestApp): Promise<void> {
  const s = app.store;
  const put = (r: FhirResource) => s.update(r.resourceType, r.id!, r);
  await put({ resourceType: 'Organization', id: 'org-clinic', name: 'Riverside Clinic' });
  await put({ resourceType: 'Organization', id: 'org-food', name: 'Eastside Food Bank' });
  for (const who of [...roles, 'food', 'someone']) await put({ ...buildPractitioner(), id: `pr-${who}` });
  await put({
    resourceType: 'PractitionerRole',
    id: 'role-food',
    practitioner: { reference: 'Practitioner/pr-food' },
    organization: { reference: 'Organization/org-food' },
  });
  await put({ ...buildPatient(), id: OTHER });
  for (const sample of hiddenSamples)
    await put({ ...sample.build(OTHER), id: `hidden-${sample.type}`, meta: securityLabels('ETH') });
  for (const role of roles) {
    const me = userResource(role);
    for (const p of [std(role), std2(role), btg(role)]) {
      await put({ ...buildPatient(), id: p });
      await put({ resourceType: 'RelatedPerson', id: `rp-${p}`, patient: { reference: `Patient/${p}` } });
      for (const team of ['x', 'y', 'z'])
        await put({ ...buildCareTeam(p, [SOMEONE]), id: `ct-${team}-${p}` });
    }
    if (me && !me.startsWith('Patient/') && !me.startsWith('RelatedPerson/'))
      for (const p of [std(role), std2(role)]) await put({ ...buildCareTeam(p, [me]), id: `ct-std-${p}` });
    for (const m of movable)
      for (const c of ['drop-put', 'drop-patch', 'move-other', 'move-std2'])
        await put({ ...m.build(std(role)), id: `${c}-${m.type}-${role}` } as FhirResource);
  }
  await put({
    resourceType: 'RelatedPerson',
    id: 'rp-caregiver',
    patient: { reference: `Patient/${std('caregiver')}` },
  });
  await put({
    ...buildPrivacyConsent(std('caregiver'), { type: 'permit', actors: ['RelatedPerson/rp-caregiver'] }),
    id: 'proxy-caregiver',
  });
}

/** One request of a relationship write, for patient `p` by the user who is `me`. */
interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  payload?: unknown;
  contentType?: string;
}
const jsonPatch = 'application/json-patch+json';
const transaction = (entry: Bundle['entry']): Bundle => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry,
});

interface RelationshipWrite {
  name: string;
  group: string;
  /** The status it answers when allowed. */
  ok: number;
  call: (p: string, me: string) => Call;
  action: 'write' | 'delete';
  /** Whether it changes who may see the patient (false: an ordinary write, which a grant allows). */
  changes: boolean;
}
const write = (
  name: string,
  group: string,
  ok: number,
  call: RelationshipWrite['call'],
  options: Partial<Pick<RelationshipWrite, 'action' | 'changes'>> = {},
): RelationshipWrite => ({ name, group, ok, call, action: 'write', changes: true, ...options });
const post = (url: string, payload: unknown): Call => ({ method: 'POST', url, payload });
const put = (url: string, payload: unknown): Call => ({ method: 'PUT', url, payload });
const patch = (url: string, payload: unknown): Call => ({
  method: 'PATCH',
  url,
  payload,
  contentType: jsonPatch,
});
const serviceRequest = (p: string) => ({
  resourceType: 'ServiceRequest',
  status: 'active',
  intent: 'order',
  subject: { reference: `Patient/${p}` },
  performer: [{ reference: 'Organization/org-food' }],
});

/** Writes that change who may see patient `p`, by every path, and ordinary writes beside them. */
const relationshipWrites: RelationshipWrite[] = [
  write('POST a CareTeam naming oneself', 'care-coordination', 201, (p, me) =>
    post('/fhir/CareTeam', buildCareTeam(p, [me])),
  ),
  write('PUT oneself onto a CareTeam', 'care-coordination', 200, (p, me) =>
    put(`/fhir/CareTeam/ct-x-${p}`, { ...buildCareTeam(p, [SOMEONE, me]), id: `ct-x-${p}` }),
  ),
  write('PATCH oneself onto a CareTeam', 'care-coordination', 200, (p, me) =>
    patch(`/fhir/CareTeam/ct-y-${p}`, [
      { op: 'add', path: '/participant/-', value: { member: { reference: me } } },
    ]),
  ),
  write('conditional update adding an organization to a CareTeam', 'care-coordination', 200, (p, me) =>
    put(`/fhir/CareTeam?_id=ct-x-${p}`, buildCareTeam(p, [SOMEONE, me, 'Organization/org-clinic'])),
  ),
  write(
    'DELETE a CareTeam',
    'care-coordination',
    204,
    (p) => ({ method: 'DELETE', url: `/fhir/CareTeam/ct-z-${p}` }),
    {
      action: 'delete',
    },
  ),
  write('PUT oneself as general practitioner', 'demographics', 200, (p, me) =>
    put(`/fhir/Patient/${p}`, buildPatient({ id: p, generalPractitioner: [{ reference: me }] })),
  ),
  write('PATCH the managing organization', 'demographics', 200, (p) =>
    patch(`/fhir/Patient/${p}`, [
      { op: 'add', path: '/managingOrganization', value: { reference: 'Organization/org-clinic' } },
    ]),
  ),
  write('POST a proxy Consent for a caregiver', 'consent', 201, (p) =>
    post('/fhir/Consent', buildPrivacyConsent(p, { type: 'permit', actors: [`RelatedPerson/rp-${p}`] })),
  ),
  write('POST a Consent sharing substance-use records', 'consent', 201, (p) =>
    post('/fhir/Consent', buildPrivacyConsent(p, { type: 'permit', labels: ['ETH'] })),
  ),
  write('POST a referral Task to an organization', 'care-coordination', 201, (p) =>
    post('/fhir/Task', buildTask(p, { owner: { reference: 'Organization/org-food' } })),
  ),
  write('POST a referral ServiceRequest to an organization', 'care-coordination', 201, (p) =>
    post('/fhir/ServiceRequest', serviceRequest(p)),
  ),
  write('a transaction creating a CareTeam naming oneself', 'care-coordination', 200, (p, me) =>
    post(
      '/fhir',
      transaction([{ request: { method: 'POST', url: 'CareTeam' }, resource: buildCareTeam(p, [me]) }]),
    ),
  ),
  write('a transaction making oneself general practitioner', 'demographics', 200, (p, me) =>
    post(
      '/fhir',
      transaction([
        {
          request: { method: 'PUT', url: `Patient/${p}` },
          resource: buildPatient({ id: p, generalPractitioner: [{ reference: me }, { reference: SOMEONE }] }),
        },
      ]),
    ),
  ),
  write('PUT /api/patients/:id/care-team naming oneself', 'care-coordination', 200, (p, me) =>
    put(`/api/patients/${p}/care-team`, {
      members: [{ reference: me, role: '768832004' }],
      reason: 'taking over',
    }),
  ),
  // Ordinary writes, which a grant does allow.
  write('POST an Observation', 'clinical', 201, (p) => post('/fhir/Observation', buildObservation(p)), {
    changes: false,
  }),
  write(
    "PUT the Patient's telecom",
    'demographics',
    200,
    (p) =>
      put(`/fhir/Patient/${p}`, buildPatient({ id: p, telecom: [{ system: 'phone', value: '555-0100' }] })),
    { changes: false },
  ),
];

/** An answer's text with the request's id replaced, to compare the answers for two ids. */
const shape = (body: string, id: string) => body.replaceAll(id, '{id}');

describe.each(databaseTargets)(
  'write classes of attack, per role, from docs/security.md ($name)',
  ({ name, available }) => {
    let app: TestApp;
    let auth = new Map<Role, string>();

    beforeAll(async () => {
      if (!available) return;
      app = await openTestApp(name);
      await seed(app);
      auth = await bearersByRole(app.db.database, roles, userResource);
    }, 120_000);
    afterAll(async () => app?.close());

    const send = (role: Role, call: Call) =>
      app.app.inject({
        method: call.method,
        url: call.url,
        headers: {
          authorization: auth.get(role)!,
          ...(call.payload ? { 'content-type': call.contentType ?? 'application/fhir+json' } : {}),
        },
        ...(call.payload ? { payload: call.payload as object } : {}),
      });
    const reason = (body: string) => {
      const json = JSON.parse(body || '{}');
      return json.resourceType === 'OperationOutcome'
        ? (json as OperationOutcome).issue.map((i) => i.diagnostics).join('; ')
        : (json.error?.message ?? '');
    };

    for (const role of roles.filter((r) => docBreakGlassRoles.includes(r))) {
      it.runIf(available)(
        `${role}: under break-the-glass, no write that changes who may see the patient; the same writes from the care team follow the matrix`,
        async () => {
          const me = userResource(role)!;
          const glass = await send(role, {
            method: 'POST',
            url: '/api/break-glass',
            payload: { patientId: btg(role), reason: 'Unresponsive in the emergency department' },
            contentType: 'application/json',
          });
          expect(glass.statusCode).toBe(200);
          const mismatches: string[] = [];
          for (const w of relationshipWrites) {
            const allowed = reach(role, w.group, w.action) === 'related';
            const glassAnswer = await send(role, w.call(btg(role), me));
            const glassOk = allowed && !w.changes;
            if (glassOk ? glassAnswer.statusCode !== w.ok : glassAnswer.statusCode !== 403)
              mismatches.push(
                `${w.name} under the grant: ${glassAnswer.statusCode} ${reason(glassAnswer.body)}`,
              );
            else if (allowed && w.changes && !reason(glassAnswer.body).includes(emergencyReason))
              mismatches.push(
                `${w.name} under the grant: the reason "${reason(glassAnswer.body)}" names no grant`,
              );
            const standing = await send(role, w.call(std(role), me));
            if (standing.statusCode !== (allowed ? w.ok : 403))
              mismatches.push(
                `${w.name} from the care team: ${standing.statusCode} ${reason(standing.body)}`,
              );
          }
          expect(mismatches).toEqual([]);
        },
        60_000,
      );
    }

    for (const role of roles) {
      it.runIf(available)(
        `${role}: an update can neither drop a record's patient nor move it out of the role's write reach`,
        async () => {
          const mismatches: string[] = [];
          for (const m of movable) {
            const writeReach = reach(role, m.group, 'write');
            const id = (c: string) => `${c}-${m.type}-${role}`;
            const url = (c: string) => `/fhir/${m.type}/${id(c)}`;
            const visible = (await send(role, { method: 'GET', url: url('drop-put') })).statusCode === 200;
            const content = (c: string, patient?: string) => {
              const r = { ...m.build(std(role)), id: id(c) } as unknown as Record<string, unknown>;
              if (!patient) delete r[m.path];
              else
                r[m.path] =
                  m.path === 'subject' && m.type === 'Account'
                    ? [{ reference: `Patient/${patient}` }]
                    : { reference: `Patient/${patient}` };
              return r;
            };
            // What a PUT that leaves the role's reach answers: the role's reach decides before the record.
            const refused = writeReach === 'none' ? 403 : visible ? 403 : 405;
            const cases: [string, Call, number, string?][] = [
              [
                'drop-put',
                { method: 'PUT', url: url('drop-put'), payload: content('drop-put') },
                writeReach === 'all' ? 200 : refused,
                'must name the patient',
              ],
              [
                'drop-patch',
                {
                  method: 'PATCH',
                  url: url('drop-patch'),
                  payload: [{ op: 'remove', path: `/${m.path}` }],
                  contentType: jsonPatch,
                },
                !visible ? 404 : writeReach === 'all' ? 200 : 403,
                'must name the patient',
              ],
              [
                'move-other',
                { method: 'PUT', url: url('move-other'), payload: content('move-other', OTHER) },
                writeReach === 'all' ? 200 : refused,
              ],
              [
                'move-std2',
                { method: 'PUT', url: url('move-std2'), payload: content('move-std2', std2(role)) },
                writeReach === 'all' || (writeReach === 'related' && visible) ? 200 : refused,
              ],
            ];
            for (const [c, call, expected, why] of cases) {
              const answer = await send(role, call);
              if (answer.statusCode !== expected)
                mismatches.push(
                  `${c} ${m.type}: ${answer.statusCode}, expected ${expected} (${reason(answer.body)})`,
                );
              else if (
                expected === 403 &&
                visible &&
                writeReach !== 'none' &&
                why &&
                !reason(answer.body).includes(why)
              )
                mismatches.push(`${c} ${m.type}: the reason "${reason(answer.body)}" does not say it ${why}`);
            }
            // A refused write changed nothing: the record is still with its patient for those who see it.
            const stored = (await app.store.read(m.type, id('drop-put'))) as unknown as Record<
              string,
              unknown
            >;
            if (writeReach !== 'all' && !stored[m.path])
              mismatches.push(`drop-put ${m.type}: the patient was dropped`);
          }
          expect(mismatches).toEqual([]);
        },
        60_000,
      );

      it.runIf(available)(
        `${role}: DELETE and PUT answer an id out of sight exactly as a free one, alone, in a transaction and in a batch`,
        async () => {
          const mismatches: string[] = [];
          for (const sample of hiddenSamples) {
            const hidden = `hidden-${sample.type}`;
            const free = `free-${sample.type}-${role}`;
            if (
              (await send(role, { method: 'GET', url: `/fhir/${sample.type}/${hidden}` })).statusCode !== 404
            )
              mismatches.push(`${hidden} is not out of sight`);
            const writeReach = reach(role, sample.group, 'write');
            const deleteReach = reach(role, sample.group, 'delete');
            const calls: [string, (id: string) => Call, number][] = [
              [
                'DELETE',
                (id) => ({ method: 'DELETE', url: `/fhir/${sample.type}/${id}` }),
                deleteReach === 'none' ? 403 : 404,
              ],
              [
                'transaction DELETE',
                (id) => ({
                  method: 'POST',
                  url: '/fhir',
                  payload: transaction([{ request: { method: 'DELETE', url: `${sample.type}/${id}` } }]),
                }),
                deleteReach === 'none' ? 403 : 404,
              ],
            ];
            // Update-as-create with client ids is for roles that write every record of the group.
            if (writeReach !== 'all') {
              const content = (id: string) => ({ ...sample.build(std(role)), id });
              const status = writeReach === 'none' ? 403 : 405;
              calls.push(
                [
                  'PUT',
                  (id) => ({ method: 'PUT', url: `/fhir/${sample.type}/${id}`, payload: content(id) }),
                  status,
                ],
                [
                  'transaction PUT',
                  (id) => ({
                    method: 'POST',
                    url: '/fhir',
                    payload: transaction([
                      { request: { method: 'PUT', url: `${sample.type}/${id}` }, resource: content(id) },
                    ]),
                  }),
                  status,
                ],
                [
                  'batch PUT',
                  (id) => ({
                    method: 'POST',
                    url: '/fhir',
                    payload: {
                      resourceType: 'Bundle',
                      type: 'batch',
                      entry: [
                        { request: { method: 'PUT', url: `${sample.type}/${id}` }, resource: content(id) },
                      ],
                    },
                  }),
                  200,
                ],
              );
            }
            for (const [what, call, expected] of calls) {
              const a = await send(role, call(hidden));
              const b = await send(role, call(free));
              if (a.statusCode !== expected || b.statusCode !== expected)
                mismatches.push(
                  `${what} ${sample.type}: ${a.statusCode} for the hidden id, ${b.statusCode} for a free one, expected ${expected}`,
                );
              if (shape(a.body, hidden) !== shape(b.body, free))
                mismatches.push(`${what} ${sample.type}: the answers differ: ${a.body} / ${b.body}`);
            }
            if ((await app.store.read(sample.type, hidden)).meta?.versionId !== '1')
              mismatches.push(`${hidden} was changed`);
          }
          expect(mismatches).toEqual([]);
        },
        60_000,
      );
    }
  },
);

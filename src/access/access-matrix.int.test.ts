/**
 * The access matrix, checked through the REST API on both databases. The expectations are read from
 * docs/security.md (its generated tables and lines), not from the code: every role x resource group x
 * action x relationship (on the care team / not related / consented / sensitive-labelled /
 * break-the-glass) through read, search, _include, _revinclude and $everything, and create and delete.
 */
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCarePlan,
  buildCareTeam,
  buildCoverage,
  buildEncounter,
  buildObservation,
  buildPatient,
  buildPractitioner,
  buildPrivacyConsent,
  buildTask,
  securityLabels,
} from '../../test/support/factories.js';
import { bearersByRole } from '../../test/support/identity.js';
import {
  docBreakGlassRoles,
  docConsentRequired,
  docMatrix,
  docPatientFacing,
  docSensitiveAccess,
} from '../../test/support/security-doc.js';
import { openTestApp, type TestApp } from '../../test/support/test-app.js';
import { databaseTargets } from '../../test/support/test-databases.js';
import { type Role, roles } from './access-context.js';

// ---- what docs/security.md says ------------------------------------------------------------------
const matrix = docMatrix;
const sensitiveTable = docSensitiveAccess;
const consentRequired = docConsentRequired;
const patientFacing = docPatientFacing;
const breakGlassRoles = docBreakGlassRoles;

// ---- the world ------------------------------------------------------------------------------------
const clinicalRoles = [
  'care-coordinator',
  'physician',
  'nurse',
  'pharmacist',
  'social-worker',
  'dietitian',
  'community-health-worker',
] as const;

/** Patients and how the clinicians relate to them. */
const TEAM = 'pt-team'; // on every clinician's care team; the patient user; the caregiver's patient
const OTHER = 'pt-other'; // no relationship with anyone
const CONSENTED = 'pt-consented'; // on the care team, and consents to share substance-use records
const EMERGENCY = 'pt-emergency'; // no relationship; reached only by breaking the glass

interface Fixture {
  resource: FhirResource;
  group: string;
  patient: string;
  /** Sensitive category of the record, if labelled. */
  category?: string;
  /** Addressed to the community organization. */
  referral?: boolean;
}

function fixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const p of [TEAM, OTHER, CONSENTED, EMERGENCY]) {
    out.push({
      resource: { ...buildPatient({ identifier: [{ value: `MRN-${p}` }] }), id: p },
      group: 'demographics',
      patient: p,
    });
    out.push({ resource: { ...buildObservation(p), id: `obs-${p}` }, group: 'clinical', patient: p });
    // Provenance of the patient's data, as an EHR or Synthea export sends it: clinical, not audit.
    out.push({
      resource: {
        resourceType: 'Provenance',
        id: `prov-${p}`,
        target: [{ reference: `Patient/${p}` }, { reference: `Observation/obs-${p}` }],
        recorded: '2026-11-01T10:00:00Z',
        agent: [{ who: { reference: 'Organization/org-clinic' } }],
      },
      group: 'clinical',
      patient: p,
    });
    out.push({ resource: { ...buildCarePlan(p), id: `plan-${p}` }, group: 'care-coordination', patient: p });
    out.push({ resource: { ...buildCoverage(p), id: `cov-${p}` }, group: 'financial', patient: p });
    out.push({
      resource: { ...buildObservation(p, { meta: securityLabels('ETH') }), id: `eth-${p}` },
      group: 'clinical',
      patient: p,
      category: 'substance-use',
    });
    out.push({
      resource: { ...buildObservation(p, { meta: securityLabels('PSY') }), id: `psy-${p}` },
      group: 'clinical',
      patient: p,
      category: 'behavioral-health',
    });
  }
  out.push({ resource: { ...buildEncounter(TEAM), id: `enc-${TEAM}` }, group: 'clinical', patient: TEAM });
  out.push({
    resource: {
      ...buildTask(TEAM, { owner: { reference: 'Organization/org-foodbank' } }),
      id: 'referral-task',
    },
    group: 'care-coordination',
    patient: TEAM,
    referral: true,
  });
  out.push({
    resource: {
      resourceType: 'ServiceRequest',
      id: 'referral-request',
      status: 'active',
      intent: 'order',
      code: { text: 'Referral to food bank' },
      subject: { reference: `Patient/${TEAM}` },
      performer: [{ reference: 'Organization/org-foodbank' }],
    },
    group: 'care-coordination',
    patient: TEAM,
    referral: true,
  });
  out.push({
    resource: {
      ...buildTask(OTHER, { owner: { reference: 'Practitioner/pr-care-coordinator' } }),
      id: 'task-other',
    },
    group: 'care-coordination',
    patient: OTHER,
  });
  out.push({
    resource: {
      ...buildPrivacyConsent(TEAM, { type: 'permit', actors: ['RelatedPerson/rp-caregiver'] }),
      id: 'proxy-consent',
    },
    group: 'consent',
    patient: TEAM,
  });
  out.push({
    resource: { ...buildPrivacyConsent(CONSENTED, { type: 'permit', labels: ['ETH'] }), id: 'eth-consent' },
    group: 'consent',
    patient: CONSENTED,
  });
  return out;
}

/** The FHIR resource each role's user is. */
function userResource(role: Role): string | undefined {
  if ((clinicalRoles as readonly string[]).includes(role) || role === 'admin' || role === 'auditor')
    return `Practitioner/pr-${role}`;
  if (role === 'community-organization') return 'PractitionerRole/role-foodbank';
  if (role === 'patient') return `Patient/${TEAM}`;
  if (role === 'caregiver') return 'RelatedPerson/rp-caregiver';
  return undefined;
}

async function seed(app: TestApp): Promise<Fixture[]> {
  const store = app.store;
  const shared: FhirResource[] = [
    { resourceType: 'Organization', id: 'org-clinic', name: 'Riverside Clinic' },
    { resourceType: 'Organization', id: 'org-foodbank', name: 'Eastside Food Bank' },
    ...[...clinicalRoles, 'admin', 'auditor', 'foodbank'].map((r) => ({
      ...buildPractitioner(),
      id: `pr-${r}`,
    })),
    {
      resourceType: 'PractitionerRole',
      id: 'role-foodbank',
      practitioner: { reference: 'Practitioner/pr-foodbank' },
      organization: { reference: 'Organization/org-foodbank' },
    },
  ];
  for (const r of shared) await store.update(r.resourceType, r.id!, r);
  const all = fixtures();
  for (const f of all.filter((f) => f.resource.resourceType === 'Patient'))
    await store.update('Patient', f.resource.id!, f.resource);
  await store.update('RelatedPerson', 'rp-caregiver', {
    resourceType: 'RelatedPerson',
    id: 'rp-caregiver',
    patient: { reference: `Patient/${TEAM}` },
    name: [{ family: 'Rivera', given: ['Marta'] }],
  });
  const team = clinicalRoles.map((r) => `Practitioner/pr-${r}`);
  await store.update('CareTeam', 'ct-team', { ...buildCareTeam(TEAM, team), id: 'ct-team' });
  await store.update('CareTeam', 'ct-consented', { ...buildCareTeam(CONSENTED, team), id: 'ct-consented' });
  for (const f of all.filter((f) => f.resource.resourceType !== 'Patient'))
    await store.update(f.resource.resourceType, f.resource.id!, f.resource);
  return all;
}

// ---- the expectation, from the doc --------------------------------------------------------------
function expectedReach(role: Role, group: string, action: 'read' | 'write' | 'delete'): string {
  return matrix[role]![group]![action];
}

function expectVisible(role: Role, f: Fixture, brokeGlass: boolean): boolean {
  const type = f.resource.resourceType;
  const reach = expectedReach(role, f.group, 'read');
  let patientOk: boolean;
  switch (reach) {
    case 'all':
      patientOk = true;
      break;
    case 'related':
      patientOk = f.patient === TEAM || f.patient === CONSENTED || (f.patient === EMERGENCY && brokeGlass);
      break;
    case 'own':
      patientOk = f.patient === TEAM;
      break;
    case 'proxy':
      patientOk = f.patient === TEAM && patientFacing.has(type);
      break;
    case 'referrals':
      patientOk = (type === 'Patient' && f.patient === TEAM) || !!f.referral;
      break;
    default:
      patientOk = false;
  }
  if (!patientOk || !f.category || reach === 'own') return patientOk;
  if (!sensitiveTable[role]!.has(f.category)) return false;
  const emergency = f.patient === EMERGENCY && brokeGlass;
  if (consentRequired.includes(f.category)) return f.patient === CONSENTED || emergency;
  return true; // no patient here denies a category
}

// ---- the checks ---------------------------------------------------------------------------------
const searchParamForPatient: Record<string, string> = {
  Observation: 'patient',
  CarePlan: 'patient',
  Coverage: 'patient',
  Encounter: 'patient',
  Task: 'patient',
  ServiceRequest: 'patient',
  Consent: 'patient',
  Provenance: 'patient',
};

describe.each(databaseTargets)('access matrix from docs/security.md ($name)', ({ name, available }) => {
  let app: TestApp;
  let world: Fixture[];
  let auth = new Map<Role, string>();

  beforeAll(async () => {
    if (!available) return;
    app = await openTestApp(name);
    world = await seed(app);
    auth = await bearersByRole(app.db.database, roles, userResource);
  }, 120_000);
  afterAll(async () => app?.close());

  const get = (role: Role, url: string) =>
    app.app.inject({ method: 'GET', url, headers: { authorization: auth.get(role)! } });
  const ids = (bundle: Bundle) =>
    new Set((bundle.entry ?? []).map((e) => `${e.resource!.resourceType}/${e.resource!.id}`));

  it.runIf(available)('the docs tables are complete: every role has a row in each', () => {
    expect(Object.keys(matrix).sort()).toEqual([...roles].sort());
    expect(Object.keys(sensitiveTable).sort()).toEqual([...roles].sort());
    expect(breakGlassRoles.length).toBeGreaterThan(0);
  });

  for (const role of roles) {
    it.runIf(available)(
      `${role}: sees exactly what the matrix allows through read, search, _include, _revinclude and $everything`,
      async () => {
        const mismatches: string[] = [];
        const btg = await app.app.inject({
          method: 'POST',
          url: '/api/break-glass',
          headers: { authorization: auth.get(role)! },
          payload: { patientId: EMERGENCY, reason: 'Unresponsive in the emergency department' },
        });
        const brokeGlass = btg.statusCode === 200;
        if (brokeGlass !== breakGlassRoles.includes(role))
          mismatches.push(
            `break-the-glass answered ${btg.statusCode}, expected ${breakGlassRoles.includes(role) ? 200 : 403}`,
          );
        const visible = (f: Fixture) => expectVisible(role, f, brokeGlass);
        const patientFixture = (id: string) =>
          world.find((f) => f.resource.resourceType === 'Patient' && f.patient === id)!;

        for (const f of world) {
          const { resourceType: type, id } = f.resource;
          const key = `${type}/${id}`;
          const shouldSee = visible(f);
          const read = await get(role, `/fhir/${type}/${id}`);
          if (read.statusCode !== (shouldSee ? 200 : 404))
            mismatches.push(`read ${key}: ${read.statusCode}, expected ${shouldSee ? 200 : 404}`);

          const search = await get(role, `/fhir/${type}?_id=${id}`);
          const readReach = expectedReach(role, f.group, 'read');
          if (readReach === 'none') {
            if (search.statusCode !== 403)
              mismatches.push(`search ${type}: ${search.statusCode}, expected 403 (no read reach)`);
          } else {
            const found = search.statusCode === 200 && ids(search.json()).has(key);
            if (found !== shouldSee)
              mismatches.push(
                `search ${key}: ${found ? 'found' : 'absent'}, expected ${shouldSee ? 'found' : 'absent'}`,
              );
            if (search.statusCode === 200 && search.json().total !== (shouldSee ? 1 : 0))
              mismatches.push(`search ${key}: total ${search.json().total}`);
          }

          const param = searchParamForPatient[type];
          if (param && shouldSee) {
            const inc = await get(role, `/fhir/${type}?_id=${id}&_include=${type}:${param}`);
            const patientVisible = visible(patientFixture(f.patient));
            const included = ids(inc.json()).has(`Patient/${f.patient}`);
            if (included !== patientVisible)
              mismatches.push(`_include from ${key}: patient ${included ? 'included' : 'absent'}`);
          }
          if (
            param &&
            visible(patientFixture(f.patient)) &&
            expectedReach(role, 'demographics', 'read') !== 'none'
          ) {
            const rev = await get(role, `/fhir/Patient?_id=${f.patient}&_revinclude=${type}:${param}`);
            const included = ids(rev.json()).has(key);
            if (included !== shouldSee)
              mismatches.push(`_revinclude of ${key}: ${included ? 'included' : 'absent'}`);
          }
        }

        for (const p of [TEAM, OTHER, CONSENTED, EMERGENCY]) {
          const everything = await get(role, `/fhir/Patient/${p}/$everything`);
          const patientVisible = visible(patientFixture(p));
          if (everything.statusCode !== (patientVisible ? 200 : 404)) {
            mismatches.push(`$everything ${p}: ${everything.statusCode}`);
            continue;
          }
          if (!patientVisible) continue;
          const got = ids(everything.json());
          for (const f of world.filter((f) => f.patient === p && f.resource.resourceType !== 'Patient')) {
            const key = `${f.resource.resourceType}/${f.resource.id}`;
            if (got.has(key) !== visible(f))
              mismatches.push(`$everything ${p}: ${key} ${got.has(key) ? 'present' : 'absent'}`);
          }
        }
        expect(mismatches).toEqual([]);
      },
      120_000,
    );

    it.runIf(available)(
      `${role}: may create and delete exactly what the matrix allows`,
      async () => {
        const mismatches: string[] = [];
        const samples: Record<string, (patient: string) => FhirResource> = {
          demographics: (p) => ({
            resourceType: 'RelatedPerson',
            patient: { reference: `Patient/${p}` },
            name: [{ family: 'Doe' }],
          }),
          clinical: (p) => buildObservation(p),
          'care-coordination': (p) => buildCarePlan(p),
          consent: (p) => buildPrivacyConsent(p, { type: 'deny', labels: ['HIV'] }),
          financial: (p) => buildCoverage(p),
          directory: () => ({ resourceType: 'Organization', name: 'New clinic' }),
          audit: () => ({
            resourceType: 'AuditEvent',
            type: { code: 'rest' },
            recorded: '2026-11-30T12:00:00Z',
            agent: [{ requestor: true }],
            source: { observer: { display: 'x' } },
          }),
        };
        const headers = { authorization: auth.get(role)! };
        for (const [group, sample] of Object.entries(samples)) {
          for (const patient of [TEAM, OTHER]) {
            const resource = sample(patient);
            const reach = expectedReach(role, group, 'write');
            const patientBound = group !== 'directory' && group !== 'audit';
            const allowed =
              reach === 'all' ||
              (patientBound &&
                ((reach === 'related' && patient === TEAM) || (reach === 'own' && patient === TEAM)));
            const created = await app.app.inject({
              method: 'POST',
              url: `/fhir/${resource.resourceType}`,
              headers,
              payload: resource,
            });
            if (created.statusCode !== (allowed ? 201 : 403))
              mismatches.push(
                `create ${resource.resourceType} for ${patient}: ${created.statusCode}, expected ${allowed ? 201 : 403}`,
              );
            if (created.statusCode === 403 && created.json().resourceType !== 'OperationOutcome')
              mismatches.push(`create ${resource.resourceType}: a 403 without an OperationOutcome`);

            // Delete a record the server made, so that the outcome depends on the role alone.
            const { resource: target } = await app.store.create(sample(patient));
            const deleteReach = expectedReach(role, group, 'delete');
            const mayDelete =
              deleteReach === 'all' || (patientBound && deleteReach === 'related' && patient === TEAM);
            const seen =
              expectVisible(
                role,
                { resource: target as FhirResource, group, patient: patientBound ? patient : '' },
                false,
              ) ||
              (!patientBound && expectedReach(role, group, 'read') === 'all');
            // A role without delete reach is told so whatever the id (that says nothing of the record);
            // otherwise a record out of sight answers as a missing one.
            const expected = mayDelete ? 204 : deleteReach === 'none' || seen ? 403 : 404;
            const deleted = await app.app.inject({
              method: 'DELETE',
              url: `/fhir/${target.resourceType}/${target.id}`,
              headers,
            });
            if (deleted.statusCode !== expected)
              mismatches.push(
                `delete ${target.resourceType} of ${patient}: ${deleted.statusCode}, expected ${expected}`,
              );
          }
        }
        expect(mismatches).toEqual([]);
      },
      120_000,
    );
  }
});

/**
 * Provenance is clinical data about the patient it targets, not the audit trail: an integration loads
 * a real Synthea patient bundle (which carries one Provenance) over the API, and clinicians, the
 * patient and caregivers then reach that Provenance exactly as the matrix's clinical column says.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Provenance } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCareTeam, buildPractitioner, buildPrivacyConsent } from '../../test/support/factories.js';
import { bearerFor } from '../../test/support/identity.js';
import { openTestApp, type TestApp } from '../../test/support/test-app.js';
import { databaseTargets } from '../../test/support/test-databases.js';
import { processBundle } from '../fhir/store/bundle.js';

const synthea = join(import.meta.dirname, '../../test/fixtures/synthea');
// The smallest patient bundle of the fixture set (264 entries, one Provenance).
const patientBundle = join(synthea, 'patients/Jani266_Reynolds644_304f9946-5db8-dc6f-e060-48b9fea3ca5d.json');

const readBundle = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Bundle;

/** A batch of the entries of Synthea's information bundles that `bundle` names by identifier. */
function sharedEntriesFor(bundle: Bundle): Bundle {
  const named = new Set(
    (JSON.stringify(bundle).match(/"[A-Za-z]+\?identifier=[^"]+"/g) ?? []).map(
      (r) => JSON.parse(r) as string,
    ),
  );
  const entry = ['hospitalInformation1633536936158.json', 'practitionerInformation1633536936158.json']
    .flatMap((f) => readBundle(join(synthea, f)).entry ?? [])
    .filter((e) =>
      (e.resource as { identifier?: { system?: string; value?: string }[] }).identifier?.some((i) =>
        named.has(`${e.resource!.resourceType}?identifier=${i.system}|${i.value}`),
      ),
    );
  return { resourceType: 'Bundle', type: 'batch', entry };
}

describe.each(databaseTargets)('Provenance from an integration ($name)', ({ name, available }) => {
  let t: TestApp;
  let patientId: string;
  let provenanceId: string;
  let observationId: string;
  const auth: Record<string, string> = {};
  const get = (who: string, url: string) =>
    t.app.inject({ method: 'GET', url, headers: { authorization: auth[who]! } });
  const found = async (who: string, url: string) => {
    const response = await get(who, url);
    expect(response.statusCode).toBe(200);
    return ((response.json() as Bundle).entry ?? []).map(
      (e) => `${e.resource!.resourceType}/${e.resource!.id}`,
    );
  };

  beforeAll(async () => {
    if (!available) return;
    t = await openTestApp(name);
    // The organizations, locations and practitioners the patient bundle names by identifier come
    // first, as in a Synthea export (only those: the whole information bundles take minutes).
    const loaded = await processBundle(t.store, sharedEntriesFor(readBundle(patientBundle)), {
      baseUrl: '',
    });
    expect(loaded.entry!.map((e) => e.response!.status)).toEqual(['201', '201', '201', '201', '201', '201']);
    for (const id of ['pr-team', 'pr-out'])
      await t.store.update('Practitioner', id, { ...buildPractitioner(), id });
    auth.integration = (await bearerFor(t.db.database, { role: 'integration' })).authorization;
    auth.team = (
      await bearerFor(t.db.database, { role: 'physician', resource: 'Practitioner/pr-team' })
    ).authorization;
    auth.out = (
      await bearerFor(t.db.database, { role: 'physician', resource: 'Practitioner/pr-out' })
    ).authorization;
  }, 60_000);
  afterAll(async () => t?.close());

  it.runIf(available)(
    'stores a Synthea transaction bundle posted by an integration, its Provenance included',
    async () => {
      const bundle = readBundle(patientBundle);
      const response = await t.app.inject({
        method: 'POST',
        url: '/fhir',
        headers: { authorization: auth.integration!, 'content-type': 'application/fhir+json' },
        payload: bundle,
      });
      expect(response.statusCode).toBe(200);
      const answer = response.json() as Bundle;
      const location = (type: string) =>
        answer.entry!.map((e) => e.response!.location!).filter((l) => l.startsWith(`${type}/`));
      expect(location('Provenance')).toHaveLength(1);
      [provenanceId] = location('Provenance').map((l) => l.split('/')[1]!);
      [patientId] = location('Patient').map((l) => l.split('/')[1]!);
      observationId = location('Observation')[0]!.split('/')[1]!;

      const stored = (await get('integration', `/fhir/Provenance/${provenanceId}`)).json() as Provenance;
      expect(stored.target[0]!.reference).toBe(`Patient/${patientId}`);
      expect(stored.target).toHaveLength(263);
      expect(stored.agent[0]!.who!.reference).toMatch(/^Practitioner\//);

      // The patient's own account, and a caregiver authorized by the patient's proxy consent.
      auth.patient = (
        await bearerFor(t.db.database, { role: 'patient', resource: `Patient/${patientId}` })
      ).authorization;
      await t.store.update('RelatedPerson', 'rp-jani', {
        resourceType: 'RelatedPerson',
        id: 'rp-jani',
        patient: { reference: `Patient/${patientId}` },
      });
      await t.store.create(
        buildPrivacyConsent(patientId, { type: 'permit', actors: ['RelatedPerson/rp-jani'] }),
      );
      auth.caregiver = (
        await bearerFor(t.db.database, { role: 'caregiver', resource: 'RelatedPerson/rp-jani' })
      ).authorization;
      await t.store.create(buildCareTeam(patientId, ['Practitioner/pr-team']));
    },
    120_000,
  );

  it.runIf(available)(
    "a clinician on the patient's care team reads the Provenance and finds it by target and patient; one outside the team does not",
    async () => {
      const key = `Provenance/${provenanceId}`;
      expect((await get('team', `/fhir/${key}`)).statusCode).toBe(200);
      expect(await found('team', `/fhir/Provenance?target=Patient/${patientId}`)).toEqual([key]);
      expect(await found('team', `/fhir/Provenance?target=Observation/${observationId}`)).toEqual([key]);
      expect(await found('team', `/fhir/Provenance?patient=${patientId}`)).toEqual([key]);
      expect(
        await found('team', `/fhir/Observation?_id=${observationId}&_revinclude=Provenance:target`),
      ).toContain(key);

      expect((await get('out', `/fhir/${key}`)).statusCode).toBe(404);
      expect(await found('out', `/fhir/Provenance?target=Patient/${patientId}`)).toEqual([]);
      expect(await found('out', `/fhir/Provenance?patient=${patientId}`)).toEqual([]);
    },
  );

  it.runIf(available)(
    'the patient reads the Provenance of their own record (clinical R:own); a caregiver does not (not a patient-facing type)',
    async () => {
      const key = `Provenance/${provenanceId}`;
      expect((await get('patient', `/fhir/${key}`)).statusCode).toBe(200);
      expect(await found('patient', `/fhir/Provenance?patient=${patientId}`)).toEqual([key]);
      expect((await get('caregiver', `/fhir/Patient/${patientId}`)).statusCode).toBe(200);
      expect((await get('caregiver', `/fhir/${key}`)).statusCode).toBe(404);
    },
  );
});

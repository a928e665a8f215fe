/**
 * Compartment search (`GET /fhir/Patient/{id}/{type}`), as other clients use it: fhir-kit-client's
 * `compartmentSearch` (its URL form: keys sorted, values percent-encoded, `_include` repeated, and its
 * POST `_search` form), over the FHIR R4 specification's own examples, on both databases. Each type of
 * the R4 patient compartment must return exactly what its compartment parameters link to the patient,
 * under the same access rules as any search.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, CapabilityStatement, OperationOutcome, Resource } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCareTeam, buildObservation, buildPractitioner } from '../../../test/support/factories.js';
import { bearerFor } from '../../../test/support/identity.js';
import { openTestApp, type TestApp } from '../../../test/support/test-app.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import type { AuditEntry } from '../../access/audit/audit-trail.js';
import { parseQueryString } from '../fhir.routes.js';
import { patientCompartment } from './compartment.js';

const BASE = 'http://localhost:80/fhir';
const folder = join(import.meta.dirname, '../../../test/fixtures/fhir-r4-examples');
const examples = readdirSync(folder)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => readFileSync(join(folder, f), 'utf8'))
  // The examples that name a patient, and the patients: what a patient compartment can hold.
  .filter((text) => text.includes('"Patient/') || text.includes('"resourceType": "Patient"'))
  .map((text) => JSON.parse(text) as Resource)
  .filter((r) => r.resourceType !== 'Bundle' && r.id);

/** The Observations of the R4 examples whose subject is Patient/example (read from the files above). */
const exampleObservations = [
  'abdo-tender',
  'alcohol-type',
  'blood-pressure',
  'blood-pressure-cancel',
  'blood-pressure-dar',
  'bmi',
  'bmi-using-related',
  'body-height',
  'body-length',
  'body-temperature',
  'clinical-gender',
  'example-TPMT-diplotype',
  'example-TPMT-haplotype-one',
  'example-TPMT-haplotype-two',
  'example-genetics-1',
  'example-genetics-2',
  'example-genetics-3',
  'example-genetics-4',
  'eye-color',
];

/** A query string as fhir-kit-client writes it (query-string's stringify: keys sorted, RFC 3986 encoding, arrays repeated). */
function kitQuery(params: Record<string, string | string[]>): string {
  const strict = (v: string) =>
    encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.keys(params)
    .sort()
    .flatMap((k) => [params[k]!].flat().map((v) => `${strict(k)}=${strict(v)}`))
    .join('&');
}

describe.each(databaseTargets)('compartment search Patient/{id}/{type} on $name', ({ name, available }) => {
  const run = it.runIf(available);
  let t: TestApp;
  const auth: Record<'inTeam' | 'outside' | 'auditor', string> = { inTeam: '', outside: '', auditor: '' };

  beforeAll(async () => {
    if (!available) return;
    // The examples refer to resources that are not among them (Practitioner/example, ...).
    t = await openTestApp(name, { referentialIntegrity: false });
    for (const resource of examples) await t.store.update(resource.resourceType, resource.id!, resource);
    for (const id of ['pr-in', 'pr-out'])
      await t.store.update('Practitioner', id, { ...buildPractitioner(), id });
    await t.store.update('CareTeam', 'team-example', {
      ...buildCareTeam('example', ['Practitioner/pr-in']),
      id: 'team-example',
    });
    // Patient/example reported an observation about another patient (f001): it is in example's
    // compartment through `performer`, but it is f001's record.
    await t.store.update('Observation', 'performed-by-example', {
      ...buildObservation('f001', { performer: [{ reference: 'Patient/example' }] }),
      id: 'performed-by-example',
    });
    await t.store.update('Provenance', 'prov-example', {
      resourceType: 'Provenance',
      id: 'prov-example',
      target: [{ reference: 'Patient/example' }],
      recorded: '2026-11-01T10:00:00Z',
      agent: [{ who: { reference: 'Practitioner/pr-in' } }],
    });
    auth.inTeam = (
      await bearerFor(t.db.database, { role: 'physician', resource: 'Practitioner/pr-in' })
    ).authorization;
    auth.outside = (
      await bearerFor(t.db.database, { role: 'physician', resource: 'Practitioner/pr-out' })
    ).authorization;
    auth.auditor = (await bearerFor(t.db.database, { role: 'auditor' })).authorization;
  }, 180_000);
  afterAll(async () => t?.close());

  const get = async (url: string, authorization?: string) =>
    t.app.inject({ url, ...(authorization ? { headers: { authorization } } : {}) });
  const bundle = async (url: string, authorization?: string) => {
    const response = await get(url, authorization);
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Bundle;
  };
  const ids = (b: Bundle, mode = 'match') =>
    (b.entry ?? [])
      .filter((e) => e.search?.mode === mode)
      .map((e) => `${e.resource!.resourceType}/${e.resource!.id}`);

  run(
    'finds, for every type of the R4 patient compartment, exactly what its compartment parameters link to the patient',
    async () => {
      const nonEmpty: string[] = [];
      for (const { type, params } of patientCompartment()) {
        // A patient's AuditEvents are the audit trail (tested below), not stored resources.
        if (type === 'AuditEvent') continue;
        const compartment = await get(`/fhir/Patient/example/${type}?_count=1000`);
        const byParam = await Promise.all(
          params.map((param) => get(`/fhir/${type}?${param}=Patient/example&_count=1000`)),
        );
        expect(compartment.statusCode, type).toBe(200);
        const expected = new Set(byParam.flatMap((r) => ids(r.json() as Bundle)));
        const found = ids(compartment.json() as Bundle);
        expect(found.sort(), type).toEqual([...expected].sort());
        if (found.length > 0) nonEmpty.push(type);
      }
      // The examples put Patient/example in many types' compartments: the comparison is not vacuous.
      expect(nonEmpty).toEqual(
        expect.arrayContaining(['Appointment', 'CarePlan', 'Condition', 'Encounter', 'Goal', 'Observation']),
      );
      // Provenance is clinical data the integration reads: its compartment parameter (patient = target)
      // links it to the patient.
      expect(ids((await get('/fhir/Patient/example/Provenance')).json() as Bundle)).toEqual([
        'Provenance/prov-example',
      ]);
    },
    120_000,
  );

  run(
    'answers the Observations of the R4 examples about Patient/example and the one it performed',
    async () => {
      const found = ids(await bundle('/fhir/Patient/example/Observation?_count=100'));
      expect(found.sort()).toEqual(
        [...exampleObservations.map((id) => `Observation/${id}`), 'Observation/performed-by-example'].sort(),
      );
    },
  );

  run('follows Patient.link and Group.member, the compartment parameters of Patient and Group', async () => {
    expect(ids(await bundle('/fhir/Patient/pat2/Patient'))).toEqual(['Patient/pat1']);
    expect(ids(await bundle('/fhir/Patient/pat1/Group'))).toEqual(['Group/102']);
  });

  run(
    "answers a request in fhir-kit-client's URL form: other parameters AND'd, _include repeated, encoded values",
    async () => {
      const query = kitQuery({
        code: 'http://loinc.org|85354-9',
        status: 'final',
        _include: ['Observation:subject', 'Observation:performer'],
      });
      expect(query).toBe(
        '_include=Observation%3Asubject&_include=Observation%3Aperformer&code=http%3A%2F%2Floinc.org%7C85354-9&status=final',
      );
      const b = await bundle(`/fhir/Patient/example/Observation?${query}`);
      // blood-pressure-cancel has the code too but is cancelled; f001's blood pressure is not example's.
      expect(ids(b).sort()).toEqual(['Observation/blood-pressure', 'Observation/blood-pressure-dar']);
      expect(b.total).toBe(2);
      expect(ids(b, 'include')).toContain('Patient/example');
      expect(b.link?.find((l) => l.relation === 'self')?.url).toBe(
        `${BASE}/Patient/example/Observation?_include=Observation%3Asubject&_include=Observation%3Aperformer&code=http%3A%2F%2Floinc.org%7C85354-9&status=final`,
      );
    },
  );

  run('POST Patient/{id}/{type}/_search with a form body answers as the GET does', async () => {
    const form = kitQuery({ code: 'http://loinc.org|85354-9', _count: '1' });
    const response = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient/example/Observation/_search',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form,
    });
    expect(response.statusCode).toBe(200);
    const b = response.json() as Bundle;
    expect(b.total).toBe(3);
    expect(ids(b)).toHaveLength(1);
    const next = b.link?.find((l) => l.relation === 'next')?.url;
    expect(next?.startsWith(`${BASE}/Patient/example/Observation?`)).toBe(true);
  });

  run(
    'pages through next links that stay in the compartment: each match once, total on every page, _total=none and _summary=count honoured',
    async () => {
      const walk = async (first: string) => {
        const seen: string[] = [];
        const totals: (number | undefined)[] = [];
        let url: string | undefined = first;
        while (url) {
          const b = await bundle(url);
          seen.push(...ids(b));
          totals.push(b.total);
          const next = b.link?.find((l) => l.relation === 'next')?.url;
          if (next) {
            expect(next.startsWith(`${BASE}/Patient/example/Observation?`)).toBe(true);
            const pairs = parseQueryString(new URL(next).search.slice(1));
            url = `/fhir/Patient/example/Observation?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
          } else url = undefined;
          if (totals.length > 20) throw new Error('the next links do not end');
        }
        return { seen, totals };
      };
      const all = exampleObservations.length + 1;
      const keyset = await walk('/fhir/Patient/example/Observation?_count=6');
      expect(keyset.totals).toEqual([all, all, all, all]);
      expect(keyset.seen).toHaveLength(all);
      expect(new Set(keyset.seen).size).toBe(all);

      const sorted = await walk('/fhir/Patient/example/Observation?_count=7&_sort=-date&_total=none');
      expect(sorted.totals.every((n) => n === undefined)).toBe(true);
      expect(new Set(sorted.seen).size).toBe(all);
      expect(sorted.seen).toHaveLength(all);

      const count = await bundle('/fhir/Patient/example/Observation?_summary=count');
      expect(count.total).toBe(all);
      expect(count.entry).toBeUndefined();
    },
  );

  run('_revinclude works inside the compartment', async () => {
    const b = await bundle('/fhir/Patient/example/Encounter?_id=example&_revinclude=Observation:encounter');
    expect(ids(b)).toEqual(['Encounter/example']);
    expect(ids(b, 'include')).toEqual(
      expect.arrayContaining(['Observation/abdo-tender', 'Observation/clinical-gender']),
    );
  });

  run(
    "a clinician outside the care team gets nothing of the patient's: 404 with the body of a missing patient",
    async () => {
      const hidden = await get('/fhir/Patient/example/Observation', auth.outside);
      const missing = await get('/fhir/Patient/nobody/Observation', auth.outside);
      expect(hidden.statusCode).toBe(404);
      expect(missing.statusCode).toBe(404);
      const diagnostics = (r: typeof hidden) => (r.json() as OperationOutcome).issue[0]?.diagnostics;
      expect(diagnostics(hidden)).toBe('Patient/example does not exist');
      expect(diagnostics(missing)).toBe('Patient/nobody does not exist');
      expect((await get('/fhir/Patient/example/Observation?_summary=count', auth.outside)).statusCode).toBe(
        404,
      );
      expect((await get('/fhir/Patient/example/Encounter', auth.outside)).statusCode).toBe(404);
    },
  );

  run(
    "a clinician on the care team sees the patient's compartment, but not another patient's record the patient performed",
    async () => {
      const found = ids(await bundle('/fhir/Patient/example/Observation?_count=100', auth.inTeam));
      expect(found.sort()).toEqual(exampleObservations.map((id) => `Observation/${id}`).sort());
      expect(found).not.toContain('Observation/performed-by-example');
    },
  );

  run('is audited as a search naming the compartment and the patient, a refusal as denied', async () => {
    const entries = async () =>
      (await t.db.database.db.selectFrom('audit_events').select('entry').orderBy('seq').execute()).map(
        (r) => JSON.parse(r.entry) as AuditEntry,
      );
    await bundle('/fhir/Patient/example/Condition?clinical-status=active', auth.inTeam);
    expect((await entries()).at(-1)).toMatchObject({
      action: 'search',
      outcome: 'success',
      actor: 'Practitioner/pr-in',
      patientIds: expect.arrayContaining(['example']),
      detail: 'Patient/example/Condition?clinical-status',
    });
    await get('/fhir/Patient/example/Condition', auth.outside);
    expect((await entries()).at(-1)).toMatchObject({
      action: 'search',
      outcome: 'denied',
      actor: 'Practitioner/pr-out',
    });
  });

  run(
    'a type outside the compartment answers 400 and an unknown type 404, each naming the type',
    async () => {
      const outside = await get('/fhir/Patient/example/Practitioner');
      expect(outside.statusCode).toBe(400);
      expect((outside.json() as OperationOutcome).issue[0]?.diagnostics).toContain(
        'Practitioner is not in the Patient compartment',
      );
      const unknown = await get('/fhir/Patient/example/Observatoin');
      expect(unknown.statusCode).toBe(404);
      expect((unknown.json() as OperationOutcome).issue[0]?.diagnostics).toContain('"Observatoin"');
      const otherCompartment = await get('/fhir/Encounter/example/Observation');
      expect(otherCompartment.statusCode).toBe(404);
      expect((await get('/fhir/Patient/example/*')).statusCode).toBe(400);
      // The paths beside it still answer as before.
      expect((await get('/fhir/Patient/example/_history')).statusCode).toBe(200);
      expect((await get('/fhir/Patient/example/$everything')).statusCode).toBe(200);
    },
  );

  run("Patient/{id}/AuditEvent is the patient's audit trail, for auditors only", async () => {
    const trail = await bundle('/fhir/Patient/example/AuditEvent', auth.auditor);
    expect(trail.entry?.length).toBeGreaterThan(0);
    expect((await get('/fhir/Patient/example/AuditEvent', auth.inTeam)).statusCode).toBe(403);
  });

  run('the CapabilityStatement offers the patient compartment', async () => {
    const statement = (await get('/fhir/metadata')).json() as CapabilityStatement;
    expect(statement.rest?.[0]?.compartment).toEqual(['http://hl7.org/fhir/CompartmentDefinition/patient']);
  });
});

/**
 * Property test: valid bodies that other systems send (the FHIR specification's examples, a Synthea
 * patient's records) and the project's own, mutated (types swapped, elements removed, nesting deepened,
 * numbers past 2^63, keys that reach a prototype), never answer 5xx on any write path. Every 4xx is an
 * OperationOutcome; a 400 or 422 names where the fault is; and a refused write changes nothing.
 * The seed is fixed and printed, so a failure replays: FC_SEED=<seed> to try another.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Bundle, BundleEntry, OperationOutcome, Resource } from 'fhir/r4.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildObservation, buildPatient } from '../../test/support/factories.js';
import { type Mutation, mutate, mutations } from '../../test/support/json-mutations.js';
import { openTestApp, type TestApp } from '../../test/support/test-app.js';
import { databaseTargets } from '../../test/support/test-databases.js';
import { toNumber } from '../platform/database.js';

const seed = Number(process.env.FC_SEED ?? 20_261_208);
const runs = Number(process.env.FC_RUNS ?? 60);
const fixtures = join(import.meta.dirname, '../../test/fixtures');
const readJson = <T>(path: string): T => JSON.parse(readFileSync(join(fixtures, path), 'utf8')) as T;

// A Synthea patient's first records (the patient, an encounter, its report and its scanned note),
// and the organizations and practitioners they name by identifier, from the same Synthea run.
const synthea = readJson<Bundle>(
  'synthea/patients/Duncan491_McDermott739_e83782f9-e104-2619-02e8-8e6125e9ba47.json',
);
const syntheaSample: Bundle = { ...synthea, entry: synthea.entry!.slice(0, 4) };
const syntheaShared = [
  ...readJson<Bundle>('synthea/hospitalInformation1633536936158.json').entry!,
  ...readJson<Bundle>('synthea/practitionerInformation1633536936158.json').entry!,
].filter((e) => JSON.stringify(syntheaSample).includes(identifierOf(e.resource)));

function identifierOf(resource: Resource | undefined): string {
  const identifier = (resource as { identifier?: { system?: string; value?: string }[] })?.identifier?.[0];
  return identifier
    ? `${resource!.resourceType}?identifier=${identifier.system}|${identifier.value}`
    : '\u0000';
}

const specTransaction = readJson<Bundle>('fhir-r4-examples/bundle-transaction.json');
const specResources = [
  'patient-example-f201-roel.json',
  'observation-example-bloodpressure.json',
  'careplan-example-GPVisit.json',
].map((f) => readJson<Resource>(`fhir-r4-examples/${f}`));

describe.each(databaseTargets)('malformed bodies never answer 5xx on $name', ({ name, available }) => {
  let t: TestApp;
  const patientId = 'prop-patient';
  beforeAll(async () => {
    if (!available) return;
    t = await openTestApp(name);
    console.log(`[malformed-bodies] fast-check seed ${seed} (${name}); FC_SEED=<n> to try another`);
    const shared = await send('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: syntheaShared.map((e) => ({ ...e, request: { method: 'POST', url: e.resource!.resourceType } })),
    });
    expect(shared.statusCode).toBe(200);
    const seeded = await send('PUT', `/fhir/Patient/${patientId}`, buildPatient({ id: patientId }));
    expect(seeded.statusCode).toBe(201);
  });
  afterAll(async () => t?.close());

  function send(
    method: 'POST' | 'PUT' | 'PATCH',
    url: string,
    body: unknown,
    contentType = 'application/fhir+json',
  ) {
    return t.app.inject({
      method,
      url,
      headers: { 'content-type': contentType },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  const versions = async () =>
    toNumber(
      (await sql<{ n: number }>`select count(*) as n from resource_versions`.execute(t.db.database.db))
        .rows[0]!.n,
    );

  /** The checks every answer passes: no 5xx; a 4xx is an OperationOutcome, naming a path when 400/422. */
  function expectClientOutcome(status: number, outcome: OperationOutcome | undefined, what: string): void {
    expect(status, what).toBeLessThan(500);
    if (status < 400) return;
    expect(outcome?.resourceType, what).toBe('OperationOutcome');
    if (status === 400 || status === 422)
      expect(
        outcome!.issue.some((i) => (i.expression?.length ?? 0) > 0),
        what,
      ).toBe(true);
  }

  /** Sends the mutated body; checks the answer, and that a refused write left the store as it was. */
  async function check(method: 'POST' | 'PUT' | 'PATCH', url: string, text: string, contentType?: string) {
    const before = await versions();
    const res = await send(method, url, text, contentType);
    const what = `${method} ${url} ${res.statusCode} ${res.body.slice(0, 400)}\nbody: ${text.slice(0, 400)}`;
    const body = res.body ? (JSON.parse(res.body) as Resource) : undefined;
    expectClientOutcome(res.statusCode, body as OperationOutcome, what);
    if (res.statusCode >= 400)
      expect(await versions(), `a refused write stored something: ${what}`).toBe(before);
    if (body?.resourceType === 'Bundle' && (body as Bundle).type === 'batch-response')
      for (const entry of (body as Bundle).entry ?? [])
        expectClientOutcome(
          Number(entry.response?.status),
          entry.response?.outcome as OperationOutcome,
          what,
        );
  }

  const run = (property: fc.IAsyncProperty<[number, Mutation[]]>) =>
    fc.assert(property, { seed, numRuns: runs });

  it.runIf(available)('POST /fhir with a transaction or batch Bundle', async () => {
    const factory: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:5b7e0000-0000-4000-8000-000000000001',
          resource: buildPatient(),
          request: { method: 'POST', url: 'Patient' },
        },
        {
          resource: buildObservation('x', {
            subject: { reference: 'urn:uuid:5b7e0000-0000-4000-8000-000000000001' },
          }),
          request: { method: 'POST', url: 'Observation' },
        },
        { request: { method: 'GET', url: `Patient?_id=${patientId}&_count=5` } },
      ] as BundleEntry[],
    };
    const starts = [syntheaSample, specTransaction, factory].flatMap((b) => [b, { ...b, type: 'batch' }]);
    // The starting points themselves answer without a 5xx (the Synthea sample and ours are stored).
    for (const b of starts) await check('POST', '/fhir', JSON.stringify(b));
    await run(
      fc.asyncProperty(fc.nat(starts.length - 1), mutations, (i, m) =>
        check('POST', '/fhir', mutate(starts[i], m)),
      ),
    );
  });

  it.runIf(available)('POST /fhir/{type} and PUT /fhir/{type}/{id}', async () => {
    const starts = [
      buildPatient(),
      buildObservation(patientId),
      ...specResources,
      syntheaSample.entry![3]!.resource!,
    ];
    await run(
      fc.asyncProperty(fc.nat(2 * starts.length - 1), mutations, async (i, m) => {
        const resource = starts[i % starts.length]!;
        const text = mutate(resource, m);
        if (i < starts.length) await check('POST', `/fhir/${resource.resourceType}`, text);
        else await check('PUT', `/fhir/${resource.resourceType}/prop-${i}`, text);
      }),
    );
  });

  it.runIf(available)('PATCH with JSON Patch and with FHIR Patch (Parameters)', async () => {
    const jsonPatch = [
      { op: 'replace', path: '/gender', value: 'female' },
      { op: 'add', path: '/name/-', value: { family: 'Okafor', given: ['Ada'] } },
      { op: 'test', path: '/id', value: patientId },
      { op: 'copy', from: '/name/0', path: '/name/-' },
    ];
    const fhirPatch = {
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'operation',
          part: [
            { name: 'type', valueCode: 'add' },
            { name: 'path', valueString: 'Patient' },
            { name: 'name', valueString: 'telecom' },
            {
              name: 'value',
              part: [
                { name: 'system', valueCode: 'phone' },
                { name: 'value', valueString: '555-0100' },
              ],
            },
          ],
        },
        {
          name: 'operation',
          part: [
            { name: 'type', valueCode: 'replace' },
            { name: 'path', valueString: 'Patient.name[0].family' },
            { name: 'value', valueString: 'Mensah' },
          ],
        },
      ],
    };
    await run(
      fc.asyncProperty(fc.nat(1), mutations, (i, m) =>
        i === 0
          ? check('PATCH', `/fhir/Patient/${patientId}`, mutate(jsonPatch, m), 'application/json-patch+json')
          : check('PATCH', `/fhir/Patient/${patientId}`, mutate(fhirPatch, m)),
      ),
    );
  });

  it.runIf(available)('POST /api/tasks (a workspace route with a JSON body)', async () => {
    const body = {
      patientId,
      title: 'Call after discharge',
      dueAt: '2026-12-02T17:00:00Z',
      priority: 'urgent',
    };
    await run(
      fc.asyncProperty(fc.nat(0), mutations, async (_, m) => {
        const text = mutate(body, m);
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/tasks',
          headers: { 'content-type': 'application/json' },
          payload: text,
        });
        const what = `${res.statusCode} ${res.body.slice(0, 300)}\nbody: ${text.slice(0, 300)}`;
        expect(res.statusCode, what).toBeLessThan(500);
        if (res.statusCode >= 400)
          expect(JSON.parse(res.body).error?.message, what).toEqual(expect.any(String));
      }),
    );
  });
});

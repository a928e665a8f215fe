/**
 * The compiled index extraction (index-rows.ts, fhirpath-compiler.ts) against the reference
 * (index-rows-reference.ts: @medplum/core's FHIRPath and converters): the same rows, in the same
 * order, for every resource of the fixtures (FHIR R4 examples, Synthea as sent and as stored,
 * questionnaires) and of a generated population, and for shapes the fixtures have few of.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { evalFhirPathTyped, parseFhirPath, toTypedValue } from '@medplum/core';
import type { Bundle, Condition, Observation, Patient, Provenance, Resource } from 'fhir/r4.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPatient } from '../../../test/support/factories.js';
import { storedResources, syntheaBundles } from '../../../test/support/synthea.js';
import { loadFhirDefinitions } from '../definitions.js';
import { fixtureCorpus, generatorCorpus } from '../validation/differential-corpus.js';
import { compileFhirPath } from './fhirpath-compiler.js';
import { expressionRoots, indexedParam, indexedParams, indexRows } from './index-rows.js';
import { referenceIndexRows } from './index-rows-reference.js';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';

beforeAll(() => loadFhirDefinitions());

let corpusEntries: { name: string; resource: Resource }[] | undefined;
/** The corpus, read once for the tests that need it. */
const entries = () => (corpusEntries ??= corpus());

/**
 * The whole corpus through both extractions is ~7 s of CPU (the reference is the slow half); on the
 * shared 2-core machine under load that can be minutes.
 */
const CORPUS_TIMEOUT_MS = 600_000;

/** Each resource, the entries of bundles and contained resources too (all are valid input to extraction). */
function withNested(resources: Resource[]): Resource[] {
  const out: Resource[] = [];
  const add = (r: Resource | undefined) => {
    if (!r?.resourceType) return;
    out.push(r);
    if (r.resourceType === 'Bundle') for (const e of (r as Bundle).entry ?? []) add(e.resource);
    for (const c of (r as { contained?: Resource[] }).contained ?? []) add(c);
  };
  for (const r of resources) add(r);
  return out;
}

function corpus(): { name: string; resource: Resource }[] {
  const fixtures = new URL('../../../test/fixtures/', import.meta.url);
  const list = [...fixtureCorpus(), ...generatorCorpus(10, 'index-rows')].map((e) => ({
    name: `${e.source} ${e.name}`,
    resource: e.resource as unknown as Resource,
  }));
  for (const f of readdirSync(new URL('questionnaires/', fixtures)))
    list.push({
      name: f,
      resource: JSON.parse(readFileSync(new URL(`questionnaires/${f}`, fixtures), 'utf8')),
    });
  for (const { file, bundle } of syntheaBundles().filter((b) => b.file.startsWith('patients')))
    for (const resource of storedResources(bundle))
      list.push({ name: `stored ${file} ${resource.resourceType}/${resource.id}`, resource });
  return list.flatMap(({ name, resource }) =>
    withNested([resource]).map((r, i) => ({ name: i ? `${name} > ${r.resourceType}` : name, resource: r })),
  );
}

/** The rows of both extractions, and the names of the tables where they differ. */
function compare(resource: Resource) {
  const compiled = indexRows(resource, 42);
  const reference = referenceIndexRows(resource, 42);
  const differing = Object.keys(reference).filter(
    (t) => !isDeepStrictEqual(compiled[t as keyof typeof compiled], reference[t as keyof typeof reference]),
  );
  return { compiled, reference, differing };
}

describe('compiled index extraction against @medplum/core FHIRPath', () => {
  it(
    'gives every fixture and generated resource exactly the reference rows, in order',
    () => {
      expect(entries().length).toBeGreaterThan(12_000);
      const failures: string[] = [];
      let rows = 0;
      for (const { name, resource } of entries()) {
        const { reference, differing } = compare(resource);
        for (const t of Object.values(reference)) rows += t.length;
        if (differing.length) failures.push(`${name}: ${differing.join(', ')}`);
      }
      expect(failures.slice(0, 20)).toEqual([]);
      expect(rows).toBeGreaterThan(150_000);
    },
    CORPUS_TIMEOUT_MS,
  );

  it(
    'compiles every R4 search expression the store indexes, and each gives the values @medplum/core does, present or not',
    () => {
      const failures: string[] = [];
      // Every 10th resource: each parameter is evaluated whether or not its elements are present.
      for (const { name, resource } of entries().filter((_, i) => i % 10 === 0)) {
        const root = [toTypedValue(resource)];
        for (const param of indexedParams(resource.resourceType)) {
          const compiled = compileFhirPath(param.expression);
          expect(compiled, `${resource.resourceType}.${param.code}`).toBeDefined();
          const outcome = (run: () => unknown) => {
            try {
              return { values: run() };
            } catch {
              return { failed: true };
            }
          };
          const expected = outcome(() => evalFhirPathTyped(param.expression, root));
          const actual = outcome(() => compiled!(root));
          if (!isDeepStrictEqual(actual, expected)) failures.push(`${name}: ${param.code}`);
        }
      }
      expect(failures.slice(0, 20)).toEqual([]);
    },
    CORPUS_TIMEOUT_MS,
  );
});

/** The value columns of a parameter's rows (compiled extraction), after checking they equal the reference's. */
function rowsOf(resource: Resource, param: string): unknown[][] {
  const { compiled, differing } = compare(resource);
  expect(differing).toEqual([]);
  return Object.values(compiled)
    .flat()
    .filter((r) => r.param === param)
    .map(({ resource_type: _t, rid: _r, param: _p, ...values }) => Object.values(values));
}

const observation = (overrides: Partial<Observation>): Observation => ({
  resourceType: 'Observation',
  id: 'o',
  status: 'final',
  code: { coding: [{ system: LOINC, code: '72166-2' }] },
  ...overrides,
});

describe('compiled index extraction on shapes the fixtures have few of', () => {
  it('reads a choice element only as the type an `as` names', () => {
    const concept = observation({
      valueCodeableConcept: { coding: [{ system: SNOMED, code: '8517006' }], text: 'Ex-smoker' },
    });
    expect(rowsOf(concept, 'value-concept')).toEqual([[SNOMED, '8517006']]);
    expect(rowsOf(concept, 'value-quantity')).toEqual([]);
    expect(rowsOf(concept, 'value-string')).toEqual([['ex-smoker', 'Ex-smoker']]);
    const period = observation({ valuePeriod: { start: '2026-01-01', end: '2026-01-31' } });
    expect(rowsOf(period, 'value-date')).toEqual([[Date.UTC(2026, 0, 1), Date.UTC(2026, 1, 1) - 1]]);
    const age: Condition = {
      resourceType: 'Condition',
      subject: { reference: 'Patient/p' },
      onsetAge: { value: 52, unit: 'a', system: UCUM, code: 'a' },
    };
    expect(rowsOf(age, 'onset-age')).toEqual([[52, 52, 52, UCUM, 'a']]);
    expect(rowsOf(age, 'onset-date')).toEqual([]);
    // Two variants (invalid, but extraction still agrees): the first in the definition's order wins.
    const both = observation({ valueString: 'high', valueQuantity: { value: 9, system: UCUM, code: '%' } });
    expect(rowsOf(both, 'value-quantity')).toEqual([[9, 9, 9, UCUM, '%']]);
    expect(rowsOf(both, 'value-string')).toEqual([]);
  });

  it.each([
    ['a relative reference', 'Patient/p1', [['Patient', 'p1', 'Patient/p1']]],
    [
      'a conditional reference',
      'Patient?identifier=urn:mrn|7',
      [[null, null, 'Patient?identifier=urn:mrn|7']],
    ],
    [
      'an absolute URL (resolve() takes its first segment as the type)',
      'http://other.example/fhir/Patient/p1',
      [],
    ],
    ['a contained resource', '#p1', []],
    ['a urn:uuid', 'urn:uuid:6c1a4e2e-8f0a-4c1e-9b8e-2f8d9a0b1c2d', []],
    ['a reference to a Group', 'Group/g1', []],
  ])('keeps `where(resolve() is Patient)` for %s as @medplum/core does', (_, reference, patientRows) => {
    const resource = observation({
      subject: { reference },
      contained: [{ resourceType: 'Patient', id: 'p1' }],
    });
    expect(rowsOf(resource, 'patient')).toEqual(patientRows);
    expect(rowsOf(resource, 'subject').map((r) => r[2])).toEqual([reference]);
  });

  it('resolves a logical reference (type and identifier) and indexes its identifier', () => {
    const resource = observation({
      subject: { type: 'Patient', identifier: { system: 'urn:mrn', value: '7' } },
    });
    expect(rowsOf(resource, 'patient')).toEqual([[null, null, 'identifier:urn:mrn|7']]);
  });

  it('indexes nothing for a parameter whose expression fails on the instance, and the others as usual', () => {
    // resolve() on a null array element throws in @medplum/core: `patient` is left out, `target` is not.
    const provenance = {
      resourceType: 'Provenance',
      target: [null, { reference: 'Patient/p1' }],
      recorded: '2026-11-30T12:00:00Z',
      agent: [{ who: { reference: 'Practitioner/dr' } }],
    } as unknown as Provenance;
    expect(rowsOf(provenance, 'patient')).toEqual([]);
    expect(rowsOf(provenance, 'target')).toEqual([['Patient', 'p1', 'Patient/p1']]);
  });

  it('walks arrays of arrays in document order and drops repeated values', () => {
    const patient = buildPatient({
      name: [
        { family: 'Rivera', given: ['Ana', 'Lucia'] },
        { family: 'Rivera', given: ['Ana', 'María'], extension: [{ url: 'urn:x', valueString: 'y' }] },
      ],
    });
    expect(rowsOf(patient, 'given').map((r) => r[1])).toEqual(['Ana', 'Lucia', 'María']);
    expect(rowsOf(patient, 'family').map((r) => r[1])).toEqual(['Rivera']);
    const claim = {
      resourceType: 'Claim',
      item: [1, 2].map((i) => ({
        sequence: i,
        encounter: [{ reference: 'Encounter/e1' }],
        detail: [{ sequence: 1, subDetail: [{ sequence: 1, udi: [{ reference: `Device/d${i}` }] }] }],
      })),
    } as unknown as Resource;
    expect(rowsOf(claim, 'encounter').map((r) => r[2])).toEqual(['Encounter/e1']);
    expect(rowsOf(claim, 'subdetail-udi').map((r) => r[2])).toEqual(['Device/d1', 'Device/d2']);
  });

  it('drops repeats among many values too (past the linear comparison)', () => {
    const identifier = Array.from({ length: 40 }, (_, i) => ({ system: 'urn:mrn', value: `M${i % 20}` }));
    expect(rowsOf(buildPatient({ identifier }), 'identifier')).toEqual(
      Array.from({ length: 20 }, (_, i) => ['urn:mrn', `M${i}`]),
    );
  });

  it('reads primitives with extensions (`_birthDate`) as @medplum/core does', () => {
    const absent = [
      { url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' },
    ];
    const extensionOnly = {
      ...buildPatient({ id: 'p' }),
      birthDate: undefined,
      _birthDate: { extension: absent },
    };
    expect(rowsOf(extensionOnly as Patient, 'birthdate')).toEqual([]);
    const both = { ...buildPatient({ id: 'p', birthDate: '1956-04' }), _birthDate: { extension: absent } };
    expect(rowsOf(both as Patient, 'birthdate')).toEqual([[Date.UTC(1956, 3, 1), Date.UTC(1956, 4, 1) - 1]]);
    const gender = { ...buildPatient({ id: 'p', gender: undefined }), _gender: { extension: absent } };
    expect(rowsOf(gender as Patient, 'gender')).toEqual([]);
    const given = {
      ...buildPatient({ id: 'p', name: [{ family: 'Rivera', given: ['Ana', null as unknown as string] }] }),
    };
    (given.name![0] as Record<string, unknown>)._given = [null, { extension: absent }];
    expect(compare(given).differing).toEqual([]);
  });

  it('indexes composites of an observation and its components', () => {
    const bp = observation({
      code: { coding: [{ system: LOINC, code: '85354-9' }] },
      valueQuantity: { value: 1, system: UCUM, code: '1' },
      component: [
        {
          code: { coding: [{ system: LOINC, code: '8480-6' }] },
          valueQuantity: { value: 150, system: UCUM, code: 'mm[Hg]' },
        },
        {
          code: { coding: [{ system: LOINC, code: '8462-4' }] },
          valueCodeableConcept: { coding: [{ system: SNOMED, code: '271650006' }] },
        },
      ],
    });
    expect(rowsOf(bp, 'combo-code-value-quantity')).toEqual([
      [LOINC, '85354-9', UCUM, '1', 1, 1],
      [LOINC, '8480-6', UCUM, 'mm[Hg]', 150, 150],
    ]);
    expect(rowsOf(bp, 'component-code-value-concept')).toEqual([
      [LOINC, '8462-4', SNOMED, '271650006', null, null],
    ]);
  });

  it('keeps the token rules: contact points in lower case, no display texts, no system of display texts', () => {
    const patient = buildPatient({
      telecom: [{ system: 'email', value: 'Ana.Rivera@Example.ORG' }],
      identifier: [{ type: { text: 'Medical record' }, system: 'urn:mrn', value: 'M1' }],
      maritalStatus: { coding: [{ system: 'urn:careloop:display-text', code: 'x' }], text: 'Married' },
    });
    expect(rowsOf(patient, 'email')).toEqual([['email', 'ana.rivera@example.org']]);
    expect(rowsOf(patient, 'identifier')).toEqual([['urn:mrn', 'M1']]);
  });

  it('indexes a Procedure as Synthea writes one (no Procedure in the fixtures)', () => {
    const procedure = {
      resourceType: 'Procedure',
      id: 'pr',
      status: 'completed',
      code: { coding: [{ system: SNOMED, code: '430193006', display: 'Medication Reconciliation' }] },
      subject: { reference: 'Patient/p1' },
      encounter: { reference: 'Encounter/e1' },
      performedPeriod: { start: '2026-03-02T10:00:00+01:00', end: '2026-03-02T10:15:00+01:00' },
      reasonReference: [{ reference: 'Condition/c1' }],
      location: { reference: 'Location/l1', display: 'Clinic' },
    } as Resource;
    expect(rowsOf(procedure, 'code')).toEqual([[SNOMED, '430193006']]);
    expect(rowsOf(procedure, 'patient').map((r) => r[2])).toEqual(['Patient/p1']);
    expect(rowsOf(procedure, 'date')).toEqual([
      [Date.UTC(2026, 2, 2, 9), Date.UTC(2026, 2, 2, 9, 15, 0, 999)],
    ]);
    expect(rowsOf(procedure, 'reason-reference').map((r) => r[2])).toEqual(['Condition/c1']);
  });

  it('indexes a Range open at one end as reaching without limit', () => {
    const risk = {
      resourceType: 'RiskAssessment',
      status: 'final',
      subject: { reference: 'Patient/p' },
      prediction: [{ probabilityRange: { low: { value: 12 } } }, { probabilityDecimal: 0.4 }],
    } as unknown as Resource;
    expect(rowsOf(risk, 'probability')).toEqual([
      [12, Number.MAX_VALUE],
      [0.4, 0.4],
    ]);
  });
});

describe('the FHIRPath compiler beyond what R4 search expressions use', () => {
  const bp = observation({
    subject: { reference: 'Patient/p1' },
    valueQuantity: { value: 120, system: UCUM, code: 'mm[Hg]' },
    component: [
      {
        code: { coding: [{ system: LOINC, code: '8480-6' }] },
        valueQuantity: { value: 150, unit: 'mm[Hg]' },
      },
      { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 95, unit: 'mm[Hg]' } },
    ],
  });

  it.each([
    'Observation.value.ofType(Quantity)',
    'Observation.component.first().code',
    'Observation.component[1].value',
    "Observation.status = 'final' or Observation.status = 'amended'",
    "Observation.component.exists(code.coding.code = '8480-6')",
    "Observation.component.code.coding.where(system = 'http://loinc.org' and code != '8480-6').code",
    'Observation.subject.resolve() is Patient',
    'Observation.component.value | Observation.value',
    '$this.id',
  ])('gives what @medplum/core gives for %s', (expression) => {
    const parsed = parseFhirPath(expression);
    const compiled = compileFhirPath(parsed);
    expect(compiled).toBeDefined();
    const root = [toTypedValue(bp)];
    const expected = evalFhirPathTyped(parsed, root);
    expect(expected.length).toBeGreaterThan(0);
    expect(compiled!(root)).toStrictEqual(expected);
  });

  it.each([
    'Observation.component.count()',
    '%resource.id',
    "Observation.code & 'x'",
    'Observation.value > 5',
  ])('leaves %s to @medplum/core', (expression) => {
    expect(compileFhirPath(parseFhirPath(expression))).toBeUndefined();
  });
});

describe('which elements a parameter reads', () => {
  it('skips a path parameter whose first element is absent, but not one joined by `and`', () => {
    const roots = (type: string, code: string) => expressionRoots(type, indexedParam(type, code)!.expression);
    expect(roots('Observation', 'patient')).toEqual(['subject']);
    expect(roots('Observation', 'combo-value-quantity')).toEqual(['value', 'component']);
    expect(roots('Patient', 'address-city')).toEqual(['address']);
    // Patient.deceased.exists() and Patient.deceased != false: false when deceased[x] is absent.
    expect(roots('Patient', 'deceased')).toBeUndefined();
  });

  it('indexes deceased as false for a patient without deceased[x], as R4 defines it', () => {
    expect(rowsOf(buildPatient({ id: 'alive' }), 'deceased')).toEqual([[null, 'false']]);
    expect(rowsOf(buildPatient({ id: 'alive', deceasedBoolean: false }), 'deceased')).toEqual([
      [null, 'false'],
    ]);
    expect(rowsOf(buildPatient({ id: 'dead', deceasedBoolean: true }), 'deceased')).toEqual([[null, 'true']]);
    expect(rowsOf(buildPatient({ id: 'dead', deceasedDateTime: '2026-02-01' }), 'deceased')).toEqual([
      [null, 'true'],
    ]);
  });
});

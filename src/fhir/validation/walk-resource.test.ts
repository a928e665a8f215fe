import { getAllDataTypes } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { isPrimitiveType, typePlan } from './element-plans.js';
import { isKnownPrimitive } from './primitives.js';
import { type ValidationIssue, validateFhirResource } from './validate-resource.js';
import { buildObservation, buildPatient } from './validation-factories.js';

type Loose = Record<string, unknown>;

/** The error issues, reduced to [expression, code], sorted. */
function errors(resource: unknown): [string, ValidationIssue['code']][] {
  return validateFhirResource(resource)
    .filter((i) => i.severity === 'error')
    .map((i): [string, ValidationIssue['code']] => [i.expression, i.code])
    .sort();
}

const patient = (extra: Loose) => ({ ...buildPatient(), ...extra }) as Loose;

describe('walk: what FHIR JSON forbids and @medplum/core lets through (see documented-differences.ts)', () => {
  it('rejects empty arrays and empty objects, and names what an empty object lacks', () => {
    expect(errors(patient({ name: [] }))).toEqual([['Patient.name', 'structure']]);
    expect(errors(patient({ maritalStatus: {} }))).toEqual([['Patient.maritalStatus', 'structure']]);
    expect(errors(patient({ link: [{}] }))).toEqual([
      ['Patient.link[0]', 'structure'],
      ['Patient.link[0].other', 'required'],
      ['Patient.link[0].type', 'required'],
    ]);
  });

  it('rejects an object given for a primitive and a primitive given for an object', () => {
    expect(errors(patient({ active: { extension: [] } }))).toEqual([['Patient.active', 'structure']]);
    expect(errors({ ...buildObservation(), code: 5 })).toEqual([['Observation.code', 'structure']]);
    expect(errors(patient({ name: [['Ada']] }))).toEqual([['Patient.name[0]', 'structure']]);
  });

  it('takes `_key` companions for primitives only, as objects (or arrays aligned with repeating values)', () => {
    expect(errors(patient({ _name: [{ id: 'n' }] }))).toEqual([['Patient._name', 'structure']]);
    expect(errors(patient({ _birthDate: 'x' }))).toEqual([['Patient._birthDate', 'structure']]);
    expect(errors(patient({ name: [{ given: ['A'], _given: { id: 'g' } }] }))).toEqual([
      ['Patient.name[0]._given', 'structure'],
    ]);
  });
});

describe('walk: primitive extensions and nulls', () => {
  const ext = [{ url: 'http://example.org/e', valueString: 'x' }];

  it('accepts `_key` companions, and nulls that align a primitive array with its companion', () => {
    expect(errors(patient({ _birthDate: { id: 'b', extension: ext } }))).toEqual([]);
    const name = { family: 'X', given: ['A', null], _given: [null, { extension: ext }] };
    expect(errors(patient({ name: [name] }))).toEqual([]);
  });

  it('locates issues inside a companion at the primitive, as FHIRPath does', () => {
    const bad = patient({ _birthDate: { extension: [{ valueString: 'x' }] } });
    expect(errors(bad)).toEqual([['Patient.birthDate.extension[0].url', 'required']]);
    const name = { given: ['A', 'B'], _given: [null, { extension: [{ url: 'u' }] }] };
    expect(errors(patient({ name: [name] }))).toEqual([
      ['Patient.name[0].given[1].extension[0]', 'invariant'],
    ]);
  });

  it('rejects other nulls, wherever they are', () => {
    expect(errors(patient({ name: [{ given: ['A', null] }] }))).toEqual([
      ['Patient.name[0].given[1]', 'structure'],
    ]);
    expect(errors(patient({ gender: null }))).toEqual([['Patient.gender', 'structure']]);
    expect(errors(patient({ foo: { bar: [null] } }))).toEqual([
      ['Patient.foo', 'structure'],
      ['Patient.foo.bar[0]', 'structure'],
    ]);
  });
});

describe('walk: primitive types and cardinality', () => {
  it('checks integer ranges and JSON number types', () => {
    const patientWith = (multipleBirthInteger: unknown) => patient({ multipleBirthInteger });
    expect(errors(patientWith(0))).toEqual([]);
    expect(errors(patientWith(1.5))).toEqual([['Patient.multipleBirthInteger', 'value']]);
    expect(errors(patientWith('2'))).toEqual([['Patient.multipleBirthInteger', 'structure']]);
    const timing = (repeat: Loose) => ({
      ...buildObservation(),
      effectiveDateTime: undefined,
      effectiveTiming: { repeat },
    });
    expect(errors(timing({ frequency: 0 }))).toEqual([
      ['Observation.effectiveTiming.repeat.frequency', 'value'],
    ]);
    expect(errors(timing({ count: 0 }))).toEqual([['Observation.effectiveTiming.repeat.count', 'value']]);
    expect(errors(timing({ offset: -1, when: ['MORN'] }))).toEqual([
      ['Observation.effectiveTiming.repeat.offset', 'value'],
    ]);
  });

  it('still checks a value given with the wrong cardinality, item by item', () => {
    const observation = { ...buildObservation(), subject: [{ reference: 'Patient/1', foo: 1 }] };
    expect(errors(observation)).toEqual([
      ['Observation.subject', 'structure'],
      ['Observation.subject[0].foo', 'structure'],
    ]);
  });

  it('takes keys whose value is undefined (not JSON, but built in code) for absent', () => {
    expect(errors(patient({ gender: undefined, name: [{ family: 'X', given: undefined }] }))).toEqual([]);
    expect(errors({ ...buildObservation(), status: undefined })).toEqual([
      ['Observation.status', 'required'],
    ]);
  });

  it('warns when a reference points to a type the element does not allow', () => {
    const issues = validateFhirResource({ ...buildObservation(), subject: { reference: 'Medication/m1' } });
    expect(issues).toMatchObject([
      { severity: 'warning', code: 'structure', expression: 'Observation.subject' },
    ]);
    const bundleStyle = {
      ...buildObservation(),
      subject: { reference: 'urn:uuid:0b4e7a1c-6d2f-4a3e-8c9b-1e2f3a4b5c6d' },
    };
    expect(validateFhirResource(bundleStyle)).toEqual([]);
  });

  it('knows the JSON type of every primitive type in the R4 definitions', () => {
    typePlan('Patient');
    const codes = new Set<string>();
    for (const schema of Object.values(getAllDataTypes())) {
      for (const element of Object.values(schema.elements)) {
        for (const t of element.type) if (isPrimitiveType(t.code)) codes.add(t.code);
      }
    }
    expect(codes.size).toBeGreaterThan(18);
    expect([...codes].filter((c) => !isKnownPrimitive(c))).toEqual([]);
  });
});

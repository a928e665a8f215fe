import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  uncheckableRequiredBindings,
  type ValidationIssue,
  validateFhirResource,
} from './validate-resource.js';
import {
  buildCarePlan,
  buildCondition,
  buildEncounter,
  buildObservation,
  buildPatient,
  buildTask,
  buildTransactionBundle,
} from './validation-factories.js';

/** The issues reported at one location, reduced to what a client acts on. */
function at(issues: ValidationIssue[], expression: string): { code: string; severity: string }[] {
  return issues.filter((i) => i.expression === expression).map(({ code, severity }) => ({ code, severity }));
}

/** Validates `resource` and expects exactly one issue: an error of `code` at `expression`. */
function expectSingleError(
  resource: unknown,
  expression: string,
  code: ValidationIssue['code'],
): ValidationIssue {
  const issues = validateFhirResource(resource);
  expect(issues, JSON.stringify(issues, null, 2)).toHaveLength(1);
  expect(issues[0]).toMatchObject({ severity: 'error', code, expression });
  expect(issues[0].diagnostics.length).toBeGreaterThan(10);
  return issues[0];
}

describe('validateFhirResource: valid resources', () => {
  it.each([
    ['Patient with contact, telecom, address and US Core extensions', buildPatient()],
    ['Observation with two components', buildObservation()],
    ['Encounter', buildEncounter()],
    ['Condition with coded clinical and verification status', buildCondition()],
    ['Task', buildTask()],
    ['CarePlan with a scheduled activity', buildCarePlan()],
    ['transaction Bundle with urn:uuid references', buildTransactionBundle()],
  ])('accepts a %s', (_name, resource) => {
    expect(validateFhirResource(resource)).toEqual([]);
  });

  it('accepts "pager", which the R4 contact-point-system value set does contain', () => {
    const patient = buildPatient();
    patient.telecom = [{ system: 'pager', value: '555-0199' }];
    expect(validateFhirResource(patient)).toEqual([]);
  });

  it('accepts any code where the required value set cannot be expanded locally (mime types)', () => {
    const patient = {
      ...buildPatient(),
      photo: [{ contentType: 'image/x-made-up', url: 'http://x.org/p.png' }],
    };
    expect(validateFhirResource(patient)).toEqual([]);
  });
});

describe('validateFhirResource: basic shape', () => {
  it.each([
    ['null', null],
    ['an array', [buildPatient()]],
    ['a string', 'Patient'],
    ['a number', 42],
    ['undefined', undefined],
  ])('rejects %s with one issue naming resourceType', (_name, input) => {
    expectSingleError(input, 'resourceType', 'structure');
  });

  it('rejects an object without resourceType', () => {
    const { resourceType: _rt, ...rest } = buildPatient();
    expectSingleError(rest, 'resourceType', 'required');
  });

  it('rejects an unknown resourceType, and abstract and non-R4 ones', () => {
    for (const resourceType of ['Bogus', 'Resource', 'DomainResource', 'patient', 'Bot', 7]) {
      const issue = expectSingleError({ resourceType }, 'resourceType', 'value');
      expect(issue.diagnostics).toContain(JSON.stringify(resourceType));
    }
  });
});

describe('validateFhirResource: structure, types, cardinality and invariants', () => {
  it('rejects an unknown element', () => {
    const issue = expectSingleError({ ...buildPatient(), foo: 'bar' }, 'Patient.foo', 'structure');
    expect(issue.diagnostics).toContain('unknown element "foo"');
  });

  it('rejects a string where a boolean is expected', () => {
    const issue = expectSingleError({ ...buildPatient(), active: 'yes' }, 'Patient.active', 'structure');
    expect(issue.diagnostics).toContain('boolean');
  });

  it('rejects an Observation without status, naming Observation.status', () => {
    const { status: _s, ...observation } = buildObservation();
    expectSingleError(observation, 'Observation.status', 'required');
  });

  it('rejects a Task without intent', () => {
    const { intent: _i, ...task } = buildTask();
    expectSingleError(task, 'Task.intent', 'required');
  });

  it('rejects a missing required element inside a BackboneElement, with its index', () => {
    const observation = buildObservation();
    delete (observation.component![1] as { code?: unknown }).code;
    expectSingleError(observation, 'Observation.component[1].code', 'required');
  });

  it('rejects an array for a single-valued element (Observation.subject)', () => {
    const observation = { ...buildObservation(), subject: [{ reference: 'Patient/p1' }] };
    const issue = expectSingleError(observation, 'Observation.subject', 'structure');
    expect(issue.diagnostics).toContain('maximum cardinality 1');
  });

  it('rejects a single object for a repeating element (Patient.name)', () => {
    expectSingleError({ ...buildPatient(), name: { family: 'X' } }, 'Patient.name', 'structure');
  });

  it('rejects badly formatted primitives: date, instant, versionId', () => {
    const patient = buildPatient();
    patient.birthDate = '1948-13-40';
    patient.meta = { versionId: 'v 1', lastUpdated: 'yesterday' };
    const issues = validateFhirResource(patient);
    expect(at(issues, 'Patient.birthDate')).toEqual([{ code: 'value', severity: 'error' }]);
    expect(at(issues, 'Patient.meta.versionId')).toEqual([{ code: 'value', severity: 'error' }]);
    expect(at(issues, 'Patient.meta.lastUpdated')).toEqual([{ code: 'value', severity: 'error' }]);
  });

  it('rejects a failed FHIRPath invariant (pat-1: a contact needs details)', () => {
    const patient = buildPatient();
    patient.contact = [{ gender: 'male' }];
    const issue = expectSingleError(patient, 'Patient.contact[0]', 'invariant');
    expect(issue.diagnostics).toContain('pat-1');
  });

  it('checks extensions: url is required and value[x] must be a known type', () => {
    const patient = {
      ...buildPatient(),
      extension: [{ valueString: 'x' }, { url: 'http://x.org/e', valueFoo: 1 }],
    };
    const issues = validateFhirResource(patient);
    expect(at(issues, 'Patient.extension[0].url')).toEqual([{ code: 'required', severity: 'error' }]);
    expect(at(issues, 'Patient.extension[1].valueFoo')).toEqual([{ code: 'structure', severity: 'error' }]);
  });

  it('validates contained resources and resources inside a Bundle', () => {
    const patient = {
      ...buildPatient(),
      contained: [{ resourceType: 'Practitioner', id: 'pr', active: 'no' }],
    };
    expectSingleError(patient, 'Patient.contained[0].active', 'structure');
    const bundle = buildTransactionBundle();
    (bundle.entry![0].resource as unknown as Record<string, unknown>).foo = 1;
    expectSingleError(bundle, 'Bundle.entry[0].resource.foo', 'structure');
  });

  it('names the concrete choice variant (valueQuantity, not value[x]) in paths', () => {
    const observation = buildObservation();
    (observation.component![0].valueQuantity as Record<string, unknown>).value = '128';
    expectSingleError(observation, 'Observation.component[0].valueQuantity.value', 'structure');
  });

  it('reports every problem in one pass, not only the first', () => {
    const patient = { ...buildPatient(), foo: 1, active: 'yes', birthDate: 'x', gender: 'bogus' };
    const expressions = validateFhirResource(patient).map((i) => i.expression);
    expect(expressions.sort()).toEqual([
      'Patient.active',
      'Patient.birthDate',
      'Patient.foo',
      'Patient.gender',
    ]);
  });
});

describe('validateFhirResource: checks @medplum/core leaves out (also in the old gap walk)', () => {
  it('rejects a resource id with invalid characters (R4 types Resource.id as a plain string)', () => {
    expectSingleError({ ...buildPatient(), id: 'patient_1 x' }, 'Patient.id', 'value');
    const bundle = buildTransactionBundle();
    bundle.entry![1].resource!.id = 'a/b';
    expectSingleError(bundle, 'Bundle.entry[1].resource.id', 'value');
  });

  it('rejects a contained resource without or with an unknown resourceType', () => {
    expectSingleError(
      { ...buildPatient(), contained: [{ id: 'x' }] },
      'Patient.contained[0].resourceType',
      'required',
    );
    const unknown = { ...buildPatient(), contained: [{ resourceType: 'Bogus', id: 'x' }] };
    expectSingleError(unknown, 'Patient.contained[0].resourceType', 'value');
  });

  it('rejects two variants of one choice element', () => {
    const patient = { ...buildPatient(), deceasedBoolean: true, deceasedDateTime: '2020-01-01' };
    expectSingleError(patient, 'Patient.deceasedDateTime', 'structure');
  });

  it('rejects empty strings, which @medplum/core would treat as absent', () => {
    expectSingleError({ ...buildPatient(), birthDate: '' }, 'Patient.birthDate', 'value');
  });

  it('rejects resourceType inside a datatype', () => {
    const patient = buildPatient();
    patient.name = [{ resourceType: 'HumanName', family: 'X' } as never];
    expectSingleError(patient, 'Patient.name[0].resourceType', 'structure');
  });
});

describe('validateFhirResource: required code bindings', () => {
  it('rejects Patient.gender "bogus" and lists the allowed codes', () => {
    const issue = expectSingleError({ ...buildPatient(), gender: 'bogus' }, 'Patient.gender', 'code-invalid');
    expect(issue.diagnostics).toBe(
      '"bogus" is not a code in the required value set http://hl7.org/fhir/ValueSet/administrative-gender' +
        ' (allowed: male, female, other, unknown)',
    );
  });

  it('rejects Task.status "done" (the R4 code is "completed")', () => {
    const issue = expectSingleError({ ...buildTask(), status: 'done' }, 'Task.status', 'code-invalid');
    expect(issue.diagnostics).toContain('completed');
  });

  it('rejects Observation.status "finalized" while its valid components pass', () => {
    expectSingleError({ ...buildObservation(), status: 'finalized' }, 'Observation.status', 'code-invalid');
  });

  it('rejects Encounter.status "admitted"', () => {
    expectSingleError({ ...buildEncounter(), status: 'admitted' }, 'Encounter.status', 'code-invalid');
  });

  it('checks bindings in nested datatypes at their exact path', () => {
    // biome-ignore lint/suspicious/noExplicitAny: terse mutations of a known-good fixture
    const cases: [(p: Record<string, any>) => void, string][] = [
      [(p) => (p.telecom[1].system = 'beeper'), 'Patient.telecom[1].system'],
      [(p) => (p.telecom[0].use = 'cell'), 'Patient.telecom[0].use'],
      [(p) => (p.contact[0].gender = 'M'), 'Patient.contact[0].gender'],
      [(p) => (p.identifier[0].use = 'primary'), 'Patient.identifier[0].use'],
      [(p) => (p.name[0].use = 'legal'), 'Patient.name[0].use'],
      [(p) => (p.address[0].use = 'residence'), 'Patient.address[0].use'],
      [(p) => (p.text.status = 'done'), 'Patient.text.status'],
      [(p) => (p.contact[0].telecom[0].system = 'fax2'), 'Patient.contact[0].telecom[0].system'],
    ];
    for (const [mutate, expression] of cases) {
      // biome-ignore lint/suspicious/noExplicitAny: as above
      const patient = buildPatient() as unknown as Record<string, any>;
      mutate(patient);
      expectSingleError(patient, expression, 'code-invalid');
    }
  });

  it('checks bindings inside choice variants and extensions', () => {
    const observation = buildObservation();
    observation.component![1].valueQuantity!.comparator = '~' as never;
    expectSingleError(observation, 'Observation.component[1].valueQuantity.comparator', 'code-invalid');
    const patient = {
      ...buildPatient(),
      extension: [{ url: 'http://x.org/e', valueContactPoint: { system: 'pigeon' } }],
    };
    expectSingleError(patient, 'Patient.extension[0].valueContactPoint.system', 'code-invalid');
  });

  it('checks bindings deep in BackboneElements and inside Bundle entries', () => {
    const carePlan = buildCarePlan();
    carePlan.activity![0].detail!.status = 'planned' as never;
    (carePlan.activity![0].detail!.scheduledTiming!.repeat as Record<string, unknown>).periodUnit = 'month';
    const issues = validateFhirResource(carePlan);
    expect(at(issues, 'CarePlan.activity[0].detail.status')).toEqual([
      { code: 'code-invalid', severity: 'error' },
    ]);
    const unit = 'CarePlan.activity[0].detail.scheduledTiming.repeat.periodUnit';
    expect(at(issues, unit)).toEqual([{ code: 'code-invalid', severity: 'error' }]);
    expect(issues).toHaveLength(2);

    const bundle = buildTransactionBundle();
    bundle.entry![0].request!.method = 'PUSH' as never;
    expectSingleError(bundle, 'Bundle.entry[0].request.method', 'code-invalid');
  });

  it('rejects a CodeableConcept whose coding has a wrong code of the bound system', () => {
    const condition = buildCondition();
    condition.clinicalStatus!.coding![0].code = 'activ';
    const issue = expectSingleError(condition, 'Condition.clinicalStatus.coding[0].code', 'code-invalid');
    expect(issue.diagnostics).toContain('condition-clinical');
  });

  it('rejects a CodeableConcept coded only in a system outside the value set', () => {
    const condition = buildCondition();
    condition.clinicalStatus = { coding: [{ system: 'http://snomed.info/sct', code: '55561003' }] };
    expectSingleError(condition, 'Condition.clinicalStatus.coding[0].system', 'code-invalid');
  });

  it('rejects a text-only CodeableConcept: a required binding needs a coding from the set', () => {
    const condition = { ...buildCondition(), verificationStatus: { text: 'confirmed' } };
    expectSingleError(condition, 'Condition.verificationStatus', 'code-invalid');
  });

  it('accepts a CodeableConcept when one of several codings is from the set', () => {
    const condition = buildCondition();
    condition.clinicalStatus!.coding!.unshift({ system: 'http://snomed.info/sct', code: '55561003' });
    expect(validateFhirResource(condition)).toEqual([]);
  });

  it('lists the required bindings it cannot check, with the reason', () => {
    const skipped = uncheckableRequiredBindings();
    expect(skipped).toContain(
      'Attachment.contentType -> http://hl7.org/fhir/ValueSet/mimetypes: code system urn:ietf:bcp:13 is not available locally',
    );
    expect(
      skipped.some((s) => s.startsWith('Money.currency -> http://hl7.org/fhir/ValueSet/currencies')),
    ).toBe(true);
    expect(skipped.some((s) => s.startsWith('Patient.gender') || s.startsWith('Task.status'))).toBe(false);
    expect(skipped.length).toBeLessThan(25);
  });
});

describe('validateFhirResource: robustness', () => {
  it('returns an issue instead of throwing for a cyclic object', () => {
    const patient: Record<string, unknown> = { resourceType: 'Patient' };
    patient.contained = [patient];
    expect(() => validateFhirResource(patient)).not.toThrow();
    expect(validateFhirResource(patient).length).toBeGreaterThan(0);
  });
});

describe('validateFhirResource: size of primitive values (R4 datatypes)', () => {
  // Random bytes, so the base64 uses the whole alphabet; 3 MB of data is 4 MB of base64.
  const scan = randomBytes(3 * 1024 * 1024).toString('base64');
  const documentWith = (data: string) => ({
    resourceType: 'DocumentReference',
    status: 'current',
    content: [{ attachment: { contentType: 'application/pdf', data } }],
  });

  it('accepts base64Binary over 1 MB (a scanned document): only strings are limited to 1 MB', () => {
    expect(validateFhirResource(documentWith(scan))).toEqual([]);
    expect(
      validateFhirResource({ resourceType: 'Binary', contentType: 'application/pdf', data: scan }),
    ).toEqual([]);
  });

  it('still refuses malformed base64Binary of any size, naming the element', () => {
    for (const data of [`${scan}!`, `${scan.slice(0, -4)}=abc`, scan.slice(0, -1), 'ab=c', 'a===']) {
      const issue = expectSingleError(
        documentWith(data),
        'DocumentReference.content[0].attachment.data',
        'value',
      );
      expect(issue.diagnostics).toMatch(/base64/);
    }
  });

  it('refuses string, markdown and code values over 1 MB, the types the limit is for', () => {
    const long = 'a'.repeat(1024 * 1024 + 1);
    for (const [resource, expression] of [
      [{ ...documentWith(scan), description: long }, 'DocumentReference.description'],
      [
        {
          resourceType: 'CarePlan',
          status: 'active',
          intent: 'plan',
          subject: { reference: 'Patient/1' },
          note: [{ text: long }],
        },
        'CarePlan.note[0].text',
      ],
      [
        { ...documentWith(scan), content: [{ attachment: { contentType: long } }] },
        'DocumentReference.content[0].attachment.contentType',
      ],
    ] as const) {
      expect(expectSingleError(resource, expression, 'value').diagnostics).toMatch(/limited to 1 MB/);
    }
    expect(validateFhirResource({ ...documentWith(scan), description: long.slice(1) })).toEqual([]);
  });
});

// The FHIR R4 specification's own examples, copied into test/fixtures (see test/fixtures/SOURCES.md).
const examplesDir = fileURLToPath(new URL('../../../test/fixtures/fhir-r4-examples', import.meta.url));

describe('validateFhirResource: FHIR R4 specification examples', () => {
  it('accepts every example in test/fixtures/fhir-r4-examples', () => {
    const files = readdirSync(examplesDir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBe(321);
    const failures: Record<string, ValidationIssue[]> = {};
    for (const file of files.sort()) {
      const resource = JSON.parse(readFileSync(join(examplesDir, file), 'utf8'));
      const errors = validateFhirResource(resource).filter((i) => i.severity === 'error');
      if (errors.length > 0) failures[file] = errors;
    }
    expect(failures).toEqual({});
  });
});

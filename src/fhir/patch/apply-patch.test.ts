import { readFileSync } from 'node:fs';
import type { Observation, Parameters, ParametersParameter, Patient } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { applyFhirPatch, applyJsonPatch, PatchError } from './apply-patch.js';

// Copies of FHIR/fhir-test-cases r4/patch (see test/fixtures/fhir-patch-tests/SOURCES.md).
const fixtures = new URL('../../../test/fixtures/fhir-patch-tests/', import.meta.url);
const readFixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, fixtures), 'utf8')) as T;

interface JsonPatchCase {
  comment: string;
  doc: object;
  patch: unknown;
  expected?: object;
  error?: string;
}

interface FhirPatchCase {
  name: string;
  /** 'both' or 'forwards': whether a diff tool could also derive the patch; irrelevant to applying it. */
  mode: string;
  input: Patient;
  patch: Parameters;
  output?: Patient;
  error?: string;
}

const jsonPatchCases = readFixture<JsonPatchCase[]>('json-patch-tests.json');
const fhirPatchCases = readFixture<FhirPatchCase[]>('fhir-patch-tests.json');

/** Freezes a copy of `value` all the way down, so any mutation by the code under test throws. */
function frozen<T>(value: T): T {
  const copy = structuredClone(value);
  const freeze = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    Object.freeze(v);
    for (const child of Object.values(v)) freeze(child);
  };
  freeze(copy);
  return copy;
}

/** Runs `apply` on a frozen input and checks the outcome against a fixture's expectation. */
function expectOutcome(apply: () => object, expected: object | undefined, error: string | undefined): void {
  if (error !== undefined) {
    expect(apply).toThrow(PatchError);
    return;
  }
  // Whole resources are compared, text.div and meta included: no case needs an exclusion. Key order is
  // not significant to toStrictEqual.
  expect(apply()).toStrictEqual(expected);
}

describe('JSON Patch fixtures (json-patch-tests.json)', () => {
  it('are all present', () => {
    expect(jsonPatchCases).toHaveLength(16);
  });

  for (const testCase of jsonPatchCases) {
    it(testCase.comment, () => {
      const doc = frozen(testCase.doc);
      expectOutcome(() => applyJsonPatch(doc, testCase.patch), testCase.expected, testCase.error);
    });
  }
});

describe('FHIR Patch fixtures (fhir-patch-tests.json)', () => {
  it('are all present', () => {
    expect(fhirPatchCases).toHaveLength(33);
    expect(fhirPatchCases.filter((c) => c.error !== undefined)).toHaveLength(1);
  });

  for (const testCase of fhirPatchCases) {
    it(`${testCase.name} (${testCase.mode})`, () => {
      const input = frozen(testCase.input);
      expectOutcome(() => applyFhirPatch(input, testCase.patch), testCase.output, testCase.error);
    });
  }
});

describe('applyJsonPatch', () => {
  it('never mutates the input, and the result shares nothing with the patch', () => {
    const doc: { foo: string[]; baz?: { deep: number[] } } = { foo: ['bar'] };
    const before = structuredClone(doc);
    const operations = [{ op: 'add', path: '/baz', value: { deep: [1] } }];
    const result = applyJsonPatch(doc, operations);
    expect(doc).toStrictEqual(before);
    result.baz!.deep.push(2);
    expect(operations[0].value).toStrictEqual({ deep: [1] });
  });

  it('names the index and path of a failing test operation', () => {
    const operations = [
      { op: 'test', path: '/foo', value: 'bar' },
      { op: 'test', path: '/baz', value: 'qux' },
    ];
    const error = catchPatchError(() => applyJsonPatch({ foo: 'bar', baz: 'nope' }, operations));
    expect(error.message).toMatch(/operation 1 \(test \/baz\)/);
    expect(error.message).toContain('TEST_OPERATION_FAILED');
    expect(error.expression).toBe('/baz');
  });

  it('rejects a malformed operation before applying any', () => {
    const operations = [
      { op: 'add', path: '/a', value: 1 },
      { op: 'frobnicate', path: '/b' },
    ];
    const error = catchPatchError(() => applyJsonPatch({}, operations));
    expect(error.message).toMatch(/operation 1 .*OPERATION_OP_INVALID/);
  });

  it('rejects a patch that is not an array', () => {
    expect(() => applyJsonPatch({}, { op: 'add' })).toThrow(PatchError);
  });

  it('names the operation, or its member, of a malformed operation whose pointer cannot name it', () => {
    expect(catchPatchError(() => applyJsonPatch({}, [null]))).toMatchObject({
      malformed: true,
      expression: 'operation[0]',
    });
    expect(catchPatchError(() => applyJsonPatch({}, [{ op: 'add', path: 5, value: 1 }]))).toMatchObject({
      malformed: true,
      expression: 'operation[0].path',
    });
    expect(catchPatchError(() => applyJsonPatch({}, [{ op: 'add', path: '/a' }]))).toMatchObject({
      malformed: true,
      expression: 'operation[0].value',
    });
  });

  it('marks shape faults as a malformed patch (400) and faults of fit as not (422)', () => {
    expect(catchPatchError(() => applyJsonPatch({}, [{ op: 'frobnicate', path: '/b' }])).malformed).toBe(
      true,
    );
    expect(catchPatchError(() => applyJsonPatch({}, [{ op: 'remove', path: '/b' }])).malformed).toBe(false);
  });

  it.each(['/__proto__/polluted', '/name/0/__proto__', '/constructor/prototype/polluted', '/prototype'])(
    'refuses a pointer through a prototype (%s) as a malformed patch, changing no object',
    (path) => {
      for (const op of [
        { op: 'add', path, value: 'yes' },
        { op: 'copy', from: path, path: '/gender' },
      ]) {
        const error = catchPatchError(() => applyJsonPatch({ name: [{ family: 'Lee' }] }, [op]));
        expect(error.malformed).toBe(true);
        expect(error.expression).toBe(path);
        expect(error.message).toMatch(/patches may not name it/);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );
});

describe('applyFhirPatch', () => {
  const patient: Patient = {
    resourceType: 'Patient',
    id: 'p1',
    identifier: [
      { system: 'http://x', value: '1' },
      { system: 'http://y', value: '2' },
    ],
    // FHIR JSON pads `_given` with null where an item has no id/extensions; @types/fhir does not model that.
    name: [{ family: 'Chalmers', given: ['Peter', 'James'], _given: [null, { id: 'g2' }] } as never],
  };

  it('never mutates the input, and the result shares nothing with the patch', () => {
    const input = frozen(patient);
    const patch = fhirPatch(
      { type: 'add', path: 'Patient', name: 'identifier', value: { valueIdentifier: { value: '3' } } },
      { type: 'delete', path: 'Patient.name[0].given[0]' },
      { type: 'move', path: 'Patient.identifier', source: 0, destination: 2 },
    );
    const result = applyFhirPatch(input, patch);
    expect(input).toStrictEqual(patient);
    expect(result).not.toBe(input);
    result.identifier![1].value = 'changed';
    expect(patch.parameter?.[0].part?.[3].valueIdentifier).toStrictEqual({ value: '3' });
  });

  it('treats delete of a path that matches nothing as a no-op', () => {
    const patch = fhirPatch({ type: 'delete', path: "Patient.identifier.where(system = 'http://nowhere')" });
    expect(applyFhirPatch(patient, patch)).toStrictEqual(patient);
    expect(applyFhirPatch(patient, fhirPatch({ type: 'delete', path: 'Patient.birthDate' }))).toStrictEqual(
      patient,
    );
  });

  it('fails a replace whose path matches two elements, naming the path', () => {
    const patch = fhirPatch({
      type: 'replace',
      path: 'Patient.identifier',
      value: { valueIdentifier: { value: 'x' } },
    });
    const error = catchPatchError(() => applyFhirPatch(patient, patch));
    expect(error.expression).toBe('Patient.identifier');
    expect(error.message).toContain('Patient.identifier matches 2 elements');
  });

  it('fails a delete whose path matches two elements', () => {
    const error = catchPatchError(() =>
      applyFhirPatch(patient, fhirPatch({ type: 'delete', path: 'Patient.identifier' })),
    );
    expect(error.expression).toBe('Patient.identifier');
  });

  it('selects with where(), first() and last()', () => {
    const patch = fhirPatch(
      {
        type: 'replace',
        path: "Patient.identifier.where(system = 'http://y').value",
        value: { valueString: 'two' },
      },
      { type: 'replace', path: 'Patient.identifier.first().value', value: { valueString: 'one' } },
      { type: 'add', path: 'Patient.identifier.last()', name: 'use', value: { valueCode: 'old' } },
    );
    expect(applyFhirPatch(patient, patch).identifier).toStrictEqual([
      { system: 'http://x', value: 'one' },
      { system: 'http://y', value: 'two', use: 'old' },
    ]);
  });

  it('navigates choice types and renames the property when a replace changes the type', () => {
    const observation: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'weight' },
      valueQuantity: { value: 70, unit: 'kg' },
    };
    const replaced = applyFhirPatch(
      observation,
      fhirPatch({ type: 'replace', path: 'Observation.value', value: { valueString: 'heavy' } }),
    );
    expect(replaced).toStrictEqual({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'weight' },
      valueString: 'heavy',
    });
    const edited = applyFhirPatch(
      observation,
      fhirPatch({
        type: 'replace',
        path: 'Observation.value.ofType(Quantity).value',
        value: { valueDecimal: 71 },
      }),
    );
    expect(edited.valueQuantity).toStrictEqual({ value: 71, unit: 'kg' });
    const deleted = applyFhirPatch(observation, fhirPatch({ type: 'delete', path: 'Observation.value' }));
    expect(deleted).not.toHaveProperty('valueQuantity');
  });

  it('adds a choice element by its base name, typed by the value', () => {
    const patch = fhirPatch({
      type: 'add',
      path: 'Patient',
      name: 'deceased',
      value: { valueBoolean: false },
    });
    expect(applyFhirPatch(patient, patch).deceasedBoolean).toBe(false);
  });

  it('refuses to add over a single-valued element that is already set', () => {
    const patch = fhirPatch({ type: 'add', path: 'Patient', name: 'id', value: { valueId: 'p2' } });
    expect(() => applyFhirPatch(patient, patch)).toThrow(/already has id; use replace/);
  });

  it('builds lists inside part-assembled values from the definitions', () => {
    const patch = fhirPatch({
      type: 'add',
      path: 'Patient',
      name: 'contact',
      value: { part: [{ name: 'telecom', valueContactPoint: { system: 'phone', value: '555' } }] },
    });
    expect(applyFhirPatch(patient, patch).contact).toStrictEqual([
      { telecom: [{ system: 'phone', value: '555' }] },
    ]);
  });

  it('inserts into a list that does not exist yet, and checks list bounds', () => {
    const insert = (index: number) =>
      fhirPatch({
        type: 'insert',
        path: 'Patient.telecom',
        index,
        value: { valueContactPoint: { value: '1' } },
      });
    expect(applyFhirPatch(patient, insert(0)).telecom).toStrictEqual([{ value: '1' }]);
    expect(() => applyFhirPatch(patient, insert(1))).toThrow(/past the end/);
    const move = fhirPatch({ type: 'move', path: 'Patient.identifier', source: 2, destination: 0 });
    expect(() => applyFhirPatch(patient, move)).toThrow(/source 2 is outside/);
    const notAList = fhirPatch({
      type: 'insert',
      path: 'Patient.gender',
      index: 0,
      value: { valueCode: 'male' },
    });
    expect(() => applyFhirPatch(patient, notAList)).toThrow(/is not a list/);
  });

  it('keeps primitive extensions aligned with their list items', () => {
    const result = applyFhirPatch(patient, fhirPatch({ type: 'delete', path: 'Patient.name[0].given[0]' }));
    expect(result.name?.[0]).toStrictEqual({ family: 'Chalmers', given: ['James'], _given: [{ id: 'g2' }] });
    const moved = applyFhirPatch(
      patient,
      fhirPatch({ type: 'move', path: 'Patient.name[0].given', source: 1, destination: 0 }),
    );
    expect(moved.name?.[0]).toMatchObject({ given: ['James', 'Peter'], _given: [{ id: 'g2' }, null] });
  });

  it('names the offending part of a malformed patch', () => {
    const patch: Parameters = {
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'operation',
          part: [
            { name: 'type', valueCode: 'delete' },
            { name: 'bogus', valueString: 'x' },
          ],
        },
      ],
    };
    expect(catchPatchError(() => applyFhirPatch(patient, patch)).expression).toBe(
      'Parameters.parameter[0].part[1]',
    );
    const missing = fhirPatch({ type: 'replace', path: 'Patient.id' });
    expect(catchPatchError(() => applyFhirPatch(patient, missing)).message).toMatch(/needs a 'value' part/);
    expect(() => applyFhirPatch(patient, { resourceType: 'Bundle' })).toThrow(PatchError);
  });

  it('rejects unknown elements and FHIRPath it does not support instead of guessing', () => {
    const typo = fhirPatch({ type: 'delete', path: 'Patient.birthdate' });
    expect(catchPatchError(() => applyFhirPatch(patient, typo)).message).toMatch(
      /Unknown element 'birthdate'/,
    );
    const select = fhirPatch({ type: 'delete', path: 'Patient.identifier.select(value)' });
    expect(catchPatchError(() => applyFhirPatch(patient, select)).expression).toBe(
      'Patient.identifier.select(value)',
    );
  });
});

describe('applyFhirPatch: names that reach a prototype', () => {
  const patient: Patient = { resourceType: 'Patient', id: 'p1', name: [{ family: 'Lee' }] };
  const operation = (parts: Record<string, unknown>[]) => ({
    resourceType: 'Parameters',
    parameter: [{ name: 'operation', part: parts }],
  });
  const add = (
    path: string,
    name: string,
    value: Record<string, unknown> = { name: 'value', valueString: 'x' },
  ) =>
    operation([
      { name: 'type', valueCode: 'add' },
      { name: 'path', valueString: path },
      { name: 'name', valueString: name },
      value,
    ]);

  it.each([
    ['a path through __proto__', add('Patient.__proto__', 'polluted'), 'Patient.__proto__'],
    ['a path through constructor', add('Patient.name.constructor', 'family'), 'Patient.name.constructor'],
    ['an element named __proto__', add('Patient', '__proto__'), 'Parameters.parameter[0].part[2]'],
    ['an element named prototype', add('Patient.name[0]', 'prototype'), 'Parameters.parameter[0].part[2]'],
    [
      'a value part named constructor',
      add('Patient', 'contact', { name: 'value', part: [{ name: 'constructor', valueString: 'x' }] }),
      'Parameters.parameter[0].value.part[0]',
    ],
    [
      'an operation type named constructor',
      operation([
        { name: 'type', valueCode: 'constructor' },
        { name: 'path', valueString: 'Patient' },
      ]),
      'Parameters.parameter[0].part[0]',
    ],
  ])('refuses %s as a malformed patch, changing no object', (_, patch, expression) => {
    const error = catchPatchError(() => applyFhirPatch(patient, patch));
    expect(error.malformed).toBe(true);
    expect(error.expression).toBe(expression);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  });
});

describe('patches nested thousands of levels deep', () => {
  const deep = (levels: number) => {
    let value: unknown = 'x';
    for (let i = 0; i < levels; i++) value = [value];
    return value;
  };

  it('refuses a deep JSON Patch as malformed, naming the operation, instead of overflowing the stack', () => {
    const operations = [
      { op: 'add', path: '/gender', value: 'male' },
      { op: 'add', path: '/x', value: deep(20_000) },
    ];
    const error = catchPatchError(() => applyJsonPatch({ resourceType: 'Patient' }, operations));
    expect(error).toMatchObject({ malformed: true, expression: 'operation[1]' });
  });

  it('refuses a deep FHIR Patch as malformed, naming the parameter', () => {
    // An extension of an extension of ..., which the definitions allow at every level.
    let extension: Record<string, unknown> = { name: 'url', valueUri: 'http://example.org/leaf' };
    for (let i = 0; i < 20_000; i++)
      extension = { name: 'extension', part: [{ name: 'url', valueUri: 'http://example.org/x' }, extension] };
    const patch = {
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'operation',
          part: [
            { name: 'type', valueCode: 'add' },
            { name: 'path', valueString: 'Patient' },
            { name: 'name', valueString: 'extension' },
            { name: 'value', part: (extension.part as unknown[]).slice() },
          ],
        },
      ],
    };
    const error = catchPatchError(() => applyFhirPatch({ resourceType: 'Patient' }, patch));
    expect(error).toMatchObject({ malformed: true, expression: 'Parameters.parameter[0]' });
  });
});

/** The PatchError `run` throws (failing the test when it throws nothing or something else). */
function catchPatchError(run: () => unknown): PatchError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(PatchError);
    return err as PatchError;
  }
  throw new Error('expected a PatchError');
}

interface OperationSpec {
  type: string;
  path: string;
  name?: string;
  index?: number;
  source?: number;
  destination?: number;
  /** The value part minus its name: { valueString: ... } or { part: [...] }. */
  value?: Omit<ParametersParameter, 'name'>;
}

/** A FHIR Patch Parameters resource from terse operation specs. */
function fhirPatch(...operations: OperationSpec[]): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: operations.map(({ type, path, name, index, source, destination, value }) => {
      const part: ParametersParameter[] = [
        { name: 'type', valueCode: type },
        { name: 'path', valueString: path },
      ];
      if (name !== undefined) part.push({ name: 'name', valueString: name });
      for (const [key, n] of Object.entries({ index, source, destination })) {
        if (n !== undefined) part.push({ name: key, valueInteger: n });
      }
      if (value !== undefined) part.push({ name: 'value', ...value });
      return { name: 'operation', part };
    }),
  };
}

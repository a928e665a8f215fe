import { readFileSync } from 'node:fs';
import { parseFhirPath } from '@medplum/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fixtureCorpus, type Json, pick, seededRandom } from './differential-corpus.js';
import { explainDifference } from './documented-differences.js';
import { typePlan } from './element-plans.js';
import { contextElements } from './invariant-guard.js';
import { compileInvariants, type Invariant, InvariantScope, SKIPPED_INVARIANTS } from './invariants.js';
import { validateWithMedplum } from './medplum-reference.js';
import { MUTATION_KINDS, mutate } from './mutations.js';
import { validateFhirResource } from './validate-resource.js';
import { buildPatient } from './validation-factories.js';

const fixtures = fixtureCorpus();

function ext1(): Invariant {
  const invariant = typePlan('Patient')!
    .keys.get('extension')!
    .invariants.find((i) => i.key === 'ext-1');
  if (!invariant?.native) throw new Error('ext-1 is not compiled with its native shortcut');
  return invariant;
}

/** Every object found under an `extension` or `modifierExtension` key, at any depth. */
function extensionsIn(value: unknown, found: Json[]): Json[] {
  if (Array.isArray(value)) for (const item of value) extensionsIn(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if ((key === 'extension' || key === 'modifierExtension') && Array.isArray(child)) {
        for (const e of child) if (e && typeof e === 'object' && !Array.isArray(e)) found.push(e as Json);
      }
      extensionsIn(child, found);
    }
  }
  return found;
}

describe('invariants: shortcuts are exact', () => {
  afterEach(() => vi.restoreAllMocks());

  it('computes ext-1 natively exactly as the FHIRPath engine does', () => {
    const invariant = ext1();
    const scope = new InvariantScope(buildPatient() as unknown as Json);
    const url = 'http://example.org/e';
    const edgeCases: Json[] = [
      { url },
      { url, valueString: '' },
      { url, valueString: 'a', extension: [{ url: 'b', valueCode: 'c' }] },
      { url, extension: [] },
      { url, extension: [{}] },
      { url, extension: [null] },
      { url, extension: [{ url: 'a', valueBoolean: false }, {}] },
      { url, valueBoolean: false },
      { url, valueInteger: 0 },
      { url, valueString: ['a'] },
      { url, valueString: [] },
      { url, valueCode: '', valueString: 'x' },
      { url, valueCoding: {} },
      { url, valueFoo: 1 },
      { url, _valueString: { extension: [{ url, valueString: 'x' }] } },
      { url, valueString: 'a', _valueString: 'not an object' },
    ];
    const all = [...edgeCases, ...fixtures.flatMap((e) => extensionsIn(e.resource, []))];
    expect(all.length).toBeGreaterThan(5000);
    for (const value of all) {
      const engine = scope.evaluate(invariant, { type: 'Extension', value }) === undefined;
      const fast = scope.failure(invariant, 'Extension', value) === undefined;
      expect(fast, JSON.stringify(value)).toBe(engine);
    }
  });

  it('computes `and`/`or` of path.exists() and path.empty() natively, as the engine does', () => {
    const root = typePlan('Patient')!.invariants;
    const contactInvariants = typePlan('Patient')!.keys.get('contact')!.invariants;
    const organizationTelecom = typePlan('Organization')!.keys.get('telecom')!.invariants;
    const observationRoot = typePlan('Observation')!.invariants;
    const scope = new InvariantScope(buildPatient() as unknown as Json);
    const pr = { resourceType: 'Practitioner', id: 'p' };
    const containeds: unknown[] = [
      [pr],
      [{ ...pr, contained: [{ resourceType: 'Organization', id: 'o' }] }],
      [{ ...pr, contained: [] }],
      [{ ...pr, contained: [{}] }],
      [{ ...pr, meta: { versionId: '1' } }],
      [{ ...pr, meta: { lastUpdated: '2020-01-01T00:00:00Z' } }],
      [{ ...pr, meta: {} }],
      [{ ...pr, meta: { security: [{ code: 'R' }] } }],
      [{ ...pr, meta: { security: [null] } }],
      [{ ...pr, meta: { versionId: '' } }],
      [{ ...pr, meta: { _versionId: { id: 'x' } } }],
      [{ ...pr, meta: [{ versionId: '1' }] }],
      [{ id: 'no-type', meta: { versionId: '1' } }],
      [{ resourceType: 'Bogus', meta: { versionId: '1' } }],
      [null, pr],
      ['text'],
      { ...pr, contained: [pr] },
    ];
    const contacts: unknown[] = [
      {},
      { name: { family: 'x' } },
      { telecom: [] },
      { telecom: [{}] },
      { gender: 'male' },
    ];
    const telecoms: unknown[] = [
      { use: 'home' },
      { use: 'work' },
      { system: 'phone' },
      { use: '' },
      { use: 3 },
      { use: ['home'] },
    ];
    const dar = { text: 'unknown' };
    const observations: unknown[] = [
      { valueString: 'x' },
      { dataAbsentReason: dar },
      { dataAbsentReason: dar, valueBoolean: false },
      { dataAbsentReason: dar, valueString: '' },
      { dataAbsentReason: dar, valueQuantity: {}, valueString: 'x' },
      { dataAbsentReason: dar, _valueString: { id: 'a' } },
    ];
    type Case = [readonly Invariant[], string, unknown];
    const cases: Case[] = [
      ...containeds.map((contained): Case => [root, 'Patient', { resourceType: 'Patient', contained }]),
      ...contacts.map((c): Case => [contactInvariants, 'PatientContact', c]),
      ...telecoms.map((t): Case => [organizationTelecom, 'ContactPoint', t]),
      ...observations.map((o): Case => [observationRoot, 'Observation', o]),
    ];
    let native = 0;
    for (const [invariants, type, value] of cases) {
      for (const invariant of invariants) {
        const engine = scope.evaluate(invariant, { type, value }) === undefined;
        expect(
          scope.failure(invariant, type, value) === undefined,
          `${invariant.key} ${JSON.stringify(value)}`,
        ).toBe(engine);
        if (invariant.native?.(value, type) !== undefined) native++;
      }
    }
    expect(native).toBeGreaterThan(60);
  });

  it('skips or short-cuts no invariant whose engine result would differ (fixtures and 3,000 mutations)', () => {
    const original = InvariantScope.prototype.failure;
    let checked = 0;
    const mismatches: string[] = [];
    vi.spyOn(InvariantScope.prototype, 'failure').mockImplementation(function (
      this: InvariantScope,
      invariant,
      type,
      value,
    ) {
      const fast = original.call(this, invariant, type, value);
      const engine = this.evaluate(invariant, { type, value });
      checked++;
      if ((fast === undefined) !== (engine === undefined))
        mismatches.push(`${invariant.key} on ${JSON.stringify(value)}`);
      return fast;
    });
    const random = seededRandom(99);
    for (const e of fixtures) validateFhirResource(e.resource);
    for (let n = 0; n < 3000; n++) {
      const mutated = mutate(
        pick(random, fixtures).resource,
        MUTATION_KINDS[n % MUTATION_KINDS.length],
        random,
      );
      if (mutated) validateFhirResource(mutated.resource);
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(20_000);
  });
});

describe('invariants: which elements an expression reads', () => {
  it.each([
    ['contained.contained.empty()', ['contained']],
    [
      'name.exists() or telecom.exists() or address.exists() or organization.exists()',
      ['name', 'telecom', 'address', 'organization'],
    ],
    ['dataAbsentReason.empty() or value.empty()', ['dataAbsentReason', 'value']],
    ["coding.where(system = 'x' and $this.code = 'y').exists()", ['coding']],
    ['item.first().answer.exists()', ['item']],
    ['where(use = true).first().name.exists()', ['use', 'name']],
  ])('%s reads %j', (expression, names) => {
    expect(contextElements(parseFhirPath(expression))?.sort()).toEqual([...names].sort());
  });

  it.each([
    'value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()',
    "where(use = 'home').empty()",
    "empty() or ($this = '*') or (toInteger() >= 0)",
    'children().count() > id.count()',
    'hasValue()',
    'Patient.name.exists()',
    'exists()',
  ])('%s can see the context otherwise: no guard', (expression) => {
    expect(contextElements(parseFhirPath(expression))).toBeUndefined();
  });
});

describe('invariants: the same ones as @medplum/core', () => {
  it('skips ele-1, dom-3, org-1 and sdf-19, and warnings (dom-6)', () => {
    expect([...SKIPPED_INVARIANTS].sort()).toEqual(['dom-3', 'ele-1', 'org-1', 'sdf-19']);
    const keys = typePlan('Patient')!.invariants.map((i) => i.key);
    expect(keys.sort()).toEqual(['dom-2', 'dom-4', 'dom-5']);
    const organization = { resourceType: 'Organization', active: true }; // org-1: name or identifier
    // dom-3: a contained resource must be referenced from the resource
    const unreferenced = { ...buildPatient(), contained: [{ resourceType: 'Practitioner', id: 'p' }] };
    for (const resource of [organization, unreferenced]) {
      expect(validateFhirResource(resource)).toEqual([]);
      expect(validateWithMedplum(resource)).toEqual([]);
    }
  });

  it('reports a failing root invariant of the top-level resource (dom-2)', () => {
    const nested = {
      resourceType: 'Practitioner',
      id: 'p',
      contained: [{ resourceType: 'Organization', id: 'o' }],
    };
    const patient = { ...buildPatient(), contained: [nested], generalPractitioner: [{ reference: '#p' }] };
    const issues = validateFhirResource(patient);
    expect(issues).toMatchObject([{ code: 'invariant', expression: 'Patient' }]);
    expect(issues[0].diagnostics).toContain('dom-2');
    expect(validateWithMedplum(patient).map((i) => i.expression)).toEqual(['Patient']);
  });

  it('compiles only error invariants, once per expression', () => {
    const constraints = [
      { key: 'x-1', severity: 'error' as const, expression: 'a.exists()', description: 'a' },
      { key: 'x-2', severity: 'warning' as const, expression: 'b.exists()', description: 'b' },
    ];
    const first = compileInvariants(constraints);
    expect(first.map((i) => i.key)).toEqual(['x-1']);
    expect(compileInvariants(constraints)[0]).toBe(first[0]);
  });
});

describe('invariants: a rule about an element that is absent holds (implies as the HL7 validator reads it)', () => {
  const example = (name: string) =>
    JSON.parse(
      readFileSync(new URL(`../../../test/fixtures/risk-assessments/${name}`, import.meta.url), 'utf8'),
    ) as Json;
  const risk = (prediction: unknown[]): Json => ({
    resourceType: 'RiskAssessment',
    status: 'final',
    subject: { reference: 'Patient/p' },
    prediction,
  });
  const percent = (value: number) => ({ value, unit: '%', system: 'http://unitsofmeasure.org', code: '%' });
  const keys = (resource: Json) =>
    validateFhirResource(resource).map(
      (i) => `${i.expression} ${/invariant (\S+)/.exec(i.diagnostics)?.[1]}`,
    );

  it.each(['riskassessment-example-prognosis.json', 'riskassessment-example-breastcancer.json'])(
    'accepts the R4 specification example %s, whose prediction states no probability (ras-2)',
    (name) => {
      const resource = example(name);
      expect(validateFhirResource(resource)).toEqual([]);
      // @medplum/core's validator rejects it: the documented difference 'implies-empty-condition'.
      const reference = validateWithMedplum(resource);
      expect(reference.map((i) => i.expression)).toEqual(['RiskAssessment.prediction[0]']);
      const outcome = {
        resource,
        fresh: [],
        reference,
        onlyNew: [],
        onlyRef: ['RiskAssessment.prediction[0]'],
      };
      expect(explainDifference(outcome)).toBe('implies-empty-condition');
    },
  );

  it('accepts predictions with only qualitativeRisk, only an outcome, or a probability within 0-100', () => {
    const moderate = {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/risk-probability', code: 'moderate' }],
    };
    expect(keys(risk([{ qualitativeRisk: moderate }, { outcome: { text: 'x' } }]))).toEqual([]);
    expect(keys(risk([{ probabilityDecimal: 100 }, { probabilityDecimal: 0 }]))).toEqual([]);
    expect(keys(risk([{ probabilityRange: { low: percent(10), high: percent(20) } }]))).toEqual([]);
  });

  it('still rejects a probability above 100 (ras-2) and a probability range not in % (ras-1)', () => {
    expect(keys(risk([{ probabilityDecimal: 100.5 }]))).toEqual(['RiskAssessment.prediction[0] ras-2']);
    // An empty result of a whole constraint still fails, as in the HL7 validator: low.code is absent.
    expect(keys(risk([{ probabilityRange: { low: { value: 10 } } }]))).toEqual([
      'RiskAssessment.prediction[0].probabilityRange ras-1',
    ]);
  });

  it('keeps an empty result a failure outside implies (vsd-9: a code, or abstract = true)', () => {
    const valueSet = {
      resourceType: 'ValueSet',
      status: 'active',
      expansion: { timestamp: '2020-01-01', contains: [{ display: 'no code, not abstract' }] },
    };
    expect(keys(valueSet)).toEqual(['ValueSet.expansion.contains[0] vsd-9']);
  });

  it.each([
    ['probability is decimal implies (probability as decimal) <= 100', {}, true],
    ['probability is decimal implies (probability as decimal) <= 100', { probabilityDecimal: 101 }, false],
    ['a.exists() implies b.exists()', { a: 'x' }, false],
    ['true implies b', {}, false],
    ['false implies b.foo()', {}, true],
    ['c.where(d implies e).exists()', { c: [{ e: false }] }, true],
    ['c.all(d implies e)', { c: [{ d: true }] }, false],
  ])('`%s` on %j holds: %s', (expression, value, holds) => {
    const invariant: Invariant = { key: 'x-1', human: 'x', expression };
    const scope = new InvariantScope(buildPatient() as unknown as Json);
    expect(scope.evaluate(invariant, { type: 'RiskAssessmentPrediction', value }) === undefined).toBe(holds);
    expect(scope.failure(invariant, 'RiskAssessmentPrediction', value) === undefined).toBe(holds);
  });
});

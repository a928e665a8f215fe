import { describe, expect, it } from 'vitest';
import {
  type ExpandedValueSet,
  expandValueSet,
  isUncheckable,
  type ValueSetExpansion,
} from './value-sets.js';

const HL7 = 'http://hl7.org/fhir';
const V3_ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';

function expanded(vs: ValueSetExpansion): ExpandedValueSet {
  if (isUncheckable(vs)) throw new Error(`${vs.url} is uncheckable: ${vs.uncheckable}`);
  return vs;
}

describe('expandValueSet', () => {
  it('expands a whole code system and ignores the |version suffix of binding URLs', () => {
    const vs = expanded(expandValueSet(`${HL7}/ValueSet/administrative-gender|4.0.1`));
    expect([...vs.pairs]).toEqual(
      ['male', 'female', 'other', 'unknown'].map((c) => `${HL7}/administrative-gender|${c}`),
    );
    expect(expandValueSet(`${HL7}/ValueSet/administrative-gender`)).toBe(vs);
  });

  it('combines a whole code system with an explicit concept list from another (task-intent)', () => {
    const vs = expanded(expandValueSet(`${HL7}/ValueSet/task-intent`));
    expect(vs.systems).toEqual(new Set([`${HL7}/task-intent`, `${HL7}/request-intent`]));
    expect(vs.codes.has('unknown')).toBe(true);
    expect(vs.codes.has('order')).toBe(true);
    expect(vs.codes.size).toBe(9);
  });

  it('includes nested concepts of hierarchical code systems (restful-interaction)', () => {
    const vs = expanded(expandValueSet(`${HL7}/ValueSet/type-restful-interaction`));
    expect(vs.codes).toEqual(
      new Set([
        'read',
        'vread',
        'update',
        'patch',
        'delete',
        'history-instance',
        'history-type',
        'create',
        'search-type',
      ]),
    );
  });

  it('evaluates is-a filters on a local hierarchical code system', () => {
    const vs = expanded(expandValueSet(`${HL7}/ValueSet/parent-relationship-codes`));
    for (const code of ['PRN', 'MTH', 'STPFTH', 'TWIN', 'FTWIN'])
      expect(vs.pairs.has(`${V3_ROLE}|${code}`)).toBe(true);
    expect(vs.pairs.has(`${V3_ROLE}|SIB`)).toBe(false);
  });

  it('evaluates descendent-of without the root concept itself', () => {
    const vs = expanded(expandValueSet(`${HL7}/ValueSet/inactive`));
    expect(vs.codes.has('CRT')).toBe(true);
    expect(vs.codes.has('_ActMoodPredicate')).toBe(false);
  });

  it('honours compose.exclude (encounter-participant-type leaves out _ParticipationAncillary)', () => {
    const vs = expanded(expandValueSet(`${HL7}/ValueSet/encounter-participant-type`));
    expect(vs.codes.has('ADM')).toBe(true);
    expect(vs.codes.has('_ParticipationAncillary')).toBe(false);
  });

  it('finds value sets shipped in v3-codesystems.json (v3-ConfidentialityClassification)', () => {
    const vs = expanded(
      expandValueSet('http://terminology.hl7.org/ValueSet/v3-ConfidentialityClassification|2014-03-26'),
    );
    expect(vs.codes).toEqual(new Set(['U', 'L', 'M', 'N', 'R', 'V']));
  });

  it.each([
    [`${HL7}/ValueSet/mimetypes`, 'urn:ietf:bcp:13'],
    [`${HL7}/ValueSet/currencies`, 'urn:iso:std:iso:4217'],
    [`${HL7}/ValueSet/ucum-units`, 'unitsofmeasure'],
    [`${HL7}/ValueSet/condition-code`, 'snomed'],
    ['http://loinc.org/vs/LL379-9', 'not in the local FHIR R4 definitions'],
    [`${HL7}/ValueSet/no-such-set`, 'not in the local FHIR R4 definitions'],
  ])('reports %s as uncheckable rather than guessing', (url, reason) => {
    const vs = expandValueSet(url);
    expect(isUncheckable(vs) && vs.uncheckable).toContain(reason);
  });
});

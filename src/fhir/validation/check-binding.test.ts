import { describe, expect, it } from 'vitest';
import { checkCodeableConcept, checkCoding } from './check-binding.js';
import type { ValidationIssue } from './validation-issue.js';
import type { ExpandedValueSet } from './value-sets.js';

// No core R4 element binds a plain Coding with strength required, so the Coding rules are tested here.
const SYSTEM = 'http://example.org/colors';
const colors: ExpandedValueSet = {
  url: 'http://example.org/ValueSet/colors',
  systems: new Set([SYSTEM]),
  pairs: new Set(['red', 'green'].map((c) => `${SYSTEM}|${c}`)),
  codes: new Set(['red', 'green']),
};

function codingIssues(coding: unknown): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  checkCoding(coding, colors, 'X.color', out);
  return out;
}

describe('checkCoding', () => {
  it('accepts a code of the set in its system', () => {
    expect(codingIssues({ system: SYSTEM, code: 'red' })).toEqual([]);
  });

  it('rejects a code of the right system that is not in the set, at .code', () => {
    const [issue] = codingIssues({ system: SYSTEM, code: 'blue' });
    expect(issue).toMatchObject({ code: 'code-invalid', expression: 'X.color.code' });
    expect(issue.diagnostics).toBe(
      `"blue" (${SYSTEM}) is not a code in the required value set http://example.org/ValueSet/colors (allowed: red, green)`,
    );
  });

  it('rejects a system outside the set, at .system, even when the code string matches', () => {
    const [issue] = codingIssues({ system: 'http://other.org', code: 'red' });
    expect(issue).toMatchObject({ code: 'code-invalid', expression: 'X.color.system' });
  });

  it('judges a Coding without system by its code alone', () => {
    expect(codingIssues({ code: 'green' })).toEqual([]);
    expect(codingIssues({ code: 'mauve' })).toMatchObject([{ expression: 'X.color.code' }]);
  });

  it('rejects a Coding without code', () => {
    expect(codingIssues({ system: SYSTEM, display: 'Red' })).toMatchObject([{ expression: 'X.color' }]);
  });
});

describe('checkCodeableConcept', () => {
  it('names every coding at the concept when several codings all miss the set', () => {
    const out: ValidationIssue[] = [];
    const concept = {
      coding: [
        { system: 'http://a.org', code: '1' },
        { system: SYSTEM, code: 'blue' },
      ],
    };
    checkCodeableConcept(concept, colors, 'X.tint', out);
    expect(out).toMatchObject([{ expression: 'X.tint', code: 'code-invalid' }]);
    expect(out[0].diagnostics).toContain(`http://a.org|1, ${SYSTEM}|blue`);
  });
});

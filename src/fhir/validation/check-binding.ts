/**
 * Checks one coded value (code, Coding, CodeableConcept) against an expanded required value set, per
 * FHIR R4 terminologies section 4.1.5.1: "required" means a code from the set SHALL be used.
 */

import { errorIssue, type ValidationIssue } from './validation-issue.js';
import type { ExpandedValueSet } from './value-sets.js';

// Short sets (statuses, genders, uses) are listed in full so the client sees the fix; long ones are not.
const MAX_LISTED_CODES = 12;
const allowedSuffixes = new Map<string, string>();

/** Checks a bare `code` value: it must be one of the set's codes, whatever the system. */
export function checkCode(code: string, vs: ExpandedValueSet, path: string, out: ValidationIssue[]): void {
  if (vs.codes.has(code)) return;
  out.push(errorIssue('code-invalid', path, `${quote(code)} is not a code in ${describe(vs)}`));
}

/** Checks a Coding: its system must be one of the set's and its code in the set for that system. */
export function checkCoding(
  coding: unknown,
  vs: ExpandedValueSet,
  path: string,
  out: ValidationIssue[],
): void {
  const problem = codingProblem(coding, vs, path);
  if (problem) out.push(problem);
}

/** Checks a CodeableConcept: at least one of its codings must be in the set; text alone does not satisfy. */
export function checkCodeableConcept(
  concept: Record<string, unknown>,
  vs: ExpandedValueSet,
  path: string,
  out: ValidationIssue[],
): void {
  const codings = Array.isArray(concept.coding) ? concept.coding : [];
  if (codings.length === 0) {
    const what = typeof concept.text === 'string' ? 'has only text' : 'has no coding';
    out.push(
      errorIssue(
        'code-invalid',
        path,
        `the CodeableConcept ${what}; a coding from ${describe(vs)} is required`,
      ),
    );
    return;
  }
  const problems: ValidationIssue[] = [];
  for (let i = 0; i < codings.length; i++) {
    const problem = codingProblem(codings[i], vs, `${path}.coding[${i}]`);
    if (!problem) return;
    problems.push(problem);
  }
  // With one coding, its own message points at the exact culprit; with several, name them all at the concept.
  if (problems.length === 1) {
    out.push(problems[0]);
  } else {
    const given = codings.map((c) => codingLabel(c)).join(', ');
    out.push(errorIssue('code-invalid', path, `none of the codings (${given}) is in ${describe(vs)}`));
  }
}

/** True when a CodeableConcept satisfies the set; allocation-free, for the hot path (issues come from above). */
export function conceptAccepted(concept: Record<string, unknown>, vs: ExpandedValueSet): boolean {
  const codings = concept.coding;
  if (!Array.isArray(codings)) return false;
  for (const coding of codings) if (codingAccepted(coding, vs)) return true;
  return false;
}

/** True when checkCoding would report nothing. */
export function codingAccepted(coding: unknown, vs: ExpandedValueSet): boolean {
  if (!coding || typeof coding !== 'object') return true;
  const { system, code } = coding as { system?: unknown; code?: unknown };
  if (typeof code !== 'string') return false;
  if (typeof system !== 'string') return vs.codes.has(code);
  return vs.pairs.has(`${system}|${code}`);
}

function codingProblem(coding: unknown, vs: ExpandedValueSet, path: string): ValidationIssue | undefined {
  if (!coding || typeof coding !== 'object') return undefined; // wrong shape: the structural check reports it
  const { system, code } = coding as { system?: unknown; code?: unknown };
  if (typeof code !== 'string') {
    return errorIssue(
      'code-invalid',
      path,
      `the Coding has no code; a code from ${describe(vs)} is required`,
    );
  }
  if (typeof system !== 'string') {
    // A Coding without a system is judged by its code alone, as a bare `code` element would be.
    return vs.codes.has(code)
      ? undefined
      : errorIssue('code-invalid', `${path}.code`, `${quote(code)} is not a code in ${describe(vs)}`);
  }
  if (!vs.systems.has(system)) {
    const expected = [...vs.systems].join(', ');
    return errorIssue(
      'code-invalid',
      `${path}.system`,
      `code system ${system} is not part of ${describe(vs)}; codes must come from ${expected}`,
    );
  }
  if (vs.pairs.has(`${system}|${code}`)) return undefined;
  return errorIssue(
    'code-invalid',
    `${path}.code`,
    `${quote(code)} (${system}) is not a code in ${describe(vs)}`,
  );
}

function describe(vs: ExpandedValueSet): string {
  let suffix = allowedSuffixes.get(vs.url);
  if (suffix === undefined) {
    suffix = vs.codes.size <= MAX_LISTED_CODES ? ` (allowed: ${[...vs.codes].join(', ')})` : '';
    allowedSuffixes.set(vs.url, suffix);
  }
  return `the required value set ${vs.url}${suffix}`;
}

function codingLabel(coding: unknown): string {
  if (!coding || typeof coding !== 'object') return String(coding);
  const { system, code } = coding as { system?: unknown; code?: unknown };
  return `${typeof system === 'string' ? system : '(no system)'}|${typeof code === 'string' ? code : '(no code)'}`;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/**
 * Structure, primitive types and formats, cardinality and FHIRPath invariants, as checked by
 * @medplum/core's `validateResource`, turned into ValidationIssues with readable diagnostics. Used only
 * by the reference validator (medplum-reference.ts) of the differential test and the benchmark.
 * It reports every problem it finds (it does not stop at the first), except that it evaluates the
 * invariants of one element only up to the first that fails.
 */
import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { isResourceType, loadFhirDefinitions } from '../definitions.js';
import { FORMAT_HINTS } from './primitives.js';
import { errorIssue, type ValidationIssue } from './validation-issue.js';

type MedplumResource = Parameters<typeof validateResource>[0];

// The old gap walk (medplum-reference.ts) reports these itself, with the full path: two variants of one choice
// element (@medplum/core gives only the bare key, and only as a warning, but FHIR JSON allows one), and a
// nested resource of an unknown type (@medplum/core throws with no location and validates no further).
const REPLACED_BY_WALK =
  /^(Conflicting choice of type properties|Type of primitive extension does not match|Unknown data type)/;
// @medplum/core takes the text before the first '/' of a reference as its type, so absolute URLs and
// urn:uuid references (normal in Bundles) come out as "http:" or "urn:uuid:..." and warn falsely.
const REFERENCE_TYPE_WARNING = /^Invalid reference: got "([^"]*)"/;

/** Runs @medplum/core's validator on a resource whose resourceType is known; never throws. */
export function medplumIssues(resource: Record<string, unknown>): ValidationIssue[] {
  loadFhirDefinitions();
  let raw: OperationOutcomeIssue[];
  try {
    raw = validateResource(resource as unknown as MedplumResource) as OperationOutcomeIssue[];
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) {
      const message = err instanceof Error ? err.message : String(err);
      return [
        errorIssue(
          'invalid',
          String(resource.resourceType),
          `the validator could not process this resource: ${message}`,
        ),
      ];
    }
    raw = (err.outcome.issue ?? []) as OperationOutcomeIssue[];
  }
  const issues: ValidationIssue[] = [];
  for (const issue of raw) {
    const text = issue.details?.text ?? issue.diagnostics ?? '';
    if (REPLACED_BY_WALK.test(text)) continue;
    const reference = REFERENCE_TYPE_WARNING.exec(text);
    if (reference && !isResourceType(reference[1])) continue;
    issues.push(convertIssue(issue, text, resource));
  }
  return issues;
}

function convertIssue(
  issue: OperationOutcomeIssue,
  text: string,
  resource: Record<string, unknown>,
): ValidationIssue {
  const rawPath = issue.expression?.[0];
  // Errors without a location (e.g. "Unknown data type" for a nested resource) belong to the resource as a whole.
  const expression = rawPath ? concretePath(rawPath, resource) : String(resource.resourceType);
  const severity = issue.severity === 'warning' || issue.severity === 'information' ? 'warning' : 'error';
  const [code, diagnostics] = explain(issue, text, expression);
  return { severity, code, expression, diagnostics };
}

type Explanation = [ValidationIssue['code'], string];
type Rule = [RegExp, (m: RegExpExecArray, name: string) => Explanation];

// @medplum/core's structure messages, each with the issue code and a sentence that says what to fix.
const RULES: Rule[] = [
  [
    /^Missing required property$/,
    (_m, name) => ['required', `${name} is required (minimum cardinality 1) but is missing`],
  ],
  [
    /^Invalid additional property "(.+)"$/,
    (m) => ['structure', `unknown element "${m[1]}": it is not defined for this type in FHIR R4`],
  ],
  [
    /^Invalid JSON type: expected (\w+), but got (\w+)$/,
    (m, name) => ['structure', `wrong JSON type: ${name} must be a JSON ${m[1]}, but a ${m[2]} was given`],
  ],
  [
    /^Expected single value for property$/,
    (_m, name) => [
      'structure',
      `${name} takes a single value (maximum cardinality 1), but an array was given`,
    ],
  ],
  [
    /^Expected array of values for property$/,
    (_m, name) => ['structure', `${name} repeats, so its value must be a JSON array`],
  ],
  [
    /^Invalid number of values: expected (\S+), but found (\d+)$/,
    (m) => [
      Number(m[2]) < Number(m[1].split('..')[0]) ? 'required' : 'structure',
      `cardinality ${m[1]} but ${m[2]} values were given`,
    ],
  ],
  [
    /^Invalid (null|undefined) value$/,
    () => [
      'structure',
      'null is not allowed in FHIR JSON (except to align primitive arrays); omit the element',
    ],
  ],
  [
    /^Invalid empty/,
    () => ['structure', 'empty objects and arrays are not allowed in FHIR JSON; omit the element'],
  ],
  [
    /^Invalid (\w+) format$/,
    (m) => ['value', `not a valid FHIR ${m[1]}${FORMAT_HINTS[m[1]] ? `: ${FORMAT_HINTS[m[1]]}` : ''}`],
  ],
  [/^(String|Expected number|Invalid numeric|Value did not match)/, (m) => ['value', m.input]],
  [
    /^Invalid reference: got (.*)$/,
    (m) => ['structure', `the reference points to a ${m[1]} (the target types allowed here)`],
  ],
];

/** Maps one @medplum/core issue to an issue code and a sentence that says what to fix. */
function explain(issue: OperationOutcomeIssue, text: string, path: string): Explanation {
  if (issue.code === 'invariant') {
    const fhirpath = parseData(issue.diagnostics).fhirpath;
    const rule = text.replace(/^Constraint (\S+) not met: /, 'invariant $1 failed: ');
    return ['invariant', fhirpath ? `${rule} (FHIRPath: ${fhirpath})` : rule];
  }
  if (issue.code === 'processing') {
    const data = parseData(issue.diagnostics);
    return ['invalid', `${text} ${data.fhirpath ?? ''}: ${JSON.stringify(data.error ?? '')}`.trim()];
  }
  const name = path.slice(path.lastIndexOf('.') + 1);
  for (const [pattern, build] of RULES) {
    const m = pattern.exec(text);
    if (m) return build(m, name);
  }
  return [issue.code === 'structure' ? 'structure' : 'invalid', text || 'invalid content'];
}

function parseData(diagnostics: string | undefined): { fhirpath?: string; error?: unknown } {
  if (!diagnostics) return {};
  try {
    return JSON.parse(diagnostics) as { fhirpath?: string; error?: unknown };
  } catch {
    return {};
  }
}

/**
 * @medplum/core names choice elements by their definition (`Observation.value[x].value`); the client
 * wrote `valueQuantity`, so resolve each `[x]` against the resource to the key actually present.
 */
export function concretePath(path: string, resource: Record<string, unknown>): string {
  if (!path.includes('[x]')) return path;
  const segments = path.split('.');
  let current: unknown = resource;
  for (let i = 1; i < segments.length; i++) {
    const m = /^([^[]+)(\[x\])?(?:\[(\d+)\])?$/.exec(segments[i]);
    if (!m || !current || typeof current !== 'object') break;
    const obj = current as Record<string, unknown>;
    let key = m[1];
    if (m[2]) {
      const found = Object.keys(obj).find((k) => k.startsWith(key) && /^[A-Z]/.test(k.slice(key.length)));
      if (!found) break;
      key = found;
      segments[i] = key + (m[3] !== undefined ? `[${m[3]}]` : '');
    }
    current = obj[key];
    if (m[3] !== undefined) current = Array.isArray(current) ? current[Number(m[3])] : undefined;
  }
  return segments.join('.');
}

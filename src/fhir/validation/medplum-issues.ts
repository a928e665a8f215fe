/**
 * Structure, primitive types and formats, cardinality and FHIRPath invariants, as checked by
 * @medplum/core's `validateResource`, turned into ValidationIssues with readable diagnostics.
 * It reports every problem it finds (it does not stop at the first), except that it evaluates the
 * invariants of one element only up to the first that fails.
 */
import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { isResourceType, loadFhirDefinitions } from '../definitions.js';
import { errorIssue, type ValidationIssue } from './validation-issue.js';

type MedplumResource = Parameters<typeof validateResource>[0];

// The walk in walk-resource.ts reports these itself, with the full path: two variants of one choice
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

/** Maps @medplum/core's messages to an issue code and a sentence that says what to fix. */
function explain(
  issue: OperationOutcomeIssue,
  text: string,
  path: string,
): [ValidationIssue['code'], string] {
  const name = path.slice(path.lastIndexOf('.') + 1);
  let m: RegExpExecArray | null;
  if (issue.code === 'invariant') {
    const fhirpath = parseData(issue.diagnostics).fhirpath;
    const rule = text.replace(/^Constraint (\S+) not met: /, 'invariant $1 failed: ');
    return ['invariant', fhirpath ? `${rule} (FHIRPath: ${fhirpath})` : rule];
  }
  if (issue.code === 'processing') {
    const data = parseData(issue.diagnostics);
    return ['invalid', `${text} ${data.fhirpath ?? ''}: ${JSON.stringify(data.error ?? '')}`.trim()];
  }
  if (text === 'Missing required property') {
    return ['required', `${name} is required (minimum cardinality 1) but is missing`];
  }
  if ((m = /^Invalid additional property "(.+)"$/.exec(text))) {
    return ['structure', `unknown element "${m[1]}": it is not defined for this type in FHIR R4`];
  }
  if ((m = /^Invalid JSON type: expected (\w+), but got (\w+)$/.exec(text))) {
    return ['structure', `wrong JSON type: ${name} must be a JSON ${m[1]}, but a ${m[2]} was given`];
  }
  if (text === 'Expected single value for property') {
    return ['structure', `${name} takes a single value (maximum cardinality 1), but an array was given`];
  }
  if (text === 'Expected array of values for property') {
    return ['structure', `${name} repeats, so its value must be a JSON array`];
  }
  if ((m = /^Invalid number of values: expected (\S+), but found (\d+)$/.exec(text))) {
    const tooFew = Number(m[2]) < Number(m[1].split('..')[0]);
    return [tooFew ? 'required' : 'structure', `cardinality ${m[1]} but ${m[2]} values were given`];
  }
  if (text === 'Invalid null value' || text === 'Invalid undefined value') {
    return [
      'structure',
      'null is not allowed in FHIR JSON (except to align primitive arrays); omit the element',
    ];
  }
  if (text.startsWith('Invalid empty')) {
    return ['structure', 'empty objects and arrays are not allowed in FHIR JSON; omit the element'];
  }
  if ((m = /^Invalid (\w+) format$/.exec(text))) {
    return ['value', `not a valid FHIR ${m[1]}${FORMAT_HINTS[m[1]] ? `: ${FORMAT_HINTS[m[1]]}` : ''}`];
  }
  if (/^(String|Expected number|Invalid numeric|Value did not match)/.test(text)) {
    return ['value', text];
  }
  if (text.startsWith('Invalid reference')) {
    return [
      'structure',
      `${text.replace('Invalid reference: got', 'reference points to a')} (target types allowed here)`,
    ];
  }
  return [issue.code === 'structure' ? 'structure' : 'invalid', text || 'invalid content'];
}

const FORMAT_HINTS: Record<string, string> = {
  date: 'YYYY, YYYY-MM or YYYY-MM-DD with a real month and day',
  dateTime: 'YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss(.sss) with a time zone (Z or +hh:mm)',
  instant: 'YYYY-MM-DDThh:mm:ss(.sss) with a time zone (Z or +hh:mm)',
  time: 'hh:mm:ss(.sss), no time zone',
  id: "1 to 64 characters from A-Z, a-z, 0-9, '-' and '.'",
  code: 'no leading, trailing or double whitespace',
  uri: 'no whitespace',
  url: 'no whitespace',
  canonical: 'no whitespace',
  oid: 'urn:oid: followed by dotted numbers',
  uuid: 'urn:uuid: followed by a lowercase UUID',
  base64Binary: 'base64 encoded',
};

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

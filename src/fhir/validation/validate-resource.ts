/**
 * Validation of every resource written to the store: structure, JSON types, cardinality, primitive
 * formats, FHIRPath invariants and required code bindings, in one walk over the keys present (see
 * walk-resource.ts). Same verdicts as @medplum/core's `validateResource` plus the store's gap checks
 * (differential.test.ts proves it on the fixtures and thousands of mutations of them), at a fraction of
 * the cost; the documented differences are where FHIR JSON forbids what @medplum/core lets through.
 */
import { isResourceType } from '../definitions.js';
import { errorIssue, type ValidationIssue } from './validation-issue.js';
import { walkResource } from './walk-resource.js';

export { uncheckableRequiredBindings } from './required-bindings.js';
export type { ValidationIssue } from './validation-issue.js';

/** Validates a FHIR R4 resource; returns [] when it is valid. Never throws, whatever the input. */
export function validateFhirResource(resource: unknown): ValidationIssue[] {
  if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) {
    const got = resource === null ? 'null' : Array.isArray(resource) ? 'an array' : `a ${typeof resource}`;
    return [
      errorIssue(
        'structure',
        'resourceType',
        `a FHIR resource must be a JSON object with a resourceType; got ${got}`,
      ),
    ];
  }
  const obj = resource as Record<string, unknown>;
  const type = obj.resourceType;
  if (type === undefined) {
    return [
      errorIssue('required', 'resourceType', 'resourceType is missing; every FHIR resource names its type'),
    ];
  }
  if (typeof type !== 'string' || !isResourceType(type)) {
    return [errorIssue('value', 'resourceType', `${JSON.stringify(type)} is not a FHIR R4 resource type`)];
  }
  try {
    const issues: ValidationIssue[] = [];
    walkResource(obj, issues);
    return issues;
  } catch (err) {
    // Deeply nested or cyclic input can overflow the stack; report it rather than fail the write path.
    if (err instanceof RangeError)
      return [errorIssue('structure', type, 'the resource is nested too deeply to be validated')];
    const message = err instanceof Error ? err.message : String(err);
    return [errorIssue('invalid', type, `the resource could not be validated: ${message}`)];
  }
}

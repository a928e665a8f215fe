/**
 * Validation of every resource written to the store: structure, types, cardinality, formats and
 * invariants by @medplum/core, plus required code bindings and the gaps listed in walk-resource.ts.
 */
import { isResourceType } from '../definitions.js';
import { medplumIssues } from './medplum-issues.js';
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
    const issues = medplumIssues(obj);
    const walked: ValidationIssue[] = [];
    walkResource(obj, walked);
    // An element @medplum/core already faulted (e.g. a missing value) needs no second issue from the walk.
    const faulted = new Set(issues.map((i) => i.expression));
    for (const issue of walked) if (!faulted.has(issue.expression)) issues.push(issue);
    return issues;
  } catch (err) {
    // Deeply nested or cyclic input can overflow the stack; report it rather than fail the write path.
    const message = err instanceof Error ? err.message : String(err);
    return [errorIssue('invalid', type, `the resource could not be validated: ${message}`)];
  }
}

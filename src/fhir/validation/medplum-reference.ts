/**
 * The reference validator for the differential test and the benchmark, NOT for the write path: the
 * store's validator as it was before the single-pass walk. @medplum/core's full `validateResource`
 * (a crawl over every schema element, 220-2000 µs per resource), its issues converted by
 * medplum-issues.ts, plus the original gap walk for what @medplum/core leaves out: required code
 * bindings, resource ids, nested resources without a known resourceType, two variants of one choice
 * element, empty strings (which it treats as absent), and `resourceType` inside non-resource objects.
 */
import { isResourceType } from '../definitions.js';
import { checkCode, checkCodeableConcept, checkCoding } from './check-binding.js';
import { type ElementPlan, type TypePlan, typePlan } from './element-plans.js';
import { medplumIssues } from './medplum-issues.js';
import { errorIssue, type ValidationIssue } from './validation-issue.js';
import { expandValueSet, isUncheckable } from './value-sets.js';

/**
 * Validates like the store did with @medplum/core; `resource` must have a known resourceType. @medplum/core
 * writes into the resource when a complex element has a `_` companion, so it gets a copy unless `copy` is
 * false (the benchmark, on valid resources, measures the old path without that extra cost).
 */
export function validateWithMedplum(resource: Record<string, unknown>, copy = true): ValidationIssue[] {
  try {
    const issues = medplumIssues(copy ? structuredClone(resource) : resource);
    const walked: ValidationIssue[] = [];
    legacyWalk(resource, walked);
    // An element @medplum/core already faulted (e.g. a missing value) needs no second issue from the walk.
    const faulted = new Set(issues.map((i) => i.expression));
    for (const issue of walked) if (!faulted.has(issue.expression)) issues.push(issue);
    return issues;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return [
      errorIssue('invalid', String(resource.resourceType), `the resource could not be validated: ${message}`),
    ];
  }
}

// The original gap walk, unchanged.
const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

/** Walks a resource whose resourceType is already known to be valid; appends issues to `out`. */
function legacyWalk(resource: Record<string, unknown>, out: ValidationIssue[]): void {
  const type = resource.resourceType as string;
  const plan = typePlan(type);
  if (plan) walkObject(resource, plan, type, out);
}

function walkObject(
  obj: Record<string, unknown>,
  plan: TypePlan,
  path: string,
  out: ValidationIssue[],
): void {
  if (plan.isResource) checkId(obj.id, path, out);
  let choicesSeen: Map<string, string> | undefined;
  for (const key in obj) {
    const value = obj[key];
    const element = plan.keys.get(key);
    if (!element) {
      // Unknown keys are reported by @medplum/core, except `resourceType`, which it skips at any depth.
      if (key === 'resourceType' && !plan.isResource) {
        out.push(
          errorIssue('structure', `${path}.resourceType`, `resourceType is only allowed on a resource`),
        );
      }
      continue;
    }
    if (element.choice) {
      choicesSeen ??= new Map();
      const other = choicesSeen.get(element.choice);
      if (other === undefined) {
        choicesSeen.set(element.choice, element.valueKey);
      } else if (other !== element.valueKey) {
        const message = `${element.elementPath} is a choice of types and takes one value, but both ${other} and ${element.valueKey} are present`;
        out.push(errorIssue('structure', `${path}.${key}`, message));
      }
    }
    if (value === null || value === undefined) continue; // null is reported by @medplum/core
    const childPath = `${path}.${key}`;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) visitValue(value[i], element, `${childPath}[${i}]`, out);
    } else {
      visitValue(value, element, childPath, out);
    }
  }
}

function visitValue(value: unknown, element: ElementPlan, path: string, out: ValidationIssue[]): void {
  if (value === null || value === undefined) return;
  if (element.kind === 'primitive') {
    if (value === '') {
      out.push(
        errorIssue('value', path, 'empty string: FHIR primitive values must not be empty; omit the element'),
      );
    } else if (element.requiredValueSet && typeof value === 'string') {
      const vs = expandValueSet(element.requiredValueSet);
      if (!isUncheckable(vs)) checkCode(value, vs, path, out);
    }
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) return; // wrong JSON type: reported by @medplum/core
  const obj = value as Record<string, unknown>;
  if (element.kind === 'resource') {
    visitNestedResource(obj, path, out);
    return;
  }
  if (element.requiredValueSet) {
    const vs = expandValueSet(element.requiredValueSet);
    if (!isUncheckable(vs)) {
      if (element.type === 'CodeableConcept') checkCodeableConcept(obj, vs, path, out);
      else if (element.type === 'Coding') checkCoding(obj, vs, path, out);
    }
  }
  const plan = typePlan(element.type);
  if (plan) walkObject(obj, plan, path, out);
}

function visitNestedResource(obj: Record<string, unknown>, path: string, out: ValidationIssue[]): void {
  const type = obj.resourceType;
  if (typeof type !== 'string') {
    out.push(
      errorIssue(
        'required',
        `${path}.resourceType`,
        'a contained or nested resource must have a resourceType',
      ),
    );
    return;
  }
  if (!isResourceType(type)) {
    out.push(
      errorIssue('value', `${path}.resourceType`, `${JSON.stringify(type)} is not a FHIR R4 resource type`),
    );
    return;
  }
  const plan = typePlan(type);
  if (plan) walkObject(obj, plan, path, out);
}

function checkId(id: unknown, path: string, out: ValidationIssue[]): void {
  if (typeof id === 'string' && id !== '' && !ID_PATTERN.test(id)) {
    const message = `${JSON.stringify(id)} is not a valid id: 1 to 64 characters from A-Z, a-z, 0-9, '-' and '.'`;
    out.push(errorIssue('value', `${path}.id`, message));
  }
}

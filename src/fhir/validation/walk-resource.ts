/**
 * One walk over a resource's JSON, guided by the element plans, for what @medplum/core's validator
 * leaves out: required code bindings, and a few structural gaps it lets through (resource ids, nested
 * resources without a known resourceType, two variants of one choice element, empty strings, which it
 * treats as absent, and `resourceType` inside non-resource objects, which it skips everywhere).
 */
import { isResourceType } from '../definitions.js';
import { checkCode, checkCodeableConcept, checkCoding } from './check-binding.js';
import { type ElementPlan, type TypePlan, typePlan } from './element-plans.js';
import { errorIssue, type ValidationIssue } from './validation-issue.js';
import { expandValueSet, isUncheckable } from './value-sets.js';

// FHIR R4 datatypes section 2.24.0.1 `id`. Resource.id is typed System.String in the R4 definitions, so
// @medplum/core only checks it as a string.
const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

/** Walks a resource whose resourceType is already known to be valid; appends issues to `out`. */
export function walkResource(resource: Record<string, unknown>, out: ValidationIssue[]): void {
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

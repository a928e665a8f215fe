/**
 * The validator: one walk over the keys actually present in a resource's JSON, guided by the element
 * plans. Per key: known element (choice variants and `_` companions included), null, array or single
 * value (maximum cardinality), JSON type and format of primitives, empty values, required bindings and
 * element invariants; per object: its required elements (minimum cardinality). Contained and other
 * nested resources are walked the same way. Paths are kept on a stack and only joined into strings for
 * an issue, so a valid resource costs one Map lookup and a few comparisons per key.
 *
 * Semantics follow @medplum/core's `validateResource` (see medplum-reference.ts and the differential
 * test), except where it lets through what FHIR JSON forbids or reports a location that is not the
 * instance's: those cases are listed in documented-differences.ts with the reason for each.
 */
import { isResourceType } from '../definitions.js';
import {
  checkCode,
  checkCodeableConcept,
  checkCoding,
  codingAccepted,
  conceptAccepted,
} from './check-binding.js';
import {
  type ElementPlan,
  elementTypePlan,
  elementValueSet,
  type TypePlan,
  typePlan,
} from './element-plans.js';
import { type Invariant, InvariantScope } from './invariants.js';
import { primitiveProblem } from './primitives.js';
import { NullScanner } from './scan-nulls.js';
import type { ValidationIssue } from './validation-issue.js';

const NULL_MESSAGE =
  'null is not allowed in FHIR JSON (except to align a primitive array with its `_` array); omit the element';
const EMPTY_MESSAGE = 'empty objects and arrays are not allowed in FHIR JSON; omit the element';

/** Validates a resource whose resourceType is known to be valid; appends issues to `out`. */
export function walkResource(resource: Record<string, unknown>, out: ValidationIssue[]): void {
  new Walker(resource, out).walkRoot();
}

class Walker extends NullScanner {
  private readonly scope: InvariantScope;

  constructor(
    private readonly root: Record<string, unknown>,
    out: ValidationIssue[],
  ) {
    super(root.resourceType as string, out);
    this.scope = new InvariantScope(root);
  }

  walkRoot(): void {
    const type = this.root.resourceType as string;
    const plan = typePlan(type);
    if (!plan) return;
    // The resource's own invariants (dom-2, obs-6, ...): like @medplum/core, for the top-level resource only.
    this.invariants(plan.invariants, type, this.root);
    this.walkObject(this.root, plan);
  }

  private walkObject(obj: Record<string, unknown>, plan: TypePlan): void {
    let choices: Map<string, string> | undefined;
    for (const key in obj) {
      const value = obj[key];
      const element = plan.keys.get(key);
      if (element === undefined) {
        this.unknownKey(obj, key, value, plan);
        continue;
      }
      if (value === undefined) continue; // not JSON: a key set to undefined in code is absent
      if (element.choice !== undefined) choices = this.checkChoice(choices, element, key);
      if (value === null) {
        this.issue('structure', NULL_MESSAGE, key);
      } else if (element.kind === 'element') {
        this.primitiveElement(obj, key, value, element);
      } else if (Array.isArray(value)) {
        this.visitArray(obj, key, value, element);
      } else {
        if (element.isArray) {
          this.issue(
            'structure',
            `${key} repeats (${element.elementPath}), so its value must be a JSON array`,
            key,
          );
        } else if (element.max < 1) {
          this.countIssue(element, 1, key);
        }
        // A value of the wrong cardinality is still checked as one value, as @medplum/core does.
        this.push(key, -1);
        this.visit(value, element);
        this.pop();
      }
    }
    for (const required of plan.required) {
      let present = false;
      for (const k of required.keys) {
        if (obj[k] !== undefined) {
          present = true;
          break;
        }
      }
      if (!present) {
        const message = `${required.elementPath} is required (minimum cardinality 1) but is missing`;
        this.issue('required', message, required.name);
      }
    }
  }

  private unknownKey(obj: Record<string, unknown>, key: string, value: unknown, plan: TypePlan): void {
    if (key === 'resourceType') {
      if (!plan.isResource) {
        this.issue('structure', `resourceType is only allowed on a resource, not in a ${plan.type}`, key);
      }
      return;
    }
    const companionOf = key.startsWith('_') ? plan.keys.get(key.slice(1)) : undefined;
    const hint = companionOf
      ? ` (${companionOf.key} is a ${companionOf.type}: a \`_\` companion exists only for primitive elements)`
      : '';
    this.issue(
      'structure',
      `unknown element "${key}": it is not defined for ${plan.type} in FHIR R4${hint}`,
      key,
    );
    this.scanKey(obj, key, value);
  }

  private checkChoice(seen: Map<string, string> | undefined, element: ElementPlan, key: string) {
    const choices = seen ?? new Map<string, string>();
    const other = choices.get(element.choice!);
    if (other === undefined) {
      choices.set(element.choice!, element.valueKey);
    } else if (other !== element.valueKey) {
      const message = `${element.elementPath} is a choice of types and takes one value, but both ${other} and ${element.valueKey} are present`;
      this.issue('structure', message, key);
    }
    return choices;
  }

  private visitArray(
    obj: Record<string, unknown>,
    key: string,
    values: unknown[],
    element: ElementPlan,
  ): void {
    if (values.length === 0) {
      this.issue('structure', EMPTY_MESSAGE, key);
      return;
    }
    if (!element.isArray) {
      // Reported once; each item is still checked as a value of the element, as @medplum/core does.
      const message = `${key} takes a single value (maximum cardinality 1), but an array was given`;
      this.issue('structure', message, key);
    } else if (values.length < element.min || values.length > element.max) {
      this.countIssue(element, values.length, key);
    }
    this.push(key, 0);
    for (let i = 0; i < values.length; i++) {
      this.setIndex(i);
      const value = values[i];
      if (value !== null) this.visit(value, element);
      else if (!this.alignedNull(obj, key, i)) this.issue('structure', NULL_MESSAGE);
    }
    this.pop();
  }

  /** Visits one non-null value of `element`, whose path is on top of the stack. */
  private visit(value: unknown, element: ElementPlan): void {
    if (element.kind === 'primitive') {
      const problem = primitiveProblem(value, element.primitive!, element.key);
      if (problem) {
        this.issue(problem[0], problem[1]);
        if (typeof value === 'object') this.scanObject(value as object);
        return;
      }
      if (element.requiredValueSet !== undefined && typeof value === 'string') {
        const vs = elementValueSet(element);
        if (vs !== null && !vs.codes.has(value)) checkCode(value, vs, this.path(), this.out);
      }
      if (element.invariants.length > 0) this.invariants(element.invariants, element.type, value);
    } else if (typeof value !== 'object' || Array.isArray(value)) {
      const got = Array.isArray(value) ? 'an array' : `a ${typeof value}`;
      const message = `wrong JSON type: ${element.key} must be a JSON object (FHIR ${element.type}), but ${got} was given`;
      this.issue('structure', message);
      if (Array.isArray(value)) this.scanObject(value);
    } else if (isEmptyObject(value as object)) {
      this.issue('structure', EMPTY_MESSAGE);
      // What it lacks, too (nothing else in it can be wrong).
      if (element.kind === 'resource') this.visitResource(value as Record<string, unknown>, element);
      const plan = element.kind === 'complex' ? elementTypePlan(element) : undefined;
      if (plan) this.walkObject(value as Record<string, unknown>, plan);
    } else if (element.kind === 'resource') {
      this.visitResource(value as Record<string, unknown>, element);
    } else {
      const obj = value as Record<string, unknown>;
      if (element.invariants.length > 0) this.invariants(element.invariants, element.type, obj);
      if (element.requiredValueSet !== undefined) this.checkBinding(obj, element);
      if (element.targetProfiles !== undefined) this.checkReference(obj, element);
      const plan = elementTypePlan(element);
      if (plan) this.walkObject(obj, plan);
    }
  }

  private visitResource(obj: Record<string, unknown>, element: ElementPlan): void {
    const type = obj.resourceType;
    if (typeof type !== 'string') {
      this.issue('required', 'a contained or nested resource must have a resourceType', 'resourceType');
      this.scanObject(obj);
      return;
    }
    const plan = isResourceType(type) ? typePlan(type) : undefined;
    if (!plan) {
      this.issue('value', `${JSON.stringify(type)} is not a FHIR R4 resource type`, 'resourceType');
      this.scanObject(obj);
      return;
    }
    if (element.invariants.length > 0) this.invariants(element.invariants, type, obj);
    const previous = this.scope.enterResource({ type, value: obj });
    this.walkObject(obj, plan);
    this.scope.exitResource(previous);
  }

  /**
   * The `_key` companion of a primitive (its id and extensions): an object, or for a repeating element an
   * array aligned with the values. Issues inside it are reported at the primitive's FHIRPath location
   * (`Patient.birthDate.extension[0].url`), as @medplum/core does; issues with its shape at `_key`.
   */
  private primitiveElement(
    obj: Record<string, unknown>,
    key: string,
    value: unknown,
    element: ElementPlan,
  ): void {
    const plan = typePlan('Element')!;
    if (!element.isArray) {
      if (this.elementShapeProblem(value, key, -1)) this.scanKey(obj, key, value);
      else this.visitElement(value as Record<string, unknown>, element.valueKey, -1, plan);
      return;
    }
    if (!Array.isArray(value)) {
      this.issue('structure', `${key} must be an array aligned with the values of ${element.valueKey}`, key);
      this.scanKey(obj, key, value);
      return;
    }
    if (value.length === 0) this.issue('structure', EMPTY_MESSAGE, key);
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item === null) {
        if (!this.alignedNull(obj, key, i)) this.issue('structure', NULL_MESSAGE, key, i);
      } else if (!this.elementShapeProblem(item, key, i)) {
        this.visitElement(item as Record<string, unknown>, element.valueKey, i, plan);
      } else if (typeof item === 'object') {
        this.push(key, i);
        this.scanObject(item);
        this.pop();
      }
    }
  }

  private elementShapeProblem(value: unknown, key: string, index: number): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const message = `${key} must be a JSON object holding the id and extensions of a primitive value`;
      this.issue('structure', message, key, index);
      return true;
    }
    if (isEmptyObject(value)) {
      this.issue('structure', EMPTY_MESSAGE, key, index);
      return true;
    }
    return false;
  }

  private visitElement(
    value: Record<string, unknown>,
    valueKey: string,
    index: number,
    plan: TypePlan,
  ): void {
    this.push(valueKey, index);
    this.walkObject(value, plan);
    this.pop();
  }

  private invariants(invariants: readonly Invariant[], type: string, value: unknown): void {
    for (const invariant of invariants) {
      const failure = this.scope.failure(invariant, type, value);
      if (failure !== undefined) {
        const detail = failure ? `; ${failure}` : '';
        const message = `invariant ${invariant.key} failed: ${invariant.human} (FHIRPath: ${invariant.expression})${detail}`;
        this.issue('invariant', message);
        return; // as @medplum/core: the first failing invariant of a value only
      }
    }
  }

  private checkBinding(obj: Record<string, unknown>, element: ElementPlan): void {
    const vs = elementValueSet(element);
    if (vs === null) return;
    if (element.type === 'CodeableConcept') {
      if (!conceptAccepted(obj, vs)) checkCodeableConcept(obj, vs, this.path(), this.out);
    } else if (element.type === 'Coding') {
      if (!codingAccepted(obj, vs)) checkCoding(obj, vs, this.path(), this.out);
    }
  }

  /** @medplum/core's reference target check (a warning): `Patient/1` where only Practitioner may be. */
  private checkReference(obj: Record<string, unknown>, element: ElementPlan): void {
    const reference = obj.reference;
    if (typeof reference !== 'string' || reference.startsWith('#')) return;
    const end = reference.indexOf(reference.includes('?') ? '?' : '/');
    const target = end < 0 ? reference : reference.slice(0, end);
    // Absolute URLs and urn:uuid references name no type here (normal in Bundles): nothing to compare.
    if (!target || !isResourceType(target)) return;
    const allowed: string[] = [];
    for (const profile of element.targetProfiles!) {
      const type = targetType(profile);
      if (type === undefined || type === 'Resource' || type === target) return;
      allowed.push(type);
    }
    const message = `the reference points to a ${target}, but ${element.elementPath} may only point to ${allowed.join(', ')}`;
    this.out.push({ severity: 'warning', code: 'structure', expression: this.path(), diagnostics: message });
  }

  private countIssue(element: ElementPlan, count: number, key: string): void {
    const max = Number.isFinite(element.max) ? element.max : '*';
    const message = `${element.elementPath} allows ${element.min}..${max} values, but ${count} were given`;
    this.issue(count < element.min ? 'required' : 'structure', message, key);
  }
}

const HL7_PROFILE = 'http://hl7.org/fhir/StructureDefinition/';
const MEDPLUM_PROFILE = 'https://medplum.com/fhir/StructureDefinition/';

/** The resource type a core target profile names; undefined for other profiles (cannot be checked). */
function targetType(profile: string): string | undefined {
  if (profile.startsWith(HL7_PROFILE)) return profile.slice(HL7_PROFILE.length);
  if (profile.startsWith(MEDPLUM_PROFILE)) return profile.slice(MEDPLUM_PROFILE.length);
  return undefined;
}

function isEmptyObject(value: object): boolean {
  for (const _ in value) return false;
  return true;
}

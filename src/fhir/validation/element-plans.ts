/**
 * Per FHIR type, a lookup from each JSON key a value of that type may carry to everything the walk needs
 * to check the value under that key: type and kind, cardinality, primitive format, invariants, required
 * binding, reference targets. Built once per type from @medplum/core's indexed schemas (BackboneElements
 * are their own types there, e.g. `PatientContact`), so that the per-resource walk does one Map lookup
 * per key present and never looks at the elements that are absent, except for the few required ones.
 */
import { type InternalSchemaElement, type InternalTypeSchema, tryGetDataType } from '@medplum/core';
import { loadFhirDefinitions } from '../definitions.js';
import { compileInvariants, type Invariant } from './invariants.js';
import { type PrimitiveRule, primitiveRule } from './primitives.js';
import { type ExpandedValueSet, expandValueSet, isUncheckable, stripVersion } from './value-sets.js';

/** What one JSON key of a type holds. */
export interface ElementPlan {
  /** The JSON key: 'name', 'valueQuantity', '_birthDate'. */
  key: string;
  /** FHIR type of the value: 'code', 'CodeableConcept', 'PatientContact', 'Resource', ... */
  type: string;
  /** 'element' is the `_key` companion of a primitive: its id and extensions (FHIR JSON section 2.6.2). */
  kind: 'primitive' | 'complex' | 'resource' | 'element';
  /** The element's path in the spec, e.g. 'Patient.contact.gender' (for messages). */
  elementPath: string;
  /** For choice variants (`deceasedBoolean`, `_valueString`): the choice element, e.g. 'deceased[x]'. */
  choice?: string;
  /** The JSON key of the value this key belongs to: 'valueString' for both `valueString` and `_valueString`. */
  valueKey: string;
  /** True when the JSON value is an array (maximum cardinality above 1 in the base definition). */
  isArray: boolean;
  min: number;
  max: number;
  /** For primitives: JSON type and format. */
  primitive?: PrimitiveRule;
  /** URL (version stripped) of the value set of a required binding. */
  requiredValueSet?: string;
  /** Error invariants of the element, evaluated on each value present. */
  invariants: readonly Invariant[];
  /** For Reference elements: the target profiles (reference type warnings). */
  targetProfiles?: readonly string[];
  /** Lazily resolved: the plan of `type` (complex) and the expansion of the required value set. */
  typePlan?: TypePlan;
  valueSet?: ExpandedValueSet | null;
}

/** An element with minimum cardinality 1 or more: present when any of `keys` is in the object. */
export interface RequiredElement {
  /** Its name as written in messages and paths: 'status', 'medication[x]'. */
  name: string;
  elementPath: string;
  keys: readonly string[];
}

/** The keys a value of one FHIR type may carry. */
export interface TypePlan {
  type: string;
  isResource: boolean;
  keys: ReadonlyMap<string, ElementPlan>;
  /** Per choice element name without `[x]` ('value'): its variants in the order of its types. */
  choices: ReadonlyMap<string, readonly ElementPlan[]>;
  required: readonly RequiredElement[];
  /** The type's own invariants (e.g. dom-2, obs-6): evaluated on the top-level resource only. */
  invariants: readonly Invariant[];
}

const plans = new Map<string, TypePlan | undefined>();

/** The plan for a FHIR type name as @medplum/core indexes it (undefined for unknown types). */
export function typePlan(type: string): TypePlan | undefined {
  let plan = plans.get(type);
  if (plan === undefined && !plans.has(type)) {
    loadFhirDefinitions();
    plan = buildPlan(type);
    plans.set(type, plan);
  }
  return plan;
}

/** The plan of a complex element's type, cached on the element. */
export function elementTypePlan(element: ElementPlan): TypePlan | undefined {
  element.typePlan ??= typePlan(element.type);
  return element.typePlan;
}

/** The expansion of an element's required value set, or null when it has none or it cannot be checked. */
export function elementValueSet(element: ElementPlan): ExpandedValueSet | null {
  if (element.valueSet === undefined) {
    const vs = element.requiredValueSet ? expandValueSet(element.requiredValueSet) : undefined;
    element.valueSet = vs && !isUncheckable(vs) ? vs : null;
  }
  return element.valueSet;
}

/** True for FHIR primitive type codes ('code', 'dateTime', and the FHIRPath System.String used for ids). */
export function isPrimitiveType(type: string): boolean {
  const first = type.charCodeAt(0);
  return (first >= 97 && first <= 122) || type.startsWith('http://hl7.org/fhirpath/');
}

function buildPlan(type: string): TypePlan | undefined {
  const schema = tryGetDataType(type);
  if (!schema) return undefined;
  const isResource = schema.kind === 'resource';
  const keys = new Map<string, ElementPlan>();
  const choices = new Map<string, ElementPlan[]>();
  const required: RequiredElement[] = [];
  for (const [name, element] of Object.entries(schema.elements)) {
    const planned = planElement(name, element, isResource);
    for (const plan of planned) keys.set(plan.key, plan);
    if (name.endsWith('[x]'))
      choices.set(
        name.slice(0, -3),
        planned.filter((p) => p.kind !== 'element'),
      );
    if (element.min > 0) {
      required.push({ name, elementPath: element.path, keys: planned.map((p) => p.key) });
    }
  }
  return {
    type,
    isResource,
    keys,
    choices,
    required,
    invariants: compileInvariants(rootConstraints(schema)),
  };
}

function rootConstraints(schema: InternalTypeSchema): InternalTypeSchema['constraints'] {
  return schema.kind === 'resource' ? schema.constraints : undefined;
}

/** The plans of the keys one schema element may appear under: one per type of a choice, plus `_` keys. */
function planElement(name: string, element: InternalSchemaElement, inResource: boolean): ElementPlan[] {
  const binding = element.binding;
  const requiredValueSet =
    binding?.strength === 'required' && binding.valueSet ? stripVersion(binding.valueSet) : undefined;
  const isChoice = name.endsWith('[x]');
  const base = isChoice ? name.slice(0, -3) : name;
  const choice = isChoice ? name : undefined;
  const invariants = compileInvariants(element.constraints);
  const result: ElementPlan[] = [];
  for (const t of element.type) {
    const key = isChoice ? base + t.code.charAt(0).toUpperCase() + t.code.slice(1) : name;
    const kind = isPrimitiveType(t.code) ? 'primitive' : t.code === 'Resource' ? 'resource' : 'complex';
    // Resource.id is typed System.String in R4; its format is that of the id type (datatypes 2.24.0.1).
    const formatType = inResource && name === 'id' ? 'id' : t.code;
    result.push({
      key,
      type: t.code,
      kind,
      elementPath: element.path,
      choice,
      valueKey: key,
      isArray: element.isArray === true,
      min: element.min,
      max: element.max,
      primitive: kind === 'primitive' ? primitiveRule(formatType) : undefined,
      requiredValueSet,
      invariants,
      targetProfiles: t.code === 'Reference' ? t.targetProfile : undefined,
    });
    if (kind === 'primitive') {
      result.push({
        key: `_${key}`,
        type: 'Element',
        kind: 'element',
        elementPath: element.path,
        choice,
        valueKey: key,
        isArray: element.isArray === true,
        min: 0,
        max: element.max,
        invariants: [],
      });
    }
    if (!isChoice) break;
  }
  return result;
}

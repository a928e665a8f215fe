/**
 * Per FHIR type, a lookup from each JSON key a value of that type may carry to what the key holds: its
 * type, whether it is a choice (`value[x]`) variant, and its required binding. Built once per type from
 * @medplum/core's indexed schemas (BackboneElements are their own types there, e.g. `PatientContact`),
 * so that the per-resource walk is one Map lookup per key.
 */
import { tryGetDataType } from '@medplum/core';
import { loadFhirDefinitions } from '../definitions.js';
import { stripVersion } from './value-sets.js';

/** What one JSON key of a type holds. */
export interface ElementPlan {
  /** FHIR type of the value: 'code', 'CodeableConcept', 'PatientContact', 'Resource', ... */
  type: string;
  kind: 'primitive' | 'complex' | 'resource';
  /** The element's path in the spec, e.g. 'Patient.contact.gender' (for messages). */
  elementPath: string;
  /** For choice variants (`deceasedBoolean`, `_valueString`): the choice element, e.g. 'deceased[x]'. */
  choice?: string;
  /** The JSON key of the value this key belongs to: 'valueString' for both `valueString` and `_valueString`. */
  valueKey: string;
  /** URL (version stripped) of the value set of a required binding. */
  requiredValueSet?: string;
}

/** The keys a value of one FHIR type may carry. */
export interface TypePlan {
  type: string;
  isResource: boolean;
  keys: ReadonlyMap<string, ElementPlan>;
}

const plans = new Map<string, TypePlan | undefined>();

/** The plan for a FHIR type name as @medplum/core indexes it (undefined for unknown types). */
export function typePlan(type: string): TypePlan | undefined {
  if (plans.has(type)) return plans.get(type);
  loadFhirDefinitions();
  const plan = buildPlan(type);
  plans.set(type, plan);
  return plan;
}

/** True for FHIR primitive type codes ('code', 'dateTime', and the FHIRPath System.String used for ids). */
export function isPrimitiveType(type: string): boolean {
  const first = type.charCodeAt(0);
  return (first >= 97 && first <= 122) || type.startsWith('http://hl7.org/fhirpath/');
}

function buildPlan(type: string): TypePlan | undefined {
  const schema = tryGetDataType(type);
  if (!schema) return undefined;
  const keys = new Map<string, ElementPlan>();
  for (const [name, element] of Object.entries(schema.elements)) {
    const binding = element.binding;
    const requiredValueSet =
      binding?.strength === 'required' && binding.valueSet ? stripVersion(binding.valueSet) : undefined;
    const isChoice = name.endsWith('[x]');
    const base = isChoice ? name.slice(0, -3) : name;
    for (const t of element.type) {
      const key = isChoice ? base + t.code.charAt(0).toUpperCase() + t.code.slice(1) : name;
      const kind = isPrimitiveType(t.code) ? 'primitive' : t.code === 'Resource' ? 'resource' : 'complex';
      const choice = isChoice ? name : undefined;
      keys.set(key, {
        type: t.code,
        kind,
        elementPath: element.path,
        choice,
        valueKey: key,
        requiredValueSet,
      });
      // A primitive's id and extensions travel in a sibling `_key` object (FHIR JSON, section 2.6.2).
      if (kind === 'primitive') {
        keys.set('_' + key, {
          type: 'Element',
          kind: 'complex',
          elementPath: element.path,
          choice,
          valueKey: key,
        });
      }
      if (!isChoice) break;
    }
  }
  return { type, isResource: schema.kind === 'resource', keys };
}

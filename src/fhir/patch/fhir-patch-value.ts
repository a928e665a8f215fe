/**
 * Turns the `value` part of a FHIR Patch operation into the JSON to store: a value[x] as is, a `resource`, or
 * nested `part`s assembled into a complex value (lists and choice names decided by the R4 definitions).
 */
import type { InternalSchemaElement } from '@medplum/core';
import { isObject } from './fhir-patch-operations.js';
import { baseName, capitalize, elementOf } from './fhir-path-locations.js';
import { PatchError, refusePrototypeKey } from './patch-error.js';

/** A value ready to store, with its FHIR type when the patch says it and any primitive `_value[x]`. */
export interface PatchValue {
  value: unknown;
  type?: string;
  /** The primitive's id/extensions (`_valueDate`), which live beside the value in FHIR JSON. */
  shadow?: unknown;
}

// value[x] suffixes of primitive types start lower-case in the type name ('valueDateTime' is a 'dateTime').
const PRIMITIVE_TYPES = new Set([
  'base64Binary',
  'boolean',
  'canonical',
  'code',
  'date',
  'dateTime',
  'decimal',
  'id',
  'instant',
  'integer',
  'markdown',
  'oid',
  'positiveInt',
  'string',
  'time',
  'unsignedInt',
  'uri',
  'url',
  'uuid',
]);

/** Builds the value of `part` for an element of type `type` (undefined when unknown or a choice). */
export function buildValue(
  part: Record<string, unknown>,
  type: string | undefined,
  expression: string,
): PatchValue {
  const valueKeys = Object.keys(part).filter((key) => /^value[A-Z]/.test(key));
  const sources =
    valueKeys.length + (part.resource === undefined ? 0 : 1) + (part.part === undefined ? 0 : 1);
  if (sources !== 1) {
    throw new PatchError(`${expression} needs exactly one of value[x], resource or part`, expression);
  }
  if (valueKeys.length === 1) {
    const key = valueKeys[0];
    const suffix = key.slice('value'.length);
    const lower = suffix.charAt(0).toLowerCase() + suffix.slice(1);
    const shadow = part[`_${key}`];
    return {
      value: structuredClone(part[key]),
      type: PRIMITIVE_TYPES.has(lower) ? lower : suffix,
      ...(shadow === undefined ? {} : { shadow: structuredClone(shadow) }),
    };
  }
  if (part.resource !== undefined) {
    const resource = part.resource;
    if (!isObject(resource) || typeof resource.resourceType !== 'string') {
      throw new PatchError(`${expression}.resource is not a resource`, `${expression}.resource`);
    }
    return { value: structuredClone(resource), type: resource.resourceType };
  }
  if (!Array.isArray(part.part) || part.part.length === 0) {
    throw new PatchError(`${expression}.part must be a non-empty array`, `${expression}.part`);
  }
  return { value: assemble(part.part, type, expression), ...(type ? { type } : {}) };
}

/** The single type of an element, or undefined for choice elements (their value part decides). */
export function typeOfElement(element: InternalSchemaElement | undefined): string | undefined {
  if (!element || element.path.endsWith('[x]')) return undefined;
  return element.type[0]?.code;
}

/** The JSON property a value goes in: for a choice element named by its base, base + the value's type. */
export function keyFor(
  element: InternalSchemaElement | undefined,
  name: string,
  value: PatchValue,
  expression: string,
) {
  if (!element?.path.endsWith('[x]') || name !== baseName(element)) return name;
  const type = element.type.find((t) => t.code === value.type);
  if (!type) {
    const allowed = element.type.map((t) => t.code).join(', ');
    throw new PatchError(
      `${name}[x] cannot hold a ${value.type ?? 'untyped value'} (allowed: ${allowed})`,
      expression,
    );
  }
  return name + capitalize(type.code);
}

function assemble(parts: unknown[], type: string | undefined, expression: string): Record<string, unknown> {
  const groups = new Map<
    string,
    { element?: InternalSchemaElement; values: PatchValue[]; expression: string }
  >();
  parts.forEach((part, j) => {
    const partExpression = `${expression}.part[${j}]`;
    if (!isObject(part) || typeof part.name !== 'string' || part.name === '') {
      throw new PatchError(`${partExpression} needs a name`, partExpression);
    }
    refusePrototypeKey(part.name, partExpression);
    const element = type ? elementOf(type, part.name, partExpression) : undefined;
    const value = buildValue(part, typeOfElement(element), partExpression);
    const key = keyFor(element, part.name, value, partExpression);
    const group = groups.get(key) ?? { element, values: [], expression: partExpression };
    group.values.push(value);
    groups.set(key, group);
  });
  const result: Record<string, unknown> = {};
  for (const [key, { element, values, expression: partExpression }] of groups) {
    // Without a definition (unknown type) a repeated name is the only hint that the property is a list.
    const repeats = element ? element.isArray : values.length > 1;
    if (!repeats && values.length > 1) {
      throw new PatchError(`${partExpression}: '${key}' does not repeat`, partExpression);
    }
    result[key] = repeats ? values.map((v) => v.value) : values[0].value;
    if (values.some((v) => v.shadow !== undefined)) {
      result[`_${key}`] = repeats ? values.map((v) => v.shadow ?? null) : values[0].shadow;
    }
  }
  return result;
}

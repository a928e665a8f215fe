/**
 * Reads a FHIR Patch Parameters resource (https://hl7.org/fhir/R4/fhirpatch.html) into a list of operations,
 * rejecting malformed ones with the Parameters path of the offending part.
 */
import { PatchError, refusePrototypeKey } from './patch-error.js';

/** The five FHIR Patch operation types. */
export type FhirPatchOperationType = 'add' | 'insert' | 'delete' | 'replace' | 'move';

/** One `operation` parameter of a FHIR Patch. */
export interface FhirPatchOperation {
  type: FhirPatchOperationType;
  path: string;
  name?: string;
  /** The `value` part itself (value[x], resource or nested parts); assembled once the target type is known. */
  value?: Record<string, unknown>;
  index?: number;
  source?: number;
  destination?: number;
  /** Where the operation sits in the patch, e.g. 'Parameters.parameter[2]'. */
  expression: string;
}

const REQUIRED: Record<FhirPatchOperationType, readonly PartName[]> = {
  add: ['path', 'name', 'value'],
  insert: ['path', 'index', 'value'],
  delete: ['path'],
  replace: ['path', 'value'],
  move: ['path', 'source', 'destination'],
};

type PartName = 'type' | 'path' | 'name' | 'value' | 'index' | 'source' | 'destination';
const PART_NAMES = new Set<string>(['type', 'path', 'name', 'value', 'index', 'source', 'destination']);

/** Parses and checks the operations of a FHIR Patch Parameters resource. */
export function readFhirPatch(patch: unknown): FhirPatchOperation[] {
  if (!isObject(patch) || patch.resourceType !== 'Parameters') {
    throw malformed('A FHIR Patch must be a Parameters resource', 'Parameters');
  }
  const parameters = patch.parameter ?? [];
  if (!Array.isArray(parameters)) {
    throw malformed('Parameters.parameter must be an array', 'Parameters.parameter');
  }
  return parameters.map((parameter, i) => readOperation(parameter, `Parameters.parameter[${i}]`));
}

function readOperation(parameter: unknown, expression: string): FhirPatchOperation {
  if (!isObject(parameter)) throw malformed(`${expression} must be an object`, expression);
  if (parameter.name !== 'operation') {
    throw malformed(`${expression} must be named 'operation'`, `${expression}.name`);
  }
  if (!Array.isArray(parameter.part)) throw malformed(`${expression} has no parts`, expression);
  const parts = new Map<PartName, { part: Record<string, unknown>; expression: string }>();
  parameter.part.forEach((part: unknown, j: number) => {
    const partExpression = `${expression}.part[${j}]`;
    if (!isObject(part) || typeof part.name !== 'string' || !PART_NAMES.has(part.name)) {
      const name = isObject(part) ? JSON.stringify(part.name) : 'none';
      throw malformed(`${partExpression} has an unknown name (${name})`, partExpression);
    }
    const name = part.name as PartName;
    if (parts.has(name)) throw malformed(`${partExpression} repeats the '${name}' part`, partExpression);
    parts.set(name, { part, expression: partExpression });
  });

  const typePart = parts.get('type');
  if (!typePart) throw malformed(`${expression} has no 'type' part`, expression);
  const type = primitive(typePart.part, 'string', typePart.expression);
  // An own key only: 'constructor' or 'toString' are in every object.
  if (!Object.hasOwn(REQUIRED, type)) {
    throw malformed(`${typePart.expression}: unknown operation type '${type}'`, typePart.expression);
  }
  const opType = type as FhirPatchOperationType;
  for (const required of REQUIRED[opType]) {
    if (!parts.has(required)) {
      throw malformed(`${expression}: '${type}' needs a '${required}' part`, expression);
    }
  }

  const text = (name: PartName) => {
    const found = parts.get(name);
    return found ? primitive(found.part, 'string', found.expression) : undefined;
  };
  const integer = (name: PartName) => {
    const found = parts.get(name);
    if (!found) return undefined;
    const value = primitive(found.part, 'number', found.expression);
    if (!Number.isInteger(value) || value < 0) {
      throw malformed(`${found.expression}: '${name}' must be a non-negative integer`, found.expression);
    }
    return value;
  };
  const name = text('name');
  if (name !== undefined) refusePrototypeKey(name, parts.get('name')!.expression);
  return {
    type: opType,
    path: text('path') as string,
    name,
    value: parts.get('value')?.part,
    index: integer('index'),
    source: integer('source'),
    destination: integer('destination'),
    expression,
  };
}

/** The single value[x] of a part, which must be a JSON string or number as asked. */
function primitive(part: Record<string, unknown>, kind: 'string', expression: string): string;
function primitive(part: Record<string, unknown>, kind: 'number', expression: string): number;
function primitive(
  part: Record<string, unknown>,
  kind: 'string' | 'number',
  expression: string,
): string | number {
  const keys = Object.keys(part).filter((key) => /^value[A-Z]/.test(key));
  const value = keys.length === 1 ? part[keys[0]] : undefined;
  // Any string-like (valueCode, valueString, ...) or integer-like (valueInteger, ...) type is accepted.
  if (typeof value !== kind || value === '') {
    throw malformed(`${expression} ('${String(part.name)}') needs a single ${kind} value[x]`, expression);
  }
  return value as string | number;
}

/** True for a non-null, non-array object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every fault this file finds is in the patch document itself: 400, not 422. */
function malformed(message: string, expression: string): PatchError {
  return new PatchError(message, expression, true);
}

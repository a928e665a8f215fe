/**
 * FHIR Patch (https://hl7.org/fhir/R4/fhirpatch.html): add, insert, delete, replace and move, addressed by
 * FHIRPath. Operations run in order on a copy of the resource, so a failing patch leaves no partial result.
 */
import { loadFhirDefinitions } from '../definitions.js';
import { type FhirPatchOperation, isObject, readFhirPatch } from './fhir-patch-operations.js';
import { buildValue, keyFor, type PatchValue, typeOfElement } from './fhir-patch-value.js';
import {
  baseName,
  elementOf,
  type Location,
  resolveList,
  resolveLocations,
  rootLocation,
  single,
} from './fhir-path-locations.js';
import { PatchError, refuseTooDeep } from './patch-error.js';

type JsonObject = Record<string, unknown>;

/** Applies a FHIR Patch (a Parameters resource) to a copy of `resource`; throws PatchError when it cannot. */
export function applyFhirPatch<T extends object>(resource: T, patch: unknown): T {
  if (!isObject(resource) || typeof resource.resourceType !== 'string') {
    throw new PatchError('FHIR Patch applies to a FHIR resource (an object with a resourceType)');
  }
  const parameters = (patch as { parameter?: unknown } | null)?.parameter;
  return refuseTooDeep(
    parameters,
    (i) => `Parameters.parameter[${i}]`,
    () => apply(resource, patch),
  );
}

function apply<T extends object>(resource: T & JsonObject, patch: unknown): T {
  const operations = readFhirPatch(patch);
  loadFhirDefinitions();
  const result = structuredClone(resource) as JsonObject;
  const root = rootLocation(result);
  for (const operation of operations) {
    try {
      APPLY[operation.type](root, operation);
    } catch (err) {
      if (err instanceof PatchError) {
        throw new PatchError(
          `${operation.expression} (${operation.type} ${operation.path}): ${err.message}`,
          err.expression,
          err.malformed,
        );
      }
      throw err;
    }
  }
  return result as T;
}

const APPLY: Record<FhirPatchOperation['type'], (root: Location, op: FhirPatchOperation) => void> = {
  add(root, op) {
    const container = single(resolveLocations(root, op.path), op.path, 'when adding');
    const obj = objectAt(container, op.path);
    const name = op.name as string;
    const element = elementOf(container.type, name, op.path);
    const value = buildValue(op.value as JsonObject, typeOfElement(element), `${op.expression}.value`);
    const key = keyFor(element, name, value, op.path);
    if (element?.isArray || (!element && Array.isArray(obj[key]))) {
      const list = Array.isArray(obj[key]) ? obj[key] : [];
      insertItem(obj, key, list, list.length, value);
      return;
    }
    // The spec allows add on a single-valued element only while it is empty; replace is for the rest.
    const taken = element?.path.endsWith('[x]') ? choiceKeys(obj, baseName(element)) : [key];
    const present = taken.filter((k) => obj[k] !== undefined);
    if (present.length > 0) {
      throw new PatchError(`${op.path} already has ${present.join(', ')}; use replace`, op.path);
    }
    setSingle(obj, key, value);
  },

  insert(root, op) {
    const { container, key, element } = resolveList(root, op.path);
    const obj = objectAt(container, op.path);
    const list = Array.isArray(obj[key]) ? obj[key] : [];
    const index = op.index as number;
    if (index > list.length) {
      throw new PatchError(`index ${index} is past the end of ${op.path} (${list.length})`, op.path);
    }
    const value = buildValue(op.value as JsonObject, typeOfElement(element), `${op.expression}.value`);
    insertItem(obj, key, list, index, value);
  },

  move(root, op) {
    const { container, key } = resolveList(root, op.path);
    const obj = objectAt(container, op.path);
    const list = Array.isArray(obj[key]) ? obj[key] : [];
    const source = within('source', op.source as number, list.length, op.path);
    const destination = within('destination', op.destination as number, list.length, op.path);
    list.splice(destination, 0, ...list.splice(source, 1));
    editShadows(obj, key, list.length, (shadows) =>
      shadows.splice(destination, 0, ...shadows.splice(source, 1)),
    );
  },

  replace(root, op) {
    const target = single(resolveLocations(root, op.path), op.path, 'when replacing');
    const { parent, key, index, element } = slotOf(target, op.path);
    const obj = parent.value as JsonObject;
    const value = buildValue(op.value as JsonObject, typeOfElement(element), `${op.expression}.value`);
    if (index !== undefined) {
      (obj[key] as unknown[])[index] = value.value;
      editShadows(obj, key, (obj[key] as unknown[]).length, (shadows) => {
        shadows[index] = value.shadow ?? null;
      });
      return;
    }
    // A choice element may change type: Observation.value from valueQuantity to valueString.
    const newKey = element?.path.endsWith('[x]') ? keyFor(element, baseName(element), value, op.path) : key;
    if (newKey !== key) setSingle(obj, key, undefined);
    setSingle(obj, newKey, value);
  },

  delete(root, op) {
    const targets = resolveLocations(root, op.path);
    if (targets.length === 0) return; // deleting what is not there is a no-op, per the spec
    const target = single(targets, op.path, 'when deleting');
    const { parent, key, index } = slotOf(target, op.path);
    removeFrom(parent.value as JsonObject, key, index);
    prune(parent);
  },
};

/** The container object of a location, which add/insert/move need. */
function objectAt(location: Location, path: string): JsonObject {
  if (!isObject(location.value)) {
    throw new PatchError(`${path} is a primitive or list; it cannot hold elements`, path);
  }
  return location.value;
}

/** `index` when it is a position in a list of `length` items. */
function within(what: string, index: number, length: number, path: string): number {
  if (index >= length) throw new PatchError(`${what} ${index} is outside ${path} (${length} items)`, path);
  return index;
}

/** Where a selected element sits; the resource itself has no container to change. */
function slotOf(target: Location, path: string) {
  const { parent, key } = target;
  if (!parent || key === undefined) throw new PatchError(`${path} is the resource itself`, path);
  return { parent, key, index: target.index, element: target.element };
}

/** The properties of `obj` that hold some type of the choice element `base` ('deceasedBoolean', ...). */
function choiceKeys(obj: JsonObject, base: string): string[] {
  return Object.keys(obj).filter((k) => k.startsWith(base) && /^[A-Z]/.test(k.slice(base.length)));
}

// Primitive ids/extensions live in a parallel `_key` property (an array aligned with the list when the
// property repeats); these helpers keep it in step with the values so an extension never moves to a neighbour.

function setSingle(obj: JsonObject, key: string, value: PatchValue | undefined): void {
  if (value === undefined) delete obj[key];
  else obj[key] = value.value;
  // The patch value replaces the whole element, so the old element's id/extensions go with it.
  if (value?.shadow === undefined) delete obj[`_${key}`];
  else obj[`_${key}`] = value.shadow;
}

function insertItem(obj: JsonObject, key: string, list: unknown[], index: number, value: PatchValue): void {
  list.splice(index, 0, value.value);
  obj[key] = list;
  if (value.shadow === undefined && !Array.isArray(obj[`_${key}`])) return;
  editShadows(obj, key, list.length - 1, (shadows) => shadows.splice(index, 0, value.shadow ?? null));
}

function removeFrom(obj: JsonObject, key: string, index: number | undefined): void {
  if (index === undefined) {
    setSingle(obj, key, undefined);
    return;
  }
  const list = obj[key] as unknown[];
  list.splice(index, 1);
  if (list.length === 0) delete obj[key];
  editShadows(obj, key, list.length + 1, (shadows) => shadows.splice(index, 1));
}

/** Edits the `_key` array of a list that had `length` items before the edit; drops it when it holds nothing. */
function editShadows(obj: JsonObject, key: string, length: number, edit: (shadows: unknown[]) => void): void {
  const existing = obj[`_${key}`];
  const shadows = Array.isArray(existing) ? existing : [];
  while (shadows.length < length) shadows.push(null);
  edit(shadows);
  if (shadows.some((s) => s !== null && s !== undefined)) obj[`_${key}`] = shadows;
  else delete obj[`_${key}`];
}

/** Removes elements left empty by a delete, up to (not including) the resource: FHIR has no empty elements. */
function prune(location: Location): void {
  let current: Location | undefined = location;
  while (current?.parent && current.key !== undefined && isObject(current.value)) {
    if (Object.keys(current.value).length > 0) return;
    removeFrom(current.parent.value as JsonObject, current.key, current.index);
    current = current.parent;
  }
}

/**
 * Native evaluation of the simplest invariants: `and`/`or` of `a.b.c.empty()` and `a.b.c.exists()`
 * (dom-2, dom-4, dom-5 on every resource with contained resources, pat-1, obs-6, con-1, tim-*, ...) and
 * `where(a = 'text').empty()` (org-2, org-3). It follows
 * the JSON exactly as @medplum/core's FHIRPath engine resolves those symbols with the schema: empty
 * values are absent, array items are items, and exists()/empty() look at every item. Whenever the JSON
 * leaves that simple ground (a choice element, a `_` companion, an element the schema does not know, an
 * item that is an array) it answers undefined and the engine decides. invariants.test.ts compares it
 * with the engine on every invariant evaluated over the fixtures and their mutations.
 */
import { AndAtom, DotAtom, EqualsAtom, FunctionAtom, LiteralAtom, OrAtom, SymbolAtom } from '@medplum/core';
import { type ElementPlan, typePlan } from './element-plans.js';
import { type Atom, isEmptyValue } from './invariant-guard.js';

/** True/false when the invariant holds or not for `value` of FHIR `type`; undefined: ask the engine. */
export type NativeInvariant = (value: unknown, type: string) => boolean | undefined;

/** A native equivalent of `atom`, or undefined when it is not of the simple form. */
export function compileSimple(atom: Atom): NativeInvariant | undefined {
  if (atom instanceof AndAtom || atom instanceof OrAtom) {
    const left = compileSimple(atom.left);
    const right = compileSimple(atom.right);
    if (!left || !right) return undefined;
    const and = atom instanceof AndAtom;
    return (value, type) => {
      const l = left(value, type);
      if (l === undefined) return undefined;
      const r = right(value, type);
      if (r === undefined) return undefined;
      return and ? l && r : l || r;
    };
  }
  if (!(atom instanceof DotAtom && atom.right instanceof FunctionAtom && atom.right.args.length === 0)) {
    return undefined;
  }
  const fn = atom.right.name;
  if (atom.left instanceof FunctionAtom) return compileWhereEquals(atom.left, fn);
  const path = symbols(atom.left);
  if (!path || (fn !== 'exists' && fn !== 'empty')) return undefined;
  const companions = path.map((name) => `_${name}`);
  return (value, type) => {
    const items = follow(value, type, path, companions);
    if (items === undefined) return undefined;
    if (fn === 'empty') return items.length === 0 || items.every(isEmptyValue);
    return items.length > 0 && !items.some(isEmptyValue);
  };
}

/**
 * `where(name = 'text').empty()` or `.exists()` on the context (org-2, org-3): where() keeps the context
 * when the equality yields true, and empty()/exists() then look at the context itself.
 */
function compileWhereEquals(where: FunctionAtom, fn: string): NativeInvariant | undefined {
  const criterion = where.args[0];
  if (where.name !== 'where' || where.args.length !== 1 || !(criterion instanceof EqualsAtom))
    return undefined;
  const { left, right } = criterion;
  const literal = right instanceof LiteralAtom ? right.value.value : undefined;
  const path = symbols(left);
  if (typeof literal !== 'string' || path?.length !== 1 || (fn !== 'exists' && fn !== 'empty'))
    return undefined;
  const companions = [`_${path[0]}`];
  return (value, type) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const items = follow(value, type, path, companions);
    if (items === undefined || (items.length === 1 && typeof items[0] !== 'string')) return undefined;
    // fhirPathArrayEquals: empty when either side is, false when the sizes differ.
    const kept = items.length === 1 && items[0] === literal;
    return fn === 'empty' ? !kept || isEmptyValue(value) : kept && !isEmptyValue(value);
  };
}

/** `a.b.c` as ['a', 'b', 'c'] when it is a chain of element names. */
function symbols(atom: Atom): string[] | undefined {
  if (atom instanceof SymbolAtom) return /^[a-z][A-Za-z0-9]*$/.test(atom.name) ? [atom.name] : undefined;
  if (atom instanceof DotAtom) {
    const left = symbols(atom.left);
    const right = symbols(atom.right);
    return left && right ? [...left, ...right] : undefined;
  }
  return undefined;
}

/** The items `path` yields from `value` of `type`, as the engine would; undefined when unsure. */
function follow(
  value: unknown,
  type: string,
  path: readonly string[],
  companions: readonly string[],
): unknown[] | undefined {
  let values: unknown[] = [value];
  let types: string[] = [type];
  for (let step = 0; step < path.length; step++) {
    const name = path[step];
    const nextValues: unknown[] = [];
    const nextTypes: string[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'object' || v === null) continue; // the engine finds nothing in a primitive
      const obj = v as Record<string, unknown>;
      if (Array.isArray(v) || obj.resourceType === name || obj[companions[step]] !== undefined)
        return undefined;
      const element = elementIn(obj, types[i], name);
      if (element === undefined) return undefined;
      if (element === null) continue;
      const child = obj[element.key];
      if (isEmptyValue(child)) continue;
      for (const item of Array.isArray(child) ? child : [child]) {
        const itemType = element.kind === 'resource' ? resourceTypeOf(item) : element.type;
        if (itemType === undefined) return undefined;
        nextValues.push(item);
        nextTypes.push(itemType);
      }
    }
    values = nextValues;
    types = nextTypes;
  }
  return values;
}

/**
 * The element `name` of `type` as the engine resolves it in `obj`: itself, or for a choice the first
 * variant in type order whose key is present; null when no variant is; undefined when unsure (unknown
 * name, `_` companion of the variant).
 */
function elementIn(obj: Record<string, unknown>, type: string, name: string): ElementPlan | null | undefined {
  const plan = typePlan(type);
  const element = plan?.keys.get(name);
  if (element) return element.choice === undefined && element.kind !== 'element' ? element : undefined;
  const variants = plan?.choices.get(name);
  if (!variants) return undefined;
  for (const variant of variants) {
    if (obj[`_${variant.key}`] !== undefined) return undefined;
    if (obj[variant.key] !== undefined) return variant;
  }
  return null;
}

function resourceTypeOf(item: unknown): string | undefined {
  const type = (item as { resourceType?: unknown } | null)?.resourceType;
  return typeof type === 'string' && typePlan(type)?.isResource ? type : undefined;
}

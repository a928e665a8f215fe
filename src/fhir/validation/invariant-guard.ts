/**
 * Which elements of its context a FHIRPath invariant can read, found once from the parsed expression, so
 * that an invariant over elements that are all absent need not be evaluated again: its result is then the
 * same as on an empty object of the type (evaluated once and cached). dom-2, dom-4 and dom-5 (every
 * resource) read only `contained`, and most resources have none.
 *
 * Sound by construction, not by sampling: an element is read only through a symbol (`name`, `value` for
 * value[x]) evaluated with the context as focus. Expressions that can see the context in any other way
 * get no guard: variables other than %ucum ($this, %resource, %context, ...), type names, functions that
 * look at the context's content (children(), hasValue(), empty(), exists() without criteria, ...).
 */
import {
  AsAtom,
  DotAtom,
  EmptySetAtom,
  type FhirPathAtom,
  FunctionAtom,
  IndexerAtom,
  InfixOperatorAtom,
  IsAtom,
  LiteralAtom,
  PrefixOperatorAtom,
  SymbolAtom,
  UnionAtom,
} from '@medplum/core';

export type Atom = FhirPathAtom['child'];

// Functions whose result on the context depends only on their criteria (evaluated with the context as
// focus, so their symbols count) or on the number of items: the same for any object of the type.
const CONTEXT_BLIND = new Set(['where', 'select', 'all', 'exists', 'count', 'iif', 'first', 'last', 'tail']);
// Of those, the ones whose result may be the context itself (then what follows also reads the context).
const PASS_THROUGH = new Set(['where', 'select', 'first', 'last', 'tail']);

/** The element names the expression can read from its context, or undefined when it may read more. */
export function contextElements(expression: FhirPathAtom): string[] | undefined {
  return readsOf(expression.child);
}

const reads = new WeakMap<Atom, string[] | null>();

/** contextElements for a part of an expression evaluated with the context as focus; cached. */
export function readsOf(atom: Atom): string[] | undefined {
  let names = reads.get(atom);
  if (names === undefined) {
    const found = new Set<string>();
    names = collect(atom, true, found) ? [...found] : null;
    reads.set(atom, names);
  }
  return names ?? undefined;
}

/** Adds the context elements `atom` reads to `names`; false when it may see the context otherwise. */
function collect(atom: Atom, inContext: boolean, names: Set<string>): boolean {
  if (atom instanceof LiteralAtom || atom instanceof EmptySetAtom) return true;
  if (atom instanceof SymbolAtom) {
    if (atom.name === '%ucum') return true;
    if (atom.name.startsWith('%')) return false; // %resource, %context, ...: not derived from the elements read
    // $this and type names: the context itself when in context position, else items derived from it.
    if (/^[$A-Z]/.test(atom.name)) return !inContext;
    if (inContext) names.add(atom.name);
    return true;
  }
  if (atom instanceof DotAtom) {
    return (
      collect(atom.left, inContext, names) &&
      collect(atom.right, inContext && passesThrough(atom.left), names)
    );
  }
  if (atom instanceof FunctionAtom) {
    if (inContext && !(CONTEXT_BLIND.has(atom.name) && (atom.name !== 'exists' || atom.args.length > 0)))
      return false;
    return atom.args.every((arg) => collect(arg, inContext, names));
  }
  if (atom instanceof IsAtom || atom instanceof AsAtom) {
    // The right side is a type name, not an element.
    return atom.right instanceof SymbolAtom && collect(atom.left, inContext, names);
  }
  if (atom instanceof IndexerAtom) {
    return collect(atom.left, inContext, names) && collect(atom.expr, inContext, names);
  }
  if (atom instanceof InfixOperatorAtom) {
    return collect(atom.left, inContext, names) && collect(atom.right, inContext, names);
  }
  if (atom instanceof PrefixOperatorAtom) return collect(atom.child, inContext, names);
  return false;
}

/** True when the result of `atom` (with the context as focus) may include the context itself. */
function passesThrough(atom: Atom): boolean {
  if (atom instanceof FunctionAtom) return PASS_THROUGH.has(atom.name);
  if (atom instanceof DotAtom) return passesThrough(atom.left) && passesThrough(atom.right);
  if (atom instanceof UnionAtom) return passesThrough(atom.left) || passesThrough(atom.right);
  if (atom instanceof IndexerAtom || atom instanceof AsAtom) return passesThrough(atom.left);
  return false;
}

/**
 * True when `obj` may hold one of the elements `names`: under its name, its `_` companion, or a choice
 * variant (`value` -> `valueQuantity`). Errs towards true.
 */
export function mayHoldAny(obj: Record<string, unknown>, names: readonly string[]): boolean {
  for (const key of Object.keys(obj)) {
    const bare = key.charCodeAt(0) === 95 /* _ */ ? key.slice(1) : key;
    for (const name of names) {
      if (bare === name) return true;
      if (bare.startsWith(name)) {
        const next = bare.charCodeAt(name.length);
        if (next >= 65 && next <= 90) return true;
      }
    }
  }
  return false;
}

/** @medplum/core's isEmpty: null, undefined, '', [] and {} are empty. */
export function isEmptyValue(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.length === 0;
  for (const _ in v) return false;
  return true;
}

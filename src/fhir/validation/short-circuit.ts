/**
 * Evaluation of an invariant with @medplum/core's FHIRPath atoms, but without the work whose result
 * cannot matter. Its engine evaluates both operands of `or` and `and`; here the right one is skipped
 * when the left one decides (`true or ...`, `false and ...`) and the right one can neither throw nor
 * yield anything but one boolean or nothing, which is all @medplum/core could then do with it. The
 * consequent of `implies` is evaluated only when its condition holds (invariants.ts, ConditionAtom). And an operand that reads only absent elements (invariant-guard.ts) takes its result
 * on an empty object of the type, evaluated once per type. con-4 (`abatement.empty() or ...`), obs-6
 * and obs-7 (`value.empty() or ...`) and pat-1 mostly end after their first operand.
 *
 * One caveat: @medplum/core throws on a `_key` companion that is not an object whenever an expression
 * reads that key, failing the invariant; a skipped operand does not. The walk rejects such a companion
 * anyway (a structure error at `_key`), so the verdict is the same.
 */
import {
  AndAtom,
  type AtomContext,
  DotAtom,
  EmptySetAtom,
  EqualsAtom,
  FunctionAtom,
  ImpliesAtom,
  LiteralAtom,
  NotEqualsAtom,
  OrAtom,
  SymbolAtom,
  type TypedValue,
  UnionAtom,
  XorAtom,
} from '@medplum/core';
import { type Atom, mayHoldAny, readsOf } from './invariant-guard.js';

/** The context of one evaluation: the focus, and the cache of operand results on an empty object. */
export interface Focus {
  type: string;
  value: unknown;
  /** The result of `atom` on an empty object of `type`. */
  vacuous(atom: Atom): TypedValue[];
}

const TRUE: readonly TypedValue[] = [{ type: 'boolean', value: true }];
const FALSE: readonly TypedValue[] = [{ type: 'boolean', value: false }];

/** Evaluates `atom` as atom.eval(context, input) would, skipping what cannot change the result. */
export function evaluateShort(
  atom: Atom,
  context: AtomContext,
  input: TypedValue[],
  focus: Focus,
): TypedValue[] {
  if (!(atom instanceof OrAtom || atom instanceof AndAtom || atom instanceof ImpliesAtom)) {
    return atom.eval(context, input);
  }
  const left = singleBoolean(evaluateOperand(atom.left, context, input, focus));
  // A condition that does not hold (false or empty) makes `implies` true without its consequent, as the
  // HL7 validator evaluates it (invariants.ts, ConditionAtom).
  if (atom instanceof ImpliesAtom) {
    if (left !== true) return [...TRUE];
  } else if (atom instanceof OrAtom) {
    if (left === true && cannotFail(atom.right)) return [...TRUE];
  } else if (left === false && cannotFail(atom.right)) {
    return [...FALSE];
  }
  const right = singleBoolean(evaluateOperand(atom.right, context, input, focus));
  return combine(atom, left, right);
}

/** evaluateShort, or the result on an empty object when `atom` reads only absent elements of the focus. */
export function evaluateOperand(
  atom: Atom,
  context: AtomContext,
  input: TypedValue[],
  focus: Focus,
): TypedValue[] {
  const names = readsOf(atom);
  const value = focus.value;
  if (names !== undefined && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    if (!mayHoldAny(value as Record<string, unknown>, names)) return focus.vacuous(atom);
  }
  return evaluateShort(atom, context, input, focus);
}

/** @medplum/core's singleton(collection, 'boolean'), as its boolean operators apply it. */
export function singleBoolean(collection: TypedValue[]): boolean | undefined {
  if (collection.length === 0) return undefined;
  if (collection.length === 1 && collection[0].type === 'boolean') return collection[0].value as boolean;
  throw new Error(`Expected singleton of type boolean, but found ${JSON.stringify(collection)}`);
}

/**
 * OrAtom and AndAtom.eval of @medplum/core 4.5.2, given the operands' values; `implies` with a condition
 * that holds (left true) as ConditionAtom (invariants.ts): the consequent's value, empty when it has none.
 */
function combine(atom: OrAtom | AndAtom | ImpliesAtom, left?: boolean, right?: boolean): TypedValue[] {
  if (atom instanceof OrAtom) {
    if (left === false && right === false) return [...FALSE];
    return left || right ? [...TRUE] : [];
  }
  if (atom instanceof AndAtom) {
    if (left === true && right === true) return [...TRUE];
    return left === false || right === false ? [...FALSE] : [];
  }
  if (right === undefined) return [];
  return right ? [...TRUE] : [...FALSE];
}

// Functions that cannot throw on any input when their arguments cannot.
const SAFE_FUNCTIONS = new Set([
  'where',
  'select',
  'exists',
  'empty',
  'count',
  'first',
  'last',
  'tail',
  'intersect',
  'exclude',
  'union',
  'combine',
  'distinct',
  'isDistinct',
  'allTrue',
  'allFalse',
  'anyTrue',
  'anyFalse',
  'hasValue',
]);
// Of those, the ones whose result is always exactly one boolean.
const BOOLEAN_FUNCTIONS = new Set([
  'exists',
  'empty',
  'isDistinct',
  'allTrue',
  'allFalse',
  'anyTrue',
  'anyFalse',
  'hasValue',
]);
const DEFINED_VARIABLES = new Set(['%resource', '%rootResource', '%context', '%ucum']);
const failSafe = new WeakMap<Atom, boolean>();

/** True when evaluating `atom` cannot throw and yields at most one boolean (an operand that can be skipped). */
function cannotFail(atom: Atom): boolean {
  let known = failSafe.get(atom);
  if (known === undefined) {
    known = yieldsBoolean(atom);
    failSafe.set(atom, known);
  }
  return known;
}

function yieldsBoolean(atom: Atom): boolean {
  if (
    atom instanceof OrAtom ||
    atom instanceof AndAtom ||
    atom instanceof ImpliesAtom ||
    atom instanceof XorAtom
  ) {
    return yieldsBoolean(atom.left) && yieldsBoolean(atom.right);
  }
  if (atom instanceof EqualsAtom || atom instanceof NotEqualsAtom) return safe(atom.left) && safe(atom.right);
  if (atom instanceof FunctionAtom) return BOOLEAN_FUNCTIONS.has(atom.name) && atom.args.every(safe);
  if (atom instanceof DotAtom) return safe(atom.left) && yieldsBoolean(atom.right);
  if (atom instanceof LiteralAtom) return typeof atom.value.value === 'boolean';
  return false;
}

/** True when evaluating `atom` cannot throw, whatever it yields. */
function safe(atom: Atom): boolean {
  if (atom instanceof LiteralAtom || atom instanceof EmptySetAtom) return true;
  if (atom instanceof SymbolAtom) return !atom.name.startsWith('%') || DEFINED_VARIABLES.has(atom.name);
  if (
    atom instanceof DotAtom ||
    atom instanceof UnionAtom ||
    atom instanceof EqualsAtom ||
    atom instanceof NotEqualsAtom
  ) {
    return safe(atom.left) && safe(atom.right);
  }
  if (atom instanceof FunctionAtom) return SAFE_FUNCTIONS.has(atom.name) && atom.args.every(safe);
  return yieldsBoolean(atom);
}

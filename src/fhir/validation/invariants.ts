/**
 * FHIRPath invariants (constraints of severity error) as the HL7 validator decides them: evaluated with
 * @medplum/core's FHIRPath engine on the typed value of each element present, with the variables
 * %context, %resource, %rootResource and %ucum, holding only when the result is exactly one `true` (an
 * empty result fails, as in the HL7 validator's convertToBoolean). One difference from @medplum/core's
 * validator: `implies` whose condition is empty is true, as the HL7 validator's FHIRPath engine has it
 * (ConditionAtom), so a rule about an element that is absent holds (ras-2 on a prediction without
 * probability). Each expression is parsed once per process. Skipped like @medplum/core: ele-1 (checked
 * structurally by the walk: no empty objects), dom-3 (needs descendants()), org-1 (backwards
 * compatibility) and sdf-19.
 *
 * Shortcuts keep the hot path cheap, all equivalent to the engine (see invariants.test.ts):
 * - ext-1 (`extension.exists() != value.exists()`, on every extension) is computed natively: the engine
 *   resolves `value` by trying all 50 Extension.value[x] types in turn.
 * - `htmlChecks()` (txt-1, txt-2 on Narrative.div) is a stub that always returns true in @medplum/core.
 * - `and`/`or` of `path.exists()`/`path.empty()` (dom-2, dom-4, dom-5, pat-1, ...) are computed natively
 *   when the JSON is simple (simple-paths.ts).
 * - the others skip operands that cannot change their result (short-circuit.ts, invariant-guard.ts).
 */
import {
  type AtomContext,
  type Constraint,
  FhirPathAtom,
  ImpliesAtom,
  parseFhirPath,
  type TypedValue,
  tryGetDataType,
  UCUM,
} from '@medplum/core';
import { type Atom, isEmptyValue } from './invariant-guard.js';
import { evaluateOperand, type Focus, singleBoolean } from './short-circuit.js';
import { compileSimple, type NativeInvariant } from './simple-paths.js';

/** One invariant, ready to evaluate. */
export interface Invariant {
  key: string;
  human: string;
  expression: string;
  /** Exact native equivalent of the expression; undefined from it means "ask the engine". */
  native?: NativeInvariant;
  /** True once compileSimple has been tried on the expression. */
  compiled?: boolean;
  atom?: FhirPathAtom;
}

// The same keys as @medplum/core 4.5.2's `skippedConstraintKeys` (typeschema/validation.ts).
export const SKIPPED_INVARIANTS: ReadonlySet<string> = new Set(['ele-1', 'dom-3', 'org-1', 'sdf-19']);
const ALWAYS_TRUE = new Set(['htmlChecks()']);
const EXT_1 = 'extension.exists() != value.exists()';

/**
 * `implies` as the HL7 validator's FHIRPath engine evaluates it (FHIRPathEngine.opImplies in
 * org.hl7.fhir.core): a condition that is false *or empty* makes the rule true, and the consequent is
 * read only when the condition holds. FHIRPath N1 (and @medplum/core) give {} for `{} implies {}`, which
 * a constraint reads as a failure: ras-2 (`probability is decimal implies (probability as decimal) <=
 * 100`) then fails every prediction that states no probability, which R4 allows (0..1) and the HL7
 * validator accepts. Every other operator keeps FHIRPath's meaning, and an empty result of a whole
 * constraint still fails, as it does in the HL7 validator (vsd-9 `code.exists() or abstract = true`
 * without either is a violation there too).
 */
class ConditionAtom extends ImpliesAtom {
  override eval(context: AtomContext, input: TypedValue[]): TypedValue[] {
    if (singleBoolean(this.left.eval(context, input)) !== true) return [{ type: 'boolean', value: true }];
    const right = singleBoolean(this.right.eval(context, input));
    return right === undefined ? [] : [{ type: 'boolean', value: right }];
  }
}

/** Parses an invariant's expression, with every `implies` evaluated as ConditionAtom. */
export function parseInvariant(expression: string): FhirPathAtom {
  const parsed = parseFhirPath(expression);
  return new FhirPathAtom(expression, withConditions(parsed.child));
}

/** `atom` with each ImpliesAtom in it (at any depth: operands, function arguments) a ConditionAtom. */
function withConditions(atom: Atom): Atom {
  const fields = atom as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    if (Array.isArray(value)) fields[key] = value.map((v) => (isAtom(v) ? withConditions(v) : v));
    else if (isAtom(value)) fields[key] = withConditions(value);
  }
  return atom instanceof ImpliesAtom && !(atom instanceof ConditionAtom)
    ? new ConditionAtom(atom.left, atom.right)
    : atom;
}

const isAtom = (value: unknown): value is Atom =>
  typeof value === 'object' && value !== null && typeof (value as Atom).eval === 'function';

const byExpression = new Map<string, Invariant>();
const NONE: readonly Invariant[] = [];

/** The invariants among `constraints` that the validator evaluates, compiled once. */
export function compileInvariants(constraints: readonly Constraint[] | undefined): readonly Invariant[] {
  if (!constraints) return NONE;
  const result: Invariant[] = [];
  for (const c of constraints) {
    if (c.severity !== 'error' || SKIPPED_INVARIANTS.has(c.key) || ALWAYS_TRUE.has(c.expression)) continue;
    const id = `${c.key}\u0000${c.expression}`;
    let invariant = byExpression.get(id);
    if (!invariant) {
      invariant = { key: c.key, human: c.description, expression: c.expression };
      if (c.expression === EXT_1) invariant.native = extensionHasValueXorChildren;
      byExpression.set(id, invariant);
    }
    result.push(invariant);
  }
  return result.length > 0 ? result : NONE;
}

/**
 * The FHIRPath variables of one validation (%resource follows the walk into nested resources), and the
 * focus of the invariant being evaluated (see short-circuit.ts).
 */
export class InvariantScope implements Focus {
  private readonly variables: Record<string, TypedValue>;
  private readonly root: AtomContext;
  type = '';
  value: unknown;

  constructor(root: Record<string, unknown>) {
    const typed = { type: root.resourceType as string, value: root };
    this.variables = { '%ucum': { type: 'string', value: UCUM }, '%resource': typed, '%rootResource': typed };
    this.root = { variables: this.variables };
  }

  /** Makes `resource` the %resource of the invariants evaluated next; returns the previous one. */
  enterResource(resource: TypedValue): TypedValue {
    const previous = this.variables['%resource'];
    this.variables['%resource'] = resource;
    return previous;
  }

  /** Restores the %resource returned by enterResource. */
  exitResource(previous: TypedValue): void {
    this.variables['%resource'] = previous;
  }

  /** Undefined when the invariant holds for `value` of FHIR `type`; else why it failed ('' when false). */
  failure(invariant: Invariant, type: string, value: unknown): string | undefined {
    invariant.atom ??= parseInvariant(invariant.expression);
    if (!invariant.compiled) {
      invariant.compiled = true;
      invariant.native ??= compileSimple(invariant.atom.child);
    }
    if (invariant.native) {
      const result = invariant.native(value, type);
      if (result !== undefined) return result ? undefined : '';
    }
    const typed = { type, value };
    this.type = type;
    this.value = value;
    this.variables['%context'] = typed;
    try {
      return holds(evaluateOperand(invariant.atom.child, this.context(typed), [typed], this))
        ? undefined
        : '';
    } catch (err) {
      return `evaluation failed: FhirPathError on "${invariant.expression}": ${err}`;
    }
  }

  /** Evaluates with the FHIRPath engine only (also used by the tests of the shortcuts). */
  evaluate(invariant: Invariant, typed: TypedValue): string | undefined {
    invariant.atom ??= parseInvariant(invariant.expression);
    this.variables['%context'] = typed;
    try {
      return holds(invariant.atom.eval(this.root, [typed])) ? undefined : '';
    } catch (err) {
      return `evaluation failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  /** The result of `atom` on an empty object of the current type, evaluated once per type. */
  vacuous(atom: Atom): TypedValue[] {
    let byType = vacuousResults.get(atom);
    if (!byType) {
      byType = new Map();
      vacuousResults.set(atom, byType);
    }
    let result = byType.get(this.type);
    if (result === undefined) {
      const empty = { type: this.type, value: {} };
      try {
        result = atom.eval(this.context(empty), [empty]);
      } catch (err) {
        result = err instanceof Error ? err : new Error(String(err));
      }
      byType.set(this.type, result);
    }
    if (result instanceof Error) throw result;
    return result;
  }

  /** The context FhirPathAtom.eval gives its expression for one input. */
  private context(focus: TypedValue): AtomContext {
    return { parent: this.root, variables: { $this: focus } };
  }
}

const vacuousResults = new WeakMap<Atom, Map<string, TypedValue[] | Error>>();

/** @medplum/core's test: exactly one result, and it is true. */
function holds(result: TypedValue[]): boolean {
  return result.length === 1 && result[0].value?.valueOf() === true;
}

let extensionValueOrder: Map<string, number> | undefined;

/**
 * ext-1 as @medplum/core's engine computes it: `value` is the first Extension.value[x] variant, in type
 * order, whose key is present, and exists() is true when there are items and none is empty (null, '',
 * {}, []). Undefined (ask the engine) when a `_value...` or `_extension` key is present.
 */
function extensionHasValueXorChildren(value: unknown): boolean | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  extensionValueOrder ??= valueVariantOrder();
  const obj = value as Record<string, unknown>;
  let best = Number.POSITIVE_INFINITY;
  let bestKey: string | undefined;
  for (const key in obj) {
    if (key.charCodeAt(0) === 95 /* _ */ && (key.startsWith('_value') || key === '_extension'))
      return undefined;
    const order = extensionValueOrder.get(key);
    if (order !== undefined && order < best) {
      best = order;
      bestKey = key;
    }
  }
  const hasValue = bestKey !== undefined && exists(obj[bestKey]);
  return exists(obj.extension) !== hasValue;
}

/** FHIRPath exists() on an element's JSON value in @medplum/core: some items, none of them empty. */
function exists(value: unknown): boolean {
  if (!Array.isArray(value)) return !isEmptyValue(value);
  if (value.length === 0) return false;
  for (const item of value) if (isEmptyValue(item)) return false;
  return true;
}

function valueVariantOrder(): Map<string, number> {
  const element = tryGetDataType('Extension')?.elements['value[x]'];
  const order = new Map<string, number>();
  element?.type.forEach((t, i) => {
    order.set(`value${t.code.charAt(0).toUpperCase()}${t.code.slice(1)}`, i);
  });
  return order;
}

/**
 * Compiles the FHIRPath of search parameters into plain JavaScript functions that return exactly what
 * @medplum/core's `evalFhirPathTyped` returns (same values, same types, same order), for the atoms R4's
 * search expressions use: paths, `|`, `as`, `is`, `=`, `!=`, `and`, `or`, literals, `[n]`, and the
 * functions where, resolve, as, ofType, exists, first. Anything else is not compiled (the caller then
 * evaluates the expression with @medplum/core).
 *
 * Why: @medplum/core interprets the parsed expression for every parameter of every resource, looks up
 * element definitions and builds choice-type property names (`value` + `Quantity`) at each step, and
 * allocates a context per element; that was a quarter of import CPU. Here each atom becomes a closure
 * once, and each path step resolves its element definition once per input type (an inline cache),
 * keeping @medplum/core's own rules: choice types tried in the order the definition lists them,
 * primitive extensions (`_birthDate`) merged into the value, empty values dropped, `Resource` typed by
 * its resourceType, duplicates removed from unions by FHIRPath equality. The differential test
 * (index-rows-compiled.test.ts) compares both on every fixture resource.
 */
import {
  AndAtom,
  AsAtom,
  type Atom,
  DotAtom,
  EqualsAtom,
  FhirPathAtom,
  FunctionAtom,
  fhirPathArrayEquals,
  fhirPathArrayNotEquals,
  fhirPathIs,
  getElementDefinition,
  getTypedPropertyValue,
  IndexerAtom,
  type InternalSchemaElement,
  IsAtom,
  isEmpty,
  LiteralAtom,
  NotEqualsAtom,
  OrAtom,
  removeDuplicates,
  SymbolAtom,
  singleton,
  type TypedValue,
  toJsBoolean,
  toTypedValue,
  UnionAtom,
} from '@medplum/core';

/** A compiled expression: the input collection to the output collection. */
export type CompiledPath = (input: TypedValue[]) => TypedValue[];

/**
 * Compiles a parsed FHIRPath expression (as `parseFhirPath` or `getParsedExpressionForResourceType`
 * return it); undefined when it uses an atom or function this compiler does not know.
 */
export function compileFhirPath(expression: FhirPathAtom): CompiledPath | undefined {
  const body = compileAtom(expression);
  if (!body) return undefined;
  // evalFhirPathTyped unwraps String/Number/Boolean objects (primitives that carried an extension).
  return (input) => {
    let values = body(input);
    let copied = false;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const unwrapped = v.value?.valueOf();
      if (unwrapped === v.value) continue;
      // The collection may be the caller's own (`$this`): change a copy.
      if (!copied) {
        values = values.slice();
        copied = true;
      }
      values[i] = { type: v.type, value: unwrapped };
    }
    return values;
  };
}

function compileAtom(atom: Atom): CompiledPath | undefined {
  switch (atom.constructor) {
    case FhirPathAtom:
      return compileRoot(atom as FhirPathAtom);
    case SymbolAtom:
      return compileSymbol((atom as SymbolAtom).name);
    case LiteralAtom: {
      const value = (atom as LiteralAtom).value;
      return () => [value];
    }
    case DotAtom:
      return infix(atom as DotAtom, (left, right) => (input) => right(left(input)));
    case UnionAtom:
      return infix(atom as UnionAtom, (left, right) => (input) => {
        const all = left(input).concat(right(input));
        return all.length < 2 ? all : removeDuplicates(all);
      });
    case AsAtom:
      // `x as T` is ofType(T): a filter on the element type.
      return typeTest(atom as AsAtom, (left, type) => (input) => ofType(left(input), type));
    case IsAtom:
      return typeTest(atom as IsAtom, (left, type) => (input) => {
        const values = left(input);
        return values.length === 1 ? [bool(fhirPathIs(values[0]!, type))] : [];
      });
    case EqualsAtom:
      return infix(
        atom as EqualsAtom,
        (left, right) => (input) => fhirPathArrayEquals(left(input), right(input)),
      );
    case NotEqualsAtom:
      return infix(
        atom as NotEqualsAtom,
        (left, right) => (input) => fhirPathArrayNotEquals(left(input), right(input)),
      );
    case AndAtom:
      return infix(atom as AndAtom, (left, right) => (input) => {
        const l = singleton(left(input), 'boolean');
        const r = singleton(right(input), 'boolean');
        if (l?.value === true && r?.value === true) return [bool(true)];
        if (l?.value === false || r?.value === false) return [bool(false)];
        return [];
      });
    case OrAtom:
      return infix(atom as OrAtom, (left, right) => (input) => {
        const l = singleton(left(input), 'boolean');
        const r = singleton(right(input), 'boolean');
        if (l?.value === false && r?.value === false) return [bool(false)];
        if (l?.value || r?.value) return [bool(true)];
        return [];
      });
    case IndexerAtom:
      return compileIndexer(atom as IndexerAtom);
    case FunctionAtom:
      return compileFunction(atom as FunctionAtom);
    default:
      return undefined;
  }
}

/** An operator over both sides' collections, when both sides compile. */
function infix(
  atom: { left: Atom; right: Atom },
  make: (left: CompiledPath, right: CompiledPath) => CompiledPath,
): CompiledPath | undefined {
  const left = compileAtom(atom.left);
  const right = compileAtom(atom.right);
  return left && right ? make(left, right) : undefined;
}

/** `x as T`, `x is T`: the right side must name a type. */
function typeTest(
  atom: { left: Atom; right: Atom },
  make: (left: CompiledPath, type: string) => CompiledPath,
): CompiledPath | undefined {
  const left = compileAtom(atom.left);
  const type = symbolName(atom.right);
  return left && type !== undefined ? make(left, type) : undefined;
}

function symbolName(atom: Atom): string | undefined {
  return atom.constructor === SymbolAtom ? (atom as SymbolAtom).name : undefined;
}

function bool(value: boolean): TypedValue {
  return { type: 'boolean', value };
}

function ofType(values: TypedValue[], type: string): TypedValue[] {
  const out: TypedValue[] = [];
  for (const v of values) if (v.type === type) out.push(v);
  return out;
}

/** FhirPathAtom: the expression evaluated once per input element (each as `$this`). */
function compileRoot(atom: FhirPathAtom): CompiledPath | undefined {
  const child = compileAtom(atom.child);
  if (!child) return undefined;
  return (input) => {
    if (input.length === 0) return child([]);
    if (input.length === 1) return child(input);
    const out: TypedValue[] = [];
    for (const e of input) for (const v of child([e])) out.push(v);
    return out;
  };
}

function compileSymbol(name: string): CompiledPath | undefined {
  if (name === '$this') return (input) => input;
  // Other variables (%resource, ...) are not set by the search path; a name an object inherits
  // (constructor) would be found among @medplum/core's variables: leave both to @medplum/core.
  if (name.startsWith('%') || name.startsWith('$') || name in {}) return undefined;
  const step = propertyStep(name);
  return (input) => {
    const out: TypedValue[] = [];
    for (const e of input) {
      const value = e.value;
      if (!value || typeof value !== 'object') continue;
      // `Observation` applied to an Observation is the Observation itself.
      if ('resourceType' in value && value.resourceType === name) {
        out.push(e);
        continue;
      }
      step(e, out);
    }
    return out;
  };
}

/** Appends an element's `name` property values (typed) to `out`; @medplum/core's getTypedPropertyValue. */
type PropertyStep = (input: TypedValue, out: TypedValue[]) => void;

/**
 * The property step with an inline cache of the last input type: one path step nearly always sees
 * one type (a choice element or `resolve()` may show a few).
 */
function propertyStep(name: string): PropertyStep {
  const byType = new Map<string, PropertyStep>();
  let lastType: string | undefined;
  let last: PropertyStep | undefined;
  return (input, out) => {
    if (input.type !== lastType || !last) {
      let step = byType.get(input.type);
      if (!step) {
        step = stepForType(input.type, name);
        byType.set(input.type, step);
      }
      lastType = input.type;
      last = step;
    }
    last(input, out);
  };
}

function stepForType(type: string, name: string): PropertyStep {
  const element = getElementDefinition(type, name);
  if (!element?.type?.length) {
    // Without a definition (or with one without types) @medplum/core guesses from the value itself.
    return (input, out) => pushValues(out, getTypedPropertyValue(input, name));
  }
  return schemaStep(element);
}

/** getTypedPropertyValueWithSchema, with the candidate property names computed once. */
function schemaStep(element: InternalSchemaElement): PropertyStep {
  const last = element.path.substring(element.path.lastIndexOf('.') + 1);
  const candidates = element.type.map((t) => {
    const key = last.replace('[x]', t.code.charAt(0).toUpperCase() + t.code.substring(1));
    return { key, extensionKey: `_${key}`, code: t.code };
  });
  const elementType = element.type[0]!.code;
  return (input, out) => {
    const value = input.value as Record<string, unknown>;
    let resultValue: unknown;
    let resultType = 'undefined';
    let extension: unknown;
    for (const c of candidates) {
      resultValue = value[c.key];
      extension = value[c.extensionKey];
      if (resultValue !== undefined || extension !== undefined) {
        resultType = c.code;
        break;
      }
    }
    if (extension) {
      // Indexing and `length` as @medplum/core does them, whatever the JSON holds.
      const extensions = extension as unknown[];
      if (Array.isArray(resultValue)) {
        const merged = resultValue.slice();
        for (let i = 0; i < Math.max(merged.length, extensions.length); i++)
          merged[i] = assignPrimitiveExtension(merged[i], extensions[i]);
        resultValue = merged;
      } else if (!resultValue && Array.isArray(extension)) {
        const merged = extension.slice();
        for (let i = 0; i < extension.length; i++)
          merged[i] = assignPrimitiveExtension(undefined, extension[i]);
        resultValue = merged;
      } else {
        resultValue = assignPrimitiveExtension(resultValue, extension);
      }
    }
    if (resultValue === undefined || isEmpty(resultValue)) return;
    if (resultType === 'Element' || resultType === 'BackboneElement') resultType = elementType;
    if (Array.isArray(resultValue)) {
      for (const v of resultValue) if (v !== undefined) out.push(typed(v, resultType));
    } else {
      out.push(typed(resultValue, resultType));
    }
  };
}

function typed(value: unknown, type: string): TypedValue {
  if (type === 'Resource' && value && typeof value === 'object' && 'resourceType' in value)
    return { type: value.resourceType as string, value };
  return { type, value };
}

/** @medplum/core's assignPrimitiveExtension: a primitive with `_x` becomes a String/Number object carrying it. */
function assignPrimitiveExtension(target: unknown, primitiveExtension: unknown): unknown {
  if (primitiveExtension) {
    if (typeof primitiveExtension !== 'object') throw new Error('Primitive extension must be an object');
    const source = primitiveExtension as { __proto__?: unknown; constructor?: unknown };
    // biome-ignore lint/suspicious/noProto: the same guard as @medplum/core's safeAssign
    delete source.__proto__;
    delete source.constructor;
    return Object.assign((target ?? {}) as object, source);
  }
  return target;
}

function pushValues(out: TypedValue[], values: TypedValue[] | TypedValue | undefined): void {
  if (Array.isArray(values)) {
    for (const v of values) if (v?.value !== undefined) out.push(v);
  } else if (values?.value !== undefined) {
    out.push(values);
  }
}

function compileIndexer(atom: IndexerAtom): CompiledPath | undefined {
  const left = compileAtom(atom.left);
  const index = compileAtom(atom.expr);
  if (!left || !index) return undefined;
  return (input) => {
    const i = index(input);
    if (i.length !== 1) return [];
    const n = i[0]!.value;
    if (typeof n !== 'number') throw new Error('Invalid indexer expression: should return integer}');
    const values = left(input);
    return n in values ? [values[n]!] : [];
  };
}

function compileFunction(atom: FunctionAtom): CompiledPath | undefined {
  const args = atom.args;
  switch (atom.name) {
    case 'where': {
      const criteria = args[0] && compileAtom(args[0]);
      return criteria && ((input) => input.filter((e) => toJsBoolean(criteria([e]))));
    }
    case 'exists': {
      if (args.length === 0)
        return (input) => [bool(input.length > 0 && input.every((e) => !isEmpty(e.value)))];
      const criteria = compileAtom(args[0]!);
      return criteria && ((input) => [bool(input.filter((e) => toJsBoolean(criteria([e]))).length > 0)]);
    }
    case 'ofType': {
      const type = args[0] && symbolName(args[0]);
      return type === undefined ? undefined : (input) => ofType(input, type);
    }
    case 'as':
      // @medplum/core's function form of `as` returns its input unchanged (index-rows.ts applies
      // the type of a composite component's `.as(T)` itself).
      return (input) => input;
    case 'first':
      return (input) => input.slice(0, 1);
    case 'resolve':
      return resolve;
    default:
      return undefined;
  }
}

/**
 * @medplum/core's resolve(): a reference becomes a stand-in `{ resourceType, id }` of the type its
 * string names (the first segment: an absolute URL or a contained `#id` names no resource type),
 * a conditional reference the type before `?`, a reference with an inline `resource` that resource.
 */
function resolve(input: TypedValue[]): TypedValue[] {
  const out: TypedValue[] = [];
  for (const e of input) {
    const value = e.value;
    let refStr: string | undefined;
    if (typeof value === 'string') {
      refStr = value;
    } else if (typeof value === 'object') {
      const ref = value as {
        resource?: unknown;
        reference?: string;
        type?: string;
        identifier?: { system?: string; value?: string };
      };
      if (ref.resource) {
        const resolved = toTypedValue(ref.resource);
        if (resolved.value) out.push(resolved);
        continue;
      }
      if (ref.reference) refStr = ref.reference;
      else if (ref.type && ref.identifier)
        refStr = `${ref.type}?identifier=${ref.identifier.system}|${ref.identifier.value}`;
    }
    if (refStr?.includes('?')) {
      const [resourceType] = refStr.split('?');
      out.push({ type: resourceType!, value: { resourceType } });
    } else if (refStr?.includes('/')) {
      const [resourceType, id] = refStr.split('/');
      out.push({ type: resourceType!, value: { resourceType, id } });
    }
  }
  return out;
}

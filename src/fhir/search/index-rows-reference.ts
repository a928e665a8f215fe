/**
 * The reference extraction of index rows: each parameter's FHIRPath evaluated by @medplum/core
 * (`evalFhirPathTyped`) and its values normalised with @medplum/core's search converters. This is how
 * the store indexed before index-rows.ts compiled the expressions; it stays as the definition the
 * compiled extraction must equal, row for row (index-rows-compiled.test.ts compares them on every
 * fixture resource), and as the yardstick of `npm run bench:index-rows`.
 */
import {
  convertToSearchableNumbers,
  convertToSearchableQuantities,
  convertToSearchableReferences,
  convertToSearchableTokens,
  convertToSearchableUris,
  evalFhirPathTyped,
  type TypedValue,
  toTypedValue,
} from '@medplum/core';
import type { Resource } from 'fhir/r4.js';
import type { IndexTableName } from '../../platform/database-schema.js';
import { type ComponentPart, hasAnyRoot, type IndexedParam, indexedParams } from './index-params.js';
import { emptyIndexRows, type IndexRows } from './index-rows.js';
import {
  identifierReference,
  normalizeString,
  parseReferenceString,
  searchableDates,
  searchableStrings,
} from './index-values.js';

function evalComponent(parts: ComponentPart[], element: TypedValue): TypedValue[] {
  return parts.flatMap((part) => {
    const values = evalFhirPathTyped(part.expression, [element]);
    return part.asType ? values.filter((v) => v.type.toLowerCase() === part.asType) : values;
  });
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

/** The index rows of one resource by @medplum/core's FHIRPath, appended to `into` (see indexRows). */
export function referenceIndexRows(
  resource: Resource,
  rid: number,
  into: IndexRows = emptyIndexRows(),
): IndexRows {
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

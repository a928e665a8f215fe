/**
 * How an extracted element becomes the value of an index row: string normalisation, the parts of
 * names and addresses, date intervals, reference strings. Shared by the index rows (index-rows.ts),
 * their reference implementation (index-rows-reference.ts) and the search criteria (criteria-sql.ts).
 */
import { convertToSearchableStrings, type TypedValue } from '@medplum/core';
import { dateRange, MAX_MS, MIN_MS } from './values.js';

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

/**
 * String values to index. For names and addresses each part is indexed on its own as well as the
 * whole, since FHIR's `name` and `address` searches match "any part" from its start.
 */
export function searchableStrings(values: TypedValue[]): string[] {
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
export function searchableDates(values: TypedValue[]): { low: number; high: number }[] {
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

/**
 * What one search may ask for. Every repetition in a query costs the database a subquery, a sort
 * key or a query of its own (600 repeated `_sort` keys took 23 s and held every other request), so
 * each kind of repetition has a cap, and a query past one answers 400 naming the parameter and the
 * limit (docs/fhir.md, "Limits"). The caps sit far above what a client needs: the widest searches the
 * modules run use 50 values of one parameter and a handful of parameters.
 */
import { badRequest, type FhirError } from '../outcome.js';

/** The caps, by what they count. */
export const searchLimits = {
  /** Query parameters in all, filters and result parameters together (GET URL or `_search` form). */
  parameters: 100,
  /** Filter parameters; a repeated parameter (AND) counts each time. */
  criteria: 20,
  /** Comma-separated values (OR) of one parameter. */
  values: 100,
  /** Values of all filter parameters together; a chain's values count once per type it may follow. */
  totalValues: 200,
  /** Chained parameters (`subject:Patient.name=x`), each a join through the reference index. */
  chains: 3,
  /** `_sort` keys, each named once. */
  sortKeys: 5,
  /** `_include` and `_revinclude` rules together, repeats counted once. */
  includes: 10,
  /** Element names in `_elements`. */
  elements: 50,
} as const;

/** A 400 for a query past one of the caps, naming the parameter and the limit. */
export function overLimit(parameter: string, what: string, limit: number): FhirError {
  return badRequest(`${what}: a search takes at most ${limit}`, parameter, 'too-costly');
}

/**
 * A whole number from a query parameter: digits only (no sign, exponent, hex or blanks, which
 * `Number()` would read), from `min` up to `max`, which is at most the largest integer a double holds
 * exactly; past that `Number()` rounds, and a database refused the rounded offset with a 500.
 */
export function wholeNumber(
  value: string,
  parameter: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max))
    throw badRequest(
      `${parameter} must be a whole number from ${min} to ${max}, not "${value.length > 40 ? `${value.slice(0, 37)}...` : value}"`,
      parameter,
    );
  return n;
}

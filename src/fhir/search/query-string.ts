/**
 * Query strings as ordered pairs, for search URLs, `_search` forms and the conditional URLs of
 * headers and bundle entries alike. A `+` stays a `+` (FHIR dates carry time-zone offsets such as
 * +01:00). The number of pairs is capped while reading: a `_search` form may be as large as the body
 * limit, and reading millions of pairs held the server for most of a minute.
 */
import { badRequest } from '../outcome.js';
import { overLimit, searchLimits } from './limits.js';

/** Parses `a=1&b=2` into pairs, keeping repeats in order; 400 past `searchLimits.parameters` pairs. */
export function parseQueryString(qs: string): [string, string][] {
  const out: [string, string][] = [];
  let start = 0;
  while (start <= qs.length) {
    const amp = qs.indexOf('&', start);
    const end = amp < 0 ? qs.length : amp;
    const part = qs.slice(start, end);
    start = end + 1;
    if (!part) continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    let pair: [string, string];
    try {
      pair = [decodeURIComponent(rawKey), decodeURIComponent(rawValue)];
    } catch {
      throw badRequest(`the query parameter "${rawKey}" is not valid percent-encoding`, rawKey);
    }
    if (out.length === searchLimits.parameters)
      throw overLimit(pair[0], 'too many query parameters', searchLimits.parameters);
    out.push(pair);
  }
  return out;
}

/**
 * Parses FHIR search parameters (R4 search.html) into a structure the SQL builder can read, rejecting
 * what we do not understand with a 400 that names the parameter: a silently ignored filter returns
 * the wrong patients.
 */
import { isResourceType, searchParametersFor } from '../definitions.js';
import { badRequest, notSupported } from '../outcome.js';
import { indexedParam } from './index-rows.js';
import { overLimit, searchLimits, wholeNumber } from './limits.js';

export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';
const prefixes = new Set<Prefix>(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

/** One search criterion: `param[:modifier][.chain]=v1,v2` (comma = OR). */
export interface Criterion {
  /** The query key as written, for error messages. */
  key: string;
  param: string;
  /** Declared type: token, string, date, number, quantity, reference, uri, composite, special. */
  type: string;
  modifier?: string;
  values: string[];
  /** One level of chaining: `subject:Patient.name=x` → { targetTypes: ['Patient'], criterion: name=x }. */
  chain?: { targetTypes: string[]; criterion: Criterion };
}

export interface SortRule {
  param: string;
  type: string;
  descending: boolean;
}

export interface IncludeRule {
  /** The resource type that holds the reference. */
  sourceType: string;
  param: string;
  targetType?: string;
}

export interface ParsedSearch {
  resourceType: string;
  criteria: Criterion[];
  sort: SortRule[];
  count: number;
  offset: number;
  /** Keyset cursor (last id of the previous page) when sorting by the default order. */
  after?: string;
  total: 'none' | 'estimate' | 'accurate';
  summary?: 'count' | 'true' | 'data' | 'text' | 'false';
  elements?: string[];
  includes: IncludeRule[];
  revincludes: IncludeRule[];
}

export interface ParseOptions {
  defaultCount: number;
  maxCount: number;
}

/** Result-shaping parameters and ones with no effect on the match set, accepted and handled elsewhere. */
const controlParams = new Set([
  '_count',
  '_offset',
  '_after',
  '_sort',
  '_total',
  '_summary',
  '_elements',
  '_include',
  '_revinclude',
  '_format',
  '_pretty',
]);

/** Splits on commas not escaped with a backslash, and unescapes `\,` `\$` `\|` `\\`. */
export function splitValues(raw: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\' && i + 1 < raw.length) {
      current += c + raw[i + 1];
      i++;
    } else if (c === ',') {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

/** Removes search escapes (`\,` `\$` `\|` `\\`) from one value part. */
export function unescapeValue(value: string): string {
  return value.replace(/\\([,$|\\])/g, '$1');
}

/** Splits on an unescaped separator (`|` in tokens, `$` in composites). */
export function splitUnescaped(value: string, separator: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) {
      current += c + value[i + 1];
      i++;
    } else if (c === separator) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

/** Reads a `[prefix]value` for ordered types. */
export function splitPrefix(value: string): { prefix: Prefix; value: string } {
  const p = value.slice(0, 2) as Prefix;
  if (prefixes.has(p) && value.length > 2 && !/^[a-z]/.test(value.slice(2, 3)))
    return { prefix: p, value: value.slice(2) };
  return { prefix: 'eq', value };
}

/** The declared type of a search parameter, or undefined when the type has no such parameter. */
export function paramType(resourceType: string, code: string): string | undefined {
  if (code === '_id') return 'token';
  if (code === '_lastUpdated') return 'date';
  const indexed = indexedParam(resourceType, code);
  if (indexed) return indexed.type;
  return undefined;
}

/** Parses a query (each key with all its values, in order) for a search on `resourceType`. */
export function parseSearch(
  resourceType: string,
  query: [string, string][],
  options: ParseOptions,
): ParsedSearch {
  const search: ParsedSearch = {
    resourceType,
    criteria: [],
    sort: [],
    count: options.defaultCount,
    offset: 0,
    total: 'accurate',
    includes: [],
    revincludes: [],
  };
  for (const [key, value] of query) {
    if (controlParams.has(key)) {
      parseControl(search, key, value, options);
      continue;
    }
    if (search.criteria.length === searchLimits.criteria)
      throw overLimit(
        key,
        'too many search parameters (a repeated one counts each time)',
        searchLimits.criteria,
      );
    search.criteria.push(parseCriterion(resourceType, key, value));
    checkCost(search.criteria, key);
  }
  return search;
}

/** What the criteria cost together: each value is a condition, each chain a join per target type. */
function checkCost(criteria: Criterion[], key: string): void {
  let values = 0;
  let chains = 0;
  for (const c of criteria) {
    if (c.chain) chains++;
    values += c.chain ? c.chain.criterion.values.length * c.chain.targetTypes.length : c.values.length;
  }
  if (chains > searchLimits.chains) throw overLimit(key, 'too many chained parameters', searchLimits.chains);
  if (values > searchLimits.totalValues)
    throw overLimit(
      key,
      `${values} values in all (a chain counts its values once per type it may follow)`,
      searchLimits.totalValues,
    );
}

function parseControl(search: ParsedSearch, key: string, value: string, options: ParseOptions): void {
  switch (key) {
    case '_count':
      // More than the page size limit is served as a full page (R4 lets a server return fewer).
      search.count = Math.min(wholeNumber(value, '_count', 0), options.maxCount);
      return;
    case '_offset':
      search.offset = wholeNumber(value, '_offset', 0);
      return;
    case '_after':
      search.after = value;
      return;
    case '_total':
      if (value !== 'none' && value !== 'estimate' && value !== 'accurate')
        throw badRequest(`_total must be none, estimate or accurate, not "${value}"`, '_total');
      search.total = value;
      return;
    case '_summary':
      if (!['count', 'true', 'data', 'text', 'false'].includes(value))
        throw badRequest(`_summary must be true, false, text, data or count, not "${value}"`, '_summary');
      search.summary = value as ParsedSearch['summary'];
      return;
    case '_elements': {
      const names = [...new Set(value.split(',').map((e) => e.trim()))].filter(Boolean);
      if (names.length > searchLimits.elements)
        throw overLimit('_elements', `${names.length} element names`, searchLimits.elements);
      search.elements = names;
      return;
    }
    case '_sort':
      for (const part of value.split(',').filter(Boolean)) {
        const descending = part.startsWith('-');
        const param = descending ? part.slice(1) : part;
        const type = paramType(search.resourceType, param);
        if (!type || type === 'composite')
          throw badRequest(
            `cannot sort ${search.resourceType} by "${param}": not a search parameter of ${search.resourceType}`,
            '_sort',
          );
        // A second key on the same parameter changes no order, but costs a sort subquery per row.
        if (search.sort.some((s) => s.param === param))
          throw badRequest(`_sort names "${param}" more than once`, '_sort');
        if (search.sort.length === searchLimits.sortKeys)
          throw overLimit('_sort', 'too many sort keys', searchLimits.sortKeys);
        search.sort.push({ param, type, descending });
      }
      return;
    case '_include':
    case '_revinclude': {
      if (value === '*') throw notSupported(`${key}=* is not supported; name the parameters to follow`, key);
      const [sourceType, param, targetType] = value.split(':');
      if (!sourceType || !param || !isResourceType(sourceType))
        throw badRequest(`${key} must be Type:parameter[:targetType], not "${value}"`, key);
      if (paramType(sourceType, param) !== 'reference')
        throw badRequest(`${key}: "${param}" is not a reference parameter of ${sourceType}`, key);
      if (targetType && !isResourceType(targetType))
        throw badRequest(`${key}: unknown resource type "${targetType}"`, key);
      if (key === '_include' && sourceType !== search.resourceType)
        throw badRequest(
          `_include must start with the searched type ${search.resourceType}, not "${sourceType}"`,
          key,
        );
      const rules = key === '_include' ? search.includes : search.revincludes;
      // Each rule is a query of its own per page: a repeat adds nothing, so it is taken once.
      if (rules.some((r) => r.sourceType === sourceType && r.param === param && r.targetType === targetType))
        return;
      if (search.includes.length + search.revincludes.length === searchLimits.includes)
        throw overLimit(key, 'too many _include and _revinclude rules', searchLimits.includes);
      rules.push({ sourceType, param, targetType });
      return;
    }
    default:
      // _format and _pretty: the response is always JSON; nothing to do.
      return;
  }
}

const supportedModifiers: Record<string, Set<string>> = {
  token: new Set(['missing', 'not']),
  string: new Set(['missing', 'exact', 'contains']),
  date: new Set(['missing']),
  number: new Set(['missing']),
  quantity: new Set(['missing']),
  reference: new Set(['missing', 'identifier']),
  uri: new Set(['missing', 'below']),
  composite: new Set(['missing']),
};

/** Parses one `key=value` criterion, including one level of chaining. */
export function parseCriterion(resourceType: string, key: string, value: string): Criterion {
  const values = splitValues(value);
  if (values.length > searchLimits.values)
    throw overLimit(key, `${values.length} comma-separated values`, searchLimits.values);
  const dot = key.indexOf('.');
  const head = dot >= 0 ? key.slice(0, dot) : key;
  const [param, modifier] = head.split(':') as [string, string | undefined];
  const type = paramType(resourceType, param);
  if (!type) {
    const known = searchParametersFor(resourceType)[param];
    if (known)
      throw notSupported(
        `search parameter "${param}" of ${resourceType} is not supported (${known.type})`,
        key,
      );
    throw badRequest(`unknown search parameter "${param}" for ${resourceType}`, key);
  }
  if (dot >= 0) {
    if (type !== 'reference')
      throw badRequest(`"${param}" is not a reference parameter, so it cannot be chained`, key);
    const targets = chainTargets(resourceType, param, modifier);
    const rest = key.slice(dot + 1);
    if (rest.includes('.')) throw notSupported('only one level of chaining is supported', key);
    const criteria = targets.map((t) => {
      try {
        return parseCriterion(t, rest, value);
      } catch {
        return undefined;
      }
    });
    const valid = targets.filter((_, i) => criteria[i]);
    if (valid.length === 0)
      throw badRequest(`"${rest}" is not a search parameter of ${targets.join(' or ')}`, key);
    return {
      key,
      param,
      type,
      values: [],
      chain: { targetTypes: valid, criterion: criteria.find(Boolean)! },
    };
  }
  if (modifier !== undefined && ((param === '_id' && modifier !== 'not') || param === '_lastUpdated')) {
    // Answered from the resources table, which has no index rows: `_id:missing=true` would otherwise
    // find every resource, and `_id:text` ignore its modifier.
    throw notSupported(`modifier ":${modifier}" is not supported on "${param}"`, key);
  }
  if (modifier !== undefined) {
    const isTypeModifier = type === 'reference' && isResourceType(modifier);
    if (!isTypeModifier && !supportedModifiers[type]?.has(modifier))
      throw notSupported(`modifier ":${modifier}" is not supported on ${type} parameter "${param}"`, key);
  }
  if (modifier === 'missing' && value !== 'true' && value !== 'false')
    throw badRequest(`:missing takes true or false, not "${value}"`, key);
  if (values.some((v) => v === '') && modifier !== 'missing')
    throw badRequest(`empty value for "${key}"`, key);
  return { key, param, type, modifier, values };
}

/** The resource types a reference parameter may point to (narrowed by a `:Type` modifier). */
export function chainTargets(resourceType: string, param: string, modifier?: string): string[] {
  if (modifier && isResourceType(modifier)) return [modifier];
  const definition = searchParametersFor(resourceType)[param];
  const targets = (definition?.target ?? []).filter((t) => isResourceType(t));
  if (targets.length === 0)
    throw badRequest(`cannot chain through "${param}": it names no target types`, param);
  return targets;
}

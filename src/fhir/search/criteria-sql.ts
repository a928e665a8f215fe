/**
 * Turns parsed search criteria into SQL conditions over the index tables. Each criterion becomes
 * `r.rid in (select rid from sp_<type> where resource_type = ? and param = ? and (v1 or v2))`,
 * which both SQLite and PostgreSQL answer from the (resource_type, param, value, rid) indexes:
 * no scan of the resources table for an indexed parameter.
 */
import { type RawBuilder, sql } from 'kysely';
import { badRequest } from '../outcome.js';
import {
  identifierReference,
  indexedParam,
  normalizeString,
  parseReferenceString,
  tableForType,
} from './index-rows.js';
import { type Criterion, type Prefix, splitPrefix, splitUnescaped, unescapeValue } from './parse.js';
import { dateRange, numberRange } from './values.js';

type Condition = RawBuilder<unknown>;

const or = (parts: Condition[]) => (parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, sql` or `)})`);
export const and = (parts: Condition[]) =>
  parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, sql` and `)})`;

/**
 * How a criterion joins the resources it filters. `in`: the criterion's matches are looked up by
 * value in its index and drive the query (`r.rid in (select rid ...)`). `probe`: each candidate
 * resource is checked through the (rid, param) index (`exists (select 1 ... where s.rid = r.rid)`),
 * which is cheap when another criterion already narrowed the candidates and the values this one
 * accepts are many (a date range, `value-quantity=gt9`).
 */
export type JoinMode = 'in' | 'probe';

/** True when a criterion names few resources by value, so it should drive the query. */
export function isSelective(criterion: Criterion): boolean {
  if (criterion.chain || criterion.param === '_id') return true;
  if (criterion.modifier === 'missing' || criterion.modifier === 'not' || criterion.modifier === 'contains')
    return false;
  return ['token', 'reference', 'string', 'uri', 'composite'].includes(criterion.type);
}

/**
 * The SQL condition for one criterion on resources of `resourceType` whose id is `id`. `baseUrl` is
 * this server's FHIR base: absolute references under it are this server's resources.
 */
export function criterionSql(
  resourceType: string,
  criterion: Criterion,
  alias: string,
  now: Date,
  baseUrl?: string,
  mode: JoinMode = 'in',
  access?: AccessFilter,
): Condition {
  const { param, modifier } = criterion;
  const id = sql.ref(`${alias}.rid`);
  if (criterion.chain) return chainSql(resourceType, criterion, id, now, baseUrl, access);
  if (param === '_id') {
    const values = criterion.values.map(unescapeValue);
    const ids = sql.ref(`${alias}.id`);
    return modifier === 'not'
      ? sql`${ids} not in (${sql.join(values)})`
      : sql`${ids} in (${sql.join(values)})`;
  }
  if (param === '_lastUpdated') {
    const at = sql.ref(`${alias}.last_updated_ms`);
    return or(criterion.values.map((v) => dateCondition(at, at, v, criterion.key, now)));
  }
  const table = tableForType[criterion.type]!;
  if (mode === 'probe') {
    const probe = sql`select 1 from ${sql.table(table)} where rid = ${id} and param = ${param}`;
    if (modifier === 'missing')
      return criterion.values[0] === 'true' ? sql`not exists (${probe})` : sql`exists (${probe})`;
    const valueConditions = criterion.values.map((v) => valueSql(resourceType, criterion, v, now, baseUrl));
    if (modifier === 'not') return sql`not exists (${probe} and ${or(valueConditions)})`;
    return sql`exists (${probe} and ${or(valueConditions)})`;
  }
  const scope = sql`select rid from ${sql.table(table)} where resource_type = ${resourceType} and param = ${param}`;
  if (modifier === 'missing') {
    return criterion.values[0] === 'true' ? sql`${id} not in (${scope})` : sql`${id} in (${scope})`;
  }
  const valueConditions = criterion.values.map((v) => valueSql(resourceType, criterion, v, now, baseUrl));
  if (modifier === 'not') return sql`${id} not in (${scope} and ${or(valueConditions)})`;
  return sql`${id} in (${scope} and ${or(valueConditions)})`;
}

function valueSql(
  resourceType: string,
  criterion: Criterion,
  raw: string,
  now: Date,
  baseUrl: string | undefined,
): Condition {
  const { type, modifier, key } = criterion;
  switch (type) {
    case 'token':
      return tokenSql(raw, undefined, indexedParam(resourceType, criterion.param)?.lowerCaseCodes);
    case 'string': {
      const value = unescapeValue(raw);
      if (modifier === 'exact') return sql`exact = ${value}`;
      const normalized = normalizeString(value);
      if (modifier === 'contains') return sql`value like ${`%${escapeLike(normalized)}%`} escape '\\'`;
      return prefixRange(sql.ref('value'), normalized);
    }
    case 'date':
      return dateCondition(sql.ref('low'), sql.ref('high'), raw, key, now);
    case 'number':
      return numberCondition(sql.ref('low'), sql.ref('high'), raw, key);
    case 'quantity': {
      const [number, system, code] = splitUnescaped(raw, '|');
      const parts = [numberCondition(sql.ref('low'), sql.ref('high'), number!, key)];
      if (system) parts.push(sql`system = ${unescapeValue(system)}`);
      if (code) parts.push(sql`code = ${unescapeValue(code)}`);
      return and(parts);
    }
    case 'reference':
      return referenceSql(criterion, unescapeValue(raw), baseUrl);
    case 'uri': {
      const value = unescapeValue(raw);
      if (modifier !== 'below') return sql`value = ${value}`;
      // :below works on whole path segments: .../Questionnaire is above .../Questionnaire/phq-9 but not
      // above .../QuestionnaireArchive/x, which a plain prefix would also match.
      const under = value.endsWith('/') ? value : `${value}/`;
      return sql`(value = ${value} or ${prefixRange(sql.ref('value'), under)})`;
    }
    case 'composite':
      return compositeSql(resourceType, criterion, raw, now);
    default:
      throw badRequest(`search on ${type} parameters is not supported`, key);
  }
}

function tokenSql(
  raw: string,
  columns = { system: 'system', code: 'code' },
  lowerCaseCodes = false,
): Condition {
  const system = sql.ref(columns.system);
  const code = sql.ref(columns.code);
  const codeValue = (v: string) => (lowerCaseCodes ? unescapeValue(v).toLocaleLowerCase() : unescapeValue(v));
  const parts = splitUnescaped(raw, '|');
  if (parts.length === 1) {
    // code alone: any system.
    return sql`${code} = ${codeValue(parts[0]!)}`;
  }
  const [s, c] = [unescapeValue(parts[0]!), codeValue(parts.slice(1).join('|'))];
  if (s === '') return sql`(${code} = ${c} and ${system} is null)`;
  if (c === '') return sql`${system} = ${s}`;
  return sql`(${code} = ${c} and ${system} = ${s})`;
}

const absoluteUrl = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * Rows of sp_reference whose target is a resource on this server: relative references (they have no
 * scheme, since ids cannot hold a colon) and absolute ones under `baseUrl`. The index keeps
 * target_type/target_id for any URL ending in Type/id, so without this `subject=Patient/1` also found
 * references to http://elsewhere/fhir/Patient/1, another server's patient.
 */
export function localReference(baseUrl: string | undefined, column = sql.ref('reference')): Condition {
  const relative = sql`${column} not like ${'%:%'}`;
  if (!baseUrl) return relative;
  return sql`(${relative} or ${prefixRange(column, `${baseUrl}/`)})`;
}

function referenceSql(criterion: Criterion, raw: string, baseUrl: string | undefined): Condition {
  const { modifier } = criterion;
  if (modifier === 'identifier') return identifierSql(raw);
  const typeModifier = modifier && modifier !== 'missing' ? modifier : undefined;
  // An absolute URL on this server means the same as the relative reference.
  const value = baseUrl && raw.startsWith(`${baseUrl}/`) ? raw.slice(baseUrl.length + 1) : raw;
  if (absoluteUrl.test(value)) {
    // Another server's resource or a canonical URL: compare as written; a canonical without a
    // version (url) also matches its versions (url|1.0), as R4 search.html#versions asks.
    return sql`(reference = ${value} or ${prefixRange(sql.ref('reference'), `${value}|`)})`;
  }
  const local = localReference(baseUrl);
  const parsed = parseReferenceString(value);
  if (parsed) {
    if (typeModifier && typeModifier !== parsed.type) return sql`1 = 0`;
    return sql`(target_id = ${parsed.id} and target_type = ${parsed.type} and ${local})`;
  }
  if (/^[A-Za-z0-9\-.]{1,64}$/.test(value)) {
    // A bare id: any target type (or the one the modifier names).
    return typeModifier
      ? sql`(target_id = ${value} and target_type = ${typeModifier} and ${local})`
      : sql`(target_id = ${value} and ${local})`;
  }
  return sql`reference = ${value}`;
}

/** `:identifier` as a token: system|value, |value (no system), or value alone (any system). */
function identifierSql(raw: string): Condition {
  const parts = splitUnescaped(raw, '|');
  if (parts.length === 1) {
    return sql`reference like ${`identifier:%|${escapeLike(unescapeValue(parts[0]!))}`} escape '\\'`;
  }
  const system = unescapeValue(parts[0]!);
  const value = unescapeValue(parts.slice(1).join('|'));
  if (value === '') return prefixRange(sql.ref('reference'), `identifier:${system}|`);
  return sql`reference = ${identifierReference(system || undefined, value)}`;
}

function compositeSql(resourceType: string, criterion: Criterion, raw: string, now: Date): Condition {
  const parts = splitUnescaped(raw, '$');
  if (parts.length !== 2)
    throw badRequest(`composite value "${raw}" must have two parts joined by $`, criterion.key);
  const first = tokenSql(parts[0]!, { system: 'c1_system', code: 'c1_code' });
  const second = parts[1]!;
  const secondType = indexedParam(resourceType, criterion.param)?.components?.[1]?.type;
  let secondSql: Condition;
  if (secondType === 'quantity') {
    const [number, system, code] = splitUnescaped(second, '|');
    const conditions = [numberCondition(sql.ref('c2_low'), sql.ref('c2_high'), number!, criterion.key)];
    if (system) conditions.push(sql`c2_system = ${unescapeValue(system)}`);
    if (code) conditions.push(sql`c2_code = ${unescapeValue(code)}`);
    secondSql = and(conditions);
  } else if (secondType === 'date') {
    secondSql = dateCondition(sql.ref('c2_low'), sql.ref('c2_high'), second, criterion.key, now);
  } else if (secondType === 'string') {
    secondSql = prefixRange(sql.ref('c2_code'), normalizeString(unescapeValue(second)));
  } else {
    secondSql = tokenSql(second, { system: 'c2_system', code: 'c2_code' });
  }
  return and([first, secondSql]);
}

/**
 * The acting user's visibility condition on a `resources` row of a type (alias given). A chained
 * criterion applies it to the resources it follows, so a chain never reveals a fact about a record
 * the user may not see (`Encounter?diagnosis:Condition.code=...` on a hidden Condition).
 */
export type AccessFilter = (resourceType: string, alias: string) => RawBuilder<unknown>;

function chainSql(
  resourceType: string,
  criterion: Criterion,
  id: RawBuilder<unknown>,
  now: Date,
  baseUrl: string | undefined,
  access: AccessFilter | undefined,
): Condition {
  const { targetTypes, criterion: inner } = criterion.chain!;
  const targets = targetTypes.map(
    (t) =>
      sql`(target_type = ${t} and target_id in (select c.id from resources c where c.resource_type = ${t} and c.deleted = 0 and ${criterionSql(t, inner, 'c', now, baseUrl)}${access ? sql` and ${access(t, 'c')}` : sql``}))`,
  );
  // Only references to this server's resources can be followed.
  return sql`${id} in (select rid from sp_reference where resource_type = ${resourceType} and param = ${criterion.param} and ${or(targets)} and ${localReference(baseUrl)})`;
}

/** Prefix match as a range, which uses the index (LIKE would not on PostgreSQL without pattern ops). */
function prefixRange(column: RawBuilder<unknown>, prefix: string): Condition {
  return sql`(${column} >= ${prefix} and ${column} < ${`${prefix}\uffff`})`;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function dateCondition(
  low: RawBuilder<unknown>,
  high: RawBuilder<unknown>,
  raw: string,
  key: string,
  now: Date,
): Condition {
  const { prefix, value } = splitPrefix(raw);
  const s = dateRange(value, key);
  return rangeCondition(prefix, low, high, s.low, s.high, now.getTime());
}

/**
 * Interval comparison of the resource's [low, high] with the search value's [sLow, sHigh], as R4
 * search.html#prefix defines each prefix (both intervals inclusive).
 */
function rangeCondition(
  prefix: Prefix,
  low: RawBuilder<unknown>,
  high: RawBuilder<unknown>,
  sLow: number,
  sHigh: number,
  nowMs: number,
): Condition {
  const contained = sql`(${low} >= ${sLow} and ${high} <= ${sHigh})`;
  // Each form leads with a plain range on low or high (implied by the rest, since low <= high), so
  // that the (param, low, ...) and (param, high, ...) indexes can serve it.
  switch (prefix) {
    case 'eq':
      return sql`(${low} >= ${sLow} and ${low} <= ${sHigh} and ${high} <= ${sHigh})`;
    case 'ne':
      return sql`not ${contained}`;
    case 'gt':
      return sql`${high} > ${sHigh}`;
    case 'lt':
      return sql`${low} < ${sLow}`;
    case 'ge':
      return sql`(${high} >= ${sLow} and (${high} > ${sHigh} or ${low} >= ${sLow}))`;
    case 'le':
      return sql`(${low} <= ${sHigh} and (${low} < ${sLow} or ${high} <= ${sHigh}))`;
    case 'sa':
      return sql`${low} > ${sHigh}`;
    case 'eb':
      return sql`${high} < ${sLow}`;
    case 'ap': {
      // "Approximately": within 10% of the distance between the value and now (at least a day).
      const slack = Math.max(86_400_000, Math.abs(nowMs - sLow) * 0.1);
      return sql`(${low} <= ${sHigh + slack} and ${high} >= ${sLow - slack})`;
    }
  }
}

function numberCondition(
  low: RawBuilder<unknown>,
  high: RawBuilder<unknown>,
  raw: string,
  key: string,
): Condition {
  const { prefix, value } = splitPrefix(raw);
  const n = numberRange(value, key);
  switch (prefix) {
    case 'eq':
      return sql`(${low} >= ${n.low} and ${high} < ${n.high})`;
    case 'ne':
      return sql`not (${low} >= ${n.low} and ${high} < ${n.high})`;
    case 'gt':
    case 'sa':
      return sql`${high} > ${n.value}`;
    case 'lt':
    case 'eb':
      return sql`${low} < ${n.value}`;
    case 'ge':
      return sql`${high} >= ${n.value}`;
    case 'le':
      return sql`${low} <= ${n.value}`;
    case 'ap': {
      // Within 10% of the value (R4 leaves the margin to the server).
      const margin = Math.abs(n.value) * 0.1;
      return sql`(${low} <= ${n.value + margin} and ${high} >= ${n.value - margin})`;
    }
  }
}

/**
 * Runs a parsed search: the matching page, the total, `_include`/`_revinclude`, `_summary` and
 * `_elements`, and the links. Paging in the default order (by id) uses a keyset cursor (`_after`), so a
 * client walking `next` links sees every match exactly once even while resources are being added;
 * an explicit `_sort` pages by offset with the id as tie-breaker.
 */
import { getDataType } from '@medplum/core';
import type { Bundle, BundleEntry, BundleLink, Resource } from 'fhir/r4.js';
import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../../platform/database.js';
import { toNumber } from '../../platform/database.js';
import { forEachTypeChunk } from '../store/resource-keys.js';
import { type CompartmentScope, compartmentSql } from './compartment.js';
import { type AccessFilter, and, criterionSql, isSelective, localReference } from './criteria-sql.js';
import { tableForType } from './index-rows.js';
import type { ParsedSearch, SortRule } from './parse.js';

export interface SearchContext {
  /** Base URL of the FHIR API, for fullUrl and links. */
  baseUrl: string;
  now: Date;
  /** The query as received, used to build self/next/previous links. */
  query: [string, string][];
  /** The access condition on `r` for the acting user (absent for the server itself). */
  access?: RawBuilder<unknown>;
  /** Keeps only the included resources the acting user may see. */
  filterIncluded?: (resources: Resource[]) => Promise<Resource[]>;
  /** The acting user's visibility condition on the resources a chained criterion follows. */
  chainAccess?: AccessFilter;
  /** A compartment search (`Patient/{id}/{type}`): only that patient's compartment, and links under it. */
  compartment?: CompartmentScope;
}

/**
 * The condition on `resources` (as `alias`) that the matches of `search` meet, within `compartment`
 * when given. `baseUrl`, when given, lets absolute references to this server match as the relative
 * references they are.
 */
export function matchCondition(
  search: ParsedSearch,
  alias: string,
  now: Date,
  baseUrl?: string,
  chainAccess?: AccessFilter,
  compartment?: CompartmentScope,
): RawBuilder<unknown> {
  const conditions: RawBuilder<unknown>[] = [
    sql`${sql.ref(`${alias}.resource_type`)} = ${search.resourceType}`,
    sql`${sql.ref(`${alias}.deleted`)} = 0`,
  ];
  // The first selective criterion (a code, a reference, a name) drives the query through its value
  // index; the others are checked per candidate. With none selective, the first criterion drives.
  // A compartment (one patient's references) is selective and drives on its own.
  if (compartment) conditions.push(compartmentSql(search.resourceType, compartment, alias, baseUrl));
  const driver = compartment ? undefined : (search.criteria.find(isSelective) ?? search.criteria[0]);
  for (const criterion of search.criteria)
    conditions.push(
      criterionSql(
        search.resourceType,
        criterion,
        alias,
        now,
        baseUrl,
        criterion === driver ? 'in' : 'probe',
        chainAccess,
      ),
    );
  return and(conditions);
}

/** Runs the search and returns a searchset Bundle. */
export async function runSearch(ex: Executor, search: ParsedSearch, ctx: SearchContext): Promise<Bundle> {
  const matched = matchCondition(search, 'r', ctx.now, ctx.baseUrl, ctx.chainAccess, ctx.compartment);
  const where = ctx.access ? sql`${matched} and ${ctx.access}` : matched;
  const wantTotal = search.summary === 'count' || search.total !== 'none' || search.count === 0;
  let total: number | undefined;
  if (wantTotal) {
    const counted = await sql<{ n: number }>`select count(*) as n from resources r where ${where}`.execute(
      ex,
    );
    total = toNumber(counted.rows[0]?.n);
  }
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(total !== undefined ? { total } : {}),
  };
  if (search.summary === 'count' || search.count === 0) {
    bundle.link = [{ relation: 'self', url: selfUrl(ctx, search.resourceType) }];
    return bundle;
  }

  const keyset = search.sort.length === 0;
  const order = keyset ? sql`r.id` : sql.join([...search.sort.map((s) => sortSql(s)), sql`r.id`]);
  const after = keyset && search.after ? sql` and r.id > ${search.after}` : sql``;
  // In the default order the cursor pages; an explicit `_offset` there is honoured too (it was
  // silently ignored, and a caller paging by offset read the first page forever).
  const offset = keyset && search.after ? 0 : search.offset;
  const rows = await sql<{
    id: string;
    rid: number;
    content: string;
  }>`select r.id, r.rid, r.content from resources r where ${where}${after} order by ${order} limit ${search.count + 1} offset ${offset}`.execute(
    ex,
  );
  const page = rows.rows.slice(0, search.count);
  const hasMore = rows.rows.length > search.count;
  const resources = page.map((r) => JSON.parse(r.content) as Resource);

  const entries: BundleEntry[] = resources.map((resource) => ({
    fullUrl: `${ctx.baseUrl}/${resource.resourceType}/${resource.id}`,
    resource: shape(resource, search),
    search: { mode: 'match' },
  }));
  let included = await loadIncluded(
    ex,
    search,
    resources,
    page.map((r) => Number(r.rid)),
    ctx.baseUrl,
  );
  if (ctx.filterIncluded) included = await ctx.filterIncluded(included);
  for (const resource of included) {
    entries.push({
      fullUrl: `${ctx.baseUrl}/${resource.resourceType}/${resource.id}`,
      resource:
        search.summary || search.elements ? shape(resource, { ...search, elements: undefined }) : resource,
      search: { mode: 'include' },
    });
  }
  bundle.link = links(ctx, search, hasMore, page.at(-1)?.id);
  bundle.entry = entries;
  return bundle;
}

function sortSql(rule: SortRule): RawBuilder<unknown> {
  const direction = rule.descending ? sql`desc` : sql`asc`;
  if (rule.param === '_id') return sql`r.id ${direction}`;
  if (rule.param === '_lastUpdated') return sql`r.last_updated_ms ${direction}`;
  const table = tableForType[rule.type]!;
  const column = {
    token: sql`code`,
    string: sql`value`,
    date: rule.descending ? sql`high` : sql`low`,
    number: rule.descending ? sql`high` : sql`low`,
    quantity: sql`value`,
    reference: sql`reference`,
    uri: sql`value`,
  }[rule.type];
  const aggregate = rule.descending ? sql`max` : sql`min`;
  // Resources without a value sort last in both directions, on both databases.
  return sql`(select ${aggregate}(${column}) from ${sql.table(table)} s where s.rid = r.rid and s.param = ${rule.param}) ${direction} nulls last`;
}

async function loadIncluded(
  ex: Executor,
  search: ParsedSearch,
  matches: Resource[],
  rids: number[],
  baseUrl: string,
): Promise<Resource[]> {
  if (matches.length === 0 || (search.includes.length === 0 && search.revincludes.length === 0)) return [];
  const ids = matches.map((r) => r.id!);
  const seen = new Set(matches.map((r) => `${r.resourceType}/${r.id}`));
  const wanted: { type: string; id: string }[] = [];
  for (const rule of search.includes) {
    const rows = await sql<{
      target_type: string;
      target_id: string;
    }>`select distinct target_type, target_id from sp_reference where resource_type = ${rule.sourceType} and param = ${rule.param} and rid in (${sql.join(rids)}) and target_id is not null and ${localReference(baseUrl)}${rule.targetType ? sql` and target_type = ${rule.targetType}` : sql``}`.execute(
      ex,
    );
    for (const r of rows.rows) wanted.push({ type: r.target_type, id: r.target_id });
  }
  const revRids: number[] = [];
  for (const rule of search.revincludes) {
    const rows = await sql<{
      rid: number;
    }>`select distinct rid from sp_reference where resource_type = ${rule.sourceType} and param = ${rule.param} and target_type = ${search.resourceType} and target_id in (${sql.join(ids)}) and ${localReference(baseUrl)}`.execute(
      ex,
    );
    for (const r of rows.rows) revRids.push(Number(r.rid));
  }
  const out = await loadResources(
    ex,
    wanted.filter((w) => !seen.has(`${w.type}/${w.id}`)),
  );
  for (const r of out) seen.add(`${r.resourceType}/${r.id}`);
  for (const r of await loadResourcesByRid(ex, revRids)) {
    if (!seen.has(`${r.resourceType}/${r.id}`)) out.push(r);
    seen.add(`${r.resourceType}/${r.id}`);
  }
  return out;
}

/** Loads current, non-deleted resources by their integer keys, in key order. */
export async function loadResourcesByRid(ex: Executor, rids: number[]): Promise<Resource[]> {
  const unique = [...new Set(rids)].sort((a, b) => a - b);
  const out: Resource[] = [];
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await ex
      .selectFrom('resources')
      .select('content')
      .where('rid', 'in', unique.slice(i, i + 500))
      .where('deleted', '=', 0)
      .orderBy('rid')
      .execute();
    for (const r of rows) out.push(JSON.parse(r.content) as Resource);
  }
  return out;
}

/** Loads current, non-deleted resources by type and id (missing ones are skipped). */
export async function loadResources(ex: Executor, keys: { type: string; id: string }[]): Promise<Resource[]> {
  const out: Resource[] = [];
  await forEachTypeChunk(keys, async (type, ids) => {
    const rows = await ex
      .selectFrom('resources')
      .select('content')
      .where('resource_type', '=', type)
      .where('id', 'in', ids)
      .where('deleted', '=', 0)
      .orderBy('id')
      .execute();
    for (const r of rows) out.push(JSON.parse(r.content) as Resource);
  });
  return out;
}

const subsettedTag = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
};

/** Applies `_summary` and `_elements` to a matched resource, marking it SUBSETTED as R4 asks. */
function shape(resource: Resource, search: Pick<ParsedSearch, 'summary' | 'elements'>): Resource {
  let keep: Set<string> | undefined;
  // Mandatory elements are kept with _elements too (R4 search.html#elements: servers SHOULD), so
  // that the subset is still a valid resource.
  if (search.elements)
    keep = new Set([...search.elements, ...(getDataType(resource.resourceType).mandatoryProperties ?? [])]);
  else if (search.summary === 'true') keep = summaryProperties(resource.resourceType);
  // _summary=text: the narrative, id, meta and the top-level mandatory elements (R4 search.html#summary).
  else if (search.summary === 'text')
    keep = new Set(['text', 'meta', ...(getDataType(resource.resourceType).mandatoryProperties ?? [])]);
  else if (search.summary === 'data') keep = new Set(Object.keys(resource).filter((k) => k !== 'text'));
  if (!keep) return resource;
  const kept = keptElement(resource.resourceType, keep);
  const out: Record<string, unknown> = { resourceType: resource.resourceType, id: resource.id };
  for (const [key, value] of Object.entries(resource)) if (kept(key) || key === 'meta') out[key] = value;
  const meta = (out.meta ?? {}) as Record<string, unknown>;
  out.meta = { ...meta, tag: [...((meta.tag as unknown[]) ?? []), subsettedTag] };
  return out as unknown as Resource;
}

/**
 * Whether a JSON property belongs to one of the `keep` elements. Elements are named without their
 * type, as the summary lists and _elements name them (`effective`, `value`), while the JSON has
 * `effectiveDateTime`, `valueQuantity`; a primitive's extension (`_birthDate`) travels with it.
 * Matching names exactly dropped every choice element from _summary=true.
 */
function keptElement(resourceType: string, keep: Set<string>): (key: string) => boolean {
  const choices = Object.keys(getDataType(resourceType).elements)
    .filter((e) => e.endsWith('[x]'))
    .map((e) => e.slice(0, -3))
    .filter((e) => keep.has(e));
  return (key) => {
    const name = key.startsWith('_') ? key.slice(1) : key;
    if (keep.has(name)) return true;
    return choices.some((c) => name.startsWith(c) && /^[A-Z]/.test(name.slice(c.length)));
  };
}

function summaryProperties(resourceType: string): Set<string> {
  const schema = getDataType(resourceType);
  const props = new Set(schema.summaryProperties ?? []);
  // Mandatory elements are always part of a summary so the result stays valid.
  for (const p of schema.mandatoryProperties ?? []) props.add(p);
  return props;
}

function selfUrl(
  ctx: SearchContext,
  resourceType: string,
  replace: Record<string, string | undefined> = {},
): string {
  const pairs: [string, string][] = [];
  const replaced = new Set(Object.keys(replace));
  for (const [k, v] of ctx.query) if (!replaced.has(k)) pairs.push([k, v]);
  for (const [k, v] of Object.entries(replace)) if (v !== undefined) pairs.push([k, v]);
  // Percent-encoding throughout (a space as %20): URLSearchParams writes a space as "+", which the
  // API's query parser keeps as a literal "+" (it must, for time-zone offsets), so `name=ana lucia`
  // came back on the next page as `name=ana+lucia` and matched nothing.
  const qs = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  // A compartment search's links stay in the compartment, as the client asked (R4 search.html#self).
  const path = ctx.compartment
    ? `Patient/${encodeURIComponent(ctx.compartment.patientId)}/${resourceType}`
    : resourceType;
  return `${ctx.baseUrl}/${path}${qs ? `?${qs}` : ''}`;
}

function links(
  ctx: SearchContext,
  search: ParsedSearch,
  hasMore: boolean,
  lastId: string | undefined,
): BundleLink[] {
  const out: BundleLink[] = [{ relation: 'self', url: selfUrl(ctx, search.resourceType) }];
  const count = String(search.count);
  if (search.sort.length === 0) {
    if (search.after)
      out.push({
        relation: 'first',
        url: selfUrl(ctx, search.resourceType, { _after: undefined, _count: count }),
      });
    if (hasMore && lastId)
      out.push({
        relation: 'next',
        url: selfUrl(ctx, search.resourceType, { _after: lastId, _count: count }),
      });
    return out;
  }
  out.push({
    relation: 'first',
    url: selfUrl(ctx, search.resourceType, { _offset: undefined, _count: count }),
  });
  if (search.offset > 0)
    out.push({
      relation: 'previous',
      url: selfUrl(ctx, search.resourceType, {
        _offset: String(Math.max(0, search.offset - search.count)),
        _count: count,
      }),
    });
  if (hasMore)
    out.push({
      relation: 'next',
      url: selfUrl(ctx, search.resourceType, {
        _offset: String(search.offset + search.count),
        _count: count,
      }),
    });
  return out;
}

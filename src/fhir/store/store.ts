/**
 * The FHIR resource store: every FHIR interaction CareLoop supports, generically for all R4 resource
 * types. Callers (REST routes, CLI, jobs, modules) use this, never the tables. Every write validates,
 * versions, indexes and (once committed) announces itself to listeners; every call runs in one
 * database transaction, opened here or by the caller through `transaction()`.
 */
import type { Bundle, BundleEntry, Resource } from 'fhir/r4.js';
import { sql } from 'kysely';
import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/database.js';
import { isResourceType } from '../definitions.js';
import { badRequest, FhirError, gone, notFound, preconditionFailed, unprocessable } from '../outcome.js';
import { applyFhirPatch, applyJsonPatch, PatchError } from '../patch/apply-patch.js';
import { type ParsedSearch, parseSearch } from '../search/parse.js';
import { matchCondition, runSearch } from '../search/search.js';
import { validateFhirResource } from '../validation/validate-resource.js';
import { isValidId, newId, type Write, type WriteResult, writeBatch } from './write.js';

export interface StoreOptions {
  clock: Clock;
  referentialIntegrity: boolean;
  defaultPageSize: number;
  maxPageSize: number;
}

/** A committed change, announced after commit (modules react to these, e.g. "Encounter finished"). */
export interface ResourceChange {
  action: 'create' | 'update' | 'delete';
  resourceType: string;
  id: string;
  versionId: number;
  resource?: Resource;
}
export type ChangeListener = (changes: ResourceChange[]) => void | Promise<void>;

/** The outcome of a create or update. */
export interface SaveResult {
  resource: Resource;
  /** 201 for a new resource, 200 for an update or when a conditional create found a match. */
  status: 200 | 201;
}

export type Query = [string, string][];

let savepointCounter = 0;

export class ResourceStore {
  private readonly listeners: ChangeListener[];
  private pendingChanges: ResourceChange[] | undefined;

  constructor(
    readonly database: Database,
    readonly options: StoreOptions,
    private readonly ex: Executor = database.db,
    shared?: { listeners: ChangeListener[]; pending?: ResourceChange[] },
  ) {
    this.listeners = shared?.listeners ?? [];
    this.pendingChanges = shared?.pending;
  }

  /** Registers a listener for committed changes. */
  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** Runs `work` in one transaction; changes are announced only after it commits. Nested calls join. */
  async transaction<T>(work: (store: ResourceStore) => Promise<T>): Promise<T> {
    if (this.pendingChanges) return work(this);
    const pending: ResourceChange[] = [];
    const result = await this.database.db
      .transaction()
      .execute((trx) =>
        work(new ResourceStore(this.database, this.options, trx, { listeners: this.listeners, pending })),
      );
    await this.announce(pending);
    return result;
  }

  /**
   * Runs `work` inside the current transaction as a unit that can fail on its own (a SQL savepoint):
   * on failure its writes are undone and its changes not announced, and the transaction goes on.
   */
  async savepoint<T>(work: (store: ResourceStore) => Promise<T>): Promise<T> {
    if (!this.pendingChanges) throw new Error('savepoint() needs an open transaction');
    const name = `sp_${++savepointCounter}`;
    const mark = this.pendingChanges.length;
    await sql`savepoint ${sql.raw(name)}`.execute(this.ex);
    try {
      const result = await work(this);
      await sql`release savepoint ${sql.raw(name)}`.execute(this.ex);
      return result;
    } catch (err) {
      await sql`rollback to savepoint ${sql.raw(name)}`.execute(this.ex);
      await sql`release savepoint ${sql.raw(name)}`.execute(this.ex);
      this.pendingChanges.length = mark;
      throw err;
    }
  }

  private async announce(changes: ResourceChange[]): Promise<void> {
    if (changes.length === 0) return;
    for (const listener of this.listeners) {
      try {
        await listener(changes);
      } catch {
        // A listener's failure must not turn a committed write into an error for the client;
        // listeners log and retry on their own.
      }
    }
  }

  /** Validates and writes a batch in the current transaction (or a new one). */
  async write(writes: Write[]): Promise<WriteResult[]> {
    return this.transaction(async (store) => {
      for (const w of writes) if (w.resource) assertValid(w.resource, w.location);
      const results = await writeBatch(store.ex, writes, {
        now: this.options.clock.now(),
        database: this.database,
        referentialIntegrity: this.options.referentialIntegrity,
      });
      for (const r of results) {
        if (r.unchanged) continue;
        store.pendingChanges!.push({
          action: r.deleted ? 'delete' : r.created ? 'create' : 'update',
          resourceType: r.resourceType,
          id: r.id,
          versionId: r.versionId,
          resource: r.resource,
        });
      }
      return results;
    });
  }

  /** The executor of this store (a transaction inside `transaction()`). */
  get executor(): Executor {
    return this.ex;
  }

  /** Reads the current version; 404 when unknown, 410 when deleted. */
  async read(resourceType: string, id: string): Promise<Resource> {
    assertType(resourceType);
    const row = await this.ex
      .selectFrom('resources')
      .select(['content', 'deleted', 'version_id'])
      .where('resource_type', '=', resourceType)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound(`${resourceType}/${id} does not exist`);
    if (row.deleted) throw gone(`${resourceType}/${id} was deleted (version ${row.version_id})`);
    return JSON.parse(row.content) as Resource;
  }

  /** Reads a version; 404 when unknown, 410 when that version is a deletion. */
  async vread(resourceType: string, id: string, versionId: string): Promise<Resource> {
    assertType(resourceType);
    const version = Number(versionId);
    if (!Number.isInteger(version) || version < 1)
      throw notFound(`${resourceType}/${id} has no version "${versionId}"`);
    const row = await this.ex
      .selectFrom('resource_versions')
      .select(['content', 'deleted'])
      .where('resource_type', '=', resourceType)
      .where('id', '=', id)
      .where('version_id', '=', version)
      .executeTakeFirst();
    if (!row) throw notFound(`${resourceType}/${id} has no version ${version}`);
    if (row.deleted || row.content === null)
      throw gone(`${resourceType}/${id} version ${version} is a deletion`);
    return JSON.parse(row.content) as Resource;
  }

  /** Creates a resource with a server-assigned id; with `ifNoneExist`, only when nothing matches. */
  async create(resource: Resource, options: { ifNoneExist?: string } = {}): Promise<SaveResult> {
    assertType(resource.resourceType, 'resourceType');
    return this.transaction(async (store) => {
      if (options.ifNoneExist !== undefined) {
        const existing = await store.matchOne(resource.resourceType, options.ifNoneExist, 'If-None-Exist');
        if (existing) return { resource: existing, status: 200 as const };
      }
      const [result] = await store.write([
        { method: 'POST', resourceType: resource.resourceType, id: newId(), resource },
      ]);
      return { resource: result!.resource!, status: 201 as const };
    });
  }

  /** Creates or replaces `resourceType/id` (update-as-create with the client's id). */
  async update(
    resourceType: string,
    id: string,
    resource: Resource,
    options: { ifMatch?: number } = {},
  ): Promise<SaveResult> {
    assertType(resourceType);
    if (!isValidId(id)) throw badRequest(`"${id}" is not a valid FHIR id ([A-Za-z0-9-.]{1,64})`, 'id');
    if (resource.resourceType !== resourceType)
      throw badRequest(
        `resourceType "${resource.resourceType}" does not match the URL's ${resourceType}`,
        'resourceType',
      );
    if (resource.id !== undefined && resource.id !== id)
      throw badRequest(
        `the resource id "${resource.id}" does not match the URL's id "${id}"`,
        `${resourceType}.id`,
      );
    const [result] = await this.write([
      { method: 'PUT', resourceType, id, resource: { ...resource, id }, ifMatch: options.ifMatch },
    ]);
    return { resource: result!.resource!, status: result!.created ? 201 : 200 };
  }

  /** Conditional update: `PUT Type?query` (R4: 0 matches create, 1 updates, more is 412). */
  async conditionalUpdate(resourceType: string, query: string, resource: Resource): Promise<SaveResult> {
    return this.transaction(async (store) => {
      const existing = await store.matchOne(resourceType, query, 'conditional update');
      if (existing) return store.update(resourceType, existing.id!, { ...resource, id: existing.id });
      if (resource.id) return store.update(resourceType, resource.id, resource);
      if (resource.resourceType !== resourceType)
        throw badRequest(
          `resourceType "${resource.resourceType}" does not match the URL's ${resourceType}`,
          'resourceType',
        );
      return store.create(resource);
    });
  }

  /** Applies a JSON Patch or FHIR Patch to the current version (R4 http.html#patch). */
  async patch(
    resourceType: string,
    id: string,
    patch: unknown,
    kind: 'json-patch' | 'fhir-patch',
    options: { ifMatch?: number } = {},
  ): Promise<SaveResult> {
    return this.transaction(async (store) => {
      const current = await store.read(resourceType, id);
      const version = Number(current.meta?.versionId);
      if (options.ifMatch !== undefined && options.ifMatch !== version)
        throw preconditionFailed(
          `${resourceType}/${id} is at version ${version}, not the version ${options.ifMatch} given in If-Match`,
        );
      let patched: Resource;
      try {
        patched = kind === 'json-patch' ? applyJsonPatch(current, patch) : applyFhirPatch(current, patch);
      } catch (err) {
        if (err instanceof PatchError)
          throw new FhirError(422, [
            { code: 'processing', diagnostics: err.message, expression: err.expression },
          ]);
        throw err;
      }
      if (patched.resourceType !== resourceType)
        throw unprocessable('a patch may not change resourceType', 'resourceType');
      if (patched.id !== id) throw unprocessable('a patch may not change the id', `${resourceType}.id`);
      const [result] = await store.write([
        { method: 'PATCH', resourceType, id, resource: patched, ifMatch: version },
      ]);
      return { resource: result!.resource!, status: 200 as const };
    });
  }

  /** Deletes a resource (a new version marking it deleted); reading it then answers 410. */
  async delete(resourceType: string, id: string, options: { ifMatch?: number } = {}): Promise<void> {
    assertType(resourceType);
    await this.write([{ method: 'DELETE', resourceType, id, ifMatch: options.ifMatch }]);
  }

  /** Runs a search for `resourceType` and returns a searchset Bundle. */
  async search(resourceType: string, query: Query, baseUrl: string): Promise<Bundle> {
    assertType(resourceType);
    const parsed = this.parse(resourceType, query);
    return runSearch(this.ex, parsed, { baseUrl, now: this.options.clock.now(), query });
  }

  /** Parses a search with this store's paging limits. */
  parse(resourceType: string, query: Query): ParsedSearch {
    return parseSearch(resourceType, query, {
      defaultCount: this.options.defaultPageSize,
      maxCount: this.options.maxPageSize,
    });
  }

  /** Ids of every resource matching a search query string (`identifier=a|b`), at most `limit`. */
  async matchIds(resourceType: string, queryString: string, limit = 2): Promise<string[]> {
    assertType(resourceType);
    const query = [...new URLSearchParams(queryString).entries()] as Query;
    if (query.length === 0)
      throw badRequest(`a conditional operation on ${resourceType} needs search criteria`);
    const parsed = this.parse(resourceType, query);
    const rows = await sql<{
      id: string;
    }>`select r.id from resources r where ${matchCondition(parsed, 'r', this.options.clock.now())} order by r.id limit ${limit}`.execute(
      this.ex,
    );
    return rows.rows.map((r) => r.id);
  }

  /** The single match of a conditional query, undefined for none, 412 for several. */
  private async matchOne(
    resourceType: string,
    queryString: string,
    what: string,
  ): Promise<Resource | undefined> {
    const ids = await this.matchIds(resourceType, queryString, 2);
    if (ids.length > 1)
      throw preconditionFailed(`${what} "${resourceType}?${queryString}" matches more than one resource`);
    return ids.length === 1 ? this.read(resourceType, ids[0]!) : undefined;
  }

  /** Version history of one resource, one type, or everything, newest first. */
  async history(
    target: { resourceType?: string; id?: string },
    options: { count: number; offset: number; since?: string },
    baseUrl: string,
  ): Promise<Bundle> {
    if (target.resourceType) assertType(target.resourceType);
    let query = this.ex
      .selectFrom('resource_versions')
      .select(['resource_type', 'id', 'version_id', 'last_updated', 'deleted', 'content', 'method']);
    let countQuery = this.ex.selectFrom('resource_versions').select((eb) => eb.fn.countAll<number>().as('n'));
    if (target.resourceType) {
      query = query.where('resource_type', '=', target.resourceType);
      countQuery = countQuery.where('resource_type', '=', target.resourceType);
    }
    if (target.id) {
      query = query.where('id', '=', target.id);
      countQuery = countQuery.where('id', '=', target.id);
    }
    if (options.since) {
      const since = Date.parse(options.since);
      if (Number.isNaN(since))
        throw badRequest(`_since must be an instant, not "${options.since}"`, '_since');
      query = query.where('last_updated_ms', '>=', since);
      countQuery = countQuery.where('last_updated_ms', '>=', since);
    }
    const total = Number((await countQuery.executeTakeFirst())?.n ?? 0);
    if (target.id && total === 0) throw notFound(`${target.resourceType}/${target.id} does not exist`);
    const rows = await query
      .orderBy('last_updated_ms', 'desc')
      .orderBy('version_id', 'desc')
      .orderBy('resource_type')
      .orderBy('id')
      .limit(options.count)
      .offset(options.offset)
      .execute();
    const entry: BundleEntry[] = rows.map((row) => {
      const url = `${row.resource_type}/${row.id}`;
      return {
        fullUrl: `${baseUrl}/${url}`,
        ...(row.content ? { resource: JSON.parse(row.content) as Resource } : {}),
        request: { method: row.method as 'PUT', url: row.method === 'POST' ? row.resource_type : url },
        response: {
          status: row.deleted ? '204' : row.version_id === 1 ? '201' : '200',
          etag: `W/"${row.version_id}"`,
          lastModified: row.last_updated,
        },
      };
    });
    const path = [target.resourceType, target.id, '_history'].filter(Boolean).join('/');
    const link = [
      { relation: 'self', url: `${baseUrl}/${path}?_count=${options.count}&_offset=${options.offset}` },
    ];
    if (options.offset + options.count < total)
      link.push({
        relation: 'next',
        url: `${baseUrl}/${path}?_count=${options.count}&_offset=${options.offset + options.count}`,
      });
    return { resourceType: 'Bundle', type: 'history', total, link, entry };
  }
}

/** Rejects resources that are not valid R4, with every issue naming its path. */
export function assertValid(resource: Resource, location?: string): void {
  const issues = validateFhirResource(resource).filter((i) => i.severity === 'error');
  if (issues.length === 0) return;
  throw new FhirError(
    400,
    issues.map((i) => ({
      code: i.code,
      diagnostics: location ? `${i.diagnostics} (${location})` : i.diagnostics,
      expression: i.expression,
    })),
  );
}

function assertType(resourceType: string, expression?: string): void {
  if (!isResourceType(resourceType)) {
    if (expression) throw badRequest(`"${resourceType}" is not a FHIR R4 resource type`, expression);
    throw notFound(`"${resourceType}" is not a FHIR R4 resource type`);
  }
}

/** Builds a store over `database`. */
export function createStore(database: Database, options: StoreOptions): ResourceStore {
  return new ResourceStore(database, options);
}

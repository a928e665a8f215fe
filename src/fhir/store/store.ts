/**
 * The FHIR resource store: every FHIR interaction CareLoop supports, generically for all R4 resource
 * types. Callers (REST routes, CLI, jobs, modules) use this, never the tables. Every write validates,
 * versions, indexes and (once committed) announces itself to listeners; every call runs in one
 * database transaction, opened here or by the caller through `transaction()`.
 */
import type { Bundle, BundleEntry, FhirResource, Resource } from 'fhir/r4.js';
import { type RawBuilder, sql } from 'kysely';
import { type AccessContext, systemContext } from '../../access/access-context.js';
import { type AuditEntry, appendAudit, appendsInOneStatement } from '../../access/audit/audit-trail.js';
import { patientOf } from '../../access/policy/access-facts.js';
import { changesAccess } from '../../access/policy/relationships.js';
import {
  forbidden,
  type Grants,
  presentFor,
  reachFor,
  resolveGrants,
  visibilityCondition,
  visibleElements,
} from '../../access/policy/visibility.js';
import {
  absentTargetError,
  assertMayWrite,
  assertRelatedNow,
  writeReach,
} from '../../access/policy/write-access.js';
import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/database.js';
import { isResourceType } from '../definitions.js';
import { badRequest, FhirError, gone, notFound, preconditionFailed, unprocessable } from '../outcome.js';
import { applyFhirPatch, applyJsonPatch, PatchError } from '../patch/apply-patch.js';
import { patientCompartmentScope } from '../search/compartment.js';
import type { AccessFilter } from '../search/criteria-sql.js';
import { indexRows } from '../search/index-rows.js';
import { type ParsedSearch, parseSearch } from '../search/parse.js';
import { parseQueryString } from '../search/query-string.js';
import { assertSearchesVisibleElements } from '../search/readable-params.js';
import { matchCondition, runSearch } from '../search/search.js';
import { validateFhirResource } from '../validation/validate-resource.js';
import { forEachTypeChunk } from './resource-keys.js';
import { isValidId, newId, parseVersion, type Write, type WriteResult, writeBatch } from './write.js';

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

/**
 * A rule a module puts on writes of one resource type made by users (a Task's status moves only
 * along its state machine): called before the write with the stored version; throws a FhirError to
 * refuse it. The server's own writes (imports, jobs) are not guarded.
 */
export type WriteGuard = (write: {
  resource?: Resource;
  stored?: Resource;
  context: AccessContext;
  /** The store of the write's transaction, for guards that must read (a response's Questionnaire). */
  store: ResourceStore;
}) => void | Promise<void>;

/** The outcome of a create or update. */
export interface SaveResult {
  resource: Resource;
  /** 201 for a new resource, 200 for an update or when a conditional create found a match. */
  status: 200 | 201;
}

export type Query = [string, string][];

/** State shared by a store and the stores of its transaction. */
interface TransactionState {
  /** Changes to announce after commit. */
  pending: ResourceChange[];
  /** True while an audited operation runs: the operations it calls are part of it, not audited again. */
  inOperation: boolean;
  /** Refusals and failures to record after the transaction ends (a rollback must not erase them). */
  failures: AuditEntry[];
  /** Work to run after the transaction ends, whatever its outcome (see `afterTransaction`). */
  afterEnd: ((store: ResourceStore) => Promise<void>)[];
}

/** What an audited operation touched: resource keys (`Type/id`); their patients are looked up unless given. */
export interface Touched {
  resources: string[];
  /** The patients of `resources`, when the operation already read them (saves looking them up). */
  patientIds?: string[];
  detail?: string;
}

/** Marks a 404 that hides a record the user may not see (audited as denied, answered as not found). */
export class HiddenRecordError extends FhirError {
  readonly accessDenied = true;
}

let savepointCounter = 0;

export class ResourceStore {
  private readonly listeners: ChangeListener[];
  private readonly guards: Map<string, WriteGuard[]>;
  private readonly state: TransactionState | undefined;
  /** Who is acting: access is decided and audit written for them. The plain store acts as the server. */
  readonly context: AccessContext;

  constructor(
    readonly database: Database,
    readonly options: StoreOptions,
    private readonly ex: Executor = database.db,
    shared?: {
      listeners: ChangeListener[];
      guards?: Map<string, WriteGuard[]>;
      state?: TransactionState;
      context?: AccessContext;
    },
  ) {
    this.listeners = shared?.listeners ?? [];
    this.guards = shared?.guards ?? new Map();
    this.state = shared?.state;
    this.context = shared?.context ?? systemContext('server');
  }

  /** The same store acting for `context`: every call is checked against its access and audited under it. */
  as(context: AccessContext): ResourceStore {
    return new ResourceStore(this.database, this.options, this.ex, {
      listeners: this.listeners,
      guards: this.guards,
      state: this.state,
      context,
    });
  }

  /** Registers a listener for committed changes. */
  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** Puts a rule on users' writes of `resourceType` (see WriteGuard). */
  guardWrites(resourceType: string, guard: WriteGuard): void {
    this.guards.set(resourceType, [...(this.guards.get(resourceType) ?? []), guard]);
  }

  /** Runs `work` in one transaction; changes are announced only after it commits. Nested calls join. */
  async transaction<T>(work: (store: ResourceStore) => Promise<T>): Promise<T> {
    if (this.state) return work(this);
    const state: TransactionState = { pending: [], inOperation: false, failures: [], afterEnd: [] };
    let result: T;
    try {
      result = await this.database.db.transaction().execute((trx) =>
        work(
          new ResourceStore(this.database, this.options, trx, {
            listeners: this.listeners,
            guards: this.guards,
            state,
            context: this.context,
          }),
        ),
      );
    } finally {
      if (state.failures.length > 0) await this.recordFailures(state.failures);
      for (const after of state.afterEnd) await after(this).catch(() => {});
    }
    await this.announce(state.pending);
    return result;
  }

  /**
   * Runs `work` once the current transaction has ended, committed or rolled back (at once when none
   * is open), with a store outside it: what a refused write still calls for, which its rollback must
   * not erase, as its audit entry is kept. `work` opens its own transaction and reports its own
   * failures; the outcome of the transaction it follows stands either way.
   */
  async afterTransaction(work: (store: ResourceStore) => Promise<void>): Promise<void> {
    if (this.state) this.state.afterEnd.push(work);
    else await work(this).catch(() => {});
  }

  private async recordFailures(entries: AuditEntry[]): Promise<void> {
    const now = this.options.clock.now();
    await this.database.db.transaction().execute(async (trx) => {
      for (const entry of entries) await appendAudit(this.database, trx, entry, now);
    });
  }

  /** The access grants of this store's context (resolved once per context). */
  grants(): Promise<Grants> {
    return resolveGrants(this.database.dialect, this.ex, this.context);
  }

  private get restricted(): boolean {
    return this.context.kind !== 'system';
  }

  /**
   * Runs one audited operation: in a transaction, with the audit entry appended before commit (no
   * disclosure without its record). A failure is recorded after the rollback, as denied when access
   * was refused. Operations called from inside one (a patch reads, a bundle writes) are part of it.
   */
  async audited<T>(
    action: string,
    work: (store: ResourceStore) => Promise<T>,
    touched: (result: T) => Touched,
    attempted: { resources?: string[]; detail?: string } = {},
  ): Promise<T> {
    if (this.state?.inOperation) return work(this);
    try {
      return await this.transaction(async (store) => {
        store.state!.inOperation = true;
        try {
          const result = await work(store);
          await store.appendAuditOf(action, touched(result));
          return result;
        } finally {
          store.state!.inOperation = false;
        }
      });
    } catch (err) {
      throw await this.recordFailure(action, err, attempted);
    }
  }

  /**
   * An audited read whose work needs no transaction: it runs first, reading committed data through
   * `readExecutor` (`database.prepared`), and its entry is then appended on its own (one statement
   * on PostgreSQL, prepared too; a short transaction on SQLite) before the result is returned, so
   * nothing is disclosed without its record. Inside a caller's transaction it is `audited`.
   */
  async auditedRead<T>(
    action: string,
    work: (store: ResourceStore) => Promise<T>,
    touched: (result: T) => Touched,
    attempted: { resources?: string[]; detail?: string } = {},
  ): Promise<T> {
    if (this.state) return this.audited(action, work, touched, attempted);
    let result: T;
    try {
      result = await work(this);
      const t = touched(result);
      // On PostgreSQL the append is one statement, atomic by itself: no transaction to open and commit,
      // and its text is the same every time, so it is prepared once per connection.
      if (appendsInOneStatement(this.database)) await this.appendAuditOf(action, t, this.database.prepared);
      else await this.transaction((store) => store.appendAuditOf(action, t));
    } catch (err) {
      throw await this.recordFailure(action, err, attempted);
    }
    return result;
  }

  /** Appends the success entry of `action` (in this store's transaction, or on `ex`). */
  private async appendAuditOf(action: string, t: Touched, ex: Executor = this.ex): Promise<void> {
    const patientIds = t.patientIds
      ? [...new Set(t.patientIds)].sort()
      : await patientsOfResources(this.ex, t.resources);
    const entry = this.auditEntry(action, 'success', { ...t, patientIds });
    if (t.resources.some((r) => r.startsWith('Consent/')) && action !== 'read' && action !== 'search')
      entry.detail = ['consent change', entry.detail].filter(Boolean).join('; ');
    // Access that a break-the-glass grant allows is emergency treatment, and says so (decided in the
    // append: on PostgreSQL in the same statement).
    const breakGlass =
      this.restricted && this.context.userId
        ? { principal: `User/${this.context.userId}`, now: this.options.clock.now().getTime() }
        : undefined;
    await appendAudit(this.database, ex, entry, this.options.clock.now(), breakGlass);
  }

  /**
   * Records a failed operation (as denied when access was refused): after the transaction ends when
   * one is open (a rollback must not erase it), else at once. Returns the error to rethrow.
   */
  private async recordFailure(
    action: string,
    err: unknown,
    attempted: { resources?: string[]; detail?: string },
  ): Promise<unknown> {
    const denied =
      err instanceof HiddenRecordError ||
      (err instanceof FhirError && (err.status === 403 || err.status === 401));
    const entry = this.auditEntry(action, denied ? 'denied' : 'failure', {
      resources: attempted.resources ?? [],
      detail: [attempted.detail, err instanceof FhirError ? `HTTP ${err.status}` : 'error']
        .filter(Boolean)
        .join('; '),
    });
    if (this.state) this.state.failures.push(entry);
    else await this.recordFailures([entry]).catch(() => {});
    return err;
  }

  private auditEntry(
    action: string,
    outcome: AuditEntry['outcome'],
    t: Touched & { patientIds?: string[] },
  ): AuditEntry {
    const c = this.context;
    return {
      action,
      outcome,
      actor: c.actor,
      role: c.role,
      ...(c.onBehalfOf ? { onBehalfOf: c.onBehalfOf } : {}),
      ...(t.patientIds?.length ? { patientIds: t.patientIds } : {}),
      ...(t.resources.length ? { resources: t.resources } : {}),
      purposeOfUse: c.purposeOfUse,
      ...(c.clientAddress ? { clientAddress: c.clientAddress } : {}),
      ...(t.detail ? { detail: t.detail } : {}),
    };
  }

  /** The visibility condition of this store's context on a row of `resourceType` (alias `alias`). */
  private async access(
    resourceType: string,
    alias: string,
    options: { versions?: boolean } = {},
  ): Promise<RawBuilder<unknown> | undefined> {
    if (!this.restricted) return undefined;
    return visibilityCondition(
      await this.grants(),
      resourceType,
      alias,
      this.options.clock.now().getTime(),
      options,
    );
  }

  /** Shapes a resource for the context (community organizations see a trimmed Patient). */
  async present(resource: Resource): Promise<Resource> {
    return this.restricted ? presentFor(await this.grants(), resource) : resource;
  }

  /** The resources among `resources` that this store's context may see (for includes and $everything). */
  async filterVisible(resources: Resource[]): Promise<Resource[]> {
    if (!this.restricted || resources.length === 0) return resources;
    const visible = await this.visibleKeys(resources.map((r) => ({ type: r.resourceType, id: r.id! })));
    return resources.filter((r) => visible.has(`${r.resourceType}/${r.id}`));
  }

  /** Which of the given resources (as `Type/id`) this store's context may see. */
  async visibleKeys(keys: { type: string; id: string }[]): Promise<Set<string>> {
    if (!this.restricted) return new Set(keys.map((k) => `${k.type}/${k.id}`));
    const visible = new Set<string>();
    await forEachTypeChunk(keys, async (type, ids) => {
      const condition = (await this.access(type, 'r'))!;
      const rows = await sql<{
        id: string;
      }>`select r.id from resources r where r.resource_type = ${type} and r.id in (${sql.join(ids)}) and ${condition}`.execute(
        this.ex,
      );
      for (const row of rows.rows) visible.add(`${type}/${row.id}`);
    });
    return visible;
  }

  /**
   * Runs `work` inside the current transaction as a unit that can fail on its own (a SQL savepoint):
   * on failure its writes are undone and its changes not announced, and the transaction goes on.
   */
  async savepoint<T>(work: (store: ResourceStore) => Promise<T>): Promise<T> {
    if (!this.state) throw new Error('savepoint() needs an open transaction');
    const name = `sp_${++savepointCounter}`;
    const mark = this.state.pending.length;
    await sql`savepoint ${sql.raw(name)}`.execute(this.ex);
    try {
      const result = await work(this);
      await sql`release savepoint ${sql.raw(name)}`.execute(this.ex);
      return result;
    } catch (err) {
      await sql`rollback to savepoint ${sql.raw(name)}`.execute(this.ex);
      await sql`release savepoint ${sql.raw(name)}`.execute(this.ex);
      this.state.pending.length = mark;
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

  /** Validates, checks access and writes a batch in the current transaction (or a new one). */
  async write(writes: Write[]): Promise<WriteResult[]> {
    const action = writes.length === 1 ? writeAction(writes[0]!.method) : 'write';
    return this.audited(
      action,
      (store) => store.writeNow(writes),
      (results) => ({
        resources: results.filter((r) => !r.unchanged).map((r) => `${r.resourceType}/${r.id}`),
      }),
      { resources: writes.map((w) => `${w.resourceType}/${w.id}`) },
    );
  }

  private async writeNow(writes: Write[]): Promise<WriteResult[]> {
    return this.transaction(async (store) => {
      for (const w of writes) if (w.resource) assertValid(w.resource, w.location);
      const checkAfter = store.restricted ? await store.checkWrites(writes) : [];
      const results = await writeBatch(store.ex, writes, {
        now: this.options.clock.now(),
        database: this.database,
        referentialIntegrity: this.options.referentialIntegrity,
        visibleOf: store.restricted ? (keys) => store.visibleKeys(keys) : undefined,
      });
      const grants = store.restricted ? await store.grants() : undefined;
      for (const patientId of checkAfter)
        await assertRelatedNow(store.ex, grants!, patientId, this.options.clock.now().getTime());
      for (const r of results) {
        if (r.unchanged) continue;
        store.state!.pending.push({
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

  /**
   * Checks each write against the context's reach before anything is written: a role without reach
   * for the type is refused (403) whatever the id; a target that does not exist or is out of sight
   * answers the same either way (absentTargetError); the stored version's patient and the new
   * content's patient must be within the role's write reach (else 403); and a write that changes who
   * may see a patient's records needs a standing relationship. Returns new patients to check once the
   * write has made them related.
   */
  private async checkWrites(writes: Write[]): Promise<string[]> {
    const grants = await this.grants();
    const now = this.options.clock.now().getTime();
    const checkAfter: string[] = [];
    for (const w of writes) {
      const action = w.method === 'DELETE' ? 'delete' : 'write';
      const reach = writeReach(grants, w.resourceType, action);
      const stored = await this.ex
        .selectFrom('resources')
        .select(['rid', 'patient_id', 'deleted', 'content'])
        .where('resource_type', '=', w.resourceType)
        .where('id', '=', w.id)
        .executeTakeFirst();
      // A deleted record still belongs to its patient: writing it again (PUT revives it) needs the
      // same reach as writing it before, and registering a "new" Patient over a deleted one is no
      // way in to the records that remain under its id.
      const existed = !!stored;
      const hidden = existed && !(await this.isVisible(w.resourceType, w.id));
      if (!existed || hidden) {
        const refused = absentTargetError(reach, w, hidden);
        if (refused) throw hidden ? new HiddenRecordError(refused.status, refused.issues) : refused;
      }
      const resource = w.resource ? ({ ...w.resource, id: w.id } as Resource) : undefined;
      const after = resource
        ? resource.resourceType === 'Patient'
          ? w.id
          : (patientOf(resource, indexRows(resource, 0).sp_reference) ?? null)
        : undefined;
      const current = stored && !stored.deleted ? (JSON.parse(stored.content) as Resource) : undefined;
      const verdict = await assertMayWrite(
        this.ex,
        grants,
        {
          resourceType: w.resourceType,
          id: w.id,
          action,
          before: existed ? stored!.patient_id : undefined,
          after,
          rid: stored ? Number(stored.rid) : undefined,
          existed,
          changesAccess: changesAccess(
            { resource: current, patientId: stored?.patient_id },
            { resource, patientId: after },
          ),
        },
        now,
      );
      if (verdict === 'check-after') checkAfter.push(w.id);
      for (const guard of this.guards.get(w.resourceType) ?? [])
        await guard({ resource: w.resource, stored: current, context: this.context, store: this });
    }
    return checkAfter;
  }

  private async isVisible(resourceType: string, id: string): Promise<boolean> {
    const condition = await this.access(resourceType, 'r');
    if (!condition) return true;
    const rows =
      await sql`select 1 as one from resources r where r.resource_type = ${resourceType} and r.id = ${id} and ${condition}`.execute(
        this.ex,
      );
    return rows.rows.length > 0;
  }

  /**
   * Where a read made by `auditedRead` work goes: `database.prepared` (committed data; on PostgreSQL
   * plans prepared once per connection), or this store's transaction when one is open.
   */
  get readExecutor(): Executor {
    return this.state ? this.ex : this.database.prepared;
  }

  /** The executor of this store (a transaction inside `transaction()`). */
  get executor(): Executor {
    return this.ex;
  }

  /** Reads the current version; 404 when unknown or not visible to the context, 410 when deleted. */
  async read(resourceType: string, id: string): Promise<Resource> {
    assertType(resourceType);
    return this.audited(
      'read',
      async (store) => {
        const condition = await store.access(resourceType, 'r');
        const rows = await sql<{
          content: string;
          deleted: number;
          version_id: number;
          visible: number;
        }>`select r.content, r.deleted, r.version_id, ${condition ? sql`case when ${condition} then 1 else 0 end` : sql`1`} as visible from resources r where r.resource_type = ${resourceType} and r.id = ${id}`.execute(
          store.ex,
        );
        const row = rows.rows[0];
        if (!row) throw notFound(`${resourceType}/${id} does not exist`);
        // Not visible answers exactly as absent: a user learns nothing about records beyond their reach.
        if (!Number(row.visible))
          throw new HiddenRecordError(404, [
            { code: 'not-found', diagnostics: `${resourceType}/${id} does not exist` },
          ]);
        if (Number(row.deleted)) throw gone(`${resourceType}/${id} was deleted (version ${row.version_id})`);
        return store.present(JSON.parse(row.content) as Resource);
      },
      () => ({ resources: [`${resourceType}/${id}`] }),
      { resources: [`${resourceType}/${id}`] },
    );
  }

  /** Reads a version; 404 when unknown or not visible, 410 when that version is a deletion. */
  async vread(resourceType: string, id: string, versionId: string): Promise<Resource> {
    assertType(resourceType);
    return this.audited(
      'vread',
      (store) => store.vreadNow(resourceType, id, versionId),
      () => ({ resources: [`${resourceType}/${id}`] }),
      { resources: [`${resourceType}/${id}`] },
    );
  }

  private async vreadNow(resourceType: string, id: string, versionId: string): Promise<Resource> {
    // A number past the column's range names no version (PostgreSQL refused it with a 500).
    const version = parseVersion(versionId);
    if (version === undefined) throw notFound(`${resourceType}/${id} has no version "${versionId}"`);
    const condition = await this.access(resourceType, 'v', { versions: true });
    const rows = await sql<{
      content: string | null;
      deleted: number;
      visible: number;
    }>`select v.content, v.deleted, ${condition ? sql`case when ${condition} then 1 else 0 end` : sql`1`} as visible from resource_versions v where v.resource_type = ${resourceType} and v.id = ${id} and v.version_id = ${version}`.execute(
      this.ex,
    );
    const row = rows.rows[0];
    if (!row) throw notFound(`${resourceType}/${id} has no version ${version}`);
    if (!Number(row.visible))
      throw new HiddenRecordError(404, [
        { code: 'not-found', diagnostics: `${resourceType}/${id} has no version ${version}` },
      ]);
    if (row.deleted || row.content === null)
      throw gone(`${resourceType}/${id} version ${version} is a deletion`);
    return this.present(JSON.parse(row.content) as Resource);
  }

  /** Creates a resource with a server-assigned id; with `ifNoneExist`, only when nothing matches. */
  async create(
    resource: Resource | FhirResource,
    options: { ifNoneExist?: string } = {},
  ): Promise<SaveResult> {
    assertType(resource.resourceType, 'resourceType');
    return this.audited(
      'create',
      async (store) => {
        if (options.ifNoneExist !== undefined) {
          const existing = await store.matchOne(resource.resourceType, options.ifNoneExist, 'If-None-Exist');
          if (existing) return { resource: existing, status: 200 as const };
        }
        const [result] = await store.write([
          { method: 'POST', resourceType: resource.resourceType, id: newId(), resource },
        ]);
        return { resource: result!.resource!, status: 201 as const };
      },
      savedResource,
      { resources: [resource.resourceType] },
    );
  }

  /** Creates or replaces `resourceType/id` (update-as-create with the client's id). */
  async update(
    resourceType: string,
    id: string,
    resource: Resource | FhirResource,
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
  async conditionalUpdate(
    resourceType: string,
    query: string,
    resource: Resource | FhirResource,
  ): Promise<SaveResult> {
    return this.audited(
      'update',
      async (store) => {
        const existing = await store.matchOne(resourceType, query, 'conditional update');
        if (existing) return store.update(resourceType, existing.id!, { ...resource, id: existing.id });
        if (resource.id) return store.update(resourceType, resource.id, resource);
        if (resource.resourceType !== resourceType)
          throw badRequest(
            `resourceType "${resource.resourceType}" does not match the URL's ${resourceType}`,
            'resourceType',
          );
        return store.create(resource);
      },
      savedResource,
      { resources: [resourceType] },
    );
  }

  /** Applies a JSON Patch or FHIR Patch to the current version (R4 http.html#patch). */
  async patch(
    resourceType: string,
    id: string,
    patch: unknown,
    kind: 'json-patch' | 'fhir-patch',
    options: { ifMatch?: number } = {},
  ): Promise<SaveResult> {
    return this.audited(
      'patch',
      async (store) => {
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
            throw new FhirError(err.malformed ? 400 : 422, [
              {
                code: err.malformed ? 'invalid' : 'processing',
                diagnostics: err.message,
                expression: err.expression,
              },
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
      },
      savedResource,
      { resources: [`${resourceType}/${id}`] },
    );
  }

  /** Deletes a resource (a new version marking it deleted); reading it then answers 410. */
  async delete(resourceType: string, id: string, options: { ifMatch?: number } = {}): Promise<void> {
    assertType(resourceType);
    await this.write([{ method: 'DELETE', resourceType, id, ifMatch: options.ifMatch }]);
  }

  /**
   * Runs a search for `resourceType` and returns a searchset Bundle: only what the context may see,
   * filtered inside the query (so totals and paging count only that) and in `_include`/`_revinclude`.
   * With `compartment`, a compartment search (`GET /fhir/Patient/{id}/{type}`): only what the patient
   * compartment's parameters link to that patient, who must be visible to the context (else 404, as a
   * missing patient).
   */
  async search(
    resourceType: string,
    query: Query,
    baseUrl: string,
    compartment?: { patientId: string },
  ): Promise<Bundle> {
    assertType(resourceType);
    const scope = compartment && patientCompartmentScope(resourceType, compartment.patientId);
    const patient = scope ? [`Patient/${scope.patientId}`] : [];
    // The audit names the parameters searched, never their values (names, birth dates, identifiers).
    const detail = `${scope ? `${patient[0]}/` : ''}${resourceType}?${[...new Set(query.map(([k]) => k))].join(',')}`;
    return this.audited(
      'search',
      async (store) => {
        const parsed = store.parse(resourceType, query);
        if (store.restricted && reachFor(await store.grants(), resourceType, 'read') === 'none')
          throw forbidden(`your role (${store.context.role}) may not read ${resourceType} resources`);
        await store.assertSearchable(parsed, scope?.params);
        // Out of reach answers exactly as missing (read's 404); a deleted patient answers 410 as a read.
        if (scope) await store.read('Patient', scope.patientId);
        const bundle = await runSearch(store.ex, parsed, {
          baseUrl,
          now: store.options.clock.now(),
          query,
          access: store.restricted ? await store.access(resourceType, 'r') : undefined,
          chainAccess: await store.chainFilter(),
          filterIncluded: store.restricted ? (resources) => store.filterVisible(resources) : undefined,
          compartment: scope,
        });
        if (store.restricted) {
          const grants = await store.grants();
          for (const e of bundle.entry ?? []) if (e.resource) e.resource = presentFor(grants, e.resource);
        }
        return bundle;
      },
      (bundle) => ({
        resources: [
          ...patient,
          ...(bundle.entry ?? []).map((e) => `${e.resource!.resourceType}/${e.resource!.id}`),
        ],
        detail,
      }),
      { resources: patient, detail },
    );
  }

  /**
   * Refuses (403) a search that reads an element the context does not see, in any of its parts:
   * a community organization sees a trimmed Patient and may search only on what it sees.
   */
  private async assertSearchable(parsed: ParsedSearch, compartmentParams?: string[]): Promise<void> {
    if (!this.restricted) return;
    const grants = await this.grants();
    assertSearchesVisibleElements(parsed, (type) => visibleElements(grants, type), compartmentParams);
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
    const query = parseQueryString(queryString);
    if (query.length === 0)
      throw badRequest(`a conditional operation on ${resourceType} needs search criteria`);
    const detail = `${resourceType}?${[...new Set(query.map(([k]) => k))].join(',')} (conditional)`;
    return this.audited(
      'search',
      async (store) => {
        const parsed = store.parse(resourceType, query);
        // A conditional operation matches only what the context may see, chains included, and only
        // on what it sees: whether a match exists answers a guess as well as a search does.
        await store.assertSearchable(parsed);
        const access = await store.access(resourceType, 'r');
        const where = matchCondition(
          parsed,
          'r',
          store.options.clock.now(),
          undefined,
          await store.chainFilter(),
        );
        const rows = await sql<{
          id: string;
        }>`select r.id from resources r where ${where}${access ? sql` and ${access}` : sql``} order by r.id limit ${limit}`.execute(
          store.ex,
        );
        return rows.rows.map((r) => r.id);
      },
      (ids) => ({ resources: ids.map((id) => `${resourceType}/${id}`), detail }),
      { detail },
    );
  }

  /** The visibility condition chained criteria apply to the resources they follow (none for the server). */
  private async chainFilter(): Promise<AccessFilter | undefined> {
    if (!this.restricted) return undefined;
    const grants = await this.grants();
    const now = this.options.clock.now().getTime();
    return (resourceType, alias) => visibilityCondition(grants, resourceType, alias, now);
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
    const what = [target.resourceType, target.id].filter(Boolean).join('/');
    return this.audited(
      'history',
      (store) => store.historyNow(target, options, baseUrl),
      (bundle) => ({
        resources: [...new Set((bundle.entry ?? []).map((e) => e.fullUrl!.split('/').slice(-2).join('/')))],
        detail: what || 'all types',
      }),
      { resources: target.id ? [what] : [], detail: what || 'all types' },
    );
  }

  private async historyNow(
    target: { resourceType?: string; id?: string },
    options: { count: number; offset: number; since?: string },
    baseUrl: string,
  ): Promise<Bundle> {
    let access: RawBuilder<unknown> | undefined;
    if (this.restricted) {
      // Visibility depends on the type; history across all types is for the server and integrations.
      if (!target.resourceType) {
        if (this.context.role !== 'integration')
          throw forbidden(
            'history across all resource types is not available to your role; ask for one type',
          );
      } else {
        if (reachFor(await this.grants(), target.resourceType, 'read') === 'none')
          throw forbidden(`your role (${this.context.role}) may not read ${target.resourceType} resources`);
        access = await this.access(target.resourceType, 'resource_versions', { versions: true });
      }
    }
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
    if (access) {
      query = query.where(access as never);
      countQuery = countQuery.where(access as never);
    }
    if (options.since) {
      const since = Date.parse(options.since);
      if (Number.isNaN(since))
        throw badRequest(`_since must be an instant, not "${options.since}"`, '_since');
      query = query.where('last_updated_ms', '>=', since);
      countQuery = countQuery.where('last_updated_ms', '>=', since);
    }
    const total = Number((await countQuery.executeTakeFirst())?.n ?? 0);
    if (target.id && total === 0) {
      if (access)
        throw new HiddenRecordError(404, [
          { code: 'not-found', diagnostics: `${target.resourceType}/${target.id} does not exist` },
        ]);
      throw notFound(`${target.resourceType}/${target.id} does not exist`);
    }
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
    if (this.restricted) for (const e of entry) if (e.resource) e.resource = await this.present(e.resource);
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

function writeAction(method: Write['method']): string {
  return { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method];
}

function savedResource(result: SaveResult): Touched {
  return { resources: [`${result.resource.resourceType}/${result.resource.id}`] };
}

/** The patients of the given resources (`Type/id`), from their stored compartment. */
async function patientsOfResources(ex: Executor, keys: string[]): Promise<string[]> {
  const patients = new Set<string>();
  const pairs = keys
    .map((k) => k.split('/'))
    .filter((p) => p.length === 2)
    .map(([type, id]) => ({ type: type!, id: id! }));
  await forEachTypeChunk(pairs, async (type, ids) => {
    const rows = await ex
      .selectFrom('resources')
      .select('patient_id')
      .where('resource_type', '=', type)
      .where('id', 'in', ids)
      .where('patient_id', 'is not', null)
      .execute();
    for (const r of rows) patients.add(r.patient_id!);
  });
  return [...patients].sort();
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

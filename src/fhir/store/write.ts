/**
 * The write path of the resource store, batch-first: a REST create is a batch of one, a transaction
 * bundle or an import a batch of many. One batch costs a handful of statements whatever its size:
 * current versions are read together, new rows inserted together, index rows replaced together.
 * Callers open the database transaction; this module never commits.
 */
import { randomUUID } from 'node:crypto';
import type { Resource } from 'fhir/r4.js';
import { allocateRids, bulkInsert } from '../../platform/bulk-insert.js';
import { canonicalJson } from '../../platform/canonical-json.js';
import type { Database, Dialect, Executor } from '../../platform/database.js';
import { bulkColumns, indexTables } from '../../platform/database-schema.js';
import { conflict, FhirError, notFound, preconditionFailed } from '../outcome.js';
import { emptyIndexRows, indexRows } from '../search/index-rows.js';
import { findReferences, parseRelativeReference } from './references.js';
import { forEachTypeChunk } from './resource-keys.js';

/** One write in a batch. */
export interface Write {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  resourceType: string;
  id: string;
  /** The new content (absent for DELETE). Its meta.versionId and meta.lastUpdated are set here. */
  resource?: Resource;
  /** If-Match: the version the client last saw; a different current version answers 412. */
  ifMatch?: number;
  /** Entry path for messages, e.g. `Bundle.entry[3]`. */
  location?: string;
}

/** What a write did. */
export interface WriteResult {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  /** True when the resource did not exist (or was deleted) before. */
  created: boolean;
  deleted: boolean;
  /** The stored content (absent for DELETE). */
  resource?: Resource;
  /** True for a PUT whose content equals the current version: no new version was made. */
  unchanged: boolean;
}

export interface WriteOptions {
  now: Date;
  database: Database;
  /** Reject relative references to resources that do not exist. */
  referentialIntegrity: boolean;
}

interface CurrentRow {
  resource_type: string;
  id: string;
  rid: number;
  version_id: number;
  deleted: number;
  content: string;
}

/** Writes a batch of resources (in the caller's transaction) and returns what each write did. */
export async function writeBatch(
  ex: Executor,
  writes: Write[],
  options: WriteOptions,
): Promise<WriteResult[]> {
  if (writes.length === 0) return [];
  const lastUpdated = options.now.toISOString();
  const lastUpdatedMs = options.now.getTime();
  const current = await readCurrent(ex, writes, options.database.dialect);

  // Later writes to the same resource in one batch (a bundle may touch it twice) build on earlier ones.
  const versions = new Map<string, { version: number; deleted: boolean; existed: boolean }>();
  for (const [key, row] of current)
    versions.set(key, { version: row.version_id, deleted: row.deleted === 1, existed: true });

  const results: WriteResult[] = [];
  const inserts: Record<string, unknown>[] = [];
  const updates: { row: Record<string, unknown>; expected: number }[] = [];
  const versionRows: Record<string, unknown>[] = [];
  // Rows to replace in the index: by rid for resources that exist, by key for new ones (rid below).
  const reindexRids: number[] = [];
  const finalContent = new Map<string, Resource | undefined>();

  for (const write of writes) {
    const key = `${write.resourceType}/${write.id}`;
    const before = versions.get(key);
    const where = write.location ? ` (${write.location})` : '';
    if (write.ifMatch !== undefined && (before?.version ?? 0) !== write.ifMatch) {
      throw preconditionFailed(
        `${key} is at version ${before?.version ?? 'none'}, not the version ${write.ifMatch} given in If-Match${where}`,
      );
    }
    if (write.method === 'DELETE') {
      if (!before || before.deleted) {
        results.push(deleteResult(write, before?.version ?? 0, lastUpdated, !before));
        continue;
      }
      const version = before.version + 1;
      versions.set(key, { version, deleted: true, existed: true });
      updates.push({
        row: {
          resource_type: write.resourceType,
          id: write.id,
          version_id: version,
          last_updated: lastUpdated,
          last_updated_ms: lastUpdatedMs,
          deleted: 1,
        },
        expected: before.version,
      });
      versionRows.push(versionRow(write, version, lastUpdated, lastUpdatedMs, null));
      finalContent.set(key, undefined);
      results.push(deleteResult(write, version, lastUpdated, false));
      continue;
    }
    const resource = write.resource!;
    if (write.method === 'PUT' && before && !before.deleted) {
      const row = current.get(key);
      const stored =
        row && row.version_id === before.version ? (JSON.parse(row.content) as Resource) : undefined;
      if (stored && sameContent(stored, resource)) {
        results.push({
          resourceType: write.resourceType,
          id: write.id,
          versionId: before.version,
          lastUpdated: stored.meta?.lastUpdated ?? lastUpdated,
          created: false,
          deleted: false,
          resource: stored,
          unchanged: true,
        });
        continue;
      }
    }
    const version = (before?.version ?? 0) + 1;
    // resourceType, id and meta first, as FHIR JSON is usually read.
    const { resourceType: _t, id: _i, meta, ...rest } = resource;
    const stored = {
      resourceType: write.resourceType,
      id: write.id,
      meta: { ...meta, versionId: String(version), lastUpdated },
      ...rest,
    } as Resource;
    const content = JSON.stringify(stored);
    const row = {
      resource_type: write.resourceType,
      id: write.id,
      version_id: version,
      last_updated: lastUpdated,
      last_updated_ms: lastUpdatedMs,
      deleted: 0,
      content,
    };
    if (before) updates.push({ row, expected: before.version });
    else inserts.push(row);
    versions.set(key, { version, deleted: false, existed: true });
    versionRows.push(versionRow(write, version, lastUpdated, lastUpdatedMs, content));
    finalContent.set(key, stored);
    results.push({
      resourceType: write.resourceType,
      id: write.id,
      versionId: version,
      lastUpdated,
      created: !before || before.deleted,
      deleted: false,
      resource: stored,
      unchanged: false,
    });
  }

  if (options.referentialIntegrity) await checkReferences(ex, writes, versions);

  const { database } = options;
  const rids = await allocateRids(database, ex, inserts.length);
  const ridOf = new Map<string, number>();
  for (const [key, row] of current) ridOf.set(key, Number(row.rid));
  inserts.forEach((row, i) => {
    row.rid = rids[i];
    ridOf.set(`${row.resource_type}/${row.id}`, rids[i]!);
  });
  for (const key of current.keys()) if (finalContent.has(key)) reindexRids.push(ridOf.get(key)!);
  // Index only the last content of each resource the batch wrote (a bundle may write one twice).
  const rows = emptyIndexRows();
  for (const [key, stored] of finalContent) if (stored) indexRows(stored, ridOf.get(key)!, rows);

  await bulkInsert(database, ex, 'resources', bulkColumns.resources, inserts);
  for (const { row, expected } of updates) {
    const { resource_type, id, ...values } = row as { resource_type: string; id: string } & Record<
      string,
      unknown
    >;
    const result = await ex
      .updateTable('resources')
      .set(values)
      .where('resource_type', '=', resource_type)
      .where('id', '=', id)
      .where('version_id', '=', expected)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      // Another transaction changed the row between our read and our write (possible on PostgreSQL
      // only when the read was not locked); the client should read again.
      throw conflict(`${resource_type}/${id} was changed by another request; read it again and retry`);
    }
  }
  await bulkInsert(database, ex, 'resource_versions', bulkColumns.resource_versions, versionRows);
  await deleteIndexRows(ex, reindexRids);
  for (const table of indexTables) await bulkInsert(database, ex, table, bulkColumns[table], rows[table]);
  return results;
}

function deleteResult(
  write: Write,
  version: number,
  lastUpdated: string,
  neverExisted: boolean,
): WriteResult {
  if (neverExisted && write.ifMatch === undefined) {
    // Deleting what never existed is reported, not silently accepted: the client likely has a wrong id.
    throw notFound(`${write.resourceType}/${write.id} does not exist`);
  }
  return {
    resourceType: write.resourceType,
    id: write.id,
    versionId: version,
    lastUpdated,
    created: false,
    deleted: true,
    unchanged: false,
  };
}

function versionRow(write: Write, version: number, lastUpdated: string, ms: number, content: string | null) {
  return {
    resource_type: write.resourceType,
    id: write.id,
    version_id: version,
    last_updated: lastUpdated,
    last_updated_ms: ms,
    deleted: content === null ? 1 : 0,
    content,
    method: write.method,
  };
}

/** True when the stored resource equals the new one, apart from meta.versionId/lastUpdated. */
function sameContent(stored: Resource, resource: Resource): boolean {
  const strip = (r: Resource) => {
    const { versionId: _v, lastUpdated: _l, ...meta } = r.meta ?? {};
    return canonicalJson({ ...r, meta: Object.keys(meta).length ? meta : undefined });
  };
  return strip(stored) === strip(resource);
}

async function readCurrent(
  ex: Executor,
  writes: Write[],
  dialect: Dialect,
): Promise<Map<string, CurrentRow>> {
  const current = new Map<string, CurrentRow>();
  const keys = writes.map((w) => ({ type: w.resourceType, id: w.id }));
  await forEachTypeChunk(keys, async (type, ids) => {
    let query = ex
      .selectFrom('resources')
      .select(['resource_type', 'id', 'rid', 'version_id', 'deleted', 'content'])
      .where('resource_type', '=', type)
      .where('id', 'in', ids);
    // Lock the rows on PostgreSQL so that concurrent writers to the same resource queue up instead
    // of failing; SQLite has one writer at a time already. Sorted ids keep lock order stable.
    if (dialect === 'postgres') query = query.orderBy('id').forUpdate();
    for (const row of await query.execute()) current.set(`${row.resource_type}/${row.id}`, row as CurrentRow);
  });
  return current;
}

async function checkReferences(
  ex: Executor,
  writes: Write[],
  inBatch: Map<string, { deleted: boolean }>,
): Promise<void> {
  const wanted = new Map<string, { type: string; id: string; path: string; location?: string }>();
  for (const w of writes) {
    if (!w.resource) continue;
    for (const ref of findReferences(w.resource)) {
      const target = parseRelativeReference(ref.reference);
      if (!target) continue; // absolute URLs, contained (#id), urn: and logical references are not ours to check
      const key = `${target.type}/${target.id}`;
      const batch = inBatch.get(key);
      if (batch && !batch.deleted) continue;
      if (!wanted.has(key)) wanted.set(key, { ...target, path: ref.path, location: w.location });
    }
  }
  if (wanted.size === 0) return;
  const found = new Set<string>();
  await forEachTypeChunk(wanted.values(), async (type, ids) => {
    const rows = await ex
      .selectFrom('resources')
      .select('id')
      .where('resource_type', '=', type)
      .where('id', 'in', ids)
      .where('deleted', '=', 0)
      .execute();
    for (const r of rows) found.add(`${type}/${r.id}`);
  });
  const missing = [...wanted.entries()].filter(([key]) => !found.has(key));
  if (missing.length > 0) {
    throw new FhirError(
      400,
      missing.map(([key, m]) => ({
        code: 'not-found' as const,
        diagnostics: `the referenced resource ${key} does not exist${m.location ? ` (${m.location})` : ''}`,
        expression: m.path,
      })),
    );
  }
}

async function deleteIndexRows(ex: Executor, rids: number[]): Promise<void> {
  for (let i = 0; i < rids.length; i += 500) {
    const chunk = rids.slice(i, i + 500);
    for (const table of indexTables) await ex.deleteFrom(table).where('rid', 'in', chunk).execute();
  }
}

/** A new server-assigned id. */
export function newId(): string {
  return randomUUID();
}

/** FHIR id syntax (R4 datatypes: [A-Za-z0-9\-\.]{1,64}). */
export function isValidId(id: string): boolean {
  return /^[A-Za-z0-9\-.]{1,64}$/.test(id);
}

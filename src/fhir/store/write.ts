/**
 * The write path of the resource store, batch-first: a REST create is a batch of one, a transaction
 * bundle or an import a batch of many. One batch costs a handful of statements whatever its size:
 * current versions are read together, new rows inserted together, index rows replaced together.
 * Callers open the database transaction; this module never commits.
 */
import { randomUUID } from 'node:crypto';
import type { Resource } from 'fhir/r4.js';
import { patientOf, sensitivityOf } from '../../access/policy/access-facts.js';
import { syncRelationships } from '../../access/policy/relationships.js';
import { syncWorklist } from '../../modules/worklists/worklist-projection.js';
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
  /** The patient whose compartment the resource is in after the write (before it, for a delete). */
  patientId?: string;
}

export interface WriteOptions {
  now: Date;
  database: Database;
  /** Reject relative references to resources that do not exist. */
  referentialIntegrity: boolean;
  /**
   * For a user's write: which of the referenced resources (`Type/id` keys) they may see. The others
   * count as absent, so the check answers the same for a hidden record as for a missing one.
   */
  visibleOf?: (keys: { type: string; id: string }[]) => Promise<Set<string>>;
}

interface CurrentRow {
  resource_type: string;
  id: string;
  rid: number;
  version_id: number;
  deleted: number;
  content: string;
  patient_id: string | null;
  sensitivity: string | null;
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
  // Rows that carry the access facts (patient, sensitivity), filled in once the index rows are known.
  const stamp = new Map<string, Record<string, unknown>[]>();

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
      const gone = current.get(key);
      versionRows.push({
        ...versionRow(write, version, lastUpdated, lastUpdatedMs, null),
        patient_id: gone?.patient_id ?? null,
        sensitivity: gone?.sensitivity ?? null,
      });
      finalContent.set(key, undefined);
      results.push({
        ...deleteResult(write, version, lastUpdated, false),
        patientId: gone?.patient_id ?? undefined,
      });
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
    const vrow = versionRow(write, version, lastUpdated, lastUpdatedMs, content);
    versionRows.push(vrow);
    stamp.set(key, [...(stamp.get(key) ?? []), row, vrow]);
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

  if (options.referentialIntegrity) await checkReferences(ex, writes, versions, options.visibleOf);

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
  const written: { rid: number; resource?: Resource; patientId?: string }[] = [];
  const relabel: { key: string; sensitivity: string }[] = [];
  const patientOfKey = new Map<string, string | undefined>();
  for (const [key, stored] of finalContent) {
    const rid = ridOf.get(key)!;
    if (!stored) {
      written.push({ rid });
      continue;
    }
    const start = rows.sp_reference.length;
    indexRows(stored, rid, rows);
    const patientId = patientOf(stored, rows.sp_reference.slice(start));
    const sensitivity = sensitivityOf(stored);
    patientOfKey.set(key, patientId);
    written.push({ rid, resource: stored, patientId });
    // The facts of the last content, on the current row and on the versions this batch wrote.
    for (const row of stamp.get(key) ?? []) {
      row.patient_id = patientId ?? null;
      row.sensitivity = sensitivity;
    }
    // A label added now covers what earlier versions already said (a diagnosis later marked
    // behavioral health was sensitive in version 1 too): carry new categories back.
    const previous = current.get(key)?.sensitivity ?? null;
    if (sensitivity && sensitivity !== previous) relabel.push({ key, sensitivity });
  }
  for (const r of results)
    if (!r.deleted && patientOfKey.has(`${r.resourceType}/${r.id}`))
      r.patientId = patientOfKey.get(`${r.resourceType}/${r.id}`);

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
  await syncRelationships(database, ex, written, options.now);
  await syncWorklist(database, ex, written);
  for (const { key, sensitivity } of relabel) await carrySensitivityBack(ex, key, sensitivity);
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
      .select(['resource_type', 'id', 'rid', 'version_id', 'deleted', 'content', 'patient_id', 'sensitivity'])
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
  visibleOf?: WriteOptions['visibleOf'],
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
  if (visibleOf && found.size > 0) {
    const visible = await visibleOf(
      [...found].map((k) => ({ type: k.split('/')[0]!, id: k.split('/')[1]! })),
    );
    for (const key of [...found]) if (!visible.has(key)) found.delete(key);
  }
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

/** Adds `sensitivity`'s categories to every earlier version of the resource `key`. */
async function carrySensitivityBack(ex: Executor, key: string, sensitivity: string): Promise<void> {
  const [resourceType, id] = key.split('/') as [string, string];
  const versions = await ex
    .selectFrom('resource_versions')
    .select(['version_id', 'sensitivity'])
    .where('resource_type', '=', resourceType)
    .where('id', '=', id)
    .execute();
  const added = sensitivity.trim().split(' ');
  for (const v of versions) {
    const merged = [
      ...new Set([...(v.sensitivity?.trim().split(' ').filter(Boolean) ?? []), ...added]),
    ].sort();
    const value = ` ${merged.join(' ')} `;
    if (value === v.sensitivity) continue;
    await ex
      .updateTable('resource_versions')
      .set({ sensitivity: value })
      .where('resource_type', '=', resourceType)
      .where('id', '=', id)
      .where('version_id', '=', v.version_id)
      .execute();
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

/** The highest version a resource can reach: version_id is a 32-bit integer column on PostgreSQL. */
export const MAX_VERSION = 2_147_483_647;

/** A version number written in a URL or ETag (`3`), or undefined when it names no possible version. */
export function parseVersion(text: string, min = 1): number | undefined {
  const version = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  return version >= min && version <= MAX_VERSION ? version : undefined;
}

/**
 * Access control data, derived from FHIR resources on every write (and rebuildable from them):
 * - `resources.patient_id` / `resource_versions.patient_id`: the patient whose compartment a resource
 *   is in (the Patient's own id for a Patient), so that every read and search is filtered by patient
 *   inside the query;
 * - `resources.sensitivity`: the sensitive-record labels among meta.security (` ETH PSY `), null when none;
 * - `access_relationships`: who reaches which patient and why (care team, attributed provider or
 *   organization, proxy consent, referral, explicit assignment, break-the-glass), with an expiry;
 * - `consent_labels`: a patient's active Consent decisions about sensitive labels.
 */
import type { Resource } from 'fhir/r4.js';
import { type Kysely, sql } from 'kysely';
import { patientOf, sensitivityOf } from '../../access/policy/access-facts.js';
import { deriveRelationships } from '../../access/policy/relationships.js';
import { loadFhirDefinitions } from '../../fhir/definitions.js';
import { indexRows } from '../../fhir/search/index-rows.js';
import type { Dialect } from '../database.js';
import type { DB } from '../database-schema.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const text = dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
  const double = dialect === 'postgres' ? sql`double precision` : sql`real`;

  for (const table of ['resources', 'resource_versions']) {
    await db.schema.alterTable(table).addColumn('patient_id', text).execute();
    await db.schema.alterTable(table).addColumn('sensitivity', text).execute();
  }
  await db.schema
    .createIndex('resources_patient')
    .on('resources')
    .columns(['patient_id', 'resource_type', 'rid'])
    .execute();
  await db.schema
    .createIndex('resource_versions_patient')
    .on('resource_versions')
    .columns(['patient_id', 'last_updated_ms'])
    .execute();

  await db.schema
    .createTable('access_relationships')
    .addColumn('patient_id', text, (c) => c.notNull())
    /** Who the relationship is for: `Practitioner/1`, `PractitionerRole/2`, `Organization/3`, `RelatedPerson/4`, `User/<id>`. */
    .addColumn('principal', text, (c) => c.notNull())
    .addColumn('kind', text, (c) => c.notNull())
    /** The resource it was derived from (CareTeam, Patient, Consent, Task, ServiceRequest); null for assignments and break-the-glass. */
    .addColumn('source_rid', 'bigint')
    .addColumn('starts_ms', double)
    .addColumn('expires_ms', double)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('created_by', text)
    .addColumn('reason', 'text')
    .execute();
  await db.schema
    .createIndex('access_relationships_principal')
    .on('access_relationships')
    .columns(['principal', 'kind', 'patient_id'])
    .execute();
  await db.schema
    .createIndex('access_relationships_source')
    .on('access_relationships')
    .column('source_rid')
    .execute();
  await db.schema
    .createIndex('access_relationships_patient')
    .on('access_relationships')
    .column('patient_id')
    .execute();

  await db.schema
    .createTable('consent_labels')
    .addColumn('source_rid', 'bigint', (c) => c.notNull())
    .addColumn('patient_id', text, (c) => c.notNull())
    .addColumn('label', text, (c) => c.notNull())
    .addColumn('decision', text, (c) => c.notNull())
    .addColumn('starts_ms', double)
    .addColumn('expires_ms', double)
    .execute();
  await db.schema
    .createIndex('consent_labels_patient')
    .on('consent_labels')
    .columns(['patient_id', 'label', 'decision'])
    .execute();
  await db.schema.createIndex('consent_labels_source').on('consent_labels').column('source_rid').execute();

  // "Who accessed my record": the audit entries by patient, newest first, without scanning the trail.
  await db.schema
    .createTable('audit_event_patients')
    .addColumn('patient_id', text, (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_event_patients_pk', ['patient_id', 'seq'])
    .execute();
  await sql`insert into audit_event_patients (patient_id, seq) select distinct p.value, a.seq from audit_events a, ${
    dialect === 'postgres'
      ? sql`lateral unnest(string_to_array(trim(a.patient_ids), ' ')) p(value)`
      : sql`json_each('["' || replace(trim(a.patient_ids), ' ', '","') || '"]') p`
  } where a.patient_ids is not null`.execute(db);
  await backfill(db);
}

/**
 * Fills the access facts and relationships of resources stored before this migration, from their
 * content, a thousand at a time (the same functions the write path uses).
 */
async function backfill(db: Kysely<unknown>): Promise<void> {
  const k = db as unknown as Kysely<DB>;
  loadFhirDefinitions();
  let after = -1;
  for (;;) {
    const rows = await k
      .selectFrom('resources')
      .select(['rid', 'resource_type', 'id', 'content', 'deleted'])
      .where('rid', '>', after)
      .orderBy('rid')
      .limit(1000)
      .execute();
    if (rows.length === 0) return;
    for (const row of rows) {
      const resource = JSON.parse(row.content) as Resource;
      const patientId = patientOf(resource, indexRows(resource, Number(row.rid)).sp_reference) ?? null;
      const sensitivity = sensitivityOf(resource);
      await k
        .updateTable('resources')
        .set({ patient_id: patientId, sensitivity })
        .where('rid', '=', row.rid)
        .execute();
      await k
        .updateTable('resource_versions')
        .set({ patient_id: patientId, sensitivity })
        .where('resource_type', '=', row.resource_type)
        .where('id', '=', row.id)
        .execute();
      if (row.deleted) continue;
      const { relationships, labels } = deriveRelationships(resource, patientId ?? undefined);
      for (const r of relationships)
        await k
          .insertInto('access_relationships')
          .values({
            ...r,
            source_rid: row.rid,
            created_at: new Date().toISOString(),
            created_by: null,
            reason: null,
          })
          .execute();
      for (const l of labels)
        await k
          .insertInto('consent_labels')
          .values({ ...l, source_rid: row.rid })
          .execute();
    }
    after = Number(rows.at(-1)!.rid);
  }
}

/**
 * Table types for Kysely. Conventions that hold on both dialects (see database.ts):
 * - instants are ISO-8601 UTC text (`2026-11-30T09:00:00.000Z`), which sorts correctly as text;
 *   search tables also keep them as epoch milliseconds (double) for range comparisons;
 * - flags are integers 0/1 (SQLite binds no booleans);
 * - JSON is text, parsed once by `parseJsonColumn` (pg would otherwise hand back objects for json columns).
 */
export interface ResourceTable {
  resource_type: string;
  id: string;
  /**
   * Integer key, increasing with each new resource. Index rows refer to it rather than to the
   * (type, id) pair: smaller indexes, and new rows land at the end of each index instead of at
   * random places (a UUID), which keeps commits of large bundles cheap.
   */
  rid: number;
  version_id: number;
  last_updated: string;
  last_updated_ms: number;
  deleted: number;
  /** The current version's JSON; for a deleted resource, the last content before deletion. */
  content: string;
  /** The patient whose compartment this resource is in (its own id for a Patient); null for shared resources. */
  patient_id: string | null;
  /** Sensitive-record labels from meta.security, space-delimited (` ETH PSY `); null when none. */
  sensitivity: string | null;
}

export interface ResourceVersionTable {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: string;
  last_updated_ms: number;
  deleted: number;
  /** The version's JSON; null for a delete. */
  content: string | null;
  /** HTTP method that made this version (POST, PUT, PATCH, DELETE), for history entries. */
  method: string;
  patient_id: string | null;
  sensitivity: string | null;
}

interface IndexRow {
  resource_type: string;
  /** The owning resource's integer key (`resources.rid`). */
  rid: number;
  param: string;
}
export interface TokenIndexTable extends IndexRow {
  system: string | null;
  code: string | null;
}
export interface StringIndexTable extends IndexRow {
  /** Lower-cased, accents removed, whitespace collapsed: what default string search compares. */
  value: string;
  /** The original text, for `:exact`. */
  exact: string;
}
export interface RangeIndexTable extends IndexRow {
  low: number | null;
  high: number | null;
}
export interface QuantityIndexTable extends IndexRow {
  value: number;
  low: number;
  high: number;
  system: string | null;
  code: string | null;
}
export interface ReferenceIndexTable extends IndexRow {
  target_type: string | null;
  target_id: string | null;
  /** The reference as written (also canonical and absolute URLs). */
  reference: string;
}
export interface UriIndexTable extends IndexRow {
  value: string;
}
export interface CompositeIndexTable extends IndexRow {
  c1_system: string | null;
  c1_code: string | null;
  c2_system: string | null;
  c2_code: string | null;
  c2_low: number | null;
  c2_high: number | null;
}

export interface AuditEventTable {
  /** Position in the chain, from 1. */
  seq: number;
  recorded: string;
  action: string;
  outcome: string;
  /** Who acted, as a reference (`Practitioner/1`, `Device/import`); null for the system itself. */
  actor: string | null;
  /** Space-separated ids of the patients the event concerns, for "who saw my record". */
  patient_ids: string | null;
  /** The entry as canonical JSON: what the hash covers. */
  entry: string;
  prev_hash: string;
  hash: string;
}

export interface UserTable {
  id: string;
  email: string;
  name: string;
  role: string;
  /** The FHIR resource the person is (`Practitioner/1`, `Patient/7`, `RelatedPerson/3`). */
  resource: string | null;
  password_hash: string | null;
  must_change_password: number;
  totp_secret: string | null;
  totp_enabled: number;
  /** The TOTP time step of the last accepted code: a code is never accepted twice (migration 005). */
  totp_last_counter: number | null;
  disabled: number;
  created_at: string;
  updated_at: string;
}

export interface SessionTable {
  id: string;
  secret_hash: string;
  user_id: string;
  csrf_token: string;
  /** `pending-mfa` between password and second factor, then `active`. */
  state: string;
  created_at: string;
  last_seen_ms: number;
  expires_ms: number;
  revoked_at: string | null;
  client_address: string | null;
  user_agent: string | null;
}

export interface ApiTokenTable {
  id: string;
  secret_hash: string;
  user_id: string;
  label: string | null;
  scopes: string;
  created_at: string;
  expires_ms: number | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface SignInThrottleTable {
  key: string;
  failures: number;
  window_start_ms: number;
  locked_until_ms: number | null;
}

export interface AccessRelationshipTable {
  patient_id: string;
  principal: string;
  /** care-team, general-practitioner, managing-organization, proxy-consent, referral, assignment, break-the-glass */
  kind: string;
  source_rid: number | null;
  /** The source resource as `Type/id` (migration 015); null for workflow-made relationships. */
  source_ref: string | null;
  starts_ms: number | null;
  expires_ms: number | null;
  created_at: string;
  created_by: string | null;
  reason: string | null;
}

/** Who is on which active care team, with or without a patient (migration 016, `syncRelationships`). */
export interface TeamMemberTable {
  /** `CareTeam/<id>`. */
  team_ref: string;
  principal: string;
  starts_ms: number | null;
  expires_ms: number | null;
  source_rid: number;
}

export interface ConsentLabelTable {
  source_rid: number;
  patient_id: string;
  label: string;
  /** permit or deny */
  decision: string;
  starts_ms: number | null;
  expires_ms: number | null;
}

export interface AuditEventPatientTable {
  patient_id: string;
  seq: number;
}

/** The worklist projection: one row per open Task, derived from resources (src/modules/worklists). */
export interface WorklistItemTable {
  /** The Task's resources.rid. */
  rid: number;
  task_id: string;
  patient_id: string;
  /** Task.owner as `Type/id`; null when only a role (owner_role) is named. */
  owner_ref: string | null;
  owner_display: string | null;
  /** Task.performerType code (SNOMED occupation or CareLoop role name). */
  owner_role: string | null;
  status: string;
  priority: string;
  due_ms: number | null;
  created_ms: number;
  title: string;
  reason: string | null;
  /** When the reason is a hospital discharge: the discharge instant (for the "discharged 2 days ago" chip). */
  discharged_ms: number | null;
  sensitivity: string | null;
  patient_name: string | null;
  birth_date: string | null;
  language: string | null;
  interpreter: number;
  /** The patient's preferred contact window, minutes after local midnight (organization zone). */
  contact_from: number | null;
  contact_to: number | null;
  /** Latest RiskAssessment.prediction.qualitativeRisk code of the patient. */
  risk_tier: string | null;
}

/** The HL7 v2 message log (src/integrations/hl7, migration 008): every message received and its ACK. */
export interface Hl7MessageTable {
  id: string;
  /** `MSH-3|MSH-4` (first components). */
  sender: string;
  control_id: string;
  message_type: string;
  event: string;
  version: string;
  received_at: string;
  raw: string;
  /** processed, failed (a dead letter, replayable) or rejected (unreadable or unsupported). */
  status: string;
  /** The ACK text sent. */
  ack: string;
  error_code: string | null;
  error_location: string | null;
  error_text: string | null;
  processed_at: string | null;
  /** The failed or rejected row this attempt replays. */
  replayed_from: string | null;
}

export interface DB {
  hl7_messages: Hl7MessageTable;
  worklist_items: WorklistItemTable;
  audit_event_patients: AuditEventPatientTable;
  access_relationships: AccessRelationshipTable;
  team_members: TeamMemberTable;
  api_tokens: ApiTokenTable;
  consent_labels: ConsentLabelTable;
  sessions: SessionTable;
  sign_in_throttle: SignInThrottleTable;
  users: UserTable;
  audit_events: AuditEventTable;
  resources: ResourceTable;
  resource_versions: ResourceVersionTable;
  sp_token: TokenIndexTable;
  sp_string: StringIndexTable;
  sp_date: RangeIndexTable;
  sp_number: RangeIndexTable;
  sp_quantity: QuantityIndexTable;
  sp_reference: ReferenceIndexTable;
  sp_uri: UriIndexTable;
  sp_composite: CompositeIndexTable;
}

/** The search index tables, by FHIR search parameter type. */
export const indexTables = [
  'sp_token',
  'sp_string',
  'sp_date',
  'sp_number',
  'sp_quantity',
  'sp_reference',
  'sp_uri',
  'sp_composite',
] as const;
export type IndexTableName = (typeof indexTables)[number];

/** Column types of the tables written in bulk (for bulk-insert.ts). */
export const bulkColumns = {
  resources: {
    resource_type: 'text',
    id: 'text',
    rid: 'int8',
    version_id: 'integer',
    last_updated: 'text',
    last_updated_ms: 'float8',
    deleted: 'integer',
    content: 'text',
    patient_id: 'text',
    sensitivity: 'text',
  },
  resource_versions: {
    resource_type: 'text',
    id: 'text',
    version_id: 'integer',
    last_updated: 'text',
    last_updated_ms: 'float8',
    deleted: 'integer',
    content: 'text',
    method: 'text',
    patient_id: 'text',
    sensitivity: 'text',
  },
  sp_token: { resource_type: 'text', rid: 'int8', param: 'text', system: 'text', code: 'text' },
  sp_string: { resource_type: 'text', rid: 'int8', param: 'text', value: 'text', exact: 'text' },
  sp_date: { resource_type: 'text', rid: 'int8', param: 'text', low: 'float8', high: 'float8' },
  sp_number: { resource_type: 'text', rid: 'int8', param: 'text', low: 'float8', high: 'float8' },
  sp_quantity: {
    resource_type: 'text',
    rid: 'int8',
    param: 'text',
    value: 'float8',
    low: 'float8',
    high: 'float8',
    system: 'text',
    code: 'text',
  },
  sp_reference: {
    resource_type: 'text',
    rid: 'int8',
    param: 'text',
    target_type: 'text',
    target_id: 'text',
    reference: 'text',
  },
  sp_uri: { resource_type: 'text', rid: 'int8', param: 'text', value: 'text' },
  sp_composite: {
    resource_type: 'text',
    rid: 'int8',
    param: 'text',
    c1_system: 'text',
    c1_code: 'text',
    c2_system: 'text',
    c2_code: 'text',
    c2_low: 'float8',
    c2_high: 'float8',
  },
} as const;

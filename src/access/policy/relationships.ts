/**
 * Who reaches which patient, derived from the FHIR resources that say so and kept in
 * `access_relationships` (and a patient's consent decisions in `consent_labels`). The store calls
 * `syncRelationships` in the same transaction as every write, so access follows the record at once:
 * - CareTeam (active, within its period): each participant member (Practitioner, PractitionerRole,
 *   Organization, RelatedPerson) → `care-team`; and, for every active team with or without a patient,
 *   its members in `team_members` (whose team-owned tasks they may claim);
 * - Patient.generalPractitioner → `general-practitioner`; Patient.managingOrganization → `managing-organization`;
 * - Consent (active, patient-privacy, permit) naming a RelatedPerson as actor → `proxy-consent`;
 *   its security labels → permit / deny rows in consent_labels;
 * - Task.owner / ServiceRequest.performer that is an Organization → `referral` (community organizations
 *   see those referrals and the minimum demographics they need).
 * Explicit assignments and break-the-glass grants are written by their own workflows (no source).
 */
import type {
  CareTeam,
  Consent,
  ConsentProvision,
  Patient,
  Reference,
  Resource,
  ServiceRequest,
  Task,
} from 'fhir/r4.js';
import { bulkInsert } from '../../platform/bulk-insert.js';
import type { Database, Executor } from '../../platform/database.js';
import type { TeamMemberTable } from '../../platform/database-schema.js';
import { categoryOfLabel } from './access-facts.js';

/** Relationship kinds derived from resources (the others come from workflows). */
export const derivedKinds = [
  'care-team',
  'general-practitioner',
  'managing-organization',
  'proxy-consent',
  'referral',
] as const;

/** Resource types whose content creates relationships or consent decisions. */
export const relationshipSources = new Set(['CareTeam', 'Patient', 'Consent', 'Task', 'ServiceRequest']);

interface Relationship {
  patient_id: string;
  principal: string;
  kind: string;
  starts_ms: number | null;
  expires_ms: number | null;
}

interface ConsentLabel {
  patient_id: string;
  label: string;
  decision: 'permit' | 'deny';
  starts_ms: number | null;
  expires_ms: number | null;
}

const principalTypes = new Set(['Practitioner', 'PractitionerRole', 'Organization', 'RelatedPerson']);

function principal(ref: Reference | undefined): string | undefined {
  const m = ref?.reference?.match(/^(?:.*\/)?([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/);
  return m && principalTypes.has(m[1]!) ? `${m[1]}/${m[2]}` : undefined;
}

function period(p: { start?: string; end?: string } | undefined): {
  starts: number | null;
  expires: number | null;
} {
  const starts = p?.start ? Date.parse(p.start) : Number.NaN;
  const expires = p?.end ? Date.parse(p.end) : Number.NaN;
  return { starts: Number.isNaN(starts) ? null : starts, expires: Number.isNaN(expires) ? null : expires };
}

/** One member of a care team: who, and from when until when they are on it. */
export interface TeamMember {
  principal: string;
  starts_ms: number | null;
  expires_ms: number | null;
}

/**
 * Who is on an active CareTeam (each participant's member, or whom they act for, once), each for their
 * own period or else the team's. The same for a patient's team and for a team without a patient.
 */
export function teamMembers(team: CareTeam): TeamMember[] {
  const members: TeamMember[] = [];
  if (team.status !== 'active') return members;
  const teamPeriod = period(team.period);
  for (const p of team.participant ?? []) {
    const who = principal(p.member) ?? principal(p.onBehalfOf);
    if (!who || members.some((m) => m.principal === who)) continue;
    const own = period(p.period);
    members.push({
      principal: who,
      starts_ms: own.starts ?? teamPeriod.starts,
      expires_ms: own.expires ?? teamPeriod.expires,
    });
  }
  return members;
}

/** The team_members rows of a CareTeam stored as `rid` (columns: `teamMemberColumns`). */
export function teamMemberRows(team: CareTeam, rid: number): TeamMemberTable[] {
  return teamMembers(team).map((m) => ({ ...m, team_ref: `CareTeam/${team.id}`, source_rid: rid }));
}

/** The relationships and consent decisions that `resource` (in `patientId`'s compartment) states. */
export function deriveRelationships(
  resource: Resource,
  patientId: string | undefined,
): { relationships: Relationship[]; labels: ConsentLabel[] } {
  const relationships: Relationship[] = [];
  const labels: ConsentLabel[] = [];
  if (!patientId) return { relationships, labels };
  const add = (
    who: string | undefined,
    kind: string,
    starts: number | null = null,
    expires: number | null = null,
  ) => {
    if (who && !relationships.some((r) => r.principal === who && r.kind === kind))
      relationships.push({
        patient_id: patientId,
        principal: who,
        kind,
        starts_ms: starts,
        expires_ms: expires,
      });
  };
  switch (resource.resourceType) {
    case 'CareTeam':
      for (const m of teamMembers(resource as CareTeam))
        add(m.principal, 'care-team', m.starts_ms, m.expires_ms);
      break;
    case 'Patient': {
      const patient = resource as Patient;
      if (patient.active === false) break;
      for (const gp of patient.generalPractitioner ?? []) add(principal(gp), 'general-practitioner');
      add(principal(patient.managingOrganization), 'managing-organization');
      break;
    }
    case 'Consent': {
      const consent = resource as Consent;
      if (consent.status !== 'active' || !consent.provision) break;
      const privacy = consent.scope.coding?.some((c) => c.code === 'patient-privacy');
      if (!privacy) break;
      collectConsent(consent.provision, undefined, add, labels, patientId);
      break;
    }
    case 'Task': {
      const task = resource as Task;
      if (task.owner?.reference?.includes('Organization/')) add(principal(task.owner), 'referral');
      break;
    }
    case 'ServiceRequest': {
      const request = resource as ServiceRequest;
      for (const performer of request.performer ?? [])
        if (performer.reference?.includes('Organization/')) add(principal(performer), 'referral');
      break;
    }
  }
  return { relationships, labels };
}

/**
 * Whether writing `after` over `before` (each a resource and its patient; absent when there is none,
 * as for a create or a delete) changes who may see the patient's records: the relationships or
 * consent decisions derived from it differ. Such a write needs a standing relationship (visibility.ts).
 */
export function changesAccess(
  before: { resource?: Resource; patientId?: string | null },
  after: { resource?: Resource; patientId?: string | null },
): boolean {
  const facts = ({ resource, patientId }: typeof before): string => {
    if (!resource || !relationshipSources.has(resource.resourceType)) return '';
    const { relationships, labels } = deriveRelationships(resource, patientId ?? undefined);
    const rows = [
      ...relationships.map((r) => [
        'relationship',
        r.patient_id,
        r.principal,
        r.kind,
        r.starts_ms,
        r.expires_ms,
      ]),
      ...labels.map((l) => ['consent', l.patient_id, l.label, l.decision, l.starts_ms, l.expires_ms]),
    ];
    return rows
      .map((r) => JSON.stringify(r))
      .sort()
      .join('\n');
  };
  return facts(before) !== facts(after);
}

/** Walks a Consent's provisions: nested provisions override their parent (R4 Consent.provision.provision). */
function collectConsent(
  provision: ConsentProvision,
  inherited: 'permit' | 'deny' | undefined,
  add: (who: string | undefined, kind: string, starts?: number | null, expires?: number | null) => void,
  labels: ConsentLabel[],
  patientId: string,
): void {
  const decision = provision.type ?? inherited;
  const { starts, expires } = period(provision.period);
  if (decision === 'permit')
    for (const actor of provision.actor ?? [])
      if (actor.reference.reference?.includes('RelatedPerson/'))
        add(principal(actor.reference), 'proxy-consent', starts, expires);
  if (decision)
    for (const label of provision.securityLabel ?? []) {
      const category = categoryOfLabel(label.code);
      if (category)
        labels.push({
          patient_id: patientId,
          label: category,
          decision,
          starts_ms: starts,
          expires_ms: expires,
        });
    }
  for (const child of provision.provision ?? []) collectConsent(child, decision, add, labels, patientId);
}

/** Replaces the derived relationships and consent labels of the written resources (in the caller's transaction). */
export async function syncRelationships(
  database: Database,
  ex: Executor,
  written: { rid: number; resource?: Resource; patientId?: string }[],
  now: Date,
): Promise<void> {
  const relevant = written.filter(
    (w) => relationshipSources.has(w.resource?.resourceType ?? '') || !w.resource,
  );
  if (relevant.length === 0) return;
  const rids = relevant.map((w) => w.rid);
  for (let i = 0; i < rids.length; i += 500) {
    const chunk = rids.slice(i, i + 500);
    await ex.deleteFrom('access_relationships').where('source_rid', 'in', chunk).execute();
    await ex.deleteFrom('consent_labels').where('source_rid', 'in', chunk).execute();
    await ex.deleteFrom('team_members').where('source_rid', 'in', chunk).execute();
  }
  const relationshipRows: Record<string, unknown>[] = [];
  const labelRows: Record<string, unknown>[] = [];
  const memberRows: TeamMemberTable[] = [];
  const created = now.toISOString();
  for (const w of relevant) {
    if (!w.resource) continue;
    const { relationships, labels } = deriveRelationships(w.resource, w.patientId);
    const source_ref = `${w.resource.resourceType}/${w.resource.id}`;
    for (const r of relationships)
      relationshipRows.push({
        ...r,
        source_rid: w.rid,
        source_ref,
        created_at: created,
        created_by: null,
        reason: null,
      });
    for (const l of labels) labelRows.push({ ...l, source_rid: w.rid });
    if (w.resource.resourceType === 'CareTeam')
      memberRows.push(...teamMemberRows(w.resource as CareTeam, w.rid));
  }
  await bulkInsert(database, ex, 'access_relationships', relationshipColumns, relationshipRows);
  await bulkInsert(database, ex, 'consent_labels', consentLabelColumns, labelRows);
  await bulkInsert(database, ex, 'team_members', teamMemberColumns, memberRows);
}

/** The columns of access_relationships, for bulkInsert. */
export const relationshipColumns = {
  patient_id: 'text',
  principal: 'text',
  kind: 'text',
  source_rid: 'int8',
  source_ref: 'text',
  starts_ms: 'float8',
  expires_ms: 'float8',
  created_at: 'text',
  created_by: 'text',
  reason: 'text',
} as const;

/** The columns of team_members, for bulkInsert. */
export const teamMemberColumns = {
  team_ref: 'text',
  principal: 'text',
  starts_ms: 'float8',
  expires_ms: 'float8',
  source_rid: 'int8',
} as const;

const consentLabelColumns = {
  source_rid: 'int8',
  patient_id: 'text',
  label: 'text',
  decision: 'text',
  starts_ms: 'float8',
  expires_ms: 'float8',
} as const;

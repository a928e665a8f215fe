/**
 * Write access: what the store checks before it writes for a user (store.ts checkWrites) — the role's
 * reach for the type, the same answer for a target out of sight as for a missing one, every write
 * landing in a compartment the writer may write, and a standing relationship for writes that change
 * who may see a patient. Reads are decided by visibility.ts, whose reach these checks share.
 */
import { sql } from 'kysely';
import { FhirError, notFound } from '../../fhir/outcome.js';
import type { Executor } from '../../platform/database.js';
import type { Action, Reach } from './permission-matrix.js';
import { forbidden, type Grants, inForce, reachFor, relatedKinds } from './visibility.js';

/**
 * The relationships that stand on their own: the care team and the attributed provider or
 * organization. Only these allow passing access on (an assignment, a write that changes who may see
 * the patient's records): an emergency grant or an assignment must not turn itself into standing access.
 */
export const standingKinds = ['care-team', 'general-practitioner', 'managing-organization'];

/**
 * The role's reach for a write or delete of `resourceType`; 403 when it has none. That answer depends
 * on the role alone, so it is given before the target is looked at, whatever the id.
 */
export function writeReach(grants: Grants, resourceType: string, action: Action): Reach {
  const reach = reachFor(grants, resourceType, action);
  if (reach === 'none')
    throw forbidden(
      `your role (${grants.role}) may not ${action === 'delete' ? 'delete' : 'write'} ${resourceType} resources`,
    );
  return reach;
}

/**
 * The answer to a write whose target does not exist or is out of the writer's sight: the same for
 * both (status and text), so a write tells nothing of records out of reach. A delete or patch answers
 * 404. A PUT creates with the client's id (update-as-create) only for a role that writes every record
 * of the type (integrations) and finds the id free; anyone else is answered 405, as R4 answers where
 * client-defined ids are not allowed: users create with POST. Undefined when the write may go on.
 */
export function absentTargetError(
  reach: Reach,
  write: { method: 'POST' | 'PUT' | 'PATCH' | 'DELETE'; resourceType: string; id: string; location?: string },
  hidden: boolean,
): FhirError | undefined {
  if (!hidden && (write.method === 'POST' || (write.method === 'PUT' && reach === 'all'))) return undefined;
  const absent = `${write.resourceType}/${write.id} does not exist${write.location ? ` (${write.location})` : ''}`;
  if (write.method !== 'PUT' || reach === 'all') return notFound(absent);
  return new FhirError(405, [
    {
      code: 'not-supported',
      diagnostics: `${absent}; create records with POST (the server assigns the id)`,
    },
  ]);
}

/**
 * Refuses a write the context may not make. `before` is the patient of the stored version (if any),
 * `after` the patient of the new content (null when it names none, absent for a delete): every write
 * lands in a compartment the writer may write, as a create would have to, so an update can neither
 * drop the patient reference nor move the record out of reach. `rid` is the stored resource's key (a
 * community organization may update only the referrals addressed to it). `changesAccess` marks a
 * write that changes who may see the patient's records: it needs a standing relationship.
 */
export async function assertMayWrite(
  ex: Executor,
  grants: Grants,
  write: {
    resourceType: string;
    id: string;
    action: Action;
    before?: string | null;
    after?: string | null;
    rid?: number;
    existed: boolean;
    changesAccess?: boolean;
  },
  now: number,
): Promise<'ok' | 'check-after'> {
  const reach = writeReach(grants, write.resourceType, write.action);
  const what = `${write.action === 'delete' ? 'delete' : 'write'} ${write.resourceType}`;
  if (reach === 'all') return 'ok';
  if (write.after === null || (write.after === undefined && !write.before))
    throw forbidden(`${what}: the resource must name the patient it is about`, write.resourceType);
  const patients = [...new Set([write.before, write.after].filter((p): p is string => !!p))];
  if (reach === 'own') {
    if (patients.every((p) => p === grants.ownPatient)) return 'ok';
    throw forbidden(`you may ${what} only in your own record`);
  }
  if (reach === 'referrals') {
    // A referral addressed to the organization stays with its patient and its addressee: moving it
    // or readdressing it would reach records the organization was never sent.
    if (
      write.existed &&
      write.rid !== undefined &&
      patients.length === 1 &&
      !write.changesAccess &&
      (write.resourceType === 'Task' || write.resourceType === 'ServiceRequest')
    ) {
      const row = await ex
        .selectFrom('access_relationships')
        .select('source_rid')
        .where('source_rid', '=', write.rid)
        .where('kind', '=', 'referral')
        .where('principal', 'in', grants.organizations.length ? grants.organizations : ['-'])
        .executeTakeFirst();
      if (row) return 'ok';
    }
    throw forbidden(
      `you may ${what} only for referrals addressed to your organization, keeping their patient and addressee`,
    );
  }
  // related (and proxy, which has no write reach today): every patient involved must be related now.
  const principals = reach === 'proxy' ? (grants.proxy ? [grants.proxy] : []) : grants.principals;
  const held = await heldKinds(
    ex,
    patients,
    principals,
    reach === 'proxy' ? ['proxy-consent'] : relatedKinds,
    now,
  );
  const missing = patients.filter((p) => !held.has(p));
  if (missing.length === 0) {
    if (write.changesAccess)
      for (const p of patients)
        refuseWithoutStanding(
          held.get(p)!,
          p,
          `${write.action === 'delete' ? 'deleting' : 'writing'} a ${write.resourceType} that changes who may see the patient's records`,
        );
    return 'ok';
  }
  // Registering a new patient: allowed when the new record itself attributes the patient to the user
  // (checked after the write, before commit).
  if (
    write.resourceType === 'Patient' &&
    !write.existed &&
    missing.length === 1 &&
    missing[0] === write.after
  )
    return 'check-after';
  throw forbidden(`you may ${what} only for patients you have a care relationship with`);
}

/** The relationship kinds of `kinds` that any of `principals` holds now, by patient (of `patients`). */
async function heldKinds(
  ex: Executor,
  patients: string[],
  principals: string[],
  kinds: string[],
  now: number,
): Promise<Map<string, Set<string>>> {
  const held = new Map<string, Set<string>>();
  if (principals.length === 0 || patients.length === 0) return held;
  const { rows } = await sql<{
    patient_id: string;
    kind: string;
  }>`select distinct patient_id, kind from access_relationships where patient_id in (${sql.join(patients)}) and principal in (${sql.join(principals)}) and kind in (${sql.join(kinds)}) and ${inForce(now)}`.execute(
    ex,
  );
  for (const r of rows) held.set(r.patient_id, new Set([...(held.get(r.patient_id) ?? []), r.kind]));
  return held;
}

/** 403 unless `held` has a standing relationship; the reason names the grant the user holds instead. */
function refuseWithoutStanding(held: Set<string>, patientId: string, doing: string): void {
  if (standingKinds.some((k) => held.has(k))) return;
  const grant = held.has('break-the-glass')
    ? 'the emergency (break-the-glass) grant'
    : held.has('assignment')
      ? 'an assignment'
      : 'your access';
  throw forbidden(
    `${grant} to Patient/${patientId} does not allow ${doing}; only the patient's care team or attributed provider may`,
  );
}

/**
 * 403 unless the user stands in a standing relationship (care team, attributed provider or
 * organization) with the patient: what passing access on needs (`doing` says what was asked).
 */
export async function assertStandingRelationship(
  ex: Executor,
  grants: Grants,
  patientId: string,
  doing: string,
  now: number,
): Promise<void> {
  const held = await heldKinds(ex, [patientId], grants.principals, relatedKinds, now);
  refuseWithoutStanding(held.get(patientId) ?? new Set(), patientId, doing);
}

/** After-the-write check for a newly registered patient (see assertMayWrite): it must be attributed to the user. */
export async function assertRelatedNow(
  ex: Executor,
  grants: Grants,
  patientId: string,
  now: number,
): Promise<void> {
  const held = await heldKinds(ex, [patientId], grants.principals, standingKinds, now);
  if (!held.has(patientId))
    throw forbidden(
      'you may register only patients attributed to you or your organization (Patient.generalPractitioner or managingOrganization)',
    );
}

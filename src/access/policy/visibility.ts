/**
 * Access decisions, as SQL conditions over the resources (or resource_versions) row, so that searches
 * are filtered inside the query (totals and paging stay right) and every path — read, vread, history,
 * search, _include, $everything, conditional matches — applies the same rule. Writes are checked
 * against the same reach before they happen (write-access.ts).
 */
import type { Resource } from 'fhir/r4.js';
import { type Expression, type RawBuilder, sql } from 'kysely';
import { FhirError } from '../../fhir/outcome.js';
import { type Dialect, type Executor, parseJsonColumn } from '../../platform/database.js';
import type { AccessContext, Role } from '../access-context.js';
import { type SensitiveCategory, sensitiveCategories } from './access-facts.js';
import {
  type Action,
  consentRequired,
  permissionMatrix,
  type Reach,
  referralElements,
  sensitiveAccess,
} from './permission-matrix.js';
import { groupOf, patientFacingTypes } from './resource-groups.js';
import { scopeAllows } from './scopes.js';

/** What a context reaches, resolved once per request from its identity. */
export interface Grants {
  context: AccessContext;
  role: Role | 'system';
  /** References that stand for the user in relationships: themselves, their roles, their organizations, `User/<id>`. */
  principals: string[];
  /** The user's organizations (community-organization staff see referrals addressed to them). */
  organizations: string[];
  /** For a patient: their own Patient id. */
  ownPatient?: string;
  /** For a caregiver: their RelatedPerson reference. */
  proxy?: string;
}

/** Relationship kinds that give clinical staff their `related` reach. */
export const relatedKinds = [
  'care-team',
  'general-practitioner',
  'managing-organization',
  'assignment',
  'break-the-glass',
];

const grantCache = new WeakMap<AccessContext, Promise<Grants>>();

/** Resolves (once per context) whom the user stands for in relationships. */
export function resolveGrants(dialect: Dialect, ex: Executor, context: AccessContext): Promise<Grants> {
  let grants = grantCache.get(context);
  if (!grants) {
    grants = computeGrants(dialect, ex, context);
    grantCache.set(context, grants);
    grants.catch(() => grantCache.delete(context));
  }
  return grants;
}

/**
 * Gives a context its grants from the user's roles as `userRolesSql` read them beside the user (the
 * sign-in lookups do, so that a request resolves its user and their roles in one round trip).
 */
export function primeGrants(context: AccessContext, roles: unknown): void {
  grantCache.set(context, Promise.resolve(grantsOf(context, parseJsonColumn<UserRole[]>(roles))));
}

/** One role of a user: the PractitionerRole's id, its Practitioner's id and one of its organizations. */
type UserRole = [role: string, practitioner: string | null, organization: string | null];

/**
 * The user's roles, as one SQL expression over the reference of the resource the user is linked to:
 * a JSON array of `UserRole`. For a Practitioner, every PractitionerRole naming them, with each of its
 * organizations; for a PractitionerRole, itself with its Practitioner and organizations; for anyone
 * else, none. Deleted roles do not count.
 */
export function userRolesSql(dialect: Dialect, resource: Expression<string | null>): RawBuilder<string> {
  // Each role's organizations (the role is `r`).
  const organizations = sql`left join sp_reference o on o.rid = r.rid and o.param = 'organization' and o.target_type = 'Organization'`;
  const roles = sql`select r.id as role, cast(null as text) as practitioner, o.target_id as organization
    from sp_reference p join resources r on r.rid = p.rid ${organizations}
    where substr(${resource}, 1, 13) = 'Practitioner/' and p.resource_type = 'PractitionerRole' and p.param = 'practitioner'
      and p.target_type = 'Practitioner' and p.target_id = substr(${resource}, 14) and r.deleted = 0
    union all
    select r.id, pr.target_id, o.target_id
    from resources r left join sp_reference pr on pr.rid = r.rid and pr.param = 'practitioner' and pr.target_type = 'Practitioner'
      ${organizations}
    where substr(${resource}, 1, 17) = 'PractitionerRole/' and r.resource_type = 'PractitionerRole'
      and r.id = substr(${resource}, 18) and r.deleted = 0`;
  return dialect === 'postgres'
    ? sql`coalesce((select json_agg(json_build_array(x.role, x.practitioner, x.organization))::text from (${roles}) x), '[]')`
    : sql`(select json_group_array(json_array(x.role, x.practitioner, x.organization)) from (${roles}) x)`;
}

async function computeGrants(dialect: Dialect, ex: Executor, context: AccessContext): Promise<Grants> {
  if (context.kind === 'system' || !context.resource) return grantsOf(context, []);
  const { rows } = await sql<{
    roles: unknown;
  }>`select ${userRolesSql(dialect, sql`cast(${context.resource} as text)`)} as roles`.execute(ex);
  return grantsOf(context, parseJsonColumn<UserRole[]>(rows[0]?.roles ?? '[]'));
}

/** Whom a user stands for in relationships: themselves, their roles and Practitioner, their organizations, `User/<id>`. */
function grantsOf(context: AccessContext, roles: UserRole[]): Grants {
  const grants: Grants = { context, role: context.role, principals: [], organizations: [] };
  if (context.kind === 'system') return grants;
  if (context.userId) grants.principals.push(`User/${context.userId}`);
  const resource = context.resource;
  if (!resource) return grants;
  const [type, id] = resource.split('/') as [string, string];
  if (type === 'Patient') grants.ownPatient = id;
  if (type === 'RelatedPerson') grants.proxy = resource;
  grants.principals.push(resource);
  for (const [role, practitioner, organization] of roles) {
    grants.principals.push(`PractitionerRole/${role}`);
    if (practitioner) grants.principals.push(`Practitioner/${practitioner}`);
    if (organization && !grants.organizations.includes(`Organization/${organization}`))
      grants.organizations.push(`Organization/${organization}`);
  }
  grants.principals = [...new Set([...grants.principals, ...grants.organizations])];
  return grants;
}

/** The reach of the context's role for an action on a resource type, narrowed by token scopes. */
export function reachFor(grants: Grants, resourceType: string, action: Action): Reach {
  if (grants.role === 'system') return 'all';
  const cell = permissionMatrix[grants.role][groupOf(resourceType)];
  let reach = cell[action];
  // A workflow's write for a patient or caregiver (AccessContext.serviceWrites) reaches the patients
  // their read reaches: their own record, or the patients a proxy Consent lets them act for.
  if (
    action === 'write' &&
    reach === 'none' &&
    (cell.read === 'own' || cell.read === 'proxy') &&
    grants.context.serviceWrites?.includes(resourceType)
  )
    reach = cell.read;
  const scopes = grants.context.scopes;
  if (scopes && !scopeAllows(scopes, resourceType, action === 'read' ? 'read' : 'write')) return 'none';
  return reach;
}

/**
 * Whether a row with a period (`starts_ms`, `expires_ms`: relationships, consent decisions, team
 * members) is in force at `now`; `alias` qualifies the columns when the statement names the table.
 */
export function inForce(now: number, alias?: 'a'): RawBuilder<unknown> {
  const at = sql.raw(alias ? `${alias}.` : '');
  return sql`(${at}starts_ms is null or ${at}starts_ms <= ${now}) and (${at}expires_ms is null or ${at}expires_ms > ${now})`;
}

/**
 * The care teams, as `CareTeam/<id>`, that any of `principals` is on at `now` (team_members: every
 * active team, with or without a patient). A task owned by one of them is the user's to claim: the
 * worklist's `claimable` view and `claimTask` both decide by it.
 */
export function teamsOf(principals: string[], now: number): RawBuilder<unknown> {
  if (principals.length === 0) return sql`select null where 1 = 0`;
  return sql`select team_ref from team_members where principal in (${sql.join(principals)}) and ${inForce(now)}`;
}

/**
 * The patients whose care team any of `principals` is on at `now`. Unowned tasks without a role are
 * for them: the worklist's `team` and `claimable` views and `claimTask` decide by it.
 */
export function careTeamPatientsOf(principals: string[], now: number): RawBuilder<unknown> {
  const who = principals.length ? principals : ['-'];
  return sql`select a.patient_id from access_relationships a where a.principal in (${sql.join(who)}) and a.kind = 'care-team' and ${inForce(now, 'a')}`;
}

function patientsOf(principals: string[], kinds: string[], now: number): RawBuilder<unknown> {
  if (principals.length === 0) return sql`select null where 1 = 0`;
  return sql`select patient_id from access_relationships where principal in (${sql.join(principals)}) and kind in (${sql.join(kinds)}) and ${inForce(now)}`;
}

/**
 * The condition a row of `resourceType` (alias `alias`, in `resources` or, with `versions`, in
 * `resource_versions`) must meet to be visible for `action` (read by default).
 */
export function visibilityCondition(
  grants: Grants,
  resourceType: string,
  alias: string,
  now: number,
  options: { versions?: boolean; action?: Action } = {},
): RawBuilder<unknown> {
  const action = options.action ?? 'read';
  const version = rowCondition(grants, resourceType, alias, now, action, !!options.versions);
  if (!options.versions || reachFor(grants, resourceType, action) === 'none') return version;
  // A version is visible only while its record is: a record moved to a patient the user cannot see
  // (or labelled since) takes its earlier versions with it, so history and vread tell nothing of it.
  const current = rowCondition(grants, resourceType, 'cur', now, action, false);
  return sql`(${version} and exists (select 1 from resources cur where cur.resource_type = ${sql.ref(`${alias}.resource_type`)} and cur.id = ${sql.ref(`${alias}.id`)} and ${current}))`;
}

/** The condition on one row (current or, with `versions`, a version) by itself. */
function rowCondition(
  grants: Grants,
  resourceType: string,
  alias: string,
  now: number,
  action: Action,
  versions: boolean,
): RawBuilder<unknown> {
  const reach = reachFor(grants, resourceType, action);
  const patient = sql.ref(`${alias}.patient_id`);
  let condition: RawBuilder<unknown>;
  switch (reach) {
    case 'all':
      // Every patient, but sensitive records still follow the role's categories and the patient's
      // consent: an interface that exports records is a redisclosure like any other (42 CFR 2.32).
      condition = sql`1 = 1`;
      break;
    case 'none':
      return sql`1 = 0`;
    case 'related':
      condition = sql`${patient} in (${patientsOf(grants.principals, relatedKinds, now)})`;
      break;
    case 'own':
      condition = grants.ownPatient ? sql`${patient} = ${grants.ownPatient}` : sql`1 = 0`;
      break;
    case 'proxy':
      condition =
        grants.proxy && patientFacingTypes.has(resourceType)
          ? sql`${patient} in (${patientsOf([grants.proxy], ['proxy-consent'], now)})`
          : sql`1 = 0`;
      break;
    case 'referrals': {
      const referrals = sql`select source_rid from access_relationships where principal in (${sql.join(grants.organizations.length ? grants.organizations : ['-'])}) and kind = 'referral' and ${inForce(now)}`;
      if (resourceType === 'Patient')
        condition = sql`${patient} in (${patientsOf(grants.organizations, ['referral'], now)})`;
      else if (resourceType === 'Task' || resourceType === 'ServiceRequest')
        // A version has no rid of its own: its record's current row decides (visibilityCondition).
        condition = versions ? sql`1 = 1` : sql`${sql.ref(`${alias}.rid`)} in (${referrals})`;
      else condition = sql`1 = 0`;
      break;
    }
  }
  return sql`(${condition} and ${sensitivityCondition(grants, alias, now, reach)})`;
}

/** Sensitive records: the role must be allowed the category, and the patient's Consent must permit it. */
function sensitivityCondition(grants: Grants, alias: string, now: number, reach: Reach): RawBuilder<unknown> {
  if (grants.role === 'system' || reach === 'own') return sql`1 = 1`;
  const allowed = sensitiveAccess[grants.role];
  const sensitivity = sql.ref(`${alias}.sensitivity`);
  const patient = sql.ref(`${alias}.patient_id`);
  // Under break-the-glass the patient's consent requirements give way (42 CFR 2.51 allows disclosure
  // of Part 2 records to medical personnel in a bona fide medical emergency); role limits still apply.
  const emergency = sql`${patient} in (${patientsOf(grants.principals, ['break-the-glass'], now)})`;
  const perCategory = sensitiveCategories.map((category: SensitiveCategory) => {
    const present = sql`${sensitivity} like ${`% ${category} %`}`;
    if (!allowed.includes(category)) return sql`not (${present})`;
    const decided = (decision: string) =>
      sql`select patient_id from consent_labels where label = ${category} and decision = ${decision} and ${inForce(now)}`;
    const permitted = consentRequired.includes(category)
      ? sql`${patient} in (${decided('permit')})`
      : sql`${patient} not in (${decided('deny')})`;
    return sql`(not (${present}) or ${permitted} or ${emergency})`;
  });
  return sql`(${sensitivity} is null or (${sql.join(perCategory, sql` and `)}))`;
}

/** 403 with an OperationOutcome naming what was refused. */
export function forbidden(message: string, expression?: string): FhirError {
  return new FhirError(403, [{ code: 'forbidden', diagnostics: message, expression }]);
}

const referralVisible = new Map<string, ReadonlySet<string>>(
  Object.entries(referralElements).map(([type, elements]) => [
    type,
    new Set(['resourceType', 'id', 'meta', ...elements]),
  ]),
);

/**
 * The elements of `resourceType` the context sees, or undefined when it sees whole resources: a role
 * with `referrals` reach sees the types in `referralElements` trimmed to those elements. One
 * definition for both what leaves the store (presentFor) and what the role may search on (a search
 * over an element it cannot see would let it test guesses at the element's value).
 */
export function visibleElements(grants: Grants, resourceType: string): ReadonlySet<string> | undefined {
  const elements = referralVisible.get(resourceType);
  if (!elements || reachFor(grants, resourceType, 'read') !== 'referrals') return undefined;
  return elements;
}

/**
 * Shapes what leaves the store for the context: a Patient seen through a referral is trimmed to the
 * minimum demographics (and marked SUBSETTED, as FHIR asks of partial resources).
 */
export function presentFor(grants: Grants, resource: Resource): Resource {
  const visible = visibleElements(grants, resource.resourceType);
  if (!visible) return resource;
  const out: Record<string, unknown> = {};
  for (const key of visible)
    if (key in resource) out[key] = (resource as unknown as Record<string, unknown>)[key];
  const meta = (out.meta ?? {}) as { tag?: unknown[] };
  out.meta = {
    ...meta,
    tag: [
      ...(meta.tag ?? []),
      { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' },
    ],
  };
  return out as unknown as Resource;
}

/**
 * User accounts: each person is a user with one role, linked to the FHIR resource they are
 * (Practitioner, PractitionerRole, Patient, RelatedPerson...). Plain functions over an executor, called
 * by the admin routes, the CLI, the demo loader and tests; callers write the audit entry.
 */
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { badRequest, conflict, notFound } from '../../fhir/outcome.js';
import type { Clock } from '../../platform/clock.js';
import type { Executor } from '../../platform/database.js';
import type { UserTable } from '../../platform/database-schema.js';
import { isRole, linkableTypes, type Role, roles } from '../access-context.js';
import { checkPasswordRules, generateTemporaryPassword, hashPassword } from './passwords.js';
import { revokeUserSessions } from './sessions.js';

export type User = Selectable<UserTable>;

export interface NewUser {
  email: string;
  name: string;
  role: string;
  /** `Type/id` of the FHIR resource the person is. */
  resource?: string;
  /** Without one, a temporary password is generated and must be changed at first sign-in. */
  password?: string;
}

/** What a user may see about an account (never hashes or secrets). */
export interface UserView {
  id: string;
  email: string;
  name: string;
  role: string;
  resource: string | null;
  mfaEnabled: boolean;
}

/** Emails compare case-insensitively: stored lower-case, trimmed. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The reference the audit trail records for a user: their FHIR resource, else `User/<id>`. */
export function userActor(user: Pick<User, 'id' | 'resource'>): string {
  return user.resource ?? `User/${user.id}`;
}

/** The account as shown to its owner and to admins. */
export function presentUser(user: User): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    resource: user.resource,
    mfaEnabled: user.totp_enabled === 1,
  };
}

/** Roles that must sign in with a second factor: they can change or read everything. */
export function requiresMfa(role: string): boolean {
  return role === 'admin' || role === 'auditor';
}

/**
 * Creates a user after checking every field (400 naming the field) and the email's uniqueness (409).
 * Returns the temporary password when none was given: shown once, never stored in clear.
 */
export async function createUser(
  ex: Executor,
  clock: Clock,
  input: NewUser,
): Promise<{ user: User; temporaryPassword?: string }> {
  const email = normalizeEmail(input.email ?? '');
  if (!EMAIL.test(email) || email.length > 254) throw badRequest('must be an email address', 'email');
  const name = (input.name ?? '').trim();
  if (!name) throw badRequest('is required', 'name');
  if (name.length > 200) throw badRequest('must be at most 200 characters long', 'name');
  if (!isRole(input.role)) throw badRequest(`must be one of: ${roles.join(', ')}`, 'role');
  const resource = input.resource ? await checkLinkedResource(ex, input.role, input.resource) : null;
  if (input.password !== undefined) checkPasswordRules(input.password, email);
  const temporaryPassword = input.password === undefined ? generateTemporaryPassword() : undefined;

  const existing = await ex.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
  if (existing) throw conflict('a user with this email already exists');
  const now = clock.now().toISOString();
  const user: User = {
    id: randomUUID(),
    email,
    name,
    role: input.role,
    resource,
    password_hash: await hashPassword(input.password ?? temporaryPassword!),
    must_change_password: temporaryPassword ? 1 : 0,
    totp_secret: null,
    totp_enabled: 0,
    totp_last_counter: null,
    disabled: 0,
    created_at: now,
    updated_at: now,
  };
  await ex.insertInto('users').values(user).execute();
  return { user, temporaryPassword };
}

/** Checks `Type/id` syntax, that the role may be linked to that type, and that the resource exists. */
async function checkLinkedResource(ex: Executor, role: Role, reference: string): Promise<string> {
  const match = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(reference.trim());
  if (!match) throw badRequest('must be a reference like Practitioner/123', 'resource');
  const [, type, id] = match;
  const allowed = linkableTypes[role];
  if (!allowed.includes(type))
    throw badRequest(
      `a ${role} can be linked to ${allowed.length ? allowed.join(' or ') : 'no resource'}, not ${type}`,
      'resource',
    );
  const found = await ex
    .selectFrom('resources')
    .select('id')
    .where('resource_type', '=', type)
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!found) throw badRequest(`${type}/${id} does not exist`, 'resource');
  return `${type}/${id}`;
}

/** The user with this email, if any. */
export function findUserByEmail(ex: Executor, email: string): Promise<User | undefined> {
  return ex.selectFrom('users').selectAll().where('email', '=', normalizeEmail(email)).executeTakeFirst();
}

/** The user with this id; 404 when unknown. */
export async function getUser(ex: Executor, id: string): Promise<User> {
  const user = await ex.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  if (!user) throw notFound(`no user with id ${id}`);
  return user;
}

/** One row of the admin user list. */
export interface UserListItem extends UserView {
  disabled: boolean;
  mustChangePassword: boolean;
  createdAt: string;
  activeSessions: number;
  activeTokens: number;
}

/** Every user, by email, with how many live sessions and tokens each holds. */
export async function listUsers(ex: Executor, clock: Clock, idleMs: number): Promise<UserListItem[]> {
  const nowMs = clock.now().getTime();
  const users = await ex.selectFrom('users').selectAll().orderBy('email').execute();
  const sessions = await ex
    .selectFrom('sessions')
    .select(['user_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('revoked_at', 'is', null)
    .where('state', '=', 'active')
    .where('expires_ms', '>', nowMs)
    .where('last_seen_ms', '>', nowMs - idleMs)
    .groupBy('user_id')
    .execute();
  const tokens = await ex
    .selectFrom('api_tokens')
    .select(['user_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_ms', 'is', null), eb('expires_ms', '>', nowMs)]))
    .groupBy('user_id')
    .execute();
  const count = (rows: { user_id: string; n: number }[], id: string) =>
    Number(rows.find((r) => r.user_id === id)?.n ?? 0);
  return users.map((u) => ({
    ...presentUser(u),
    disabled: u.disabled === 1,
    mustChangePassword: u.must_change_password === 1,
    createdAt: u.created_at,
    activeSessions: count(sessions, u.id),
    activeTokens: count(tokens, u.id),
  }));
}

/**
 * An admin's reset: a generated one-time password the user must change at next sign-in, and every
 * session of the user revoked (whoever holds them may be the reason for the reset).
 */
export async function resetPassword(ex: Executor, clock: Clock, userId: string): Promise<string> {
  await getUser(ex, userId);
  const temporaryPassword = generateTemporaryPassword();
  await ex
    .updateTable('users')
    .set({
      password_hash: await hashPassword(temporaryPassword),
      must_change_password: 1,
      updated_at: clock.now().toISOString(),
    })
    .where('id', '=', userId)
    .execute();
  await revokeUserSessions(ex, clock, userId);
  return temporaryPassword;
}

/** Sets a new password chosen by the user (rules checked, field named `field`), clearing must-change. */
export async function setPassword(
  ex: Executor,
  clock: Clock,
  user: User,
  newPassword: string,
  field = 'newPassword',
): Promise<void> {
  checkPasswordRules(newPassword, user.email, field);
  await ex
    .updateTable('users')
    .set({
      password_hash: await hashPassword(newPassword),
      must_change_password: 0,
      updated_at: clock.now().toISOString(),
    })
    .where('id', '=', user.id)
    .execute();
}

/** Disables (revoking every session; tokens stop working too) or re-enables an account. */
export async function setUserDisabled(
  ex: Executor,
  clock: Clock,
  userId: string,
  disabled: boolean,
): Promise<User> {
  await getUser(ex, userId);
  await ex
    .updateTable('users')
    .set({ disabled: disabled ? 1 : 0, updated_at: clock.now().toISOString() })
    .where('id', '=', userId)
    .execute();
  if (disabled) await revokeUserSessions(ex, clock, userId);
  return getUser(ex, userId);
}

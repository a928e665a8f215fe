/**
 * Server-side sessions. The browser holds `careloop_session=<id>.<secret>`; the database holds only the
 * SHA-256 of the secret, so a leaked database row cannot be replayed as a cookie. A session ends when
 * revoked, after `idleMs` without a request (sliding), or `absoluteMs` after sign-in, whichever first.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/database.js';
import { userRolesSql } from '../policy/visibility.js';
import type { User } from './users.service.js';

export const SESSION_COOKIE = 'careloop_session';

/**
 * Where a session stands. Only `active` authenticates requests; the pending states allow nothing but
 * the next sign-in step (and sign-out).
 */
export type SessionState = 'pending-mfa' | 'pending-mfa-setup' | 'pending-password-change' | 'active';

export interface SessionPolicy {
  /** Ends a session this long after its last request (OWASP: 15-30 minutes for sensitive data). */
  idleMs: number;
  /** Ends a session this long after sign-in, however busy: one working day. */
  absoluteMs: number;
}

/** The session lifetimes: idle from configuration (default 30 minutes), absolute 12 hours. */
export function sessionPolicy(idleMinutes = 30): SessionPolicy {
  return { idleMs: idleMinutes * 60_000, absoluteMs: 12 * 3600_000 };
}

/** A half-finished sign-in (waiting for a code or a new password) lasts at most this long. */
const PENDING_LIFETIME_MS = 10 * 60_000;
/** last_seen is written at most this often: one write a minute per session instead of one per request. */
const TOUCH_INTERVAL_MS = 60_000;

export interface ResolvedSession {
  id: string;
  state: SessionState;
  csrfToken: string;
  user: User;
  /** The user's roles as `userRolesSql` reads them (for primeGrants). */
  roles: unknown;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const random = (bytes: number) => randomBytes(bytes).toString('base64url');

/** Compares two strings in constant time (for equal lengths; a length difference ends it early). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Opens a session; returns the cookie value (shown once) and its CSRF token. */
export async function createSession(
  ex: Executor,
  clock: Clock,
  input: {
    userId: string;
    state: SessionState;
    policy: SessionPolicy;
    clientAddress?: string;
    userAgent?: string;
  },
): Promise<{ id: string; cookie: string; csrfToken: string }> {
  const now = clock.now();
  const id = random(16);
  const secret = random(32);
  const csrfToken = random(32);
  await ex
    .insertInto('sessions')
    .values({
      id,
      secret_hash: sha256(secret),
      user_id: input.userId,
      csrf_token: csrfToken,
      state: input.state,
      created_at: now.toISOString(),
      last_seen_ms: now.getTime(),
      expires_ms: now.getTime() + (input.state === 'active' ? input.policy.absoluteMs : PENDING_LIFETIME_MS),
      revoked_at: null,
      client_address: input.clientAddress ?? null,
      user_agent: input.userAgent?.slice(0, 300) ?? null,
    })
    .execute();
  return { id, cookie: `${id}.${secret}`, csrfToken };
}

/**
 * Moves a session to its next state with a new secret and CSRF token: a cookie captured before the
 * second factor (or before the password change) is worth nothing after it. Returns the new cookie.
 */
export async function advanceSession(
  ex: Executor,
  clock: Clock,
  sessionId: string,
  state: SessionState,
  policy: SessionPolicy,
): Promise<{ cookie: string; csrfToken: string }> {
  const now = clock.now().getTime();
  const secret = random(32);
  const csrfToken = random(32);
  await ex
    .updateTable('sessions')
    .set({
      secret_hash: sha256(secret),
      csrf_token: csrfToken,
      state,
      last_seen_ms: now,
      expires_ms: now + (state === 'active' ? policy.absoluteMs : PENDING_LIFETIME_MS),
    })
    .where('id', '=', sessionId)
    .execute();
  return { cookie: `${sessionId}.${secret}`, csrfToken };
}

/** What decides whether a session still holds: its row and its user's disabled flag. */
export interface SessionLifetime {
  revokedAt: string | null;
  expiresMs: number | string;
  lastSeenMs: number | string;
  disabled: number;
}

/**
 * Why a session no longer authenticates at `now` (signed out or revoked, disabled account, absolute
 * or idle expiry), or undefined while it does: one rule for sign-in and for live streams.
 */
export function sessionEnd(session: SessionLifetime, now: number, policy: SessionPolicy): string | undefined {
  if (session.revokedAt !== null) return 'the session was signed out or revoked';
  if (session.disabled === 1) return 'the account was disabled';
  if (now >= Number(session.expiresMs)) return 'the session expired';
  if (now - Number(session.lastSeenMs) >= policy.idleMs) return 'the session expired after inactivity';
  return undefined;
}

/**
 * The live session a cookie names, with its user; undefined when the cookie is malformed, unknown,
 * revoked, expired (idle or absolute), or its user is disabled. Slides the idle timeout.
 */
export async function resolveSession(
  database: Database,
  clock: Clock,
  cookie: string,
  policy: SessionPolicy,
): Promise<ResolvedSession | undefined> {
  const dot = cookie.indexOf('.');
  if (dot <= 0) return undefined;
  const id = cookie.slice(0, dot);
  const secret = cookie.slice(dot + 1);
  // The session with its user and the user's roles (for primeGrants), in one round trip of a
  // prepared statement: every request from the web app starts here.
  const found = await database.prepared
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .selectAll('u')
    .select([
      's.secret_hash as session_secret_hash',
      's.revoked_at as session_revoked_at',
      's.expires_ms as session_expires_ms',
      's.last_seen_ms as session_last_seen_ms',
      's.state as session_state',
      's.csrf_token as session_csrf_token',
      userRolesSql(database.dialect, sql.ref('u.resource')).as('user_roles'),
    ])
    .where('s.id', '=', id)
    .executeTakeFirst();
  if (!found || !safeEqual(found.session_secret_hash, sha256(secret))) return undefined;
  const {
    session_secret_hash: _secret,
    session_revoked_at: revokedAt,
    session_expires_ms: expiresMs,
    session_last_seen_ms: lastSeenMs,
    session_state: state,
    session_csrf_token: csrfToken,
    user_roles: roles,
    ...user
  } = found;
  const now = clock.now().getTime();
  const lifetime = { revokedAt, expiresMs, lastSeenMs, disabled: user.disabled };
  if (sessionEnd(lifetime, now, policy)) return undefined;
  if (now - Number(lastSeenMs) >= TOUCH_INTERVAL_MS)
    await database.db.updateTable('sessions').set({ last_seen_ms: now }).where('id', '=', id).execute();
  return { id, state: state as SessionState, csrfToken, user, roles };
}

/** Revokes one session; false when it was already revoked or unknown. */
export async function revokeSession(ex: Executor, clock: Clock, sessionId: string): Promise<boolean> {
  const result = await ex
    .updateTable('sessions')
    .set({ revoked_at: clock.now().toISOString() })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Revokes every session of a user (but `exceptId`, the caller's own); returns how many. */
export async function revokeUserSessions(
  ex: Executor,
  clock: Clock,
  userId: string,
  exceptId?: string,
): Promise<number> {
  let query = ex
    .updateTable('sessions')
    .set({ revoked_at: clock.now().toISOString() })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (exceptId) query = query.where('id', '!=', exceptId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * The sign-in workflow: password, then (when enrolled or required) a TOTP code, then (after an admin
 * reset) a new password; each step moves one server-side session forward. Password checks run outside
 * any transaction (argon2 takes tens of milliseconds); only the short writes that follow are
 * transactional, together with their audit entries.
 */

import { badRequest, FhirError } from '../../fhir/outcome.js';
import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/database.js';
import { appendAudit } from '../audit/audit-trail.js';
import { SIGN_IN_FAILED, unauthorized } from './identity-errors.js';
import { verifyDummyPassword, verifyPassword } from './passwords.js';
import {
  advanceSession,
  createSession,
  type ResolvedSession,
  revokeSession,
  revokeUserSessions,
  type SessionPolicy,
  type SessionState,
} from './sessions.js';
import {
  checkThrottle,
  clearAccountFailures,
  LOCK_MS,
  recordFailure,
  type ThrottleScope,
} from './throttle.js';
import { startTotpEnrolment, verifyTotp } from './totp.js';
import {
  findUserByEmail,
  getUser,
  presentUser,
  requiresMfa,
  setPassword,
  type User,
  type UserView,
  userActor,
} from './users.service.js';

export interface IdentityDeps {
  database: Database;
  clock: Clock;
  policy: SessionPolicy;
}

/** Where the client stands after a step, and the cookie to set (every step sets a fresh one). */
export type SignInResult =
  | { step: 'signed-in'; user: UserView; csrfToken: string; cookie: string }
  | { step: 'mfa-required'; cookie: string }
  | { step: 'mfa-setup-required'; secret: string; otpauthUrl: string; cookie: string }
  | { step: 'password-change-required'; csrfToken: string; cookie: string };

/** The request facts sign-in records (never the email or password). */
export interface ClientInfo {
  clientAddress?: string;
  userAgent?: string;
}

/** A 429 carrying the seconds until the lock ends, for the Retry-After header. */
export class ThrottledError extends FhirError {
  constructor(
    scope: ThrottleScope,
    readonly retryAfterSeconds: number,
  ) {
    const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
    super(429, [
      {
        code: 'throttled',
        diagnostics: `Too many failed sign-ins ${scope === 'account' ? 'for this account' : 'from this address'}. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      },
    ]);
  }
}

async function assertNotThrottled(deps: IdentityDeps, email: string, client: ClientInfo): Promise<void> {
  const lock = await checkThrottle(deps.database.db, deps.clock, { email, address: client.clientAddress });
  if (lock) throw new ThrottledError(lock.scope, lock.retryAfterSeconds);
}

/** Counts a failure and writes sign-in-failed (and lockout when this failure locked something). */
async function failed(
  deps: IdentityDeps,
  email: string,
  user: User | undefined,
  client: ClientInfo,
  detail: string,
): Promise<void> {
  const { database, clock } = deps;
  await database.db.transaction().execute(async (trx) => {
    const locked = await recordFailure(trx, clock, { email, address: client.clientAddress });
    const who = user ? { actor: userActor(user), role: user.role } : {};
    await appendAudit(
      database,
      trx,
      { action: 'sign-in-failed', outcome: 'failure', ...who, clientAddress: client.clientAddress, detail },
      clock.now(),
    );
    for (const scope of locked)
      await appendAudit(
        database,
        trx,
        {
          action: 'lockout',
          outcome: 'denied',
          ...(scope === 'account' ? who : {}),
          clientAddress: client.clientAddress,
          detail: `${scope} locked for ${LOCK_MS / 60_000} minutes after repeated failed sign-ins`,
        },
        clock.now(),
      );
  });
}

/** The state a session enters once the password (and, if any, the code) is behind it. */
function nextState(user: User, mfaDone: boolean): SessionState {
  if (!mfaDone && user.totp_enabled === 1) return 'pending-mfa';
  if (!mfaDone && requiresMfa(user.role)) return 'pending-mfa-setup';
  if (user.must_change_password === 1) return 'pending-password-change';
  return 'active';
}

async function auditSignIn(deps: IdentityDeps, ex: Executor, user: User, client: ClientInfo, detail: string) {
  await appendAudit(
    deps.database,
    ex,
    {
      action: 'sign-in',
      outcome: 'success',
      actor: userActor(user),
      role: user.role,
      clientAddress: client.clientAddress,
      detail,
    },
    deps.clock.now(),
  );
}

/**
 * Step one: email and password. Wrong password, unknown email and disabled account answer alike
 * (401, same message, same argon2 cost); a locked account or blocked address answers 429.
 */
export async function signInWithPassword(
  deps: IdentityDeps,
  input: { email: string; password: string },
  client: ClientInfo,
): Promise<SignInResult> {
  const { database, clock, policy } = deps;
  await assertNotThrottled(deps, input.email, client);
  const user = await findUserByEmail(database.db, input.email);
  const ok = user?.password_hash
    ? await verifyPassword(user.password_hash, input.password)
    : await verifyDummyPassword(input.password);
  if (!ok || !user || user.disabled === 1) {
    const detail = !user ? 'unknown account' : user.disabled === 1 ? 'account disabled' : 'wrong password';
    await failed(deps, input.email, user, client, detail);
    throw unauthorized(SIGN_IN_FAILED);
  }
  return database.db.transaction().execute(async (trx) => {
    const state = nextState(user, false);
    // The count is cleared once sign-in is complete, not after the password alone: otherwise someone
    // holding the password could guess codes forever, each password step wiping their failures.
    if (state !== 'pending-mfa' && state !== 'pending-mfa-setup') await clearAccountFailures(trx, user.email);
    const session = await createSession(trx, clock, { userId: user.id, state, policy, ...client });
    const cookie = session.cookie;
    switch (state) {
      case 'pending-mfa':
        return { step: 'mfa-required', cookie };
      case 'pending-mfa-setup':
        return { step: 'mfa-setup-required', cookie, ...(await startTotpEnrolment(trx, clock, user)) };
      case 'pending-password-change':
        return { step: 'password-change-required', csrfToken: session.csrfToken, cookie };
      default:
        await auditSignIn(deps, trx, user, client, 'password');
        return { step: 'signed-in', user: presentUser(user), csrfToken: session.csrfToken, cookie };
    }
  });
}

/**
 * Step two: the TOTP code, for a session waiting for it (`pending-mfa`) or for the first enrolment a
 * role requires (`pending-mfa-setup`, where a valid code also turns the factor on). Wrong and reused
 * codes count as failed sign-ins.
 */
export async function completeMfa(
  deps: IdentityDeps,
  session: ResolvedSession | undefined,
  code: string,
  client: ClientInfo,
): Promise<SignInResult> {
  const { database, clock, policy } = deps;
  if (!session || (session.state !== 'pending-mfa' && session.state !== 'pending-mfa-setup'))
    throw unauthorized('no sign-in is waiting for a code: sign in with your password first');
  await assertNotThrottled(deps, session.user.email, client);
  const user = await getUser(database.db, session.user.id);
  const enrolling = session.state === 'pending-mfa-setup';
  if (!(await verifyTotp(database.db, clock, user, code.trim(), { enable: enrolling }))) {
    await failed(deps, user.email, user, client, 'wrong or reused second-factor code');
    throw unauthorized('The code is not valid. Enter the current code from your authenticator app.');
  }
  return database.db.transaction().execute(async (trx) => {
    await clearAccountFailures(trx, user.email);
    if (enrolling)
      await appendAudit(
        database,
        trx,
        {
          action: 'mfa-enrolled',
          outcome: 'success',
          actor: userActor(user),
          role: user.role,
          clientAddress: client.clientAddress,
        },
        clock.now(),
      );
    const state = nextState(user, true);
    const next = await advanceSession(trx, clock, session.id, state, policy);
    if (state === 'pending-password-change')
      return { step: 'password-change-required', csrfToken: next.csrfToken, cookie: next.cookie };
    await auditSignIn(deps, trx, user, client, 'password and second factor');
    const shown = presentUser({ ...user, totp_enabled: 1 });
    return { step: 'signed-in', user: shown, csrfToken: next.csrfToken, cookie: next.cookie };
  });
}

/**
 * A new password: required after an admin reset (`pending-password-change`, the temporary password
 * having just been given), or chosen by a signed-in user, who must give the current one. Every other
 * session of the user is revoked.
 */
export async function changePassword(
  deps: IdentityDeps,
  session: ResolvedSession | undefined,
  input: { currentPassword?: string; newPassword: string },
  client: ClientInfo,
): Promise<SignInResult> {
  const { database, clock, policy } = deps;
  if (!session || (session.state !== 'active' && session.state !== 'pending-password-change'))
    throw unauthorized('sign in first');
  const user = await getUser(database.db, session.user.id);
  if (session.state === 'active') {
    if (!input.currentPassword) throw badRequest('is required to change your password', 'currentPassword');
    await assertNotThrottled(deps, user.email, client);
    if (!user.password_hash || !(await verifyPassword(user.password_hash, input.currentPassword))) {
      await failed(deps, user.email, user, client, 'wrong current password on password change');
      throw badRequest('is not your current password', 'currentPassword');
    }
  }
  if (user.password_hash && (await verifyPassword(user.password_hash, input.newPassword)))
    throw badRequest('must differ from the current password', 'newPassword');
  return database.db.transaction().execute(async (trx) => {
    await setPassword(trx, clock, user, input.newPassword);
    await revokeUserSessions(trx, clock, user.id, session.id);
    const next = await advanceSession(trx, clock, session.id, 'active', policy);
    await appendAudit(
      database,
      trx,
      {
        action: 'password-changed',
        outcome: 'success',
        actor: userActor(user),
        role: user.role,
        clientAddress: client.clientAddress,
      },
      clock.now(),
    );
    if (session.state === 'pending-password-change')
      await auditSignIn(deps, trx, user, client, 'temporary password changed');
    const fresh = { ...user, must_change_password: 0 };
    return { step: 'signed-in', user: presentUser(fresh), csrfToken: next.csrfToken, cookie: next.cookie };
  });
}

/** Ends a session (any state) and records the sign-out. */
export async function signOut(
  deps: IdentityDeps,
  session: ResolvedSession,
  client: ClientInfo,
): Promise<void> {
  const { database, clock } = deps;
  await database.db.transaction().execute(async (trx) => {
    await revokeSession(trx, clock, session.id);
    await appendAudit(
      database,
      trx,
      {
        action: 'sign-out',
        outcome: 'success',
        actor: userActor(session.user),
        role: session.user.role,
        clientAddress: client.clientAddress,
      },
      clock.now(),
    );
  });
}

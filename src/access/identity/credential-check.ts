/**
 * Whether the credential a request was authenticated with still holds, for responses that outlive
 * the request's own authentication (the worklist's server-sent event stream): a session ends on
 * sign-out, revocation, idle or absolute expiry; a token on revocation or expiry; both when their
 * user is disabled. Authentication decides once per request; a live response asks again here, on a
 * timer and before each event it sends, so it ends with its credential.
 */
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/database.js';
import type { AccessContext } from '../access-context.js';
import { type SessionPolicy, sessionEnd } from './sessions.js';
import { tokenEnd } from './tokens.js';

const tokenEndReasons = {
  revoked: 'the token was revoked',
  expired: 'the token expired',
  disabled: 'the account was disabled',
} as const;

export interface CredentialCheck {
  /** Milliseconds between two checks of a live response's credential (config.streamCheckMs). */
  intervalMs: number;
  /** Why the credential of `access` no longer holds, or undefined while it does. */
  ended(access: AccessContext): Promise<string | undefined>;
}

/** The check over the sessions and tokens tables, with the lifetimes authentication applies. */
export function credentialCheck(deps: {
  database: Database;
  clock: Clock;
  policy: SessionPolicy;
  intervalMs: number;
}): CredentialCheck {
  const { database, clock, policy } = deps;

  const sessionEnded = async (id: string): Promise<string | undefined> => {
    const row = await database.prepared
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(['s.revoked_at', 's.expires_ms', 's.last_seen_ms', 's.state', 'u.disabled'])
      .where('s.id', '=', id)
      .executeTakeFirst();
    if (row?.state !== 'active') return 'the session has ended';
    const lifetime = { revokedAt: row.revoked_at, expiresMs: row.expires_ms, lastSeenMs: row.last_seen_ms };
    return sessionEnd({ ...lifetime, disabled: row.disabled }, clock.now().getTime(), policy);
  };

  const tokenEnded = async (id: string): Promise<string | undefined> => {
    const row = await database.prepared
      .selectFrom('api_tokens as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .select(['t.revoked_at', 't.expires_ms', 'u.disabled'])
      .where('t.id', '=', id)
      .executeTakeFirst();
    if (!row) return 'the token no longer exists';
    const end = tokenEnd(
      { revokedAt: row.revoked_at, expiresMs: row.expires_ms, disabled: row.disabled },
      clock.now().getTime(),
    );
    return end && tokenEndReasons[end];
  };

  return {
    intervalMs: deps.intervalMs,
    ended: async (access) => {
      if (access.via === 'system') return undefined;
      if (!access.credentialId) return 'no credential';
      return access.via === 'session' ? sessionEnded(access.credentialId) : tokenEnded(access.credentialId);
    },
  };
}

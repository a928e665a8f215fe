/**
 * Sign-in throttling, kept in the database so that every server process counts the same failures.
 * Per account (OWASP ASVS 2.2.1): 5 failures within 15 minutes lock the account for 15 minutes. Per
 * client address: 20 failures within 15 minutes block the address for 15 minutes (password spraying
 * across many accounts). Unknown emails count like known ones, so a lockout reveals nothing about
 * which accounts exist. Account keys hold a hash of the email, not the email.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../../platform/clock.js';
import type { Executor } from '../../platform/database.js';
import { normalizeEmail } from './users.service.js';

export const ACCOUNT_FAILURE_LIMIT = 5;
export const ADDRESS_FAILURE_LIMIT = 20;
export const FAILURE_WINDOW_MS = 15 * 60_000;
export const LOCK_MS = 15 * 60_000;

export type ThrottleScope = 'account' | 'address';

export interface ThrottleSubject {
  email: string;
  /** The client address; absent (e.g. the CLI) means no per-address counting. */
  address?: string;
}

const keys = (subject: ThrottleSubject): { scope: ThrottleScope; key: string; limit: number }[] => [
  {
    scope: 'account',
    key: `account:${createHash('sha256').update(normalizeEmail(subject.email)).digest('hex')}`,
    limit: ACCOUNT_FAILURE_LIMIT,
  },
  ...(subject.address
    ? [{ scope: 'address' as const, key: `address:${subject.address}`, limit: ADDRESS_FAILURE_LIMIT }]
    : []),
];

/** The lock in force, address first (it covers every account), with the seconds left; else undefined. */
export async function checkThrottle(
  ex: Executor,
  clock: Clock,
  subject: ThrottleSubject,
): Promise<{ scope: ThrottleScope; retryAfterSeconds: number } | undefined> {
  const now = clock.now().getTime();
  const all = keys(subject);
  const rows = await ex
    .selectFrom('sign_in_throttle')
    .select(['key', 'locked_until_ms'])
    .where(
      'key',
      'in',
      all.map((k) => k.key),
    )
    .execute();
  for (const scope of ['address', 'account'] as const) {
    const key = all.find((k) => k.scope === scope)?.key;
    const until = Number(rows.find((r) => r.key === key)?.locked_until_ms ?? 0);
    if (until > now) return { scope, retryAfterSeconds: Math.ceil((until - now) / 1000) };
  }
  return undefined;
}

/** Counts one failure against the account and the address; returns the scopes this failure locked. */
export async function recordFailure(
  ex: Executor,
  clock: Clock,
  subject: ThrottleSubject,
): Promise<ThrottleScope[]> {
  const now = clock.now().getTime();
  const windowStart = now - FAILURE_WINDOW_MS;
  const locked: ThrottleScope[] = [];
  for (const { scope, key, limit } of keys(subject)) {
    // Insert-or-ignore then one conditional update: atomic on both dialects, so two processes
    // counting at once never lose a failure.
    await ex
      .insertInto('sign_in_throttle')
      .values({ key, failures: 0, window_start_ms: now, locked_until_ms: null })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await ex
      .updateTable('sign_in_throttle')
      .set({
        failures: sql`case when window_start_ms > ${windowStart} then failures + 1 else 1 end`,
        window_start_ms: sql`case when window_start_ms > ${windowStart} then window_start_ms else ${now} end`,
      })
      .where('key', '=', key)
      .returning(['failures'])
      .executeTakeFirstOrThrow();
    if (Number(row.failures) >= limit) {
      // The count starts again after the lock: 5 more tries, not one.
      await ex
        .updateTable('sign_in_throttle')
        .set({ failures: 0, window_start_ms: now, locked_until_ms: now + LOCK_MS })
        .where('key', '=', key)
        .execute();
      locked.push(scope);
    }
  }
  return locked;
}

/** Forgets an account's failures after a successful sign-in (the address count stays). */
export async function clearAccountFailures(ex: Executor, email: string): Promise<void> {
  const [account] = keys({ email });
  await ex.deleteFrom('sign_in_throttle').where('key', '=', account.key).execute();
}

/**
 * Time-based one-time codes (RFC 6238) as every authenticator app reads them: SHA-1, 6 digits, 30 s
 * steps, one step of drift either way. A code is accepted once: the step it belongs to is recorded and
 * only later steps pass afterwards.
 */
import { Secret, TOTP } from 'otpauth';
import type { Clock } from '../../platform/clock.js';
import type { Executor } from '../../platform/database.js';
import type { User } from './users.service.js';

const ISSUER = 'CareLoop';

function totp(secret: string, email: string): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label: email,
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: Secret.fromBase32(secret),
  });
}

/** What an authenticator app needs: the base32 key (typed in) and the otpauth:// URI (as a QR code). */
export interface TotpEnrolment {
  secret: string;
  otpauthUrl: string;
}

/**
 * Starts (or restarts) enrolment: stores a new 160-bit key, not yet enabled until a code from it is
 * confirmed. Refuses nothing: callers decide whether the user may enrol now.
 */
export async function startTotpEnrolment(ex: Executor, clock: Clock, user: User): Promise<TotpEnrolment> {
  const secret = new Secret({ size: 20 }).base32;
  await ex
    .updateTable('users')
    .set({
      totp_secret: secret,
      totp_enabled: 0,
      totp_last_counter: null,
      updated_at: clock.now().toISOString(),
    })
    .where('id', '=', user.id)
    .execute();
  return { secret, otpauthUrl: totp(secret, user.email).toString() };
}

/**
 * Checks a code against the user's key and, when it holds, records its time step so the same code
 * cannot be used again. The record is a conditional update, so two requests racing with one code
 * cannot both pass. With `enable`, a valid code also turns the second factor on (enrolment).
 */
export async function verifyTotp(
  ex: Executor,
  clock: Clock,
  user: User,
  code: string,
  options: { enable?: boolean } = {},
): Promise<boolean> {
  if (!user.totp_secret || !/^\d{6}$/.test(code)) return false;
  const timestamp = clock.now().getTime();
  const generator = totp(user.totp_secret, user.email);
  const delta = generator.validate({ token: code, timestamp, window: 1 });
  if (delta === null) return false;
  const counter = generator.counter({ timestamp }) + delta;
  const result = await ex
    .updateTable('users')
    .set({
      totp_last_counter: counter,
      ...(options.enable ? { totp_enabled: 1 } : {}),
      updated_at: new Date(timestamp).toISOString(),
    })
    .where('id', '=', user.id)
    .where((eb) => eb.or([eb('totp_last_counter', 'is', null), eb('totp_last_counter', '<', counter)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

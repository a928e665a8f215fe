/**
 * Password hashing and rules. argon2id with OWASP's baseline parameters (19 MiB, 2 passes, 1 lane):
 * about 20-40 ms a hash here, slow enough to make guessing expensive and fast enough for sign-in.
 */
import { randomBytes } from 'node:crypto';
import { type Algorithm, hash, verify } from '@node-rs/argon2';
import { badRequest } from '../../fhir/outcome.js';

/** Fewer characters than this are refused (NIST SP 800-63B asks for at least 8; we ask for more). */
export const MIN_PASSWORD_LENGTH = 12;
/** A longer input is refused rather than hashed: an attacker could otherwise make each hash expensive. */
export const MAX_PASSWORD_LENGTH = 256;

// Algorithm is a `const enum` in the package's types, which isolatedModules cannot read: 2 = Argon2id.
const options = { algorithm: 2 as Algorithm, memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Hashes a password with argon2id (the PHC string carries the salt and parameters). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

/** Checks a password against a stored hash; false (never an error) for a malformed hash. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;
/**
 * Spends the time of a real verification when there is no account (or no password) to check, so that
 * an unknown email answers no faster than a known one.
 */
export async function verifyDummyPassword(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(await dummyHash, password);
  return false;
}

/** Throws a 400 naming `field` when the password breaks a rule; `email` is refused as a password. */
export function checkPasswordRules(password: string, email: string | undefined, field = 'password'): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw badRequest(`must be at least ${MIN_PASSWORD_LENGTH} characters long`, field);
  if (password.length > MAX_PASSWORD_LENGTH)
    throw badRequest(`must be at most ${MAX_PASSWORD_LENGTH} characters long`, field);
  if (email && password.trim().toLowerCase() === email.trim().toLowerCase())
    throw badRequest('must not be the email address', field);
}

/**
 * A temporary password: 16 characters from an alphabet without look-alikes (no 0/O, 1/l/I), about
 * 90 bits, grouped in fours so it can be read out over the phone.
 */
export function generateTemporaryPassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(32);
  let out = '';
  // 256 % 56 != 0: reject bytes past the last whole multiple so every character is equally likely.
  for (const b of bytes) {
    if (out.replaceAll('-', '').length === 16) break;
    if (b >= 224) continue;
    if (out.length > 0 && out.replaceAll('-', '').length % 4 === 0) out += '-';
    out += alphabet[b % alphabet.length];
  }
  return out.replaceAll('-', '').length === 16 ? out : generateTemporaryPassword();
}

import { describe, expect, it } from 'vitest';
import {
  checkPasswordRules,
  generateTemporaryPassword,
  hashPassword,
  verifyDummyPassword,
  verifyPassword,
} from './passwords.js';

describe('passwords', () => {
  it('hashes with argon2id and verifies only the same password', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(stored, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(stored, 'correct horse batterY')).toBe(false);
  });

  it('answers false, not an error, for a malformed stored hash and for the dummy check', async () => {
    expect(await verifyPassword('not-a-hash', 'whatever-password')).toBe(false);
    expect(await verifyDummyPassword('whatever-password')).toBe(false);
  });

  it('refuses passwords under 12 characters and the email itself, naming the field', () => {
    expect(() => checkPasswordRules('short-pass1', 'a@b.org')).toThrow(
      'password: must be at least 12 characters long',
    );
    expect(() => checkPasswordRules('Nurse@Clinic.org', 'nurse@clinic.org', 'newPassword')).toThrow(
      'newPassword: must not be the email address',
    );
    expect(() => checkPasswordRules('a long enough passphrase', 'nurse@clinic.org')).not.toThrow();
  });

  it('generates temporary passwords that pass the rules and differ each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const p = generateTemporaryPassword();
      expect(p).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{4}(-[a-km-zA-HJ-NP-Z2-9]{4}){3}$/);
      expect(() => checkPasswordRules(p, 'x@y.org')).not.toThrow();
      seen.add(p);
    }
    expect(seen.size).toBe(50);
  });
});

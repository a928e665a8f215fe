import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../access/identity/passwords.js';
import { authenticateToken } from '../access/identity/tokens.js';
import { systemClock } from '../platform/clock.js';
import { openDatabase } from '../platform/database.js';

const bin = join(import.meta.dirname, '../../bin/careloop.js');

describe('careloop users and tokens', () => {
  let url: string;
  const careloop = (args: string[], input?: string) => {
    const result = spawnSync(process.execPath, [bin, ...args], {
      env: { ...process.env, DATABASE_URL: url, CI: '1' },
      encoding: 'utf8',
      input,
      timeout: 120_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const withDb = async <T>(work: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>) => {
    const database = await openDatabase(url);
    try {
      return await work(database);
    } finally {
      await database.close();
    }
  };

  beforeAll(() => {
    url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'careloop-cli-')), 'cli.db')}`;
  });

  it('adds a user with a password from stdin (final newline dropped) and lists it', async () => {
    const add = careloop(
      [
        'users',
        'add',
        '--email',
        'Admin@Clinic.org',
        '--name',
        'First Admin',
        '--role',
        'admin',
        '--password-stdin',
      ],
      'a long admin passphrase\n',
    );
    expect(add.code).toBe(0);
    expect(add.stdout).toBe('');
    expect(add.stderr).toMatch(/^created admin admin@clinic.org \(id [\w-]+\)\n$/);
    const row = await withDb((d) => d.db.selectFrom('users').selectAll().executeTakeFirstOrThrow());
    expect(await verifyPassword(row.password_hash!, 'a long admin passphrase')).toBe(true);
    expect(row.must_change_password).toBe(0);
    const list = careloop(['users', 'list']);
    expect(list.stdout).toBe('admin@clinic.org\tadmin\t-\tactive\n');
  });

  it('prints a temporary password once when none is given, and on reset', async () => {
    const add = careloop(['users', 'add', '--email', 'nurse@clinic.org', '--name', 'N', '--role', 'nurse']);
    expect(add.code).toBe(0);
    const temporary = add.stdout.trim();
    expect(temporary).toMatch(/^\w{4}(-\w{4}){3}$/);
    const reset = careloop(['users', 'reset-password', '--email', 'nurse@clinic.org']);
    expect(reset.code).toBe(0);
    const again = reset.stdout.trim();
    expect(again).not.toBe(temporary);
    const row = await withDb((d) =>
      d.db.selectFrom('users').selectAll().where('email', '=', 'nurse@clinic.org').executeTakeFirstOrThrow(),
    );
    expect(row.must_change_password).toBe(1);
    expect(await verifyPassword(row.password_hash!, again)).toBe(true);
  });

  it('answers bad input with one line naming the flag and exit 2', () => {
    const cases: [string[], string][] = [
      [
        ['users', 'add', '--email', 'x@c.org', '--name', 'X', '--role', 'wizard'],
        'careloop: --role: must be one of: admin, care-coordinator',
      ],
      [
        [
          'users',
          'add',
          '--email',
          'x@c.org',
          '--name',
          'X',
          '--role',
          'patient',
          '--resource',
          'Patient/nope',
        ],
        'careloop: --resource: Patient/nope does not exist',
      ],
      [['users', 'add', '--name', 'X', '--role', 'nurse'], 'careloop: users add needs --email E'],
      [['users', 'reset-password', '--email', 'nobody@c.org'], 'careloop: --email: no user has this email'],
      [
        ['tokens', 'create', '--email', 'nurse@clinic.org', '--expires', '3w'],
        'careloop: --expires must be a duration like 30d, 12h or 90m, not "3w"',
      ],
      [
        ['tokens', 'create', '--email', 'nurse@clinic.org', '--scope', 'all'],
        'careloop: --scope: "all" is not a scope',
      ],
    ];
    for (const [args, message] of cases) {
      const result = careloop(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(result.stderr).toContain(message);
    }
    const short = careloop(
      ['users', 'add', '--email', 'y@c.org', '--name', 'Y', '--role', 'nurse', '--password-stdin'],
      'short\n',
    );
    expect(short.code).toBe(2);
    expect(short.stderr.trim()).toBe('careloop: --password-stdin: must be at least 12 characters long');
  });

  it('creates a token printed alone on stdout, lists it without the secret, and revokes it', async () => {
    const create = careloop([
      'tokens',
      'create',
      '--email',
      'nurse@clinic.org',
      '--scope',
      'user/*.read',
      '--expires',
      '12h',
    ]);
    expect(create.code).toBe(0);
    const token = create.stdout.trim();
    expect(create.stdout).toMatch(/^clt_[0-9a-f]{24}_[\w-]{43}\n$/);
    const id = token.split('_')[1];
    expect(create.stderr).toMatch(
      new RegExp(
        `^token ${id} for nurse@clinic.org, scopes user/\\*.read, expires \\S+ \\(shown once\\)\\n$`,
      ),
    );
    const found = await withDb((d) => authenticateToken(d, systemClock, token));
    expect(found.scopes).toEqual(['user/*.read']);

    const list = careloop(['tokens', 'list', '--email', 'nurse@clinic.org']);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\tuser/\\*.read\\texpires \\S+\\tactive\\n$`));
    expect(list.stdout).not.toContain(token.slice(token.indexOf('_', 4) + 1));

    expect(careloop(['tokens', 'revoke', '--id', id]).code).toBe(0);
    await expect(withDb((d) => authenticateToken(d, systemClock, token))).rejects.toThrow(
      'the bearer token is revoked',
    );
    const actions = await withDb((d) =>
      d.db.selectFrom('audit_events').select(['action', 'actor']).execute(),
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        { action: 'token-created', actor: 'Device/careloop-cli' },
        { action: 'token-revoked', actor: 'Device/careloop-cli' },
      ]),
    );
  });
});

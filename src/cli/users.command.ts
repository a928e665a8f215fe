/**
 * `careloop users add | list | reset-password`: user accounts from the command line, for the first
 * admin of a new installation and for scripts. Passwords come from stdin, never from a flag (flags
 * end up in shell history and process lists). Changes are audited as the CLI device.
 */
import { appendAudit } from '../access/audit/audit-trail.js';
import { sessionPolicy } from '../access/identity/sessions.js';
import { createUser, findUserByEmail, listUsers, resetPassword } from '../access/identity/users.service.js';
import { FhirError } from '../fhir/outcome.js';
import { systemClock } from '../platform/clock.js';
import type { Database, Executor } from '../platform/database.js';
import { parseFlags, UsageError } from './args.js';
import { openRuntime } from './runtime.js';

const help = `usage: careloop users add --email E --name N --role R [--resource TYPE/ID] [--password-stdin]
       careloop users list
       careloop users reset-password --email E

  add             create a user; with --password-stdin the password is read from stdin, otherwise a
                  temporary password is printed once and must be changed at first sign-in
  list            list users (email, role, linked resource, state)
  reset-password  print a new temporary password; the user's sessions end`;

const CLI_ACTOR = 'Device/careloop-cli';

/** Reads all of stdin, dropping one final newline (as `echo` or a heredoc leaves). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** A 4xx from the services becomes a one-line usage error naming the flag. */
function asUsage(err: unknown): never {
  if (err instanceof FhirError && err.status < 500) {
    const issue = err.issues[0];
    const flag = issue?.expression
      ? `--${issue.expression === 'password' ? 'password-stdin' : issue.expression}`
      : '';
    throw new UsageError(flag ? `${flag}: ${issue.diagnostics}` : err.message);
  }
  throw err;
}

const audit = (database: Database, ex: Executor, action: string, detail: string) =>
  appendAudit(
    database,
    ex,
    { action, outcome: 'success', actor: CLI_ACTOR, role: 'system', detail },
    systemClock.now(),
  );

export async function usersCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      resource: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    true,
  );
  if (values.help) {
    console.log(help);
    return 0;
  }
  const sub = positionals[0];
  if (positionals.length !== 1 || !['add', 'list', 'reset-password'].includes(sub))
    throw new UsageError('users takes one subcommand: add, list or reset-password');
  if (sub !== 'list' && !values.email) throw new UsageError(`users ${sub} needs --email E`);
  if (sub === 'add' && !values.name) throw new UsageError('users add needs --name N');
  if (sub === 'add' && !values.role) throw new UsageError('users add needs --role R');
  const password = sub === 'add' && values['password-stdin'] ? await readStdin() : undefined;

  const runtime = await openRuntime();
  const { database } = runtime;
  try {
    if (sub === 'list') {
      const users = await listUsers(
        database.db,
        systemClock,
        sessionPolicy(runtime.config.sessionIdleMinutes).idleMs,
      );
      for (const u of users)
        console.log(
          [
            u.email,
            u.role,
            u.resource ?? '-',
            u.disabled ? 'disabled' : u.mustChangePassword ? 'must-change-password' : 'active',
            u.mfaEnabled ? 'mfa' : '',
          ]
            .join('\t')
            .trimEnd(),
        );
      if (users.length === 0) console.error('no users yet: add one with `careloop users add`');
      return 0;
    }
    if (sub === 'add') {
      const created = await database.db
        .transaction()
        .execute(async (trx) => {
          const result = await createUser(trx, systemClock, {
            email: values.email!,
            name: values.name!,
            role: values.role!,
            resource: values.resource,
            password,
          });
          await audit(database, trx, 'user-created', `user ${result.user.id} (${result.user.role})`);
          return result;
        })
        .catch(asUsage);
      console.error(`created ${created.user.role} ${created.user.email} (id ${created.user.id})`);
      if (created.temporaryPassword) {
        console.log(created.temporaryPassword);
        console.error('the temporary password above is shown once; it must be changed at first sign-in');
      }
      return 0;
    }
    const user = await findUserByEmail(database.db, values.email!);
    if (!user) throw new UsageError('--email: no user has this email');
    const temporary = await database.db.transaction().execute(async (trx) => {
      const result = await resetPassword(trx, systemClock, user.id);
      await audit(database, trx, 'password-reset', `user ${user.id}`);
      return result;
    });
    console.log(temporary);
    console.error(`the temporary password above is shown once; ${user.email} must change it at next sign-in`);
    return 0;
  } finally {
    await database.close();
  }
}

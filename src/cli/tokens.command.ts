/**
 * `careloop tokens create | list | revoke`: bearer tokens for integrations. `create` prints only the
 * token on stdout, so a script can capture it (`TOKEN=$(careloop tokens create ...)`); what a person
 * reads goes to stderr.
 */
import { appendAudit } from '../access/audit/audit-trail.js';
import { createToken, listTokens, revokeToken } from '../access/identity/tokens.js';
import { findUserByEmail } from '../access/identity/users.service.js';
import { FhirError } from '../fhir/outcome.js';
import { systemClock } from '../platform/clock.js';
import { parseFlags, UsageError } from './args.js';
import { openRuntime } from './runtime.js';

const help = `usage: careloop tokens create --email E [--scope S]... [--expires 90d] [--label L]
       careloop tokens list --email E
       careloop tokens revoke --id ID

  create   print a new token for the user (shown once); scopes are SMART-style, e.g. user/*.read,
           user/Observation.write (default user/*.*); --expires takes 30d, 12h or 90m (default 90d)
  list     list the user's tokens (never their secrets)
  revoke   revoke a token by id`;

const CLI_ACTOR = 'Device/careloop-cli';

/** Parses `30d`, `12h`, `90m` into milliseconds. */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+)([dhm])$/.exec(value.trim());
  const n = match ? Number(match[1]) : 0;
  if (!match || n < 1)
    throw new UsageError(`--${flag} must be a duration like 30d, 12h or 90m, not "${value}"`);
  return n * { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
}

export async function tokensCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      email: { type: 'string' },
      scope: { type: 'string', multiple: true },
      expires: { type: 'string' },
      label: { type: 'string' },
      id: { type: 'string' },
      help: { type: 'boolean' },
    },
    true,
  );
  if (values.help) {
    console.log(help);
    return 0;
  }
  const sub = positionals[0];
  if (positionals.length !== 1 || !['create', 'list', 'revoke'].includes(sub))
    throw new UsageError('tokens takes one subcommand: create, list or revoke');
  if (sub === 'revoke' && !values.id) throw new UsageError('tokens revoke needs --id ID');
  if (sub !== 'revoke' && !values.email) throw new UsageError(`tokens ${sub} needs --email E`);
  const expiresInMs = parseDuration(values.expires ?? '90d', 'expires');

  const { database } = await openRuntime();
  try {
    const audit = (ex: typeof database.db, action: string, detail: string) =>
      appendAudit(
        database,
        ex,
        { action, outcome: 'success', actor: CLI_ACTOR, role: 'system', detail },
        systemClock.now(),
      );
    if (sub === 'revoke') {
      const result = await database.db
        .transaction()
        .execute(async (trx) => {
          const r = await revokeToken(trx, systemClock, values.id!);
          await audit(trx, 'token-revoked', `token ${values.id} of user ${r.userId}`);
          return r;
        })
        .catch((err) => {
          if (err instanceof FhirError && err.status === 404)
            throw new UsageError('--id: no token has this id');
          throw err;
        });
      console.error(result.revoked ? `revoked token ${values.id}` : `token ${values.id} was already revoked`);
      return 0;
    }
    const user = await findUserByEmail(database.db, values.email!);
    if (!user) throw new UsageError('--email: no user has this email');
    if (sub === 'list') {
      for (const t of await listTokens(database.db, user.id))
        console.log(
          [
            t.id,
            t.scopes.join(' '),
            `expires ${t.expiresAt ?? 'never'}`,
            t.revokedAt ? 'revoked' : 'active',
            t.label ?? '',
          ]
            .join('\t')
            .trimEnd(),
        );
      return 0;
    }
    const created = await database.db
      .transaction()
      .execute(async (trx) => {
        const t = await createToken(trx, systemClock, {
          userId: user.id,
          scopes: values.scope,
          expiresInMs,
          label: values.label,
        });
        await audit(
          trx,
          'token-created',
          `token ${t.id} for user ${user.id}, scopes ${t.scopes.join(' ')}, expires ${t.expiresAt}`,
        );
        return t;
      })
      .catch((err) => {
        if (err instanceof FhirError && err.status === 400)
          throw new UsageError(`--scope: ${err.issues[0].diagnostics}`);
        throw err;
      });
    console.log(created.token);
    console.error(
      `token ${created.id} for ${user.email}, scopes ${created.scopes.join(' ')}, expires ${created.expiresAt} (shown once)`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

/** `careloop audit verify`: checks the whole audit chain and names the first broken entry. */
import { verifyAuditChain } from '../access/audit/audit-trail.js';
import { parseFlags, UsageError } from './args.js';
import { openRuntime } from './runtime.js';

const help = `usage: careloop audit verify

Recomputes every audit entry's hash in order. Exit 0 when the chain holds; exit 1 naming the first
entry that was changed, removed or reordered.`;

export async function auditCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { help: { type: 'boolean' } }, true);
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals[0] !== 'verify' || positionals.length > 1)
    throw new UsageError('audit takes one subcommand: verify');
  const runtime = await openRuntime();
  try {
    const report = await verifyAuditChain(runtime.database.db);
    if (report.broken) {
      console.error(
        `careloop: audit trail broken at entry ${report.broken.seq}: ${report.broken.reason} (${report.entries} entries before it hold)`,
      );
      return 1;
    }
    console.log(`audit trail intact: ${report.entries} entries`);
    return 0;
  } finally {
    await runtime.database.close();
  }
}

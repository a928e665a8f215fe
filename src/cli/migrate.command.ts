/** `careloop migrate`: applies pending migrations and says which. */
import { parseFlags } from './args.js';
import { openRuntime } from './runtime.js';

export async function migrateCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { help: { type: 'boolean' } });
  if (values.help) {
    console.log(
      'usage: careloop migrate\n\nApplies pending migrations to DATABASE_URL (default sqlite:./data/careloop.db).',
    );
    return 0;
  }
  const runtime = await openRuntime();
  try {
    console.log(
      runtime.applied.length
        ? `applied ${runtime.applied.join(', ')} to ${runtime.database.description}`
        : `${runtime.database.description} is up to date`,
    );
    return 0;
  } finally {
    await runtime.database.close();
  }
}

/**
 * The `careloop` command line: serve, migrate, import, generate. Each command is a small module;
 * bad input ends with one line on stderr and a non-zero exit.
 */
import { ConfigError } from '../platform/config.js';
import { UsageError } from './args.js';

const commands: Record<string, { summary: string; run: (args: string[]) => Promise<number> }> = {
  serve: {
    summary: 'run the web app, FHIR API (and with --demo, load demo data into an empty database)',
    run: async (a) => (await import('./serve.command.js')).serveCommand(a),
  },
  migrate: {
    summary: 'apply database migrations',
    run: async (a) => (await import('./migrate.command.js')).migrateCommand(a),
  },
  import: {
    summary: 'import FHIR Bundle JSON / NDJSON files or folders',
    run: async (a) => (await import('./import.command.js')).importCommand(a),
  },
  audit: {
    summary: 'verify the hash-chained audit trail (audit verify)',
    run: async (a) => (await import('./audit.command.js')).auditCommand(a),
  },
  users: {
    summary: 'add, list users and reset passwords (users add | list | reset-password)',
    run: async (a) => (await import('./users.command.js')).usersCommand(a),
  },
  tokens: {
    summary: 'create, list and revoke bearer tokens (tokens create | list | revoke)',
    run: async (a) => (await import('./tokens.command.js')).tokensCommand(a),
  },
  jobs: {
    summary: 'list the recurring jobs or run one now (jobs list | run <name>)',
    run: async (a) => (await import('./jobs.command.js')).jobsCommand(a),
  },
  hl7: {
    summary: 'the HL7 v2 message log: dead letters and replay (hl7 list | replay <id>)',
    run: async (a) => (await import('./hl7.command.js')).hl7Command(a),
  },
  generate: {
    summary: 'write a synthetic population as FHIR bundles',
    run: async (a) => (await import('./generate.command.js')).generateCommand(a),
  },
};

function usage(): string {
  return [
    'usage: careloop <command> [options]',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
    '',
    'Run `careloop <command> --help` for the options of a command.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`careloop: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // One clear line; configuration and usage errors need no stack.
    const message = err instanceof Error ? err.message : String(err);
    console.error(`careloop: ${message}`);
    if (!(err instanceof ConfigError) && !(err instanceof UsageError) && process.env.CARELOOP_DEBUG)
      console.error(err);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);

/**
 * What the benchmarks share: the machine description recorded with results, a free port, a real
 * server process to measure over HTTP, PostgreSQL reachability, a bench user's token, rounding.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { sql } from 'kysely';
import pg from 'pg';
import type { Role } from '../src/access/access-context.js';
import { createToken } from '../src/access/identity/tokens.js';
import { createUser } from '../src/access/identity/users.service.js';
import type { Runtime } from '../src/cli/runtime.js';
import { type Database, dropPostgresSchema } from '../src/platform/database.js';

/** The machine the figures were measured on. */
export function machine() {
  return {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGiB: round(totalmem() / 2 ** 30),
    freeMemoryGiB: round(freemem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/**
 * Starts `args` (a node entry point and its arguments) serving DATABASE_URL on `port`, with `env`
 * added to its environment; resolves once /health answers.
 */
export async function startServer(
  args: string[],
  databaseUrl: string,
  port: number,
  env: Record<string, string> = {},
): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // The benchmark is the only client; the production rate limit would throttle it.
      CARELOOP_RATE_LIMIT_PER_MINUTE: '0',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('the server did not start within 60 s');
}

/** Stops a server started by the benchmark and waits for it to exit (its database is then free). */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The database's name and version as the results record it ("SQLite 3.x" or PostgreSQL's version()). */
export async function databaseVersion(database: Database): Promise<string> {
  if (database.dialect === 'sqlite')
    return `SQLite ${(await sql<{ v: string }>`select sqlite_version() as v`.execute(database.db)).rows[0]!.v}`;
  return (await sql<{ v: string }>`select version() as v`.execute(database.db)).rows[0]!.v;
}

/**
 * Fresh planner statistics after a bulk load, as a DBA would run them, so the planners see the data.
 * On PostgreSQL also VACUUM, which autovacuum would do soon after a load (and then in the middle of a
 * measurement): it sets the visibility map, without which index-only scans still visit the table.
 */
export async function analyzeDatabase(database: Database): Promise<void> {
  if (database.dialect === 'postgres') await sql`vacuum analyze`.execute(database.db);
  else await sql`analyze`.execute(database.db);
}

/** A bearer token ("Bearer ...") for a new bench user of `role`, acting as `resource` when given. */
export async function benchToken(runtime: Runtime, role: Role, resource?: string): Promise<string> {
  const clock = runtime.store.options.clock;
  const { user } = await createUser(runtime.database.db, clock, {
    email: `bench-${role}-${randomBytes(4).toString('hex')}@bench.careloop.org`,
    name: `Bench ${role}`,
    role,
    resource,
    password: randomBytes(16).toString('hex'),
  });
  return `Bearer ${(await createToken(runtime.database.db, clock, { userId: user.id })).token}`;
}

/** The 1-, 5- and 15-minute load averages, rounded: recorded with figures because the machine may be shared. */
export function loadAverage(): number[] {
  return loadavg().map(round);
}

/**
 * Runs `run` for each database of a `--db` list ("sqlite,postgres"), skipping PostgreSQL with a line
 * when it does not answer at `pgUrl`; false when a run returned false.
 */
export async function forEachDatabase(
  list: string,
  pgUrl: string,
  run: (db: 'sqlite' | 'postgres') => Promise<unknown>,
): Promise<boolean> {
  let ok = true;
  for (const db of list.split(',')) {
    if (db !== 'sqlite' && db !== 'postgres') throw new Error(`--db: unknown database "${db}"`);
    if (db === 'postgres' && !(await reachable(pgUrl))) {
      console.log(`PostgreSQL not reachable at ${pgUrl}: skipping`);
      continue;
    }
    ok = (await run(db)) !== false && ok;
  }
  return ok;
}

export async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Where a benchmark's data lives: an SQLite file, or a schema of its own on the PostgreSQL server. */
export function benchDatabaseUrl(
  db: 'sqlite' | 'postgres',
  sqlitePath: string,
  pgUrl: string,
  pgSchema: string,
): string {
  return db === 'sqlite'
    ? `sqlite:${sqlitePath}`
    : `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}options=-c%20search_path%3D${pgSchema}`;
}

/** Empties the benchmark's database before a load: removes the SQLite file, or recreates the schema. */
export async function resetBenchDatabase(
  db: 'sqlite' | 'postgres',
  sqlitePath: string,
  pgUrl: string,
  pgSchema: string,
): Promise<void> {
  if (db === 'sqlite') {
    for (const suffix of ['', '-wal', '-shm']) rmSync(sqlitePath + suffix, { force: true });
    return;
  }
  await dropPostgresSchema(pgUrl, pgSchema);
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`create schema ${pgSchema}`);
  await client.end();
}

/**
 * What both benchmarks share: the machine description recorded with results, a free port, a real
 * server process to measure over HTTP, PostgreSQL reachability, rounding.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, freemem, totalmem } from 'node:os';
import pg from 'pg';
import { dropPostgresSchema } from '../src/platform/database.js';

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

/** Starts `args` (a node entry point and its arguments) serving DATABASE_URL on `port`; resolves once /health answers. */
export async function startServer(args: string[], databaseUrl: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // The benchmark is the only client; the production rate limit would throttle it.
      CARELOOP_RATE_LIMIT_PER_MINUTE: '0',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
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

/**
 * A PostgreSQL server of a test's own, for tests that stop and start the database under a running
 * CareLoop (the shared server the other suites use is never stopped): `initdb` into a temporary
 * folder, `pg_ctl` on a free port with its socket in that folder, removed afterwards. The server
 * programs come from the distribution's packages (/usr/lib/postgresql/<version>/bin); initdb and
 * the server refuse to run as root, so as root they run as the `postgres` account.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);
const ROOT = '/usr/lib/postgresql';

/** The folder holding initdb and pg_ctl of the newest installed PostgreSQL, or undefined. */
export function findPostgresBinaries(): string | undefined {
  if (!existsSync(ROOT)) return undefined;
  const versions = readdirSync(ROOT)
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(ROOT, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication, local only). */
  url: string;
  port: number;
  /** Whether the server was started and not stopped since. */
  readonly running: boolean;
  /** `pg_ctl stop -m immediate`: every backend killed at once, as in a crash or a failover. */
  stopImmediately(): Promise<void>;
  /** `pg_ctl start -w` (crash recovery first, after an immediate stop). */
  start(): Promise<void>;
  /** Stops the server if it runs and removes its folder; safe to call more than once. */
  destroy(): Promise<void>;
}

/** Runs a server program, as the `postgres` account when this process is root. */
async function runAs(ids: { uid: number; gid: number } | undefined, file: string, args: string[]) {
  if (!ids) return run(file, args);
  return run('runuser', ['-u', 'postgres', '--', file, ...args]);
}

async function postgresAccount(): Promise<{ uid: number; gid: number }> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new Error('running as root, and there is no "postgres" account to run initdb and the server as');
  }
}

/** Creates and starts a server in a new temporary folder, with the programs in `bin`. */
export async function startPrivatePostgres(bin: string): Promise<PrivatePostgres> {
  const ids = process.getuid?.() === 0 ? await postgresAccount() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'careloop-pg-'));
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const pgCtl = join(bin, 'pg_ctl');
  let running = false;
  const instance: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    get running() {
      return running;
    },
    start: async () => {
      await runAs(ids, pgCtl, [
        '-D',
        data,
        '-l',
        join(dir, 'server.log'),
        '-o',
        // Small and local: the socket in the folder (not /var/run), TCP on loopback only. fsync off:
        // an immediate stop kills the server's processes, not the machine, so what a commit wrote
        // (its WAL is still written before the commit answers) survives in the OS's cache all the
        // same; only the waits for the shared disk go.
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c shared_buffers=32MB -c max_connections=50 -c fsync=off`,
        '-w',
        '-t',
        '30',
        'start',
      ]);
      running = true;
    },
    stopImmediately: async () => {
      await runAs(ids, pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
      running = false;
    },
    destroy: async () => {
      if (running) await runAs(ids, pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await runAs(ids, join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      // The files are thrown away after the test: no need to wait for them to reach the disk.
      '--no-sync',
    ]);
    await instance.start();
  } catch (err) {
    await instance.destroy();
    throw err;
  }
  return instance;
}

/**
 * The database layer: one Kysely instance over embedded SQLite (better-sqlite3) or PostgreSQL (pg),
 * chosen by the URL. The two dialects differ in ways the rest of the code must never see; each
 * difference is handled here, once:
 * - JSON: stored as text on both, parsed by `parseJsonColumn` (pg json columns would come back as objects);
 * - int8 and count(*) come back as strings from pg: `toNumber` and the int8 type parser below;
 * - booleans: SQLite binds none, so flags are integer 0/1 columns on both;
 * - instants: ISO-8601 UTC text on both (sorts as text), plus epoch ms doubles where ranges are searched.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, type RawBuilder, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { DatabaseAvailability } from './database-availability.js';
import type { DB } from './database-schema.js';
import { startCheckpointer } from './sqlite-checkpointer.js';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<DB>;
/** Any executor: the database itself or an open transaction. */
export type Executor = Kysely<DB> | Transaction<DB>;

export interface Database {
  db: Db;
  dialect: Dialect;
  /** A description without credentials, safe for logs. */
  description: string;
  /**
   * For hot statements made outside a transaction whose best plan does not depend on the values: the
   * sign-in lookups of every request, the worklist page, an audited read's audit append. On
   * PostgreSQL, a pool that prepares each statement once per connection with a generic plan (the
   * worklist statement takes longer to plan than to run; a token lookup 0.4 ms prepared against 1.0
   * planned each time). On SQLite the same as `db`: a second connection (even on another thread)
   * loses its page cache whenever the writer commits, and every audited read commits, so it read
   * ~10× slower than this one (bench/results/NOTES.md, 2026-11-30).
   */
  prepared: Db;
  /** The raw SQLite connection (SQLite only), for prepared-statement bulk inserts in bulk-insert.ts. */
  sqlite?: SQLite.Database;
  /**
   * Whether the database answers (PostgreSQL can restart under a running server; a SQLite file is
   * always there): report connection errors to it, listen to it for the log.
   */
  availability: DatabaseAvailability;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL schema to use (created if missing); lets each test file isolate its data. */
  schema?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
  /** Connections of the PostgreSQL pool behind `prepared`; default 4. */
  preparedConnections?: number;
}

// int8 (count(*), bigint) as JS numbers: our counts and ids stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
// numeric too (sums, averages).
pg.types.setTypeParser(1700, (v) => Number.parseFloat(v));

/** Opens the database named by `url`: `sqlite:PATH`, `sqlite::memory:` or `postgres://...`. */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database> {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url, options);
  throw new Error(`unsupported DATABASE_URL: must start with sqlite: or postgres://`);
}

function openSqlite(path: string): Database {
  const memory = path === ':memory:' || path === '';
  if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new SQLite(memory ? ':memory:' : path);
  // WAL lets readers proceed while one writer commits; the busy timeout makes a second process
  // (e.g. `careloop import` beside a running server) wait for the lock instead of failing at once.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('cache_size = -65536');
  // Read pages through a memory map rather than a system call each: searches that check thousands
  // of candidates in a database larger than the page cache run several times faster.
  sqlite.pragma('mmap_size = 8589934592');
  const db = new Kysely<DB>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
  });
  const checkpointer = memory ? undefined : startCheckpointer(sqlite, resolve(path));
  return {
    db,
    prepared: db,
    dialect: 'sqlite',
    sqlite,
    availability: new DatabaseAvailability(),
    description: memory ? 'SQLite (in memory)' : `SQLite ${path}`,
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/**
 * better-sqlite3 compiles a statement on every `prepare`; Kysely prepares each query it runs. The
 * same texts come back on every request (a worklist page runs the same dozen statements), so
 * compiled statements are kept by text, the least recently used dropped past `size`. Safe because
 * Kysely runs each statement to completion (`all`/`run`) before the next on this one connection;
 * CareLoop never streams a query (Kysely's `.stream()` iterates, which would hold the statement).
 */
function withStatementCache(sqlite: SQLite.Database, size = 500) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sqlText: string) {
      const cached = cache.get(sqlText);
      if (cached) {
        // Re-insert: Map keeps insertion order, so the first key is the least recently used.
        cache.delete(sqlText);
        cache.set(sqlText, cached);
        return cached;
      }
      const statement = sqlite.prepare(sqlText);
      cache.set(sqlText, statement);
      if (cache.size > size) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}

/**
 * Settings of every PostgreSQL connection CareLoop opens (the pools here and pg-boss's): a connect
 * that gets no answer (a host gone in a failover) fails after 5 s, so a request answers 503 instead
 * of hanging; TCP keepalive lets the kernel notice a peer that vanished without closing the
 * connection; an idle connection is closed after 10 s, so a pool does not hold broken ones long.
 */
export const PG_CONNECTION_SETTINGS = {
  connectionTimeoutMillis: 5_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
  idleTimeoutMillis: 10_000,
} as const;

async function openPostgres(url: string, options: OpenOptions): Promise<Database> {
  const schema = options.schema;
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  if (schema) await withAdminClient(url, (admin) => admin.query(`create schema if not exists ${schema}`));
  const settings = {
    connectionString: url,
    ...PG_CONNECTION_SETTINGS,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  };
  const pool = new pg.Pool({ ...settings, max: options.poolSize ?? 10 });
  const preparedPool = new pg.Pool({ ...settings, max: options.preparedConnections ?? 4 });
  const availability = new DatabaseAvailability(() => pool.query('select 1'));
  surviveBrokenConnections(pool, availability);
  surviveBrokenConnections(preparedPool, availability);
  preparedPool.on('connect', (client) => {
    // Generic plans for every statement on these connections, which run only prepared statements
    // (below): planned once per connection instead of at every execution. Set here rather than in
    // the pool's `options`, which an `options` parameter in DATABASE_URL would replace; a client runs
    // its queries in order, so this runs before the first statement it is handed out for.
    client.query('set plan_cache_mode = force_generic_plan').catch(() => {});
    prepareEveryStatement(client);
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: reportingPool(pool, availability) }) });
  const prepared = new Kysely<DB>({
    dialect: new PostgresDialect({ pool: reportingPool(preparedPool, availability) }),
  });
  const host = new URL(url);
  return {
    db,
    prepared,
    dialect: 'postgres',
    availability,
    description: `PostgreSQL ${host.hostname}:${host.port || 5432}${host.pathname}${schema ? ` schema ${schema}` : ''}`,
    close: async () => {
      availability.close();
      await prepared.destroy();
      await db.destroy();
    },
  };
}

/**
 * Keeps a pool's broken connections from ending the process. pg emits 'error' on a client whose
 * connection breaks (the server restarted or failed over), and an 'error' event nobody listens to
 * is thrown. pg-pool listens only while a client is idle (and re-emits it on the pool); while Kysely
 * holds a client, nobody does. So: a listener on the pool, and one on each client for its life,
 * both telling `availability`. pg-pool then discards the broken client and the next checkout opens
 * a new connection (which tells `availability` the database is back); a new client of the prepared
 * pool starts with no prepared statements (`prepareEveryStatement` keeps its names per client), so
 * none is used on a connection that never prepared it.
 */
function surviveBrokenConnections(pool: pg.Pool, availability: DatabaseAvailability): void {
  pool.on('error', (err) => availability.report(err));
  pool.on('connect', (client) => {
    client.on('error', (err) => availability.report(err));
    // A connection was just opened: the database answers (again).
    availability.reachable();
  });
}

/** The pool as Kysely sees it, telling `availability` when a new connection cannot be opened. */
function reportingPool(pool: pg.Pool, availability: DatabaseAvailability) {
  return {
    connect: () =>
      pool.connect().catch((err: unknown) => {
        availability.report(err);
        throw err;
      }),
    end: () => pool.end(),
  };
}

/** Runs `work` on a connection of its own (schema set-up and teardown). */
async function withAdminClient(url: string, work: (admin: pg.Client) => Promise<unknown>): Promise<void> {
  const admin = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: PG_CONNECTION_SETTINGS.connectionTimeoutMillis,
  });
  // A broken connection rejects the query in progress; the 'error' event must not also end the process.
  admin.on('error', () => {});
  await admin.connect();
  try {
    await work(admin);
  } finally {
    await admin.end();
  }
}

/** Named statements one `prepared` connection keeps; past it, new texts run unnamed (planned each time). */
const PREPARED_PER_CONNECTION = 100;

/**
 * Makes `client` run each statement text Kysely sends as a named prepared statement (the name is a
 * hash of the text): pg parses it once per connection and then only binds and executes. Bounded:
 * texts beyond the first PREPARED_PER_CONNECTION run unnamed, so a stream of distinct texts cannot
 * grow the server's memory.
 */
function prepareEveryStatement(client: pg.PoolClient): void {
  // Text → statement name, kept with the text so that each request does not hash its statements again.
  const names = new Map<string, string>();
  const query = client.query.bind(client) as (config: pg.QueryConfig) => Promise<pg.QueryResult>;
  (client as { query: unknown }).query = (text: unknown, values?: unknown[]) => {
    if (typeof text !== 'string') return (query as (...args: unknown[]) => unknown)(text, values);
    let name = names.get(text);
    if (!name && names.size < PREPARED_PER_CONNECTION) {
      name = `careloop_${createHash('sha1').update(text).digest('hex')}`;
      names.set(text, name);
    }
    return query(name ? { name, text, values: values ?? [] } : { text, values: values ?? [] });
  };
}

/** Parses a JSON text column (either dialect may hand back a string or, for json columns, an object). */
export function parseJsonColumn<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/**
 * One top-level member of a JSON text column, as JSON text (null when absent), on either dialect: read
 * it with `parseJsonColumn`. Less to send and parse than the whole document.
 */
export function jsonMember(
  dialect: Dialect,
  column: RawBuilder<unknown>,
  key: string,
): RawBuilder<string | null> {
  return dialect === 'postgres'
    ? sql`(cast(${column} as json) -> ${sql.lit(key)})::text`
    : sql`(${column} -> ${sql.lit(`$.${key}`)})`;
}

/** Numbers from either driver (pg gives strings for int8/numeric unless parsed). */
export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0);
}

/** Drops a PostgreSQL schema made by `openDatabase(url, { schema })`; for test teardown. */
export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  await withAdminClient(url, (admin) => admin.query(`drop schema if exists ${schema} cascade`));
}

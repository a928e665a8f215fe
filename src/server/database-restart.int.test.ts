/**
 * A PostgreSQL restart under a running server (a failover, a maintenance window): the server as
 * `careloop serve` assembles it (buildApp on a real port, the MLLP listener, pg-boss jobs) takes a
 * light load of FHIR writes and reads and HL7 ADT messages over MLLP; the database is killed with
 * `pg_ctl stop -m immediate` and started again. The process must live through it, answer 503 with
 * Retry-After meanwhile (never 500, never AA), serve again once the database is back, and keep every
 * write it answered 2xx and every message it answered AA. The server is one this test creates
 * (test/support/private-postgres.ts), never the shared one the other suites use.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { Patient } from 'fhir/r4.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ackSegment, adtMessage, MllpClient } from '../../test/support/hl7.js';
import { bearerFor } from '../../test/support/identity.js';
import {
  findPostgresBinaries,
  type PrivatePostgres,
  startPrivatePostgres,
} from '../../test/support/private-postgres.js';
import { startJobs } from '../cli/jobs.command.js';
import { startConfiguredMllp } from '../integrations/hl7/mllp-listener.js';
import type { MllpServer } from '../integrations/hl7/mllp-server.js';
import { fixedClock } from '../platform/clock.js';
import { loadConfig } from '../platform/config.js';
import { type Database, openDatabase } from '../platform/database.js';
import { PgBossScheduler } from '../platform/jobs/pg-boss-scheduler.js';
import type { JobScheduler } from '../platform/jobs/scheduler.js';
import { migrate } from '../platform/migrate.js';
import { type App, buildApp } from './app.js';

const bin = findPostgresBinaries();
if (!bin)
  console.warn(
    `[tests] no PostgreSQL server programs (initdb, pg_ctl) under /usr/lib/postgresql: the database restart test is SKIPPED${
      process.env.CARELOOP_TEST_DATABASE_URL
        ? ' even though CARELOOP_TEST_DATABASE_URL is set: it needs a server of its own to stop, never the shared one'
        : ''
    }`,
  );

/** A Patient as Synthea writes it (test/fixtures/synthea), told apart per write by an identifier. */
const synthea = JSON.parse(
  readFileSync(
    join(
      import.meta.dirname,
      '../../test/fixtures/synthea/patients/Duncan491_McDermott739_e83782f9-e104-2619-02e8-8e6125e9ba47.json',
    ),
    'utf8',
  ),
).entry.find((e: { resource: Patient }) => e.resource.resourceType === 'Patient').resource as Patient;
const WRITE_SYSTEM = 'urn:careloop-test:restart';
/** The ADT messages' family name: must never appear in the log. */
const HL7_FAMILY = 'QUILLFEATHER';

function patientFor(n: number): Patient {
  const { id: _id, ...rest } = synthea;
  return { ...rest, identifier: [...(rest.identifier ?? []), { system: WRITE_SYSTEM, value: `w-${n}` }] };
}

/** Polls `check` until it holds or `ms` pass (then fails naming `what`). */
async function until(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms / 1000} s: ${what}`);
    await delay(50);
  }
}

/** What one request of the load got. */
interface Answer {
  kind: 'write' | 'read' | 'hl7';
  /** HTTP status, or the ACK code (MSA-1) for HL7. */
  status: number | string;
  retryAfter?: string | null;
}

/**
 * A light load, as a clinic's traffic: rounds of one FHIR write, one search and one ADT message
 * over MLLP, one after another, paced so that an outage (when every answer is immediate) does not
 * turn it into a flood.
 */
class Load {
  readonly answers: Answer[] = [];
  /** Ids of Patients whose create was answered 201. */
  readonly written: string[] = [];
  /** Control ids of messages answered AA. */
  readonly acknowledged: string[] = [];
  private stopping = false;
  private running: Promise<void> = Promise.resolve();
  private n = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly authorization: string,
    private readonly mllp: MllpClient,
  ) {}

  start(): void {
    this.running = (async () => {
      while (!this.stopping) {
        await this.round(++this.n);
        await delay(20);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  count(kind: Answer['kind'], status: number | string, from = 0): number {
    return this.answers.slice(from).filter((a) => a.kind === kind && a.status === status).length;
  }

  private async round(n: number): Promise<void> {
    const headers = { authorization: this.authorization, 'content-type': 'application/fhir+json' };
    const created = await fetch(`${this.baseUrl}/fhir/Patient`, {
      method: 'POST',
      headers,
      body: JSON.stringify(patientFor(n)),
    });
    const body = (await created.json()) as { id?: string };
    this.answers.push({
      kind: 'write',
      status: created.status,
      retryAfter: created.headers.get('retry-after'),
    });
    if (created.status === 201 && body.id) this.written.push(body.id);

    const read = await fetch(`${this.baseUrl}/fhir/Patient?identifier=${WRITE_SYSTEM}|w-${n}`, { headers });
    await read.arrayBuffer();
    this.answers.push({ kind: 'read', status: read.status, retryAfter: read.headers.get('retry-after') });

    const controlId = `RS-${n}`;
    const ack = await this.mllp.request(
      adtMessage(controlId, { mrn: `MRN-RS-${n}`, family: HL7_FAMILY, visit: `V-RS-${n}` }),
    );
    const code = ackSegment(ack, 'MSA')[1] ?? '';
    this.answers.push({ kind: 'hl7', status: code });
    if (code === 'AA') this.acknowledged.push(controlId);
  }
}

describe.skipIf(!bin)('a PostgreSQL restart under a running server', () => {
  let server: PrivatePostgres | undefined;
  let database: Database | undefined;
  let built: App | undefined;
  let mllp: MllpServer | undefined;
  let jobs: JobScheduler | undefined;
  let holding: PgBossScheduler | undefined;
  let client: MllpClient | undefined;
  let baseUrl = '';
  let authorization = '';
  let log = '';
  /** What would have ended the process: an 'error' event nobody heard, a rejection nobody caught. */
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  /** A pg-boss job that runs until released: pg-boss completes it only after the database is gone. */
  let jobStarted = false;
  let releaseJob = () => {};
  const jobReleased = new Promise<void>((resolve) => {
    releaseJob = resolve;
  });

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    server = await startPrivatePostgres(bin!);
    database = await openDatabase(server.url);
    await migrate(database);
    const clock = fixedClock('2026-11-30T12:00:00Z');
    const config = loadConfig(
      { LOG_LEVEL: 'info' },
      { databaseUrl: server.url, host: '127.0.0.1', port: 0, mllpPort: 0, rateLimitPerMinute: 0 },
    );
    const logStream = new PassThrough();
    logStream.on('data', (chunk) => {
      log += chunk.toString();
    });
    built = await buildApp(config, { database, clock, logStream });
    await built.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(built.app.server.address() as { port: number }).port}`;
    // As `careloop serve` starts them: the MLLP listener (port 0: any free one) and the jobs.
    mllp = await startConfiguredMllp(config, built.store, built.app.log);
    jobs = await startJobs(built.store, config, built.app.log);
    holding = new PgBossScheduler({
      database,
      clock,
      databaseUrl: server.url,
      pgBossSchema: 'careloop_jobs_holding',
    });
    holding.every('hold', 60 * 60 * 1000, async () => {
      jobStarted = true;
      await jobReleased;
    });
    await holding.start();
    client = await MllpClient.connect(mllp!.port);
    ({ authorization } = await bearerFor(database, { role: 'integration', clock }));
  }, 60_000);

  afterAll(async () => {
    releaseJob();
    client?.close();
    try {
      // Whatever happened above: the database up again for a clean stop, then everything down.
      if (server && !server.running) await server.start().catch(() => {});
      for (const stop of [
        () => mllp?.close(),
        () => holding?.stop(),
        () => jobs?.stop(),
        () => built?.app.close(),
        () => database?.close(),
      ])
        await Promise.resolve()
          .then(stop)
          .catch(() => {});
    } finally {
      await server?.destroy();
    }
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  }, 60_000);

  it('answers 503 with Retry-After while the database is down, serves again once it is back, and loses nothing it acknowledged', async () => {
    const load = new Load(baseUrl, authorization, client!);
    load.start();
    await until(
      'writes, reads and HL7 messages succeed before the restart',
      () => load.count('write', 201) >= 3 && load.count('read', 200) >= 3 && load.count('hl7', 'AA') >= 3,
      20_000,
    );
    await holding!.enqueue('hold');
    await until('the held pg-boss job runs', () => jobStarted, 20_000);

    await server!.stopImmediately();
    const down = load.answers.length;
    // The held job returns now: pg-boss marks it complete against a database that is gone.
    releaseJob();

    await until(
      '/health says the database is down',
      async () => (await fetch(`${baseUrl}/health`)).status === 503,
      15_000,
    );
    const health = await fetch(`${baseUrl}/health`);
    expect(health.status).toBe(503);
    expect(health.headers.get('retry-after')).toBe('5');
    expect(await health.json()).toMatchObject({ status: 'unavailable', database: 'postgres' });

    const fhir = await fetch(`${baseUrl}/fhir/Patient?_count=5`, { headers: { authorization } });
    expect(fhir.status).toBe(503);
    expect(fhir.headers.get('retry-after')).toBe('5');
    // Not a verdict on the token: a client must not throw its credentials away for an outage.
    expect(fhir.headers.get('www-authenticate')).toBeNull();
    const outcome = await fhir.text();
    expect(JSON.parse(outcome)).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'transient' }],
    });
    expect(outcome).not.toMatch(/ at |stack|ECONNREFUSED|terminat/i);

    const api = await fetch(`${baseUrl}/api/hl7/messages`, { headers: { authorization } });
    expect(api.status).toBe(503);
    expect(api.headers.get('retry-after')).toBe('5');
    expect(await api.json()).toMatchObject({ error: { code: 'service_unavailable' } });

    // HL7 over HTTP during the outage: never AA, so the sender keeps the message and resends it.
    const overHttp = await fetch(`${baseUrl}/hl7/v2`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'x-application/hl7-v2+er7' },
      body: adtMessage('RS-HTTP-DOWN', { family: HL7_FAMILY }),
    });
    const httpAck = await overHttp.text();
    expect(overHttp.status === 503 || ackSegment(httpAck, 'MSA')[1] === 'AE').toBe(true);
    expect(ackSegment(httpAck, 'MSA')[1]).not.toBe('AA');

    await until(
      'the load meets the outage: writes, reads and MLLP messages refused',
      () =>
        load.count('write', 503, down) >= 2 &&
        load.count('read', 503, down) >= 2 &&
        load.count('hl7', 'AE', down) >= 2,
      15_000,
    );

    await server!.start();
    const up = load.answers.length;
    await until(
      'writes, reads and HL7 messages succeed again after the restart',
      () =>
        load.count('write', 201, up) >= 2 &&
        load.count('read', 200, up) >= 2 &&
        load.count('hl7', 'AA', up) >= 2,
      30_000,
    );
    expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
    await load.stop();

    // Every answer was a success or a 503 / AE to retry: no 500, no AR (which would tell a sender to give up).
    const unexpected = load.answers.filter(
      (a) => ![200, 201, 503, 'AA', 'AE'].includes(a.status) || (a.status === 503 && a.retryAfter !== '5'),
    );
    expect(unexpected).toEqual([]);

    // Acknowledged means kept: every 201 and every AA is in the database after crash recovery.
    const db = database!.db;
    const stored = await db
      .selectFrom('resources')
      .select('id')
      .where('resource_type', '=', 'Patient')
      .where('id', 'in', load.written)
      .execute();
    expect(stored.map((r) => r.id).sort()).toEqual([...load.written].sort());
    const processed = await db
      .selectFrom('hl7_messages')
      .select('control_id')
      .where('status', '=', 'processed')
      .where('control_id', 'in', load.acknowledged)
      .execute();
    expect(processed.map((r) => r.control_id).sort()).toEqual([...load.acknowledged].sort());

    // pg-boss polls on through the outage: a job sent now is taken and done.
    const sent = await (jobs as PgBossScheduler).enqueue('tasks-escalate-overdue');
    await until(
      'pg-boss completes a job sent after the restart',
      async () =>
        (await sql<{ state: string }>`select state from careloop_jobs.job where id = ${sent}`.execute(db))
          .rows[0]?.state === 'completed',
      30_000,
    );

    // Nothing reached the process's last resort, and the log tells the story once, without patient data.
    expect(uncaught.map((e) => `${(e as Error).name}: ${(e as Error).message}`)).toEqual([]);
    expect(log).toMatch(/database connection lost/);
    await until('the log says the database is back', () => /database connection regained/.test(log), 10_000);
    expect(log).not.toMatch(/unhandled error/);
    for (const secret of [HL7_FAMILY, 'McDermott739', 'Duncan491', 'MRN-RS-'])
      expect(log).not.toContain(secret);
  }, 120_000);
});

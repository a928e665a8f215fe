/**
 * `npm run bench:worklist`: the worklist at scale. Loads a synthetic population straight into the
 * tables the worklist reads — resources (Patients, Practitioners, CareTeams, RiskAssessments, Tasks
 * as minimal valid FHIR JSON), the care-team access relationships and team members, and the worklist projection, each
 * row derived by the same functions the write path uses (`deriveRelationships`, `teamMemberRows`, `worklistRow`) — then
 * starts the real app on a port (bench/worklist-server.ts: `careloop serve` without its recurring
 * jobs) and measures GET /api/worklist per view over HTTP as care
 * coordinators with realistic caseloads. Writes bench/results/<date>-worklist-<db>-<patients>.json.
 *
 *   npm run bench:worklist -- [--patients 100000] [--tasks 1000000] [--db sqlite,postgres]
 *                             [--caseload 200] [--requests 400] [--rate 50] [--clients 16] [--search-only]
 *
 * Each view is measured at four loads, 400 requests each: one client (what one coordinator waits),
 * a fixed rate of --rate requests/s sent whatever the answers (open loop: a request's time counts
 * from when it was due, so queueing shows), two clients back to back (the wait when two coordinators
 * ask at once), and --clients clients back to back (closed loop at higher concurrency: the requests/s
 * the server answers, which issue 4 wants ≥ 1,000 at p95 < 20 ms, and the wait then).
 *
 * Why not through store.write: the batched write path indexes every search parameter and keeps the
 * history (about 1–2 k resources/s here, bench/results/NOTES.md), so 1.1 M resources would take
 * 10–20 minutes per database before the first measurement; what is measured here is the read path.
 * Search index rows and history are therefore not written (the worklist reads neither).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CareTeam, Patient, Practitioner, Resource, RiskAssessment, Task } from 'fhir/r4.js';
import { sql } from 'kysely';
import {
  deriveRelationships,
  relationshipColumns,
  teamMemberColumns,
  teamMemberRows,
} from '../src/access/policy/relationships.js';
import { openRuntime, type Runtime } from '../src/cli/runtime.js';
import {
  CONTACT_TIME_EXTENSION,
  patientFacts,
  worklistColumns,
  worklistRow,
} from '../src/modules/worklists/worklist-projection.js';
import { bulkInsert } from '../src/platform/bulk-insert.js';
import type { TeamMemberTable, WorklistItemTable } from '../src/platform/database-schema.js';
import {
  analyzeDatabase,
  benchDatabaseUrl,
  benchToken,
  databaseVersion,
  forEachDatabase,
  freePort,
  machine,
  resetBenchDatabase,
  round,
  startServer,
} from './bench-support.js';
import { rng } from './random.js';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '100000' },
    tasks: { type: 'string', default: '1000000' },
    db: { type: 'string', default: 'sqlite,postgres' },
    caseload: { type: 'string', default: '200' },
    requests: { type: 'string', default: '400' },
    rate: { type: 'string', default: '50' },
    clients: { type: 'string', default: '16' },
    'search-only': { type: 'boolean', default: false },
  },
});
const patients = Number(values.patients);
const tasks = Number(values.tasks);
const caseloadSize = Number(values.caseload);
const requestsPerView = Number(values.requests);
const rate = Number(values.rate);
const clients = Number(values.clients);
const root = join(import.meta.dirname, '.data');
const pgUrl = process.env.CARELOOP_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pgSchema = `worklist_${patients}_${tasks}`;
const DAY = 86_400_000;

const coordinators = Math.max(1, Math.ceil(patients / caseloadSize));
const nurses = Math.max(1, Math.ceil(patients / 400));
const physicians = Math.max(1, Math.ceil(patients / 800));
const coordinatorOf = (p: number) => `coord-${p % coordinators}`;
const nurseOf = (p: number) => `nurse-${(p * 7) % nurses}`;
const physicianOf = (p: number) => `doc-${(p * 13) % physicians}`;

const resourceColumns = {
  resource_type: 'text',
  id: 'text',
  rid: 'int8',
  version_id: 'integer',
  last_updated: 'text',
  last_updated_ms: 'float8',
  deleted: 'integer',
  content: 'text',
  patient_id: 'text',
  sensitivity: 'text',
} as const;
const priorities: Task['priority'][] = ['routine', 'routine', 'routine', 'urgent', 'urgent', 'asap', 'stat'];
const openStatuses: Task['status'][] = ['requested', 'ready', 'accepted', 'in-progress'];
const titles = [
  'Follow-up call after discharge',
  'Medication reconciliation',
  'Schedule PCP visit',
  'Review PHQ-9 result',
  'Confirm transportation',
  'Diabetes education',
];

async function load(runtime: Runtime): Promise<Record<string, unknown>> {
  const { database } = runtime;
  const now = Date.now();
  const stamp = new Date(now).toISOString();
  let rid = 0;
  let resourceRows: Record<string, unknown>[] = [];
  let relationshipRows: Record<string, unknown>[] = [];
  let memberRows: TeamMemberTable[] = [];
  let worklistRows: WorklistItemTable[] = [];
  const flush = async (force = false) => {
    if (!force && resourceRows.length < 5000) return;
    await database.db.transaction().execute(async (trx) => {
      await bulkInsert(database, trx, 'resources', resourceColumns, resourceRows);
      await bulkInsert(database, trx, 'access_relationships', relationshipColumns, relationshipRows);
      await bulkInsert(database, trx, 'team_members', teamMemberColumns, memberRows);
      await bulkInsert(database, trx, 'worklist_items', worklistColumns, worklistRows);
    });
    resourceRows = [];
    relationshipRows = [];
    memberRows = [];
    worklistRows = [];
  };
  const put = (resource: Resource, patientId: string | null): number => {
    rid++;
    const content = JSON.stringify({ ...resource, meta: { versionId: '1', lastUpdated: stamp } });
    resourceRows.push({
      resource_type: resource.resourceType,
      id: resource.id,
      rid,
      version_id: 1,
      last_updated: stamp,
      last_updated_ms: now,
      deleted: 0,
      content,
      patient_id: patientId,
      sensitivity: null,
    });
    return rid;
  };
  const started = performance.now();
  const staff: [string, number][] = [
    ['coord', coordinators],
    ['nurse', nurses],
    ['doc', physicians],
  ];
  for (const [prefix, n] of staff)
    for (let i = 0; i < n; i++) {
      const practitioner: Practitioner = {
        resourceType: 'Practitioner',
        id: `${prefix}-${i}`,
        name: [
          {
            family: `${prefix === 'coord' ? 'Coordinator' : prefix === 'nurse' ? 'Nurse' : 'Doctor'} ${i}`,
            given: ['Sam'],
          },
        ],
      };
      put(practitioner, null);
    }
  await flush(true);
  const random = rng(7);
  const facts = new Map<number, ReturnType<typeof patientFacts>>();
  const assessments = new Map<number, RiskAssessment>();
  const languages = [
    ['en', 'English'],
    ['es', 'Spanish'],
    ['vi', 'Vietnamese'],
  ] as const;
  for (let p = 0; p < patients; p++) {
    const id = `pat-${p}`;
    const lang = random() < 0.8 ? languages[0] : random() < 0.8 ? languages[1] : languages[2];
    const patient: Patient = {
      resourceType: 'Patient',
      id,
      name: [{ family: `Family${p}`, given: ['Alex'] }],
      gender: p % 2 ? 'female' : 'male',
      birthDate: `${1930 + (p % 70)}-0${1 + (p % 9)}-1${p % 9}`,
      communication: [
        {
          language: { coding: [{ system: 'urn:ietf:bcp:47', code: lang[0], display: lang[1] }] },
          preferred: true,
        },
      ],
      ...(p % 5 === 0
        ? {
            extension: [
              {
                url: CONTACT_TIME_EXTENSION,
                extension: [
                  { url: 'start', valueTime: '09:00:00' },
                  { url: 'end', valueTime: '12:00:00' },
                ],
              },
            ],
          }
        : {}),
    };
    put(patient, id);
    facts.set(p, patientFacts(patient));
    const team: CareTeam = {
      resourceType: 'CareTeam',
      id: `team-${p}`,
      status: 'active',
      subject: { reference: `Patient/${id}` },
      participant: [
        {
          extension: [
            { url: 'https://careloop.org/fhir/StructureDefinition/care-team-lead', valueBoolean: true },
          ],
          role: [
            { coding: [{ system: 'http://snomed.info/sct', code: '768832004', display: 'Case manager' }] },
          ],
          member: { reference: `Practitioner/${coordinatorOf(p)}` },
        },
        {
          role: [
            {
              coding: [{ system: 'http://snomed.info/sct', code: '224535009', display: 'Registered nurse' }],
            },
          ],
          member: { reference: `Practitioner/${nurseOf(p)}` },
        },
        {
          role: [
            {
              coding: [
                { system: 'http://snomed.info/sct', code: '446050000', display: 'Primary care physician' },
              ],
            },
          ],
          member: { reference: `Practitioner/${physicianOf(p)}` },
        },
      ],
    };
    const teamRid = put(team, id);
    memberRows.push(...teamMemberRows(team, teamRid));
    for (const r of deriveRelationships(team, id).relationships)
      relationshipRows.push({
        ...r,
        source_rid: teamRid,
        source_ref: `CareTeam/${team.id}`,
        created_at: stamp,
        created_by: null,
        reason: null,
      });
    if (p % 3 === 0) {
      const tier = ['low', 'moderate', 'high'][p % 3 === 0 ? (p / 3) % 3 : 0]!;
      const assessment: RiskAssessment = {
        resourceType: 'RiskAssessment',
        id: `risk-${p}`,
        status: 'final',
        subject: { reference: `Patient/${id}` },
        occurrenceDateTime: stamp,
        prediction: [
          {
            qualitativeRisk: {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/risk-probability', code: tier }],
            },
          },
        ],
      };
      put(assessment, id);
      assessments.set(p, assessment);
    }
    await flush();
  }
  await flush(true);
  console.log(
    `[${database.dialect}] ${patients} patients with care teams in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  let open = 0;
  for (let n = 0; n < tasks; n++) {
    const p = Math.floor(random() * patients);
    const patientId = `pat-${p}`;
    const isOpen = random() < 0.6;
    const status = isOpen
      ? openStatuses[n % openStatuses.length]!
      : random() < 0.8
        ? 'completed'
        : 'cancelled';
    const who = random();
    const owner =
      who < 0.5
        ? { reference: `Practitioner/${coordinatorOf(p)}` }
        : who < 0.7
          ? { reference: `Practitioner/${nurseOf(p)}` }
          : who < 0.8
            ? { reference: `Practitioner/${physicianOf(p)}` }
            : who < 0.9
              ? { reference: `CareTeam/team-${p}` }
              : undefined;
    const due = now + Math.round((random() * 60 - 30) * DAY);
    const task: Task = {
      resourceType: 'Task',
      id: `task-${n}`,
      status,
      intent: 'order',
      priority: priorities[n % priorities.length],
      code: { text: titles[n % titles.length] },
      for: { reference: `Patient/${patientId}` },
      authoredOn: new Date(due - 7 * DAY).toISOString(),
      ...(owner ? { owner } : {}),
      ...(!owner
        ? {
            performerType: [
              { coding: [{ system: 'http://snomed.info/sct', code: '224535009' }], text: 'nurse' },
            ],
          }
        : {}),
      ...(n % titles.length === 0 ? { reasonCode: { text: 'Hospital discharge' } } : {}),
      restriction: { period: { end: new Date(due).toISOString() } },
    };
    const taskRid = put(task, patientId);
    const assessment = assessments.get(p);
    const row = worklistRow(taskRid, task, patientId, {
      ...(facts.has(p) ? { patient: { facts: facts.get(p)!, sensitivity: null } } : {}),
      assessments: assessment ? [{ resource: assessment, sensitivity: null }] : [],
    });
    if (row) {
      worklistRows.push(row);
      open++;
    }
    await flush();
    if (n % 200_000 === 199_999)
      console.log(
        `[${database.dialect}] ${n + 1} tasks, ${Math.round((n + 1) / ((performance.now() - started) / 1000))} rows/s`,
      );
  }
  await flush(true);
  if (database.dialect === 'postgres')
    await sql`select setval('resources_rid_seq', ${rid})`.execute(database.db);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `[${database.dialect}] loaded ${rid} resources (${open} open tasks) in ${seconds.toFixed(1)} s; analyzing`,
  );
  await analyzeDatabase(database);
  return { resources: rid, openTasks: open, seconds: Math.round(seconds), method: 'bulkInsert (see header)' };
}

/** Latency of one load level, in ms. */
interface Latency {
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  requestsPerSecond: number;
  /** The server's own time (its `server-timing`: arrival to answer ready), without the client's part or queueing in the client. */
  server: { p50: number; p95: number };
}

interface ViewStats {
  view: string;
  /** One client, each request sent when the previous one answered: what one coordinator waits. */
  oneClient: Latency;
  /**
   * Requests sent at a fixed rate whatever the answers (open loop), each timed from when it was due
   * to be sent, so time spent queued behind earlier requests counts.
   */
  fixedRate: Latency & { rate: number };
  /** Two clients sending back to back (closed loop): the most the server answers, and the wait then. */
  twoClients: Latency;
  /**
   * --clients clients back to back (closed loop at higher concurrency): the throughput the issue's
   * target asks for (≥ 1,000 requests/s with p95 < 20 ms), and the wait at it.
   */
  manyClients: Latency & { clients: number };
  meanItems: number;
  meanCount: number;
  /** 1-minute load average before and after the view was measured (the machine may be shared). */
  loadAverage: [number, number];
}

function percentile(sorted: number[], p: number): number {
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
}

function latency(latencies: number[], seconds: number, serverTimes: number[]): Latency {
  latencies.sort((a, b) => a - b);
  serverTimes.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: round(latencies.at(-1)!),
    requestsPerSecond: Math.round(latencies.length / seconds),
    server: { p50: percentile(serverTimes, 50), p95: percentile(serverTimes, 95) },
  };
}

/**
 * GETs `path` over a kept-alive connection with node:http (a lighter client than fetch: the load
 * generator shares the server's cores); resolves with the status, the parsed body and the server's
 * own time from its `server-timing` header.
 */
function get(
  agent: Agent,
  port: number,
  path: string,
  authorization: string,
): Promise<{ status: number; body: Record<string, unknown>; serverMs: number }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent, headers: { authorization } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const timing = /app;dur=([\d.]+)/.exec(String(res.headers['server-timing'] ?? ''));
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          serverMs: timing ? Number(timing[1]) : Number.NaN,
        });
      });
    })
      .on('error', reject)
      .end();
  });
}

async function measure(port: number, view: string, tokens: string[]): Promise<ViewStats> {
  let items = 0;
  let counted = 0;
  let answered = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(8, clients) });
  let serverTimes: number[] = [];
  const fetchOne = async (i: number) => {
    const { status, body, serverMs } = await get(
      agent,
      port,
      `/api/worklist?view=${view}&limit=50`,
      tokens[i % tokens.length]!,
    );
    if (status !== 200) throw new Error(`${view}: HTTP ${status} ${JSON.stringify(body).slice(0, 300)}`);
    const page = body as { items?: unknown[]; counts?: Record<string, number> };
    items += page.items?.length ?? 0;
    counted += page.counts?.[view] ?? 0;
    serverTimes.push(serverMs);
    answered++;
  };
  /** `clients` clients sending back to back. */
  const closedLoop = async (clients: number): Promise<Latency> => {
    const latencies: number[] = [];
    const started = performance.now();
    let next = 0;
    const client = async () => {
      while (next < requestsPerView) {
        const i = next++;
        const t = performance.now();
        await fetchOne(i);
        latencies.push(performance.now() - t);
      }
    };
    serverTimes = [];
    await Promise.all(Array.from({ length: clients }, client));
    return latency(latencies, (performance.now() - started) / 1000, serverTimes);
  };
  const openLoop = async (): Promise<Latency & { rate: number }> => {
    const latencies: number[] = [];
    const started = performance.now();
    const sent: Promise<void>[] = [];
    serverTimes = [];
    for (let i = 0; i < requestsPerView; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sent.push(fetchOne(i).then(() => void latencies.push(performance.now() - due)));
    }
    await Promise.all(sent);
    return { rate, ...latency(latencies, (performance.now() - started) / 1000, serverTimes) };
  };
  for (let i = 0; i < 10; i++) await fetchOne(i);
  items = 0;
  counted = 0;
  answered = 0;
  const loadBefore = round(loadavg()[0]!);
  const oneClient = await closedLoop(1);
  const fixedRate = await openLoop();
  const twoClients = await closedLoop(2);
  const manyClients = { clients, ...(await closedLoop(clients)) };
  agent.destroy();
  return {
    view,
    oneClient,
    fixedRate,
    twoClients,
    manyClients,
    meanItems: round(items / answered),
    meanCount: round(counted / answered),
    loadAverage: [loadBefore, round(loadavg()[0]!)],
  };
}

async function runFor(db: 'sqlite' | 'postgres'): Promise<void> {
  const sqlitePath = join(root, `worklist-${patients}-${tasks}.db`);
  const databaseUrl = benchDatabaseUrl(db, sqlitePath, pgUrl, pgSchema);
  let loaded: Record<string, unknown> | string = 'skipped (--search-only)';
  if (!values['search-only']) {
    await resetBenchDatabase(db, sqlitePath, pgUrl, pgSchema);
    const runtime = await openRuntime({ databaseUrl });
    loaded = await load(runtime);
    await runtime.database.close();
  }
  const runtime = await openRuntime({ databaseUrl });
  // Twenty coordinators (each with a caseload of about --caseload patients), a token each.
  const tokens: string[] = [];
  for (let i = 0; i < Math.min(20, coordinators); i++)
    tokens.push(
      await benchToken(
        runtime,
        'care-coordinator',
        `Practitioner/coord-${Math.floor((i * coordinators) / 20)}`,
      ),
    );
  const version = await databaseVersion(runtime.database);
  const counts = await sql<{ n: number }>`select count(*) as n from worklist_items`.execute(
    runtime.database.db,
  );
  await runtime.database.close();
  const port = await freePort();
  const server = await startServer(
    ['--import', 'tsx', join(import.meta.dirname, 'worklist-server.ts')],
    databaseUrl,
    port,
  );
  try {
    const results: ViewStats[] = [];
    for (const view of ['mine', 'team', 'overdue', 'today', 'claimable', 'week'])
      results.push(await measure(port, view, tokens));
    const report = {
      date: new Date().toISOString(),
      command: `npm run bench:worklist -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine: machine(),
      database: { dialect: db, version },
      population: {
        patients,
        tasks,
        openTasks: Number(counts.rows[0]!.n),
        coordinators,
        caseload: caseloadSize,
      },
      load: loaded,
      worklist: { requestsPerView, rate, clients, users: tokens.length, limit: 50, views: results },
      target: {
        p95Ms: 20,
        at: 'one client and the fixed rate',
        throughput: { requestsPerSecond: 1000, p95Ms: 20, at: `${clients} clients back to back` },
      },
    };
    const outDir = join(import.meta.dirname, 'results');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `${report.date.slice(0, 10)}-worklist-${db}-${patients}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    const show = (l: Latency) =>
      `${l.p50} / ${l.p95} / ${l.p99} [${l.server.p50} / ${l.server.p95}]`.padEnd(32);
    console.log(
      `[${db}] GET /api/worklist, p50 / p95 / p99 ms [the server's own p50 / p95]: one client | ${rate} req/s | two clients back to back (req/s) | ${clients} clients back to back (req/s)`,
    );
    for (const r of results)
      console.log(
        `  ${r.view.padEnd(10)} ${show(r.oneClient)}| ${show(r.fixedRate)}| ${show(r.twoClients)} (${r.twoClients.requestsPerSecond} req/s) | ${show(r.manyClients)} (${r.manyClients.requestsPerSecond} req/s)  ${r.meanItems} items, ${r.meanCount} in view; load ${r.loadAverage.join(' → ')}`,
      );
    console.log(`[${db}] wrote ${file}`);
  } finally {
    server.kill('SIGTERM');
  }
}

mkdirSync(root, { recursive: true });
await forEachDatabase(values.db!, pgUrl, runFor);

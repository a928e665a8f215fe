/**
 * The closed-loop HTTP load generator of `npm run bench:load`: N connections, each sending its next
 * request as soon as the previous one is answered, for a fixed time or a fixed number of requests,
 * after a warm-up whose answers are not counted. The client is node:http with kept-alive connections
 * (lighter than fetch, as the worklist benchmark found). It runs in processes of its own
 * (bench/load-client.ts), never in the server's, so the two don't share an event loop; each process
 * also reports the CPU it used, so a generator that saturates its core shows in the results.
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { type RequestSpec, type WorkloadData, type WorkloadName, workloads } from './load-workloads.js';
import { rng } from './random.js';

/** What one load run does. */
export interface LoadOptions {
  port: number;
  workload: WorkloadName;
  data: WorkloadData;
  /** The Authorization header of every request (CareLoop's integration token). */
  authorization?: string;
  connections: number;
  /** Measure for this long... */
  durationSeconds?: number;
  /** ...or until this many requests are answered. */
  requests?: number;
  /** Requests sent (by all connections) for this long before the measurement, not counted. */
  warmupSeconds: number;
  seed: number;
}

/** What one generator process measured. Latencies are kept as a histogram so processes can be merged. */
export interface LoadPart {
  requests: number;
  seconds: number;
  /** Answers per HTTP status ("200", "404") or network error code ("ECONNRESET"). */
  statusCounts: Record<string, number>;
  errors: number;
  /** The first few non-2xx answers (status and the start of the body) and network errors. */
  errorSamples: string[];
  /** [latency bucket in ms, count]: 0.01 ms wide below 10 ms, 0.1 ms below 100 ms, 1 ms above. */
  histogram: [number, number][];
  sumMs: number;
  maxMs: number;
  /** CPU time the generator process used while measuring (user + system). */
  cpuMs: number;
}

/** The figures of one workload, all generator processes together. */
export interface LoadFigures {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  statusCounts: Record<string, number>;
  /** Non-2xx answers and network errors. */
  errors: number;
  errorSamples: string[];
  /** CPU the generator used, in % of one core per process (near 100 means the generator, not the server, limited the rate). */
  generatorCpuPercent: number[];
}

const SAMPLES = 5;
// A server that died would otherwise be hammered with refused connections for the whole duration.
const MAX_CONSECUTIVE_NETWORK_ERRORS = 200;

function bucket(ms: number): number {
  if (ms < 10) return Math.round(ms * 100) / 100;
  if (ms < 100) return Math.round(ms * 10) / 10;
  return Math.round(ms);
}

function send(
  agent: Agent,
  port: number,
  spec: RequestSpec,
  authorization: string | undefined,
): Promise<{ status: number; body?: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { accept: 'application/fhir+json' };
    if (authorization) headers.authorization = authorization;
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/fhir+json';
      headers['content-length'] = Buffer.byteLength(spec.body);
    }
    const req = request(
      { host: '127.0.0.1', port, method: spec.method, path: spec.path, agent, headers },
      (res) => {
        const status = res.statusCode ?? 0;
        const failed = status < 200 || status >= 300;
        const chunks: Buffer[] = [];
        // Only a failed answer's body is kept (for the report); a good one is read and dropped.
        res.on('data', (chunk: Buffer) => {
          if (failed) chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status,
            body: failed ? Buffer.concat(chunks).toString('utf8').slice(0, 300) : undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(spec.body);
  });
}

/** Runs one closed-loop load in this process: warm-up, then the measurement. */
export async function runLoad(options: LoadOptions): Promise<LoadPart> {
  const workload = workloads[options.workload];
  const random = rng(options.seed);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const part: LoadPart = {
    requests: 0,
    seconds: 0,
    statusCounts: {},
    errors: 0,
    errorSamples: [],
    histogram: [],
    sumMs: 0,
    maxMs: 0,
    cpuMs: 0,
  };
  const histogram = new Map<number, number>();
  let consecutiveNetworkErrors = 0;
  let counting = false;
  let stop: () => boolean = () => true;

  const one = async () => {
    const spec = workload.next(options.data, random);
    const started = performance.now();
    let status: string;
    let sample: string | undefined;
    try {
      const answer = await send(agent, options.port, spec, options.authorization);
      consecutiveNetworkErrors = 0;
      status = String(answer.status);
      if (answer.body !== undefined) sample = `${spec.method} ${spec.path}: ${status} ${answer.body}`;
    } catch (err) {
      if (++consecutiveNetworkErrors > MAX_CONSECUTIVE_NETWORK_ERRORS)
        throw new Error(
          `${MAX_CONSECUTIVE_NETWORK_ERRORS} network errors in a row: ${(err as Error).message}`,
        );
      status = (err as NodeJS.ErrnoException).code ?? 'network error';
      sample = `${spec.method} ${spec.path}: ${(err as Error).message}`;
    }
    if (!counting) return;
    const ms = performance.now() - started;
    part.requests++;
    part.sumMs += ms;
    part.maxMs = Math.max(part.maxMs, ms);
    const b = bucket(ms);
    histogram.set(b, (histogram.get(b) ?? 0) + 1);
    part.statusCounts[status] = (part.statusCounts[status] ?? 0) + 1;
    if (sample !== undefined) {
      part.errors++;
      if (part.errorSamples.length < SAMPLES) part.errorSamples.push(sample);
    }
  };
  const phase = async () => {
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        while (!stop()) await one();
      }),
    );
  };

  if (options.warmupSeconds > 0) {
    const until = performance.now() + options.warmupSeconds * 1000;
    stop = () => performance.now() >= until;
    await phase();
  }
  counting = true;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  if (options.requests !== undefined) {
    let issued = 0;
    const quota = options.requests;
    stop = () => issued++ >= quota;
  } else {
    const until = started + (options.durationSeconds ?? 10) * 1000;
    stop = () => performance.now() >= until;
  }
  await phase();
  part.seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  part.cpuMs = (cpu.user + cpu.system) / 1000;
  part.histogram = [...histogram.entries()];
  agent.destroy();
  return part;
}

function percentile(sorted: [number, number][], total: number, p: number): number {
  // The same convention as the other benchmarks: the value at index floor(p % of n) of the sorted list.
  const index = Math.min(total - 1, Math.floor((p / 100) * total));
  let seen = 0;
  for (const [ms, count] of sorted) {
    seen += count;
    if (seen > index) return ms;
  }
  return sorted.at(-1)?.[0] ?? 0;
}

/** Adds up the parts measured by the generator processes of one run. */
export function mergeParts(parts: LoadPart[]): LoadFigures {
  const histogram = new Map<number, number>();
  const statusCounts: Record<string, number> = {};
  for (const part of parts) {
    for (const [ms, count] of part.histogram) histogram.set(ms, (histogram.get(ms) ?? 0) + count);
    for (const [status, count] of Object.entries(part.statusCounts))
      statusCounts[status] = (statusCounts[status] ?? 0) + count;
  }
  const sorted = [...histogram.entries()].sort((a, b) => a[0] - b[0]);
  const requests = parts.reduce((n, p) => n + p.requests, 0);
  // The processes ran side by side: the run lasted as long as the slowest one.
  const seconds = Math.max(...parts.map((p) => p.seconds));
  const r = (n: number) => Math.round(n * 100) / 100;
  return {
    requests,
    seconds: r(seconds),
    requestsPerSecond: Math.round(requests / seconds),
    latencyMs: {
      p50: percentile(sorted, requests, 50),
      p95: percentile(sorted, requests, 95),
      p99: percentile(sorted, requests, 99),
      max: r(Math.max(...parts.map((p) => p.maxMs))),
      mean: r(parts.reduce((n, p) => n + p.sumMs, 0) / Math.max(1, requests)),
    },
    statusCounts,
    errors: parts.reduce((n, p) => n + p.errors, 0),
    errorSamples: parts.flatMap((p) => p.errorSamples).slice(0, SAMPLES),
    generatorCpuPercent: parts.map((p) => Math.round((p.cpuMs / 10 / p.seconds) * 10) / 10),
  };
}

/** Load generator processes, started once and reused for every workload of a run. */
export interface Generators {
  /** Runs `options` with connections and requests shared out between the processes, all starting together. */
  run(options: LoadOptions): Promise<LoadFigures>;
  close(): void;
}

/** Starts `processes` load generator processes (bench/load-client.ts); resolves once all are loaded. */
export async function startGenerators(processes: number): Promise<Generators> {
  const children = Array.from({ length: Math.max(1, processes) }, () =>
    fork(join(import.meta.dirname, 'load-client.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const next = (child: (typeof children)[number], type: 'ready' | 'done') =>
    new Promise<LoadPart | undefined>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`a load generator process exited with code ${code}`));
      const onMessage = (m: { type: string; part?: LoadPart; error?: string }) => {
        if (m.type !== type && m.type !== 'error') return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (m.type === 'error') reject(new Error(`load generator: ${m.error}`));
        else resolve(m.part);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const close = () => {
    for (const child of children) if (child.exitCode === null) child.kill();
  };
  try {
    await Promise.all(children.map((child) => next(child, 'ready')));
  } catch (err) {
    close();
    throw err;
  }
  return {
    close,
    async run(options) {
      // Fewer connections than processes: the extra processes sit this one out.
      const used = children.slice(0, Math.min(children.length, options.connections));
      const n = used.length;
      const share = (total: number, i: number) => Math.floor(total / n) + (i < total % n ? 1 : 0);
      const parts = used.map((child) => next(child, 'done'));
      used.forEach((child, i) => {
        child.send({
          type: 'run',
          options: {
            ...options,
            connections: share(options.connections, i),
            requests: options.requests === undefined ? undefined : share(options.requests, i),
            seed: options.seed + i,
          } satisfies LoadOptions,
        });
      });
      return mergeParts((await Promise.all(parts)) as LoadPart[]);
    },
  };
}

/**
 * Loads FHIR data from files: Bundle JSON files, NDJSON (one Bundle or one resource per line), or
 * folders of them. Each bundle is its own transaction, so a bad bundle leaves nothing behind and the
 * others still load. Re-running the same files changes nothing: entries created with a `urn:uuid:`
 * full URL keep that UUID as their id (a PUT), and a PUT of unchanged content makes no new version.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Bundle, BundleEntry, Resource } from 'fhir/r4.js';
import { FhirError } from '../outcome.js';
import { processBundle } from '../store/bundle.js';
import type { ResourceStore } from '../store/store.js';

export interface ImportFailure {
  file: string;
  /** Line number for NDJSON, entry index inside a batch bundle. */
  where?: string;
  reason: string;
}

export interface ImportProgress {
  files: number;
  filesDone: number;
  bytes: number;
  bytesDone: number;
  resources: number;
}

export interface ImportSummary {
  files: number;
  bundles: number;
  resources: number;
  resourcesByType: Record<string, number>;
  failures: ImportFailure[];
  seconds: number;
}

export interface ImportOptions {
  continueOnError?: boolean;
  onProgress?: (progress: ImportProgress) => void;
  baseUrl?: string;
  /** Plain resources (NDJSON bulk data) are written in groups of this many per transaction. */
  resourcesPerTransaction?: number;
  /**
   * Bundles of an NDJSON file committed together (default 25). Each bundle stays atomic (its own
   * savepoint: a failing bundle leaves nothing and the others in the group are kept); sharing the
   * commit saves most of its cost, which on SQLite is writing the index pages a bundle touched.
   */
  bundlesPerCommit?: number;
}

/** Thrown when a failure stops an import without --continue-on-error; the summary says how far it got. */
export class ImportStopped extends Error {
  constructor(readonly summary: ImportSummary) {
    super(`import stopped at ${summary.failures[0]?.file}: ${summary.failures[0]?.reason}`);
  }
}

/** Lists the importable files under the given paths: shared "information" bundles first, as Synthea needs. */
export async function listImportFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  const visit = async (path: string) => {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new Error(`no such file or folder: ${path}`);
    if (info.isDirectory()) {
      for (const name of (await readdir(path)).sort()) await visit(join(path, name));
    } else if (['.json', '.ndjson'].includes(extname(path).toLowerCase())) files.push(path);
  };
  for (const p of paths) await visit(p);
  // Organizations and practitioners referred to conditionally by patient bundles must exist first.
  const shared = (f: string) => (/information/i.test(basename(f)) ? 0 : 1);
  return files.sort((a, b) => shared(a) - shared(b) || a.localeCompare(b));
}

/** Imports files into the store. */
export async function importFiles(
  store: ResourceStore,
  paths: string[],
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const started = performance.now();
  const files = await listImportFiles(paths);
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  const summary: ImportSummary = {
    files: files.length,
    bundles: 0,
    resources: 0,
    resourcesByType: {},
    failures: [],
    seconds: 0,
  };
  const progress: ImportProgress = {
    files: files.length,
    filesDone: 0,
    bytes: sizes.reduce((a, b) => a + b, 0),
    bytesDone: 0,
    resources: 0,
  };
  const baseUrl = options.baseUrl ?? 'urn:careloop:import';
  const perTransaction = options.resourcesPerTransaction ?? 500;
  const bundlesPerCommit = options.bundlesPerCommit ?? 25;

  const fail = (failure: ImportFailure) => {
    summary.failures.push(failure);
    if (!options.continueOnError) {
      summary.seconds = (performance.now() - started) / 1000;
      throw new ImportStopped(summary);
    }
  };
  const loadBundle = async (bundle: Bundle, file: string, where?: string, target: ResourceStore = store) => {
    try {
      const prepared = prepareBundle(bundle);
      const response = await (target === store
        ? processBundle(store, prepared, { baseUrl })
        : target.savepoint((sp) => processBundle(sp, prepared, { baseUrl })));
      summary.bundles++;
      response.entry?.forEach((e, i) => {
        const status = Number.parseInt(e.response?.status ?? '0', 10);
        if (status >= 400) {
          fail({
            file,
            where: `${where ? `${where} ` : ''}entry ${i}`,
            reason: outcomeText(e.response?.outcome),
          });
          return;
        }
        const type = prepared.entry?.[i]?.resource?.resourceType;
        if (type && e.resource) count(summary, progress, type);
      });
    } catch (err) {
      if (err instanceof ImportStopped) throw err;
      fail({ file, where, reason: errorText(err) });
    }
  };

  for (const [i, file] of files.entries()) {
    if (extname(file).toLowerCase() === '.ndjson') {
      let pending: Resource[] = [];
      let firstLine = 0;
      let group: { bundle: Bundle; line: number }[] = [];
      const flushGroup = async () => {
        if (group.length === 0) return;
        const bundles = group;
        group = [];
        let stopped: ImportStopped | undefined;
        await store.transaction(async (tx) => {
          for (const { bundle, line } of bundles) {
            try {
              await loadBundle(bundle, file, `line ${line}`, tx);
            } catch (err) {
              // Stop after committing the bundles before this one, as a run of single commits would.
              if (!(err instanceof ImportStopped)) throw err;
              stopped = err;
              break;
            }
          }
        });
        if (stopped) throw stopped;
      };
      const flush = async () => {
        await flushGroup();
        if (pending.length === 0) return;
        await loadBundle(
          resourcesAsBundle(pending),
          file,
          `lines ${firstLine}-${firstLine + pending.length - 1}`,
        );
        pending = [];
      };
      let lineNo = 0;
      for await (const line of createInterface({
        input: createReadStream(file),
        crlfDelay: Number.POSITIVE_INFINITY,
      })) {
        lineNo++;
        if (!line.trim()) continue;
        let parsed: Resource;
        try {
          parsed = JSON.parse(line) as Resource;
        } catch (err) {
          fail({ file, where: `line ${lineNo}`, reason: `not valid JSON: ${(err as Error).message}` });
          continue;
        }
        if (parsed.resourceType === 'Bundle') {
          if (pending.length > 0) await flush();
          group.push({ bundle: parsed as Bundle, line: lineNo });
          if (group.length >= bundlesPerCommit) await flushGroup();
        } else {
          await flushGroup();
          if (pending.length === 0) firstLine = lineNo;
          pending.push(parsed);
          if (pending.length >= perTransaction) await flush();
        }
      }
      await flush();
    } else {
      let parsed: Resource;
      try {
        parsed = JSON.parse(await readFile(file, 'utf8')) as Resource;
      } catch (err) {
        fail({ file, reason: `not valid JSON: ${(err as Error).message}` });
        continue;
      }
      await loadBundle(
        parsed.resourceType === 'Bundle' ? (parsed as Bundle) : resourcesAsBundle([parsed]),
        file,
      );
    }
    progress.filesDone = i + 1;
    progress.bytesDone += sizes[i]!;
    options.onProgress?.(progress);
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

function count(summary: ImportSummary, progress: ImportProgress, type: string): void {
  summary.resources++;
  progress.resources++;
  summary.resourcesByType[type] = (summary.resourcesByType[type] ?? 0) + 1;
}

/**
 * Makes a bundle re-runnable: a POST whose full URL is `urn:uuid:X` becomes `PUT Type/X`, so loading
 * it again finds the same resource instead of creating a duplicate. Collections become transactions.
 */
export function prepareBundle(bundle: Bundle): Bundle {
  if (bundle.type === 'collection' || bundle.type === 'searchset')
    return resourcesAsBundle((bundle.entry ?? []).map((e) => e.resource!).filter(Boolean));
  const entry = (bundle.entry ?? []).map((e): BundleEntry => {
    const uuid = /^urn:uuid:([A-Za-z0-9\-.]{1,64})$/.exec(e.fullUrl ?? '')?.[1];
    if (e.request?.method === 'POST' && !e.request.ifNoneExist && uuid && e.resource) {
      return {
        ...e,
        request: { method: 'PUT', url: `${e.resource.resourceType}/${uuid}` },
        resource: { ...e.resource, id: uuid },
      };
    }
    return e;
  });
  return { ...bundle, entry };
}

/** Wraps plain resources in a transaction: PUT when they have an id, POST otherwise. */
export function resourcesAsBundle(resources: Resource[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource) => ({
      resource,
      request: resource.id
        ? { method: 'PUT' as const, url: `${resource.resourceType}/${resource.id}` }
        : { method: 'POST' as const, url: resource.resourceType },
    })),
  };
}

function errorText(err: unknown): string {
  if (err instanceof FhirError)
    return err.issues
      .map((i) => (i.expression ? `${i.expression}: ${i.diagnostics}` : i.diagnostics))
      .join('; ');
  return (err as Error).message;
}

function outcomeText(outcome: Resource | undefined): string {
  const issues =
    (outcome as { issue?: { diagnostics?: string; expression?: string[] }[] } | undefined)?.issue ?? [];
  return (
    issues
      .map((i) => (i.expression?.[0] ? `${i.expression[0]}: ${i.diagnostics}` : i.diagnostics))
      .join('; ') || 'failed'
  );
}

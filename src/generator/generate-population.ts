/**
 * Deterministic synthetic population of FHIR R4 transaction bundles: one "information" bundle (the health
 * system: organizations, locations, staff) followed by one bundle per patient. Streams with bounded memory.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bundle } from 'fhir/r4.js';
import { buildInformation } from './information-bundle.js';
import { buildPatientBundle } from './patient-bundle.js';
import { DEFAULT_NOW } from './time.js';

export interface GenerateOptions {
  patients: number;
  seed: string | number;
  outDir: string;
  /** Patient bundles per NDJSON file (default 100). */
  patientsPerFile?: number;
  /** Reference "today" (default 2026-11-30T12:00:00Z, so that output never depends on the clock). */
  now?: Date;
  onProgress?: (done: number, total: number) => void;
}

export interface GenerateSummary {
  /** Written files, in import order: the information bundle first. */
  files: string[];
  patients: number;
  /** All resources written, the information bundle's included. */
  resources: number;
  resourcesByType: Record<string, number>;
}

export const INFORMATION_FILE = '00-information.json';
const PATIENT_FILE = /^patients-\d+\.ndjson$/;

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}; got ${value}`);
}

/** Yields the information bundle, then one transaction bundle per patient, generated on demand. */
export function* generateBundles(opts: {
  patients: number;
  seed: string | number;
  now?: Date;
}): Generator<Bundle> {
  checkCount('patients', opts.patients, 0);
  const seed = String(opts.seed);
  const now = opts.now ? opts.now.getTime() : DEFAULT_NOW;
  if (!Number.isFinite(now)) throw new RangeError('now must be a valid Date');
  const { bundle, directory } = buildInformation(seed, opts.patients);
  yield bundle;
  for (let i = 0; i < opts.patients; i++) yield buildPatientBundle(seed, i, now, directory);
}

function countResources(bundle: Bundle, byType: Record<string, number>): number {
  const entries = bundle.entry ?? [];
  for (const entry of entries) {
    const type = entry.resource!.resourceType;
    byType[type] = (byType[type] ?? 0) + 1;
  }
  return entries.length;
}

/** Writes a chunk, waiting for the stream to drain when its buffer is full (keeps memory bounded). */
async function write(stream: WriteStream, chunk: Buffer): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'close');
}

/**
 * Writes the population to `outDir`: `00-information.json`, then `patients-0001.ndjson`, ... with one
 * patient bundle per line. Files of an earlier run with these names are replaced (stale ones removed), so
 * the same seed always leaves the same directory contents.
 */
export async function generatePopulation(opts: GenerateOptions): Promise<GenerateSummary> {
  const perFile = opts.patientsPerFile ?? 100;
  checkCount('patients', opts.patients, 0);
  checkCount('patientsPerFile', perFile, 1);
  await mkdir(opts.outDir, { recursive: true });
  for (const name of await readdir(opts.outDir)) {
    if (name === INFORMATION_FILE || PATIENT_FILE.test(name)) await unlink(join(opts.outDir, name));
  }

  const byType: Record<string, number> = {};
  const files: string[] = [];
  let resources = 0;
  const bundles = generateBundles(opts);
  const information = bundles.next().value as Bundle;
  resources += countResources(information, byType);
  const informationPath = join(opts.outDir, INFORMATION_FILE);
  await writeFile(informationPath, JSON.stringify(information, null, 2) + '\n');
  files.push(informationPath);
  opts.onProgress?.(0, opts.patients);

  const fileCount = Math.ceil(opts.patients / perFile);
  // Zero-padded so that lexical order is import order, also beyond 9,999 files.
  const width = Math.max(4, String(fileCount).length);
  let done = 0;
  // The previous file finishes flushing while the next one is generated (at most two files open).
  let closing: Promise<void> = Promise.resolve();
  for (let f = 1; f <= fileCount; f++) {
    const path = join(opts.outDir, `patients-${String(f).padStart(width, '0')}.ndjson`);
    // A write buffer of a few MB lets generation continue while earlier lines are being written.
    const stream = createWriteStream(path, { highWaterMark: 4 << 20 });
    let failure: Error | undefined;
    stream.on('error', (err) => {
      failure = err;
    });
    const last = Math.min(opts.patients, done + perFile);
    while (done < last) {
      const bundle = bundles.next().value as Bundle;
      resources += countResources(bundle, byType);
      // One Buffer per line: cheaper than concatenating a large string and re-encoding it.
      await write(stream, Buffer.from(JSON.stringify(bundle) + '\n'));
      if (failure) throw failure;
      done++;
      if (done % 100 === 0 && done < opts.patients) opts.onProgress?.(done, opts.patients);
    }
    await closing;
    closing = close(stream).then(() => {
      if (failure) throw failure;
    });
    // Keep a rejected close from being reported as unhandled before it is awaited.
    closing.catch(() => {});
    files.push(path);
  }
  await closing;
  if (opts.patients > 0) opts.onProgress?.(opts.patients, opts.patients);

  const resourcesByType: Record<string, number> = {};
  for (const type of Object.keys(byType).sort()) resourcesByType[type] = byType[type];
  return { files, patients: opts.patients, resources, resourcesByType };
}

/**
 * `careloop import PATH...`: loads Bundle JSON / NDJSON files or folders. A progress bar with
 * resources/s and ETA on a terminal, plain lines otherwise; a summary at the end; exit 1 on any failure.
 */
import cliProgress from 'cli-progress';
import { ImportStopped, type ImportSummary, importFiles } from '../fhir/import/import-files.js';
import { parseFlags, UsageError } from './args.js';
import { openRuntime } from './runtime.js';

const help = `usage: careloop import [--continue-on-error] PATH...

Imports FHIR R4 Bundle JSON files, NDJSON files (one Bundle or resource per line) and folders of them
into DATABASE_URL. Each bundle is one transaction; re-running the same files changes nothing.
Files named *information* (Synthea's hospital and practitioner bundles) are loaded first.

  --continue-on-error   keep going after a failed bundle (the exit code is still 1)`;

export async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { 'continue-on-error': { type: 'boolean' }, help: { type: 'boolean' } },
    true,
  );
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('import needs at least one file or folder');
  const runtime = await openRuntime();
  const tty = process.stderr.isTTY;
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          format:
            'importing [{bar}] {percentage}% | {resources} resources | {rate} resources/s | ETA {eta_formatted}',
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const started = performance.now();
  let lastLine = 0;
  let summary: ImportSummary;
  try {
    bar?.start(1, 0, { resources: 0, rate: 0 });
    summary = await importFiles(runtime.store, positionals, {
      continueOnError: values['continue-on-error'],
      onProgress: (p) => {
        const seconds = (performance.now() - started) / 1000;
        const rate = Math.round(p.resources / Math.max(seconds, 0.001));
        if (bar) {
          bar.setTotal(p.bytes || 1);
          bar.update(p.bytesDone, { resources: p.resources, rate });
        } else if (performance.now() - lastLine > 2000 || p.filesDone === p.files) {
          lastLine = performance.now();
          const eta = p.bytesDone > 0 ? Math.round((seconds * (p.bytes - p.bytesDone)) / p.bytesDone) : 0;
          console.log(
            `imported ${p.filesDone}/${p.files} files, ${p.resources} resources, ${rate} resources/s, ETA ${eta}s`,
          );
        }
      },
    });
  } catch (err) {
    if (!(err instanceof ImportStopped)) throw err;
    summary = err.summary;
  } finally {
    bar?.stop();
    await runtime.database.close();
  }
  printSummary(summary);
  return summary.failures.length > 0 ? 1 : 0;
}

function printSummary(s: ImportSummary): void {
  const rate = Math.round(s.resources / Math.max(s.seconds, 0.001));
  console.log(
    `\n${s.files} files, ${s.bundles} bundles, ${s.resources} resources in ${s.seconds.toFixed(1)} s (${rate} resources/s)`,
  );
  for (const [type, n] of Object.entries(s.resourcesByType).sort((a, b) => b[1] - a[1]))
    console.log(`  ${type.padEnd(28)} ${n}`);
  if (s.failures.length > 0) {
    console.log(`\n${s.failures.length} failed:`);
    for (const f of s.failures) console.log(`  ${f.file}${f.where ? ` (${f.where})` : ''}: ${f.reason}`);
  }
}

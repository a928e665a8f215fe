/** `careloop generate --patients N --seed S --out DIR`: writes a synthetic population as FHIR bundles. */
import { generatePopulation } from '../generator/generate-population.js';
import { parseFlags, positiveInt, UsageError } from './args.js';

const help = `usage: careloop generate --patients N [--seed S] --out DIR

Writes a deterministic synthetic population (same seed, same files) as FHIR R4 transaction bundles:
DIR/00-information.json (organizations, practitioners) and DIR/patients-NNNN.ndjson.`;

export async function generateCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    patients: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean' },
  });
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (!values.out) throw new UsageError('generate needs --out DIR');
  if (values.patients === undefined) throw new UsageError('generate needs --patients N');
  const patients = positiveInt(values.patients, 'patients', 100);
  const started = performance.now();
  let last = 0;
  const summary = await generatePopulation({
    patients,
    seed: values.seed ?? 'careloop',
    outDir: values.out,
    onProgress: (done, total) => {
      if (performance.now() - last > 2000 || done === total) {
        last = performance.now();
        console.log(`generated ${done}/${total} patients`);
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `wrote ${summary.patients} patients, ${summary.resources} resources in ${summary.files.length} files to ${values.out} (${seconds.toFixed(1)} s)`,
  );
  return 0;
}

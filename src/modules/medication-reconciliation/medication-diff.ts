/**
 * The reconciliation diff: the medication list before admission against the discharge list, line by
 * line. Pure: the service builds the entries from the store and stores the decisions.
 *
 * Matching: first by RxNorm ingredient (a product code is mapped to its ingredient through the table
 * in medication-reconciliation.rules.ts, a name — generic or brand — through the same table), then by
 * normalized name for drugs the table does not know. A discharge list that holds two drugs of one
 * therapeutic class (the continued ones included) gets a duplicate-class line per pair, unless the
 * pair is an intended combination (duplicateExceptions).
 */
import { createHash } from 'node:crypto';
import {
  type DoseSummary,
  type FrequencySummary,
  ingredientOf,
  type MedicationEntry,
  normalizedName,
} from './medication-entry.js';
import { byIngredient, classById, exceptionFor } from './medication-reconciliation.rules.js';

export type { MedicationEntry } from './medication-entry.js';

export const diffKinds = [
  'unchanged',
  'new',
  'stopped',
  'dose-changed',
  'frequency-changed',
  'duplicate-class',
] as const;
export type DiffKind = (typeof diffKinds)[number];

export interface DiffLine {
  /** Stable across recomputation: derived from the medications the line is about, not its kind. */
  id: string;
  kind: DiffKind;
  before?: MedicationEntry;
  after?: MedicationEntry;
  /** The therapeutic class (its id in the rules table) when known. */
  class?: string;
  detail: string;
}

/** The line id of a medication line (`before`/`after` references) or a duplicate pair. */
export function lineId(group: 'med' | 'dup', before?: string, after?: string): string {
  const key = `${group}|${before ?? ''}|${after ?? ''}`;
  return `${group}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

interface Keyed {
  entry: MedicationEntry;
  ingredient?: string;
  name: string;
}

const keyed = (entry: MedicationEntry): Keyed => {
  const ingredient = ingredientOf(entry);
  return { entry, ...(ingredient ? { ingredient } : {}), name: normalizedName(entry.name) };
};

/** Compares the list before admission with the discharge list. */
export function diffMedicationLists(before: MedicationEntry[], discharge: MedicationEntry[]): DiffLine[] {
  const left = before.map(keyed);
  const right = discharge.map(keyed);
  const pairOf = new Map<Keyed, Keyed>();
  const taken = new Set<Keyed>();
  const match = (same: (a: Keyed, b: Keyed) => boolean) => {
    for (const a of left) {
      if (pairOf.has(a)) continue;
      const b = right.find((r) => !taken.has(r) && same(a, r));
      if (b) {
        pairOf.set(a, b);
        taken.add(b);
      }
    }
  };
  match((a, b) => !!a.ingredient && a.ingredient === b.ingredient);
  match(
    (a, b) =>
      (!a.ingredient || !b.ingredient) &&
      ((!!a.entry.rxnorm && a.entry.rxnorm === b.entry.rxnorm) || (!!a.name && a.name === b.name)),
  );

  const lines: DiffLine[] = [];
  for (const a of left) {
    const b = pairOf.get(a);
    const cls = classOf(a.ingredient ?? b?.ingredient);
    if (!b) {
      lines.push({
        id: lineId('med', a.entry.reference),
        kind: 'stopped',
        before: a.entry,
        ...(cls ? { class: cls } : {}),
        detail: `${a.entry.name} is not on the discharge list`,
      });
      continue;
    }
    lines.push({
      id: lineId('med', a.entry.reference, b.entry.reference),
      ...compareDosage(a.entry, b.entry),
      before: a.entry,
      after: b.entry,
      ...(cls ? { class: cls } : {}),
    });
  }
  for (const b of right) {
    if (taken.has(b)) continue;
    const cls = classOf(b.ingredient);
    lines.push({
      id: lineId('med', undefined, b.entry.reference),
      kind: 'new',
      after: b.entry,
      ...(cls ? { class: cls } : {}),
      detail: `${b.entry.name} is new on the discharge list`,
    });
  }
  // Continued medications first (in the order of the list before admission), then the new ones, so a
  // duplicate line reads "<continued> and <new>".
  const going = [
    ...left.map((a) => pairOf.get(a)).filter((b): b is Keyed => !!b),
    ...right.filter((b) => !taken.has(b)),
  ];
  lines.push(...duplicateLines(going));
  return lines;
}

function classOf(ingredient: string | undefined): string | undefined {
  return ingredient ? byIngredient.get(ingredient)?.class : undefined;
}

function duplicateLines(discharge: Keyed[]): DiffLine[] {
  const lines: DiffLine[] = [];
  for (let i = 0; i < discharge.length; i++) {
    for (let j = i + 1; j < discharge.length; j++) {
      const a = discharge[i]!;
      const b = discharge[j]!;
      const ia = a.ingredient ? byIngredient.get(a.ingredient) : undefined;
      const ib = b.ingredient ? byIngredient.get(b.ingredient) : undefined;
      if (!ia || !ib || ia.class !== ib.class) continue;
      if (exceptionFor(ia.class, ia.subclass, ib.subclass)) continue;
      const label = classById.get(ia.class)?.label ?? ia.class;
      lines.push({
        id: lineId('dup', a.entry.reference, b.entry.reference),
        kind: 'duplicate-class',
        before: a.entry,
        after: b.entry,
        class: ia.class,
        detail:
          ia.rxcui === ib.rxcui
            ? `${a.entry.name} and ${b.entry.name} are the same drug (${ia.name}) twice on the discharge list`
            : `${a.entry.name} and ${b.entry.name} are both in the class ${label}`,
      });
    }
  }
  return lines;
}

/** unchanged, dose-changed or frequency-changed, with what changed in words. */
function compareDosage(
  before: MedicationEntry,
  after: MedicationEntry,
): { kind: 'unchanged' | 'dose-changed' | 'frequency-changed'; detail: string } {
  const dose = compareDose(before.dose, after.dose);
  const frequency = compareFrequency(before.frequency, after.frequency);
  const notes = [dose.note, frequency.note].filter(Boolean) as string[];
  if (dose.changed)
    return {
      kind: 'dose-changed',
      detail: [dose.text, frequency.changed ? frequency.text : undefined, ...notes]
        .filter(Boolean)
        .join('; '),
    };
  if (frequency.changed) return { kind: 'frequency-changed', detail: [frequency.text, ...notes].join('; ') };
  const nothingComparable =
    dose.unknown &&
    frequency.unknown &&
    before.text &&
    after.text &&
    directions(before.text) !== directions(after.text);
  if (nothingComparable)
    return { kind: 'dose-changed', detail: `directions differ: "${before.text}" → "${after.text}"` };
  return { kind: 'unchanged', detail: ['same drug, dose and frequency', ...notes].join('; ') };
}

interface Comparison {
  changed: boolean;
  text?: string;
  /** A side has nothing to compare. */
  unknown?: boolean;
  note?: string;
}

function compareDose(a: DoseSummary, b: DoseSummary): Comparison {
  if (a.value === undefined || b.value === undefined) {
    if (a.value === undefined && b.value === undefined) return { changed: false, unknown: true };
    return {
      changed: false,
      unknown: true,
      note: `dose not recorded ${a.value === undefined ? 'before admission' : 'on the discharge list'}: confirm`,
    };
  }
  if (
    a.ingredientAmount !== undefined &&
    b.ingredientAmount !== undefined &&
    a.ingredientUnit === b.ingredientUnit
  ) {
    if (a.ingredientAmount === b.ingredientAmount) return { changed: false };
    return {
      changed: true,
      text: `dose ${amount(a.ingredientAmount, a.ingredientUnit)} → ${amount(b.ingredientAmount, b.ingredientUnit)}`,
    };
  }
  if (a.value === b.value && a.unit === b.unit) return { changed: false };
  return { changed: true, text: `dose ${amount(a.value, a.unit)} → ${amount(b.value, b.unit)}` };
}

function compareFrequency(a: FrequencySummary, b: FrequencySummary): Comparison {
  if (!!a.asNeeded !== !!b.asNeeded) return { changed: true, text: `frequency ${often(a)} → ${often(b)}` };
  if (a.perDay === undefined || b.perDay === undefined) {
    if (a.perDay === undefined && b.perDay === undefined) return { changed: false, unknown: true };
    return {
      changed: false,
      unknown: true,
      note: `frequency not recorded ${a.perDay === undefined ? 'before admission' : 'on the discharge list'}: confirm`,
    };
  }
  if (a.perDay === b.perDay) return { changed: false };
  return { changed: true, text: `frequency ${often(a)} → ${often(b)}` };
}

const UNIT_WORDS: Record<string, string> = {
  '{tbl}': 'tablet',
  '{cap}': 'capsule',
  '{puff}': 'puff',
  '[IU]': 'units',
};

function amount(value: number, unit: string | undefined): string {
  const word = unit ? (UNIT_WORDS[unit] ?? unit) : '';
  const plural = word && value !== 1 && ['tablet', 'capsule', 'puff'].includes(word) ? `${word}s` : word;
  return `${value}${plural ? ` ${plural}` : ''}`;
}

function often(f: FrequencySummary): string {
  const words: Record<number, string> = {
    1: 'once daily',
    2: 'twice daily',
    3: 'three times daily',
    4: 'four times daily',
  };
  const base = f.perDay === undefined ? '' : (words[f.perDay] ?? `${f.perDay} times a day`);
  if (f.asNeeded) return base ? `${base} as needed` : 'as needed';
  return base || 'unspecified';
}

const directions = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

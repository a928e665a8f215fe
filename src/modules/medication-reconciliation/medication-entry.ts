/**
 * One medication on a list, as the diff compares it: what drug (RxNorm code, ingredient, name), how
 * much per dose and how often. Built from MedicationRequest or MedicationStatement; pure.
 */
import type { CodeableConcept, Coding, Dosage, MedicationRequest, MedicationStatement } from 'fhir/r4.js';
import { sensitivityLabelsOf } from '../../access/policy/access-facts.js';
import {
  byIngredient,
  byName,
  byProduct,
  RXNORM,
  repeatPatterns,
} from './medication-reconciliation.rules.js';

export interface DoseSummary {
  /** Amount per administration as written (2 tablets, 20 units). */
  value?: number;
  unit?: string;
  /** Amount of ingredient per administration when the strength is known (2 × 500 mg → 1000 mg). */
  ingredientAmount?: number;
  ingredientUnit?: string;
}

export interface FrequencySummary {
  /** Administrations per day (twice daily → 2; every 2 days → 0.5). */
  perDay?: number;
  asNeeded?: boolean;
}

export interface MedicationEntry {
  /** `MedicationRequest/abc` or `MedicationStatement/abc`. */
  reference: string;
  status?: string;
  /** RxNorm code as recorded (product or ingredient). */
  rxnorm?: string;
  /** Another code (NDC) when there is no RxNorm code. */
  otherCode?: { system: string; code: string };
  /** What a person calls it (the text, else the code's display). */
  name: string;
  dose: DoseSummary;
  frequency: FrequencySummary;
  /** The free-text directions, when given. */
  text?: string;
  /** Structured dosage present (dose or timing). */
  structured: boolean;
  /** The record's sensitivity labels, which whatever quotes it must carry (docs/security.md). */
  security?: Coding[];
}

const DAY_HOURS: Record<string, number> = {
  s: 1 / 3600,
  min: 1 / 60,
  h: 1,
  d: 24,
  wk: 168,
  mo: 720,
  a: 8760,
};

/** Administrations per day from a period and its unit. */
export function perDayOf(frequency: number, period: number, periodUnit: string): number | undefined {
  const hours = DAY_HOURS[periodUnit];
  if (!hours || period <= 0) return undefined;
  return round((frequency * 24) / (period * hours));
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The medication's codes and name from a CodeableConcept. */
function drugOf(
  concept: CodeableConcept | undefined,
): Pick<MedicationEntry, 'rxnorm' | 'otherCode' | 'name'> {
  const codings = concept?.coding ?? [];
  const rx = codings.find((c) => c.system === RXNORM && c.code);
  const other = codings.find((c) => c.system !== RXNORM && c.code && c.system);
  const name = concept?.text ?? rx?.display ?? other?.display ?? codings[0]?.display ?? 'unnamed medication';
  return {
    ...(rx?.code ? { rxnorm: rx.code } : {}),
    ...(!rx && other ? { otherCode: { system: other.system!, code: other.code! } } : {}),
    name,
  };
}

/** Strength parsed from a name ("Lisinopril 20 mg tablet" → 20 mg), when the table has no product. */
export function strengthFromName(name: string): { value: number; unit: string } | undefined {
  const m = name.match(/(\d+(?:\.\d+)?)\s*(mg|mcg|g|unt|units?)\b/i);
  if (!m) return undefined;
  const unit = m[2]!.toLowerCase();
  return { value: Number(m[1]), unit: unit.startsWith('un') ? '[IU]' : unit };
}

const PER_UNIT_DOSE =
  /^(\{?tbl\}?|tab|tablets?|\{?cap\}?|caps?|capsules?|\{?puff\}?|puffs?|\{?actuat\}?|1)$/i;

/** The dose as written and, when the unit is a count of tablets/puffs, as an amount of ingredient. */
export function doseOf(dosage: Dosage | undefined, rxnorm: string | undefined, name: string): DoseSummary {
  const q = dosage?.doseAndRate?.[0]?.doseQuantity ?? dosage?.doseAndRate?.[0]?.doseRange?.low;
  if (q?.value === undefined) {
    const fromText = dosage?.text ? doseFromText(dosage.text) : undefined;
    if (!fromText) return {};
    return withStrength(fromText, rxnorm, name);
  }
  return withStrength({ value: q.value, unit: q.code ?? q.unit }, rxnorm, name);
}

function withStrength(dose: { value: number; unit?: string }, rxnorm: string | undefined, name: string) {
  const summary: DoseSummary = { value: dose.value, ...(dose.unit ? { unit: dose.unit } : {}) };
  const unit = dose.unit ?? '';
  const strength = (rxnorm ? byProduct.get(rxnorm)?.strength : undefined) ?? strengthFromName(name);
  if (PER_UNIT_DOSE.test(unit) && strength && !strength.unit.includes('/')) {
    summary.ingredientAmount = round(dose.value * strength.value);
    summary.ingredientUnit = strength.unit;
  } else if (/^(mg|mcg|g|\[IU\]|units?)$/i.test(unit)) {
    summary.ingredientAmount = dose.value;
    summary.ingredientUnit = /^units?$/i.test(unit) ? '[IU]' : unit;
  }
  return summary;
}

/** "Take 2 tablets", "Inject 20 units", "40 mg" in free text. */
export function doseFromText(text: string): { value: number; unit: string } | undefined {
  const m = text.match(/(\d+(?:\.\d+)?)\s*(tablets?|tabs?|capsules?|caps?|puffs?|units?|mg|mcg|ml)\b/i);
  if (!m) return undefined;
  const unit = m[2]!.toLowerCase();
  const canonical = /^tab/.test(unit)
    ? '{tbl}'
    : /^cap/.test(unit)
      ? '{cap}'
      : /^puff/.test(unit)
        ? '{puff}'
        : /^unit/.test(unit)
          ? '[IU]'
          : unit;
  return { value: Number(m[1]), unit: canonical };
}

const TEXT_FREQUENCIES: [RegExp, number][] = [
  [/\b(twice (a |per )?day|twice daily|two times (a |per )?day|b\.?i\.?d\.?)\b/i, 2],
  [/\b(three times (a |per )?day|t\.?i\.?d\.?)\b/i, 3],
  [/\b(four times (a |per )?day|q\.?i\.?d\.?)\b/i, 4],
  [/\bevery other day\b/i, 0.5],
  // Last: "daily" is also part of "twice daily".
  [
    /\b(once (a |per )?day|once daily|daily|every (morning|evening|night)|at bedtime|q\.?d\.?|qhs|nightly)\b/i,
    1,
  ],
];

/** Frequency from free text ("twice daily", "every 8 hours", "BID", "as needed"). */
export function frequencyFromText(text: string): FrequencySummary | undefined {
  const asNeeded = /\b(as needed|prn)\b/i.test(text);
  const every = text.match(/\bevery (\d+)(?:\s*(?:to|-)\s*\d+)? hours?\b/i) ?? text.match(/\bq(\d+)h\b/i);
  if (every) return { perDay: round(24 / Number(every[1])), ...(asNeeded ? { asNeeded } : {}) };
  for (const [pattern, perDay] of TEXT_FREQUENCIES)
    if (pattern.test(text)) return { perDay, ...(asNeeded ? { asNeeded } : {}) };
  return asNeeded ? { asNeeded } : undefined;
}

/** Frequency from an HL7 v2 repeat pattern code (TQ1-3, RXE-1.2): BID, Q6H, Q2D, PRN. */
export function frequencyFromRepeatPattern(
  code: string,
): { frequency: number; period: number; periodUnit: 'h' | 'd' | 'wk'; asNeeded?: boolean } | undefined {
  const upper = code.trim().toUpperCase();
  const known = repeatPatterns[upper];
  if (known) return known;
  const m = upper.match(/^Q(\d+)([HDW])$/);
  if (!m) return undefined;
  const unit = ({ H: 'h', D: 'd', W: 'wk' } as const)[m[2] as 'H' | 'D' | 'W'];
  return { frequency: 1, period: Number(m[1]), periodUnit: unit };
}

function frequencyOf(dosage: Dosage | undefined): FrequencySummary {
  const repeat = dosage?.timing?.repeat;
  const asNeeded = dosage?.asNeededBoolean === true || !!dosage?.asNeededCodeableConcept;
  if (repeat?.frequency !== undefined && repeat.period !== undefined && repeat.periodUnit) {
    const perDay = perDayOf(repeat.frequency, repeat.period, repeat.periodUnit);
    return { ...(perDay !== undefined ? { perDay } : {}), ...(asNeeded ? { asNeeded } : {}) };
  }
  const code = dosage?.timing?.code?.coding?.[0]?.code ?? dosage?.timing?.code?.text;
  const pattern = code ? frequencyFromRepeatPattern(code) : undefined;
  if (pattern) {
    return {
      perDay: perDayOf(pattern.frequency, pattern.period, pattern.periodUnit)!,
      ...(asNeeded || pattern.asNeeded ? { asNeeded: true } : {}),
    };
  }
  const fromText = dosage?.text ? frequencyFromText(dosage.text) : undefined;
  if (fromText) return { ...fromText, ...(asNeeded ? { asNeeded } : {}) };
  return asNeeded ? { asNeeded } : {};
}

/** The entry for a MedicationRequest or MedicationStatement. */
export function entryOf(resource: MedicationRequest | MedicationStatement): MedicationEntry {
  const dosage =
    resource.resourceType === 'MedicationRequest' ? resource.dosageInstruction?.[0] : resource.dosage?.[0];
  const drug = drugOf(resource.medicationCodeableConcept);
  const structured = !!(dosage?.doseAndRate?.length || dosage?.timing?.repeat || dosage?.timing?.code);
  const security = sensitivityLabelsOf([resource]);
  return {
    reference: `${resource.resourceType}/${resource.id}`,
    status: resource.status,
    ...(security.length ? { security } : {}),
    ...drug,
    dose: doseOf(dosage, drug.rxnorm, drug.name),
    frequency: frequencyOf(dosage),
    ...(dosage?.text ? { text: dosage.text } : {}),
    structured,
  };
}

/** The RxNorm ingredient of an entry: its product's, its own code, or its (generic or brand) name's. */
export function ingredientOf(entry: MedicationEntry): string | undefined {
  if (entry.rxnorm) {
    const product = byProduct.get(entry.rxnorm);
    if (product) return product.ingredient;
    if (byIngredient.has(entry.rxnorm)) return entry.rxnorm;
  }
  const words = normalizedName(entry.name);
  // Longest known name first: "insulin glargine" before a bare brand inside a longer text.
  for (const [name, ingredient] of [...byName].sort((a, b) => b[0].length - a[0].length))
    if (new RegExp(`\\b${name}\\b`).test(words)) return ingredient.rxcui;
  return undefined;
}

/** Lower case, without strengths, forms and punctuation: the name two lists can agree on. */
export function normalizedName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\[[^\]]*\]|\([^)]*\)/g, ' ')
    .replace(/\d+(\.\d+)?\s*(mg|mcg|g|ml|unt|units?|%|hr)?(\/\w+)?/g, ' ')
    .replace(
      /\b(oral|tablets?|tabs?|capsules?|caps?|extended|release|er|xr|sr|hcl|hydrochloride|sodium|succinate|tartrate|pen|injector|inhaler|metered|dose|actuat|solution|injectable|mdi)\b/g,
      ' ',
    )
    .replace(/[^a-z ]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * What a goal's targets measure and how, read from Goal.target as any R4 system may write it, and the
 * readings of each measure in the patient's Observations. docs/care-plans.md ("Target shapes") lists
 * what each shape of Goal.target.detail[x] does:
 * - detailQuantity with a comparator: a threshold (`< 7 %`);
 * - detailQuantity without one, and detailInteger: a value to reach, from where the patient started;
 * - detailRange with low and high: the range, bounds included; with one bound: a threshold on it
 *   (`high` 8 % is ≤ 8 %, `low` 60 is ≥ 60), as a Range's missing bound is open;
 * - CareLoop's relative target (PHQ-9 response): a reduction from a baseline;
 * - detailCodeableConcept, detailString, detailBoolean, detailRatio, or no detail: not measured here;
 *   the team records achievement by hand and the server never overwrites it.
 */
import type { Goal, GoalTarget, Observation, Quantity } from 'fhir/r4.js';
import { countedObservationStatuses, LOINC, measureByLoinc, RELATIVE_TARGET_URL } from './goals.rules.js';

/** One measurable target of a goal, read back from Goal.target (so edited targets are honoured). */
export interface TargetSpec {
  loinc: string;
  display: string;
  /** The unit as shown (UCUM code or the unit text). */
  unit: string;
  /** The names of the target's unit (UCUM code, unit text) a result's unit is compared with; none: any. */
  units: string[];
  decimals: number;
  /** A threshold: comparator and value. */
  comparator?: '<' | '<=' | '>=' | '>';
  value?: number;
  /** A value to reach (no comparator): approached from the side the first result is on. */
  reach?: number;
  /** A range, both bounds included. */
  low?: number;
  high?: number;
  /** A reduction relative to a baseline; without a stored baseline the first reading serves. */
  relative?: { fraction: number; baseline?: number; baselineDate?: string };
}

export interface Reading {
  date: string;
  value: number;
}

/** The measurable targets of a goal (a LOINC measure and a numeric detail or a relative target). */
export function targetSpecs(goal: Goal): TargetSpec[] {
  const specs: TargetSpec[] = [];
  for (const t of goal.target ?? []) {
    const coding = t.measure?.coding?.find((c) => c.system === LOINC && c.code);
    if (!coding) continue;
    const known = measureByLoinc.get(coding.code!);
    const quantity = t.detailQuantity ?? t.detailRange?.low ?? t.detailRange?.high;
    const spec: TargetSpec = {
      loinc: coding.code!,
      display: known?.display ?? t.measure?.text ?? coding.display ?? coding.code!,
      unit: quantity?.unit ?? quantity?.code ?? known?.unit ?? '',
      units: quantity ? unitNames(quantity) : [],
      decimals: known?.decimals ?? decimalsOf(t.detailQuantity?.value ?? t.detailInteger),
    };
    const { low, high } = { low: t.detailRange?.low?.value, high: t.detailRange?.high?.value };
    if (t.detailQuantity?.value !== undefined) {
      if (t.detailQuantity.comparator) {
        spec.comparator = t.detailQuantity.comparator as TargetSpec['comparator'];
        spec.value = t.detailQuantity.value;
      } else spec.reach = t.detailQuantity.value;
    } else if (t.detailInteger !== undefined) spec.reach = t.detailInteger;
    else if (low !== undefined && high !== undefined) Object.assign(spec, { low, high });
    else if (high !== undefined) Object.assign(spec, { comparator: '<=', value: high });
    else if (low !== undefined) Object.assign(spec, { comparator: '>=', value: low });
    const relative = relativeOf(t);
    if (relative) spec.relative = relative;
    const measurable =
      spec.value !== undefined || spec.reach !== undefined || spec.low !== undefined || relative;
    if (measurable) specs.push(spec);
  }
  return specs;
}

function relativeOf(t: GoalTarget): TargetSpec['relative'] {
  const ext = t.extension?.find((e) => e.url === RELATIVE_TARGET_URL);
  if (!ext) return undefined;
  const part = (url: string) => ext.extension?.find((e) => e.url === url);
  return {
    fraction: part('fraction')?.valueDecimal ?? 0.5,
    baseline: part('baseline')?.valueQuantity?.value,
    baselineDate: part('baselineDate')?.valueDateTime,
  };
}

function decimalsOf(value: number | undefined): number {
  if (value === undefined || Number.isInteger(value)) return 0;
  return String(value).split('.')[1]!.length;
}

/**
 * The names a quantity's unit goes by (its UCUM code and its unit text), written alike: brackets and
 * case dropped (`mm[Hg]` and `mmHg`), and UCUM annotations, which mean no unit (`{score}`), removed.
 */
function unitNames(quantity: Quantity): string[] {
  const names = [quantity.code, quantity.unit].map((u) =>
    (u ?? '')
      .replace(/\{[^}]*\}/g, '')
      .replace(/[[\]]/g, '')
      .trim()
      .toLowerCase(),
  );
  return [...new Set(names.filter((u) => u && u !== '1'))];
}

/**
 * The value of `loinc` in an observation (its own value or a component's, as a blood pressure panel
 * carries systolic and diastolic), as a Quantity or an integer (scores such as the PHQ-9 total).
 */
export function measuredQuantity(observation: Observation, loinc: string): Quantity | undefined {
  const has = (code?: { coding?: { system?: string; code?: string }[] }) =>
    code?.coding?.some((c) => c.code === loinc && (!c.system || c.system === LOINC)) ?? false;
  const holder = has(observation.code) ? observation : observation.component?.find((c) => has(c.code));
  if (!holder) return undefined;
  if (typeof holder.valueQuantity?.value === 'number') return holder.valueQuantity;
  return typeof holder.valueInteger === 'number' ? { value: holder.valueInteger } : undefined;
}

/** When an observation was made (its effective time, else when it was issued). */
export function dateOf(observation: Observation): string | undefined {
  return (
    observation.effectiveDateTime ??
    observation.effectivePeriod?.start ??
    observation.effectiveInstant ??
    observation.issued
  );
}

/**
 * The readings of a target's measure, oldest first: only results that count (final, amended,
 * corrected) and whose unit is the target's (a result or target without a unit compares with any; no
 * unit is converted: HbA1c in mmol/mol is not compared with a target in %); `otherUnits` lists the
 * units of the results left out.
 */
export function readingsFor(
  observations: Observation[],
  spec: Pick<TargetSpec, 'loinc' | 'units'>,
): { readings: Reading[]; otherUnits: string[] } {
  const readings: Reading[] = [];
  const otherUnits = new Set<string>();
  for (const o of observations) {
    if (!(countedObservationStatuses as readonly string[]).includes(o.status)) continue;
    const quantity = measuredQuantity(o, spec.loinc);
    const date = dateOf(o);
    if (quantity?.value === undefined || !date) continue;
    const units = unitNames(quantity);
    if (units.length > 0 && spec.units.length > 0 && !units.some((u) => spec.units.includes(u))) {
      otherUnits.add(quantity.unit ?? quantity.code!);
      continue;
    }
    readings.push({ date, value: quantity.value });
  }
  readings.sort((a, b) => Date.parse(a.date) - Date.parse(b.date));
  return { readings, otherUnits: [...otherUnits].sort() };
}

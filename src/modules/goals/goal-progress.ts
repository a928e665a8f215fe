/**
 * Goal progress from observations, as a pure function (no store): the latest value against the
 * target, the trend from the value before it, and one status with an explanation a coordinator can
 * read ("HbA1c 7.8 % on 2026-10-01, target < 7.0 %; down 0.6 from 8.4 % on 2026-07-01: improving").
 */
import type { Goal, GoalTarget, Observation, Quantity } from 'fhir/r4.js';
import {
  countedObservationStatuses,
  LOINC,
  measureByLoinc,
  type ProgressStatus,
  RELATIVE_TARGET_URL,
} from './goals.rules.js';

/** One target of a goal, read back from Goal.target (so edited targets are honoured). */
export interface TargetSpec {
  loinc: string;
  display: string;
  unit: string;
  decimals: number;
  comparator?: '<' | '<=' | '>=' | '>';
  value?: number;
  low?: number;
  high?: number;
  /** A reduction relative to a baseline; without a stored baseline the first reading serves. */
  relative?: { fraction: number; baseline?: number; baselineDate?: string };
}

export interface Reading {
  date: string;
  value: number;
}

export interface TargetProgress {
  measure: { loinc: string; display: string };
  status: ProgressStatus;
  target:
    | { comparator: string; value: number; unit: string }
    | { low: number; high: number; unit: string }
    | { text: string };
  latest?: { value: number; unit: string; date: string };
  trend?: number;
  series: Reading[];
  explanation: string;
}

/** The contract's `progress`; `measures` holds each target when a goal has several (blood pressure). */
export interface GoalProgress extends Omit<TargetProgress, 'measure'> {
  measure?: { loinc: string; display: string };
  measures?: TargetProgress[];
}

/** The targets of a goal that can be measured (a LOINC measure). */
export function targetSpecs(goal: Goal): TargetSpec[] {
  const specs: TargetSpec[] = [];
  for (const t of goal.target ?? []) {
    const coding = t.measure?.coding?.find((c) => c.system === LOINC && c.code);
    if (!coding) continue;
    const known = measureByLoinc.get(coding.code!);
    const spec: TargetSpec = {
      loinc: coding.code!,
      display: known?.display ?? t.measure?.text ?? coding.display ?? coding.code!,
      unit: t.detailQuantity?.unit ?? t.detailRange?.low?.unit ?? known?.unit ?? '',
      decimals: known?.decimals ?? decimalsOf(t.detailQuantity?.value),
    };
    if (t.detailQuantity?.value !== undefined) {
      spec.value = t.detailQuantity.value;
      spec.comparator = (t.detailQuantity.comparator as TargetSpec['comparator']) ?? '<=';
    }
    if (t.detailRange) {
      spec.low = t.detailRange.low?.value;
      spec.high = t.detailRange.high?.value;
    }
    const relative = relativeOf(t);
    if (relative) spec.relative = relative;
    specs.push(spec);
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

/** The value of `loinc` in an observation: its own value, or a component's (blood pressure panel). */
export function measuredValue(observation: Observation, loinc: string): number | undefined {
  const has = (code?: { coding?: { system?: string; code?: string }[] }) =>
    code?.coding?.some((c) => c.code === loinc && (!c.system || c.system === LOINC)) ?? false;
  if (has(observation.code) && typeof observation.valueQuantity?.value === 'number')
    return observation.valueQuantity.value;
  const component = observation.component?.find((c) => has(c.code));
  return typeof component?.valueQuantity?.value === 'number' ? component.valueQuantity.value : undefined;
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

/** The readings of `loinc`, oldest first; only results that count (final, amended, corrected). */
export function readingsOf(observations: Observation[], loinc: string): Reading[] {
  const out: Reading[] = [];
  for (const o of observations) {
    if (!(countedObservationStatuses as readonly string[]).includes(o.status)) continue;
    const value = measuredValue(o, loinc);
    const date = dateOf(o);
    if (value === undefined || !date) continue;
    out.push({ date, value });
  }
  return out.sort((a, b) => Date.parse(a.date) - Date.parse(b.date));
}

/** `n` at the measure's precision, or finer when that would round it (a threshold of 8.5 stays 8.5). */
const fmt = (n: number, decimals: number): string => {
  const s = n.toFixed(decimals);
  return Number(s) === round(n, 6) ? s : String(round(n, decimals + 2));
};
const day = (iso: string) => iso.slice(0, 10);

/** Progress of one target over its readings. */
export function assessTarget(spec: TargetSpec, all: Reading[]): TargetProgress {
  const u = spec.unit && spec.unit !== '{score}' ? ` ${spec.unit}` : '';
  const show = (n: number) => `${fmt(n, spec.decimals)}${u}`;
  let readings = all;
  let comparator = spec.comparator;
  let threshold = spec.value;
  let relativeNote = '';
  if (spec.relative) {
    // A relative target needs a baseline: the stored one, else the first reading (which is then the
    // baseline, not progress).
    let baseline = spec.relative.baseline;
    let baselineDate = spec.relative.baselineDate;
    if (baseline === undefined && readings.length > 0) {
      baseline = readings[0]!.value;
      baselineDate = readings[0]!.date;
      readings = readings.slice(1);
    }
    if (baseline !== undefined) {
      comparator = '<=';
      threshold = baseline * (1 - spec.relative.fraction);
      relativeNote = ` (${Math.round(spec.relative.fraction * 100)}% below baseline ${show(baseline)}${baselineDate ? ` on ${day(baselineDate)}` : ''})`;
    }
  }
  const target: TargetProgress['target'] =
    threshold !== undefined
      ? { comparator: comparator ?? '<=', value: threshold, unit: spec.unit }
      : spec.low !== undefined && spec.high !== undefined
        ? { low: spec.low, high: spec.high, unit: spec.unit }
        : {
            text: spec.relative
              ? `${Math.round(spec.relative.fraction * 100)}% reduction from baseline`
              : 'no measurable target',
          };
  const targetText =
    'comparator' in target
      ? `target ${target.comparator === '<=' ? '≤' : target.comparator === '>=' ? '≥' : target.comparator} ${show(target.value)}${relativeNote}`
      : 'low' in target
        ? `target ${show(target.low)}–${show(target.high)}`
        : `target: ${target.text}`;
  const base = { measure: { loinc: spec.loinc, display: spec.display }, target, series: readings };
  const latest = readings.at(-1);
  if (!latest)
    return {
      ...base,
      status: 'no-data',
      explanation: `${spec.display}: no ${spec.relative && threshold === undefined ? 'baseline' : 'result'} yet, ${targetText}`,
    };
  const met = (v: number): boolean | undefined => {
    if (threshold !== undefined) {
      if (comparator === '<') return v < threshold;
      if (comparator === '<=') return v <= threshold;
      if (comparator === '>') return v > threshold;
      return v >= threshold;
    }
    if (spec.low !== undefined && spec.high !== undefined) return v >= spec.low && v <= spec.high;
    return undefined;
  };
  // How far a value is from the target (0 when met): "improving" means this got smaller.
  const distance = (v: number): number => {
    if (met(v)) return 0;
    if (threshold !== undefined) return Math.abs(v - threshold);
    return v < spec.low! ? spec.low! - v : v - spec.high!;
  };
  const head = `${spec.display} ${show(latest.value)} on ${day(latest.date)}, ${targetText}`;
  const previous = readings.at(-2);
  const trend = previous ? round(latest.value - previous.value, spec.decimals + 1) : undefined;
  const change =
    previous && trend !== undefined
      ? `; ${trend === 0 ? 'unchanged' : `${trend < 0 ? 'down' : 'up'} ${fmt(Math.abs(trend), spec.decimals)}`} from ${show(previous.value)} on ${day(previous.date)}`
      : '';
  const progress = (status: ProgressStatus, why = ''): TargetProgress => ({
    ...base,
    status,
    latest: { value: latest.value, unit: spec.unit, date: latest.date },
    ...(trend !== undefined ? { trend } : {}),
    explanation: `${head}${change}${why}: ${status}`,
  });
  if (met(latest.value)) return progress('achieved');
  if (met(latest.value) === undefined) return progress('no-change', ' (no measurable target)');
  if (!previous) return progress('no-change', ' (one result so far, no trend yet)');
  const before = distance(previous.value);
  const now = distance(latest.value);
  if (now < before) return progress('improving');
  if (now > before) return progress('worsening');
  return progress('no-change');
}

function round(n: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(n * f) / f;
}

/**
 * Progress of a goal: each measurable target assessed over the observations; with several targets
 * (systolic and diastolic) the goal is achieved when all are, worsening when any is, improving when
 * any improves and none worsens.
 */
export function assessGoal(goal: Goal, observations: Observation[]): GoalProgress {
  const specs = targetSpecs(goal);
  if (specs.length === 0) {
    const text = goal.target?.find((t) => t.detailString)?.detailString ?? goal.description.text ?? 'goal';
    return {
      status: 'no-data',
      target: { text },
      series: [],
      explanation: `${text}: no measurable target; the team records achievement by hand`,
    };
  }
  const parts = specs.map((s) => assessTarget(s, readingsOf(observations, s.loinc)));
  if (parts.length === 1) return parts[0]!;
  const statuses = parts.map((p) => p.status);
  const status: ProgressStatus = statuses.every((s) => s === 'achieved')
    ? 'achieved'
    : statuses.includes('no-data')
      ? 'no-data'
      : statuses.includes('worsening')
        ? 'worsening'
        : statuses.includes('improving')
          ? 'improving'
          : 'no-change';
  const first = parts[0]!;
  return {
    status,
    measure: first.measure,
    target: first.target,
    ...(first.latest ? { latest: first.latest } : {}),
    ...(first.trend !== undefined ? { trend: first.trend } : {}),
    series: first.series,
    measures: parts,
    explanation: `${parts.map((p) => p.explanation).join('; ')} → ${status}`,
  };
}

/** A UCUM quantity. */
export function ucum(value: number, unit: string, comparator?: Quantity['comparator']): Quantity {
  return {
    value,
    ...(comparator ? { comparator } : {}),
    unit,
    system: 'http://unitsofmeasure.org',
    code: unit,
  };
}

/**
 * Goal progress from observations, as a pure function (no store): the latest value against the
 * target, the trend from the value before it, and one status with an explanation a coordinator can
 * read ("HbA1c 7.8 % on 2026-10-01, target < 7.0 %; down 0.6 from 8.4 % on 2026-07-01: improving").
 */
import type { Goal, Observation, Quantity } from 'fhir/r4.js';
import { type Reading, readingsFor, type TargetSpec, targetSpecs } from './goal-targets.js';
import type { ProgressStatus } from './goals.rules.js';

export { targetSpecs };

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
  /**
   * The status and the target without any result's value or date: what the server writes into
   * Goal.achievementStatus.text, which readers see who may not see the Observations (docs/security.md).
   */
  summary: string;
}

/** The contract's `progress`; `measures` holds each target when a goal has several (blood pressure). */
export interface GoalProgress extends Omit<TargetProgress, 'measure'> {
  measure?: { loinc: string; display: string };
  measures?: TargetProgress[];
}

/** `n` at the measure's precision, or finer when that would round it (a threshold of 8.5 stays 8.5). */
const fmt = (n: number, decimals: number): string => {
  const s = n.toFixed(decimals);
  return Number(s) === round(n, 6) ? s : String(round(n, decimals + 2));
};
const day = (iso: string) => iso.slice(0, 10);

type Comparator = NonNullable<TargetSpec['comparator']> | '=';
const symbols: Record<Comparator, string> = { '<': '<', '<=': '≤', '>=': '≥', '>': '>', '=': '' };
const statusWords: Record<ProgressStatus, string> = {
  achieved: 'achieved',
  improving: 'improving',
  worsening: 'worsening',
  'no-change': 'no change',
  'no-data': 'no result yet',
};

/**
 * Progress of one target over its readings (in the target's unit); `otherUnits` names the units of
 * results that were not compared.
 */
export function assessTarget(spec: TargetSpec, all: Reading[], otherUnits: string[] = []): TargetProgress {
  const u = spec.unit && spec.unit !== '{score}' ? ` ${spec.unit}` : '';
  const show = (n: number) => `${fmt(n, spec.decimals)}${u}`;
  let readings = all;
  let comparator: Comparator | undefined = spec.comparator;
  let threshold = spec.value;
  // What the explanation adds to a relative target (its baseline) and what the summary says instead.
  let relativeNote = '';
  const reduction = spec.relative ? `${Math.round(spec.relative.fraction * 100)}% below baseline` : '';
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
      relativeNote = ` (${reduction} ${show(baseline)}${baselineDate ? ` on ${day(baselineDate)}` : ''})`;
    }
  }
  if (spec.reach !== undefined) {
    // A value to reach (R4 detailQuantity without comparator, detailInteger): approached from the side
    // the patient started on, the first result; until there is one, or when it is on the value, the
    // value itself.
    threshold = spec.reach;
    const start = readings[0]?.value;
    comparator = start === undefined || start === spec.reach ? '=' : start > spec.reach ? '<=' : '>=';
  }
  const target: TargetProgress['target'] =
    threshold !== undefined
      ? { comparator: comparator ?? '<=', value: threshold, unit: spec.unit }
      : spec.low !== undefined && spec.high !== undefined
        ? { low: spec.low, high: spec.high, unit: spec.unit }
        : { text: `${Math.round((spec.relative?.fraction ?? 0) * 100)}% reduction from baseline` };
  const targetText =
    'comparator' in target
      ? `target ${symbols[target.comparator as Comparator] ? `${symbols[target.comparator as Comparator]} ` : ''}${show(target.value)}`
      : 'low' in target
        ? `target ${show(target.low)}–${show(target.high)}`
        : `target: ${target.text}`;
  // The summary never quotes a result: a baseline taken from one is named, not given.
  const summaryTarget = spec.relative ? `target ${reduction}` : targetText;
  const unitNote = otherUnits.length
    ? `; results in ${otherUnits.join(', ')} not compared (no unit conversion)`
    : '';
  const base = { measure: { loinc: spec.loinc, display: spec.display }, target, series: readings };
  const summary = (status: ProgressStatus) =>
    `${spec.display}: ${status === 'no-data' && spec.relative && threshold === undefined ? 'no baseline yet' : statusWords[status]}, ${summaryTarget}`;
  const latest = readings.at(-1);
  if (!latest)
    return {
      ...base,
      status: 'no-data',
      explanation: `${spec.display}: no ${spec.relative && threshold === undefined ? 'baseline' : 'result'} yet, ${targetText}${relativeNote}${unitNote}`,
      summary: summary('no-data'),
    };
  const met = (v: number): boolean => {
    if (threshold !== undefined) {
      if (comparator === '<') return v < threshold;
      if (comparator === '<=') return v <= threshold;
      if (comparator === '>') return v > threshold;
      if (comparator === '=') return round(v, spec.decimals) === round(threshold, spec.decimals);
      return v >= threshold;
    }
    return v >= spec.low! && v <= spec.high!;
  };
  // How far a value is from the target (0 when met): "improving" means this got smaller.
  const distance = (v: number): number => {
    if (met(v)) return 0;
    if (threshold !== undefined) return Math.abs(v - threshold);
    return v < spec.low! ? spec.low! - v : v - spec.high!;
  };
  const head = `${spec.display} ${show(latest.value)} on ${day(latest.date)}, ${targetText}${relativeNote}`;
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
    explanation: `${head}${change}${unitNote}${why}: ${status}`,
    summary: summary(status),
  });
  if (met(latest.value)) return progress('achieved');
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
    const explanation = `${text}: no measurable target; the team records achievement by hand`;
    return { status: 'no-data', target: { text }, series: [], explanation, summary: explanation };
  }
  const parts = specs.map((s) => {
    const { readings, otherUnits } = readingsFor(observations, s);
    return assessTarget(s, readings, otherUnits);
  });
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
    summary: `${parts.map((p) => p.summary).join('; ')} → ${status}`,
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

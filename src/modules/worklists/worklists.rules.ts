/**
 * How the worklist ranks open tasks, as data: each rule's points and the reason it exists. The same
 * table drives the SQL that orders a view (worklists.service.ts, `scoreSql`) and the explanation each
 * item carries (`explainRank`), so the factors shown always add up to the score the list was sorted by.
 */
import { type RawBuilder, sql } from 'kysely';
import { localDaysBetween, localMinuteOfDay, startOfLocalDay } from './local-day.js';

/** The ranking rules. Points are whole numbers so that equal scores compare exactly in keyset paging. */
export const rankingRules = {
  priority: {
    points: { stat: 40, asap: 30, urgent: 20, routine: 0 } as Record<string, number>,
    why:
      'The requester states the urgency (FHIR request-priority: routine < urgent < asap < stat); it ' +
      'leads the rank, and a stat task due today outranks anything merely late.',
  },
  overdue: {
    perDay: 3,
    capDays: 14,
    why:
      'Each local day past due adds points, so late work rises steadily; capped at 14 days so that a ' +
      'long-forgotten routine task (at most 42) does not bury a stat task due today (55).',
  },
  dueToday: {
    points: 15,
    why: "Due before the end of the organization's day: today is when it can still be done on time.",
  },
  risk: {
    points: { certain: 20, high: 20, moderate: 10, low: 0, negligible: 0 } as Record<string, number>,
    why:
      "The patient's latest RiskAssessment (qualitativeRisk, HL7 risk-probability codes): a missed " +
      'step costs more for a high-risk patient (more admissions, more harm).',
  },
  contactWindow: {
    points: 5,
    why:
      'The patient said when they can be reached; calling inside that window now is more likely to ' +
      'succeed, so a small nudge up while it is open.',
  },
  interpreter: {
    points: 0,
    why:
      'Needing an interpreter changes how the call is prepared, not how urgent it is: shown as a ' +
      'reason, no points.',
  },
} as const;

/** The instants a ranking is computed against (one per request, reused by every page of it). */
export interface RankTime {
  now: number;
  zone: string;
  /** dayStarts[k] = local midnight k days before today (k = 0 … capDays). */
  dayStarts: number[];
  /** Local midnight ending today. */
  tomorrow: number;
  /** Local midnight ending the 7th local day (today and the six after it). */
  weekEnd: number;
  /** Minutes after local midnight now. */
  minute: number;
}

/** Day boundaries change once a day: kept per zone and local day (Intl formatting is not free). */
const boundaries = new Map<
  string,
  { today: number; tomorrow: number; dayStarts: number[]; weekEnd: number }
>();

/** The local day boundaries for `now` in `zone`. */
export function rankTime(now: number, zone: string): RankTime {
  let days = boundaries.get(zone);
  if (!days || now < days.today || now >= days.tomorrow) {
    days = {
      today: startOfLocalDay(now, zone),
      tomorrow: startOfLocalDay(now, zone, 1),
      dayStarts: Array.from({ length: rankingRules.overdue.capDays + 1 }, (_, k) =>
        startOfLocalDay(now, zone, -k),
      ),
      weekEnd: startOfLocalDay(now, zone, 7),
    };
    boundaries.set(zone, days);
  }
  return {
    now,
    zone,
    dayStarts: days.dayStarts,
    tomorrow: days.tomorrow,
    weekEnd: days.weekEnd,
    minute: localMinuteOfDay(now, zone),
  };
}

/** How far back local midnights are kept (beyond it, days are counted through Intl). */
const DAYS_KEPT = 400;
/**
 * Local midnights going back from today (index k = k days before today), per zone and day, grown on
 * demand: a page of long-overdue tasks would otherwise cost two Intl formatting calls per task.
 */
const pastDayStarts = new Map<string, number[]>();

function dayStartsBack(time: RankTime, ms: number): number[] {
  const key = `${time.zone} ${time.dayStarts[0]}`;
  let starts = pastDayStarts.get(key);
  if (!starts) {
    if (pastDayStarts.size >= 16) pastDayStarts.clear();
    starts = [...time.dayStarts];
    pastDayStarts.set(key, starts);
  }
  while (ms < starts.at(-1)! && starts.length <= DAYS_KEPT)
    starts.push(startOfLocalDay(time.dayStarts[0]!, time.zone, -starts.length));
  return starts;
}

/** Local days from the day of `ms` to today: from the kept boundaries when within them, else through Intl. */
function daysAgo(ms: number, time: RankTime): number {
  if (ms >= time.dayStarts[0]!) return 0;
  for (let k = 1; k < time.dayStarts.length; k++) if (ms >= time.dayStarts[k]!) return k;
  const starts = dayStartsBack(time, ms);
  if (ms < starts.at(-1)!) return localDaysBetween(ms, time.now, time.zone);
  // starts descends: the first k with ms >= starts[k] is the number of days.
  let lo = time.dayStarts.length;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms >= starts[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** What the ranking reads of a worklist row. */
export interface RankFacts {
  priority: string;
  due_ms: number | null;
  risk_tier: string | null;
  contact_from: number | null;
  contact_to: number | null;
  interpreter: number;
  language: string | null;
  reason: string | null;
  discharged_ms: number | null;
}

export interface Factor {
  name: string;
  points: number;
  detail: string;
}
export interface Reason {
  code: string;
  label: string;
}

/** Local days a task is overdue: 0 when due today or later, 1 when due yesterday, and so on. */
export function overdueDays(dueMs: number | null, time: RankTime): number {
  if (dueMs === null || dueMs >= time.dayStarts[0]!) return 0;
  return daysAgo(dueMs, time);
}

function inWindow(from: number | null, to: number | null, minute: number): boolean {
  if (from === null || to === null || from === to) return false;
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** The score of one row with the factors that make it up and the reason chips to show. */
export function explainRank(
  row: RankFacts,
  time: RankTime,
): { score: number; factors: Factor[]; reasons: Reason[]; overdueDays: number } {
  const r = rankingRules;
  const factors: Factor[] = [];
  const reasons: Reason[] = [];
  const priorityPoints = r.priority.points[row.priority] ?? 0;
  factors.push({ name: 'priority', points: priorityPoints, detail: `${row.priority} priority` });
  if (row.priority !== 'routine')
    reasons.push({ code: row.priority, label: row.priority === 'asap' ? 'ASAP' : row.priority });
  const late = overdueDays(row.due_ms, time);
  if (late > 0) {
    const counted = Math.min(late, r.overdue.capDays);
    factors.push({
      name: 'overdue',
      points: counted * r.overdue.perDay,
      detail: `${late} day${late === 1 ? '' : 's'} overdue × ${r.overdue.perDay}${late > counted ? ` (capped at ${r.overdue.capDays} days)` : ''}`,
    });
    reasons.push({ code: 'overdue', label: `overdue ${late} d` });
  }
  if (row.due_ms !== null && row.due_ms >= time.dayStarts[0]! && row.due_ms < time.tomorrow) {
    factors.push({ name: 'due-today', points: r.dueToday.points, detail: 'due today' });
    reasons.push({ code: 'due-today', label: row.due_ms < time.now ? 'due earlier today' : 'due today' });
  }
  const riskPoints = row.risk_tier ? (r.risk.points[row.risk_tier] ?? 0) : 0;
  if (row.risk_tier) {
    if (riskPoints > 0)
      factors.push({ name: 'risk', points: riskPoints, detail: `${row.risk_tier} risk (latest assessment)` });
    if (riskPoints > 0) reasons.push({ code: 'risk', label: `${row.risk_tier} risk` });
  }
  if (inWindow(row.contact_from, row.contact_to, time.minute)) {
    factors.push({
      name: 'contact-window',
      points: r.contactWindow.points,
      detail: `the patient prefers contact ${hhmm(row.contact_from!)}–${hhmm(row.contact_to!)}: now is inside it`,
    });
    reasons.push({ code: 'contact-window', label: 'good time to call' });
  }
  if (row.interpreter) {
    factors.push({
      name: 'interpreter',
      points: r.interpreter.points,
      detail: `needs an interpreter${row.language ? ` (${row.language})` : ''}`,
    });
    reasons.push({ code: 'interpreter', label: `interpreter${row.language ? `: ${row.language}` : ''}` });
  }
  if (row.discharged_ms !== null) {
    const days = daysAgo(row.discharged_ms, time);
    reasons.push({
      code: 'discharged',
      label: days === 0 ? 'discharged today' : `discharged ${days} day${days === 1 ? '' : 's'} ago`,
    });
  }
  const score = factors.reduce((sum, f) => sum + f.points, 0);
  return { score, factors, reasons, overdueDays: late };
}

/** The same score as `explainRank`, as SQL over a worklist_items row aliased `alias`. */
export function scoreSql(alias: string, time: RankTime): RawBuilder<number> {
  const r = rankingRules;
  const col = (name: string) => sql.ref(`${alias}.${name}`);
  const due = col('due_ms');
  const cases = (column: RawBuilder<unknown>, points: Record<string, number>) =>
    sql`case ${column} ${sql.join(
      Object.entries(points)
        .filter(([, p]) => p !== 0)
        .map(([k, p]) => sql`when ${k} then ${sql.lit(p)}`),
      sql` `,
    )} else 0 end`;
  // Overdue points by local day: due before dayStarts[k-1] and on or after dayStarts[k] is k days late.
  const overdueSteps = [];
  for (let k = 1; k <= r.overdue.capDays; k++)
    overdueSteps.push(sql`when ${due} >= ${time.dayStarts[k]!} then ${sql.lit(k * r.overdue.perDay)}`);
  const overdue = sql`case when ${due} is null or ${due} >= ${time.dayStarts[0]!} then 0 ${sql.join(overdueSteps, sql` `)} else ${sql.lit(r.overdue.capDays * r.overdue.perDay)} end`;
  const today = sql`case when ${due} >= ${time.dayStarts[0]!} and ${due} < ${time.tomorrow} then ${sql.lit(r.dueToday.points)} else 0 end`;
  const from = col('contact_from');
  const to = col('contact_to');
  const m = time.minute;
  const window = sql`case when ${from} is null or ${to} is null or ${from} = ${to} then 0 when ${from} < ${to} and ${from} <= ${m} and ${m} < ${to} then ${sql.lit(r.contactWindow.points)} when ${from} > ${to} and (${m} >= ${from} or ${m} < ${to}) then ${sql.lit(r.contactWindow.points)} else 0 end`;
  return sql<number>`(${cases(col('priority'), r.priority.points)} + ${overdue} + ${today} + ${cases(col('risk_tier'), r.risk.points)} + ${window})`;
}

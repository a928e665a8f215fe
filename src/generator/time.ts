/**
 * Time arithmetic for the generator, on plain epoch milliseconds. The synthetic health system sits in central
 * Ohio, so clinical times are written with a fixed US Eastern offset (-05:00); the instant is exact either way.
 */

export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const YEAR = 365.25 * DAY;

/** The generator's default reference "today", fixed so that output does not depend on the wall clock. */
export const DEFAULT_NOW = Date.UTC(2026, 10, 30, 12, 0, 0);

const OFFSET = -5 * HOUR;
const OFFSET_TEXT = '-05:00';

const PAD2: string[] = [];
for (let i = 0; i < 60; i++) PAD2.push(String(i).padStart(2, '0'));
// Formatting dates is the generator's hottest path; calendar days repeat a lot, so they are cached
// (at most one entry per day of the ~100 years the population spans).
const dayCache = new Map<number, string>();

function localDay(day: number): string {
  let text = dayCache.get(day);
  if (text === undefined) {
    text = new Date(day * DAY).toISOString().slice(0, 10);
    dayCache.set(day, text);
  }
  return text;
}

/** FHIR dateTime in local (Eastern standard) time, to the second: 2025-03-04T14:30:00-05:00. */
export function fhirDateTime(ms: number): string {
  const local = Math.floor((Math.trunc(ms) + OFFSET) / 1000);
  const day = Math.floor(local / 86_400);
  let seconds = local - day * 86_400;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return `${localDay(day)}T${PAD2[hours]}:${PAD2[minutes]}:${PAD2[seconds]}${OFFSET_TEXT}`;
}

/** FHIR date (YYYY-MM-DD) of the local calendar day containing `ms`. */
export function fhirDate(ms: number): string {
  return localDay(Math.floor((Math.trunc(ms) + OFFSET) / DAY));
}

/** The instant of local clock time `hour` (may be fractional) on the local day containing `ms`. */
export function atLocalTime(ms: number, hour: number): number {
  const localDay = Math.floor((ms + OFFSET) / DAY) * DAY;
  return localDay - OFFSET + Math.round(hour * 60) * 60_000;
}

/** Moves a Saturday to the Friday before and a Sunday to the Monday after (clinics see patients on weekdays). */
export function toWeekday(ms: number): number {
  const dow = new Date(ms + OFFSET).getUTCDay();
  if (dow === 6) return ms - DAY;
  if (dow === 0) return ms + DAY;
  return ms;
}

/** Whole years between a birth instant and `at`, as people count birthdays. */
export function ageAt(birth: number, at: number): number {
  const b = new Date(birth);
  const a = new Date(at);
  let age = a.getUTCFullYear() - b.getUTCFullYear();
  if (
    a.getUTCMonth() < b.getUTCMonth() ||
    (a.getUTCMonth() === b.getUTCMonth() && a.getUTCDate() < b.getUTCDate())
  ) {
    age--;
  }
  return age;
}

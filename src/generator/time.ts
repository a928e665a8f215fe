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

/** FHIR dateTime in local (Eastern standard) time, to the second: 2025-03-04T14:30:00-05:00. */
export function fhirDateTime(ms: number): string {
  return new Date(ms + OFFSET).toISOString().slice(0, 19) + OFFSET_TEXT;
}

/** FHIR date (YYYY-MM-DD) of the local calendar day containing `ms`. */
export function fhirDate(ms: number): string {
  return new Date(ms + OFFSET).toISOString().slice(0, 10);
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

/**
 * Business days: Monday to Friday except the holidays an organization closes for. The default is the
 * US federal list of 5 U.S.C. 6103(a) on the dates OPM says they are observed (6103(b) and
 * Executive Order 11582: a Saturday holiday is observed the Friday before, a Sunday one the Monday
 * after). Dates here are calendar dates (YYYY-MM-DD) with no zone: the caller turns an instant into
 * the organization's local date first (src/modules/tasks/due-dates.ts).
 */

/** One federal holiday: its legal date, the weekday it is observed on, and its name in the statute. */
export interface FederalHoliday {
  date: string;
  observed: string;
  name: string;
}

export interface BusinessCalendar {
  /** True for a Monday–Friday date that is not an observed holiday of this calendar. */
  isBusinessDay(date: string /* YYYY-MM-DD */): boolean;
  /** The holiday on this date (observed or legal date), if any. */
  holidayName(date: string): string | undefined;
}

export const FEDERAL_HOLIDAY_SOURCE = {
  title:
    '5 U.S.C. 6103 (holidays; Saturday/Sunday observed rule in 6103(b) and E.O. 11582), as applied in OPM\'s "Federal Holidays" list',
  url: 'https://www.opm.gov/policy-data-oversight/pay-leave/federal-holidays/',
  statute: 'https://www.law.cornell.edu/uscode/text/5/6103',
} as const;

/** Juneteenth National Independence Day Act, Pub. L. 117-17 (17 June 2021). */
const JUNETEENTH_FIRST_YEAR = 2021;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses YYYY-MM-DD into a UTC midnight Date; throws RangeError on anything else (e.g. 2026-02-30). */
export function parseIsoDate(date: string): Date {
  const m = ISO_DATE.exec(date);
  const at = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !at || formatIsoDate(at) !== date) {
    throw new RangeError(`invalid date "${date}": expected a calendar date as YYYY-MM-DD`);
  }
  return at;
}

/** True when `date` is a real calendar date written YYYY-MM-DD. */
export function isIsoDate(date: string): boolean {
  try {
    parseIsoDate(date);
    return true;
  } catch {
    return false;
  }
}

/** The UTC calendar date of `at` as YYYY-MM-DD. */
function formatIsoDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** `date` plus `days` calendar days (negative goes back). */
export function addCalendarDays(date: string, days: number): string {
  const at = parseIsoDate(date);
  return formatIsoDate(new Date(at.getTime() + days * 86_400_000));
}

/** 0 Sunday … 6 Saturday. */
function weekday(date: string): number {
  return parseIsoDate(date).getUTCDay();
}

function ymd(year: number, month: number, day: number): string {
  return formatIsoDate(new Date(Date.UTC(year, month - 1, day)));
}

/** The `n`th given weekday of a month (n = -1: the last). */
function nthWeekday(year: number, month: number, dayOfWeek: number, n: number): string {
  if (n > 0) {
    const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
    return ymd(year, month, 1 + ((dayOfWeek - first + 7) % 7) + (n - 1) * 7);
  }
  const lastDay = new Date(Date.UTC(year, month, 0));
  const back = (lastDay.getUTCDay() - dayOfWeek + 7) % 7;
  return ymd(year, month, lastDay.getUTCDate() - back);
}

/** Saturday → the Friday before, Sunday → the Monday after (5 U.S.C. 6103(b); E.O. 11582). */
function observedDate(date: string): string {
  const day = weekday(date);
  if (day === 6) return addCalendarDays(date, -1);
  if (day === 0) return addCalendarDays(date, 1);
  return date;
}

const MONDAY = 1;
const THURSDAY = 4;

/**
 * The federal holidays whose legal date falls in `year`, with the date each is observed. New Year's
 * Day on a Saturday is observed on 31 December of the year before, so `observed` can lie in year - 1.
 * Inauguration Day (Washington, DC area only) is not included.
 */
export function usFederalHolidays(year: number): FederalHoliday[] {
  if (!Number.isInteger(year) || year < 1 || year > 9999) {
    throw new RangeError(`invalid year ${year}: expected an integer from 1 to 9999`);
  }
  const legal: [string, string][] = [
    [ymd(year, 1, 1), "New Year's Day"],
    [nthWeekday(year, 1, MONDAY, 3), 'Birthday of Martin Luther King, Jr.'],
    [nthWeekday(year, 2, MONDAY, 3), "Washington's Birthday"],
    [nthWeekday(year, 5, MONDAY, -1), 'Memorial Day'],
    ...(year >= JUNETEENTH_FIRST_YEAR
      ? [[ymd(year, 6, 19), 'Juneteenth National Independence Day'] as [string, string]]
      : []),
    [ymd(year, 7, 4), 'Independence Day'],
    [nthWeekday(year, 9, MONDAY, 1), 'Labor Day'],
    [nthWeekday(year, 10, MONDAY, 2), 'Columbus Day'],
    [ymd(year, 11, 11), 'Veterans Day'],
    [nthWeekday(year, 11, THURSDAY, 4), 'Thanksgiving Day'],
    [ymd(year, 12, 25), 'Christmas Day'],
  ];
  return legal.map(([date, name]) => ({ date, observed: observedDate(date), name }));
}

export interface BusinessCalendarOptions {
  /** Which public holidays close the organization: US federal (default) or none (weekends only). */
  holidays?: 'us-federal' | 'none';
  /** Extra closed dates (YYYY-MM-DD), e.g. the day after Thanksgiving. */
  extra?: string[];
  /** Holiday dates (YYYY-MM-DD) the organization works on after all. */
  removed?: string[];
}

/** A calendar of business days; extra and removed dates are validated here (RangeError names the date). */
export function createBusinessCalendar(options: BusinessCalendarOptions = {}): BusinessCalendar {
  const federal = (options.holidays ?? 'us-federal') === 'us-federal';
  const extra = validDates(options.extra);
  const removed = validDates(options.removed);
  const byYear = new Map<number, Map<string, string>>();

  /** Observed and legal dates → name, for holidays that can land in `year` (next year's 1 January too). */
  function namesFor(year: number): Map<string, string> {
    let names = byYear.get(year);
    if (!names) {
      names = new Map();
      const candidates = [...usFederalHolidays(year), ...(year < 9999 ? usFederalHolidays(year + 1) : [])];
      for (const h of candidates) {
        if (h.observed.startsWith(`${year}-`)) {
          names.set(h.observed, h.observed === h.date ? h.name : `${h.name} (observed)`);
        }
        if (h.date.startsWith(`${year}-`) && !names.has(h.date)) names.set(h.date, h.name);
      }
      byYear.set(year, names);
    }
    return names;
  }

  function federalObserved(date: string): string | undefined {
    const name = namesFor(parseIsoDate(date).getUTCFullYear()).get(date);
    // A legal date on a weekend is named but closes nothing: the observed weekday does.
    return name !== undefined && weekday(date) !== 0 && weekday(date) !== 6 ? name : undefined;
  }

  const calendar: BusinessCalendar = {
    holidayName(date) {
      parseIsoDate(date);
      if (removed.has(date)) return undefined;
      if (extra.has(date)) return (federal && federalObserved(date)) || 'Organization holiday';
      return federal ? namesFor(parseIsoDate(date).getUTCFullYear()).get(date) : undefined;
    },
    isBusinessDay(date) {
      const day = weekday(date);
      if (day === 0 || day === 6) return false;
      if (removed.has(date)) return true;
      if (extra.has(date)) return false;
      return !(federal && federalObserved(date));
    },
  };
  return calendar;
}

function validDates(dates: string[] = []): Set<string> {
  for (const date of dates) parseIsoDate(date);
  return new Set(dates);
}

/** The `days`th business day after `date` (YYYY-MM-DD); 0 returns `date` itself. */
export function addBusinessDays(calendar: BusinessCalendar, date: string, days: number): string {
  if (!Number.isInteger(days) || days < 0) {
    throw new RangeError(`invalid number of business days ${days}: expected an integer >= 0`);
  }
  let current = date;
  parseIsoDate(date);
  let left = days;
  while (left > 0) {
    current = addCalendarDays(current, 1);
    if (calendar.isBusinessDay(current)) left--;
  }
  return current;
}

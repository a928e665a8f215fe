/**
 * Due times of follow-up tasks. Calendar days are exact spans (48 hours for "within 2 days");
 * business days are drawn in the organization's zone: the deadline is the end of the Nth business
 * day (src/platform/business-calendar.ts: weekdays minus the observed US federal holidays unless the
 * caller passes another calendar) after the day the encounter ended, stored as a UTC instant.
 */
import {
  addBusinessDays,
  type BusinessCalendar,
  createBusinessCalendar,
} from '../../platform/business-calendar.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Weekdays minus observed US federal holidays: the default when the caller passes no calendar. */
const federalCalendar = createBusinessCalendar();

/** The instant `days` (business) days after `from`; business days follow `calendar` (US federal by default). */
export function dueAfter(
  from: Date,
  due: { days: number; business?: boolean },
  timeZone: string,
  calendar?: BusinessCalendar,
): Date {
  if (!due.business) return new Date(from.getTime() + due.days * DAY_MS);
  const day = addBusinessDays(calendar ?? federalCalendar, localDateString(from, timeZone), due.days);
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return endOfLocalDay(year, month, date, timeZone);
}

/** The calendar date of `at` in `timeZone`, as YYYY-MM-DD. */
export function localDateString(at: Date, timeZone: string): string {
  const { year, month, day } = localDate(at, timeZone);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Year, month (1–12) and day of `at` in `timeZone`. */
export function localDate(at: Date, timeZone: string): { year: number; month: number; day: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

/** Minutes the zone is ahead of UTC at `at`. */
function offsetMinutes(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60000);
}

/** 23:59:59 local time on the given date, as an instant. */
export function endOfLocalDay(year: number, month: number, day: number, timeZone: string): Date {
  const naive = Date.UTC(year, month - 1, day, 23, 59, 59);
  // The offset at the naive instant is right except within hours of a DST change; a second pass fixes that.
  let at = naive - offsetMinutes(new Date(naive), timeZone) * 60000;
  at = naive - offsetMinutes(new Date(at), timeZone) * 60000;
  return new Date(at);
}

/**
 * Due times of follow-up tasks. Calendar days are exact spans (48 hours for "within 2 days");
 * business days are drawn in the organization's zone: the deadline is the end of the Nth weekday
 * after the day the encounter ended, stored as a UTC instant. No holiday calendar yet: weekends only.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** The instant `days` (business) days after `from`. */
export function dueAfter(from: Date, due: { days: number; business?: boolean }, timeZone: string): Date {
  if (!due.business) return new Date(from.getTime() + due.days * DAY_MS);
  let { year, month, day } = localDate(from, timeZone);
  let left = due.days;
  while (left > 0) {
    const next = new Date(Date.UTC(year, month - 1, day + 1));
    ({ year, month, day } = {
      year: next.getUTCFullYear(),
      month: next.getUTCMonth() + 1,
      day: next.getUTCDate(),
    });
    const weekday = next.getUTCDay();
    if (weekday !== 0 && weekday !== 6) left--;
  }
  return endOfLocalDay(year, month, day, timeZone);
}

function localDate(at: Date, timeZone: string): { year: number; month: number; day: number } {
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
function endOfLocalDay(year: number, month: number, day: number, timeZone: string): Date {
  const naive = Date.UTC(year, month - 1, day, 23, 59, 59);
  // The offset at the naive instant is right except within hours of a DST change; a second pass fixes that.
  let at = naive - offsetMinutes(new Date(naive), timeZone) * 60000;
  at = naive - offsetMinutes(new Date(at), timeZone) * 60000;
  return new Date(at);
}

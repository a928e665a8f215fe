/**
 * Day boundaries in the care organization's time zone, with Intl only: "due today" and "this week"
 * are local days (a task due 23:30 in New York is due today there, though it is tomorrow in UTC), and
 * a local day is 23 or 25 hours long when clocks change.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock reading in `zone` at the instant `ms`. */
export function localParts(ms: number, zone: string): LocalParts {
  const out: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms)))
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out as unknown as LocalParts;
}

/** Milliseconds `zone` is ahead of UTC at the instant `ms`. */
function offsetAt(ms: number, zone: string): number {
  const p = localParts(ms, zone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/** The instant of local midnight starting the day `days` after the local day that contains `ms`. */
export function startOfLocalDay(ms: number, zone: string, days = 0): number {
  const p = localParts(ms, zone);
  const wall = Date.UTC(p.year, p.month - 1, p.day + days);
  // Two rounds: the offset at the guess may differ from the offset at midnight across a clock change.
  let at = wall - offsetAt(wall, zone);
  at = wall - offsetAt(at, zone);
  return at;
}

/** Minutes after local midnight at `ms` (for contact windows such as 09:00–12:00). */
export function localMinuteOfDay(ms: number, zone: string): number {
  const p = localParts(ms, zone);
  return p.hour * 60 + p.minute;
}

/** Whole local days from the day of `earlier` to the day of `later` (0 on the same local day). */
export function localDaysBetween(earlier: number, later: number, zone: string): number {
  const a = localParts(earlier, zone);
  const b = localParts(later, zone);
  return Math.round(
    (Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000,
  );
}

/**
 * Search values as ranges (R4 search.html): a date searched at a precision stands for the whole
 * interval it names (2026-03 = all of March), and a number for the interval of its significant
 * digits (100 = [99.5, 100.5)). Prefixes then compare intervals, not points.
 */
import { badRequest } from '../outcome.js';

/** Lowest and highest instants we index, in epoch ms: stand-ins for open period ends. */
export const MIN_MS = -8.64e15;
export const MAX_MS = 8.64e15;

const datePattern =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** The interval [low, high] (epoch ms, inclusive) a date search value names. Times without a zone are UTC. */
export function dateRange(value: string, key: string): { low: number; high: number } {
  const m = datePattern.exec(value);
  if (!m)
    throw badRequest(
      `"${value}" is not a FHIR date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][Z|+hh:mm])`,
      key,
    );
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const offsetMs = zone && zone !== 'Z' ? zoneOffsetMs(zone) : 0;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  // A day the month does not have (2026-02-30) is refused rather than rolled into the next month.
  if (month < 0 || month > 11 || day < 1 || day > new Date(Date.UTC(year, month + 1, 0)).getUTCDate())
    throw badRequest(`"${value}" is not a valid date`, key);
  if ((h && Number(h) > 23) || (mi && Number(mi) > 59) || (s && Number(s) > 59))
    throw badRequest(`"${value}" is not a valid time`, key);
  const start =
    Date.UTC(
      year,
      month,
      day,
      h ? Number(h) : 0,
      mi ? Number(mi) : 0,
      s ? Number(s) : 0,
      frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0,
    ) - offsetMs;
  let end: number;
  if (!mo) end = Date.UTC(year + 1, 0, 1) - offsetMs;
  else if (!d) end = Date.UTC(year, month + 1, 1) - offsetMs;
  else if (!h) end = Date.UTC(year, month, day + 1) - offsetMs;
  else if (!s) end = start + 60_000;
  else if (!frac) end = start + 1000;
  else end = start + 1;
  return { low: start, high: end - 1 };
}

function zoneOffsetMs(zone: string): number {
  const sign = zone.startsWith('-') ? -1 : 1;
  const [hh, mm] = zone.slice(1).split(':').map(Number);
  return sign * ((hh ?? 0) * 60 + (mm ?? 0)) * 60_000;
}

/** The interval [low, high) a number search value names, from its significant digits. */
export function numberRange(value: string, key: string): { value: number; low: number; high: number } {
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value))
    throw badRequest(`"${value}" is not a number`, key);
  const n = Number(value);
  const [mantissa, exponent] = value.toLowerCase().split('e');
  // The index holds doubles: a value past their range (1e400 reads as Infinity, 1e-400 as 0) would
  // be compared as something it is not.
  if (!Number.isFinite(n) || (n === 0 && /[1-9]/.test(mantissa!)))
    throw badRequest(
      `"${value}" is outside the range of numbers the server compares (about 1e-308 to 1e308)`,
      key,
    );
  const decimals = (mantissa!.split('.')[1] ?? '').length;
  const half = 0.5 * 10 ** (-decimals + Number(exponent ?? 0));
  return { value: n, low: n - half, high: n + half };
}

import { describe, expect, it } from 'vitest';
import {
  addBusinessDays,
  addCalendarDays,
  createBusinessCalendar,
  isIsoDate,
  usFederalHolidays,
} from './business-calendar.js';
import { ConfigError, loadConfig } from './config.js';

const federal = createBusinessCalendar();
const observed = (year: number) => usFederalHolidays(year).map((h) => h.observed);

describe('usFederalHolidays', () => {
  // Expected dates copied from OPM's published list for 2026:
  // https://www.opm.gov/policy-data-oversight/pay-leave/federal-holidays/#url=2026
  it("matches OPM's 2026 list (Independence Day on a Saturday is observed Friday 3 July)", () => {
    expect(usFederalHolidays(2026)).toEqual([
      { date: '2026-01-01', observed: '2026-01-01', name: "New Year's Day" },
      { date: '2026-01-19', observed: '2026-01-19', name: 'Birthday of Martin Luther King, Jr.' },
      { date: '2026-02-16', observed: '2026-02-16', name: "Washington's Birthday" },
      { date: '2026-05-25', observed: '2026-05-25', name: 'Memorial Day' },
      { date: '2026-06-19', observed: '2026-06-19', name: 'Juneteenth National Independence Day' },
      { date: '2026-07-04', observed: '2026-07-03', name: 'Independence Day' },
      { date: '2026-09-07', observed: '2026-09-07', name: 'Labor Day' },
      { date: '2026-10-12', observed: '2026-10-12', name: 'Columbus Day' },
      { date: '2026-11-11', observed: '2026-11-11', name: 'Veterans Day' },
      { date: '2026-11-26', observed: '2026-11-26', name: 'Thanksgiving Day' },
      { date: '2026-12-25', observed: '2026-12-25', name: 'Christmas Day' },
    ]);
  });

  // OPM's 2027 list: https://www.opm.gov/policy-data-oversight/pay-leave/federal-holidays/#url=2027
  // (Juneteenth and Christmas fall on Saturdays, Independence Day on a Sunday, and New Year's Day 2028
  // on a Saturday, observed Friday 31 December 2027.)
  it("matches OPM's 2027 observed dates, including New Year's Day 2028 on 31 December 2027", () => {
    const opm2027 = [
      '2027-01-01',
      '2027-01-18',
      '2027-02-15',
      '2027-05-31',
      '2027-06-18',
      '2027-07-05',
      '2027-09-06',
      '2027-10-11',
      '2027-11-11',
      '2027-11-25',
      '2027-12-24',
      '2027-12-31',
    ];
    const days = Array.from({ length: 365 }, (_, i) => addCalendarDays('2027-01-01', i));
    const closedWeekdays = days.filter((d) => {
      const dow = new Date(`${d}T00:00:00Z`).getUTCDay();
      return dow !== 0 && dow !== 6 && !federal.isBusinessDay(d);
    });
    expect(closedWeekdays).toEqual(opm2027);
    expect(federal.holidayName('2027-12-31')).toBe("New Year's Day (observed)");
  });

  it('observes New Year on a Saturday on 31 December of the year before (2022-01-01 → 2021-12-31)', () => {
    expect(usFederalHolidays(2022)[0]).toEqual({
      date: '2022-01-01',
      observed: '2021-12-31',
      name: "New Year's Day",
    });
    expect(federal.isBusinessDay('2021-12-31')).toBe(false);
    expect(federal.holidayName('2021-12-31')).toBe("New Year's Day (observed)");
    // Christmas 2021 was a Saturday too: observed Friday 24 December.
    expect(federal.isBusinessDay('2021-12-24')).toBe(false);
    expect(federal.holidayName('2022-01-01')).toBe("New Year's Day");
  });

  it('observes a Sunday holiday on the Monday after (New Year 2023, Christmas 2022)', () => {
    expect(observed(2023)[0]).toBe('2023-01-02');
    expect(usFederalHolidays(2022).find((h) => h.name === 'Christmas Day')!.observed).toBe('2022-12-26');
    expect(federal.isBusinessDay('2023-01-02')).toBe(false);
    expect(federal.isBusinessDay('2022-12-26')).toBe(false);
  });

  it('has Juneteenth from 2021 on (observed Friday 18 June 2021) and not before', () => {
    expect(usFederalHolidays(2020).map((h) => h.name)).not.toContain('Juneteenth National Independence Day');
    expect(usFederalHolidays(2020)).toHaveLength(10);
    expect(federal.isBusinessDay('2020-06-19')).toBe(true);
    expect(usFederalHolidays(2021)).toHaveLength(11);
    expect(federal.isBusinessDay('2021-06-18')).toBe(false);
    expect(federal.holidayName('2021-06-18')).toBe('Juneteenth National Independence Day (observed)');
  });

  it('finds the last Monday of May and the 4th Thursday of November in months with five of them', () => {
    expect(usFederalHolidays(2027).find((h) => h.name === 'Memorial Day')!.date).toBe('2027-05-31');
    // November 2029 has five Thursdays (1, 8, 15, 22, 29): Thanksgiving is the 4th.
    expect(usFederalHolidays(2029).find((h) => h.name === 'Thanksgiving Day')!.date).toBe('2029-11-22');
  });

  it('leaves out Inauguration Day (Friday 20 January 2017 was a business day)', () => {
    expect(federal.isBusinessDay('2017-01-20')).toBe(true);
  });

  it('rejects a year that is not an integer', () => {
    expect(() => usFederalHolidays(2026.5)).toThrow(/invalid year/);
  });
});

describe('createBusinessCalendar', () => {
  it('treats Saturdays and Sundays as non-business days and plain weekdays as business days', () => {
    expect(federal.isBusinessDay('2026-11-28')).toBe(false); // Saturday
    expect(federal.isBusinessDay('2026-11-29')).toBe(false); // Sunday
    expect(federal.isBusinessDay('2026-11-30')).toBe(true); // Monday
    expect(federal.holidayName('2026-11-30')).toBeUndefined();
  });

  it('closes on every observed federal holiday and names it', () => {
    for (const h of usFederalHolidays(2026)) expect(federal.isBusinessDay(h.observed)).toBe(false);
    expect(federal.holidayName('2026-07-03')).toBe('Independence Day (observed)');
    expect(federal.holidayName('2026-07-04')).toBe('Independence Day');
    expect(federal.holidayName('2026-11-26')).toBe('Thanksgiving Day');
  });

  it('with holidays "none" counts only weekends', () => {
    const weekendsOnly = createBusinessCalendar({ holidays: 'none' });
    expect(weekendsOnly.isBusinessDay('2026-11-26')).toBe(true);
    expect(weekendsOnly.holidayName('2026-11-26')).toBeUndefined();
    expect(weekendsOnly.isBusinessDay('2026-11-28')).toBe(false);
  });

  it('adds organization holidays and removes federal ones it works on', () => {
    const org = createBusinessCalendar({ extra: ['2026-11-27', '2026-12-24'], removed: ['2026-10-12'] });
    expect(org.isBusinessDay('2026-11-27')).toBe(false);
    expect(org.holidayName('2026-11-27')).toBe('Organization holiday');
    expect(org.isBusinessDay('2026-12-24')).toBe(false);
    expect(org.isBusinessDay('2026-10-12')).toBe(true);
    expect(org.holidayName('2026-10-12')).toBeUndefined();
    // Removing a date does not make a weekend a business day.
    expect(createBusinessCalendar({ removed: ['2026-07-04'] }).isBusinessDay('2026-07-04')).toBe(false);
  });

  it('rejects an extra or removed date that does not exist, naming it', () => {
    expect(() => createBusinessCalendar({ extra: ['2026-02-30'] })).toThrow(/2026-02-30/);
    expect(() => createBusinessCalendar({ removed: ['12/24/2026'] })).toThrow(/12\/24\/2026/);
    expect(() => federal.isBusinessDay('2026-1-5')).toThrow(RangeError);
  });
});

describe('addBusinessDays', () => {
  it('skips the weekend: Friday + 2 = Tuesday', () => {
    expect(addBusinessDays(federal, '2026-11-20', 2)).toBe('2026-11-24');
    expect(addBusinessDays(federal, '2026-11-21', 1)).toBe('2026-11-23'); // from a Saturday
  });

  it('skips Thanksgiving: Wednesday 25 November + 2 = Monday 30 November', () => {
    expect(addBusinessDays(federal, '2026-11-25', 2)).toBe('2026-11-30');
    expect(addBusinessDays(createBusinessCalendar({ holidays: 'none' }), '2026-11-25', 2)).toBe('2026-11-27');
  });

  it('crosses the year end: 31 December to 2 January, and to 3 January when New Year is observed on the 31st', () => {
    expect(addBusinessDays(federal, '2025-12-31', 1)).toBe('2026-01-02');
    expect(addBusinessDays(federal, '2024-12-31', 1)).toBe('2025-01-02');
    expect(addBusinessDays(federal, '2027-12-30', 1)).toBe('2028-01-03');
    expect(addBusinessDays(federal, '2021-12-23', 1)).toBe('2021-12-27');
    expect(addBusinessDays(federal, '2021-12-30', 1)).toBe('2022-01-03');
  });

  it('returns the date itself for 0 and refuses negative or fractional counts', () => {
    expect(addBusinessDays(federal, '2026-11-28', 0)).toBe('2026-11-28');
    expect(() => addBusinessDays(federal, '2026-11-28', -1)).toThrow(RangeError);
    expect(() => addBusinessDays(federal, '2026-11-28', 1.5)).toThrow(RangeError);
  });
});

describe('isIsoDate', () => {
  it('accepts real YYYY-MM-DD dates only', () => {
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2026-13-01')).toBe(false);
    expect(isIsoDate('2026-1-01')).toBe(false);
  });
});

describe('holiday configuration', () => {
  it('defaults to the US federal calendar with no extra days', () => {
    expect(loadConfig({}).holidays).toEqual({ calendar: 'us-federal', extra: [] });
  });

  it('reads CARELOOP_HOLIDAYS and a comma-separated CARELOOP_EXTRA_HOLIDAYS', () => {
    const config = loadConfig({
      CARELOOP_HOLIDAYS: 'none',
      CARELOOP_EXTRA_HOLIDAYS: '2026-11-27, 2026-12-24',
    });
    expect(config.holidays).toEqual({ calendar: 'none', extra: ['2026-11-27', '2026-12-24'] });
  });

  it('stops start-up with one line naming the variable when a date is bad', () => {
    expect(() => loadConfig({ CARELOOP_EXTRA_HOLIDAYS: '2026-11-27,2026-11-31' })).toThrow(ConfigError);
    expect(() => loadConfig({ CARELOOP_EXTRA_HOLIDAYS: '2026-11-27,2026-11-31' })).toThrow(
      /^invalid configuration: CARELOOP_EXTRA_HOLIDAYS must be a comma-separated list of dates as YYYY-MM-DD/,
    );
    expect(() => loadConfig({ CARELOOP_HOLIDAYS: 'uk' })).toThrow(/CARELOOP_HOLIDAYS/);
  });
});

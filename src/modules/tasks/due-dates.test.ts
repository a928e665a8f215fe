import { describe, expect, it } from 'vitest';
import { createBusinessCalendar } from '../../platform/business-calendar.js';
import { dueAfter, localDateString } from './due-dates.js';

const NY = 'America/New_York';

describe('dueAfter', () => {
  it('skips US federal holidays by default: Wednesday before Thanksgiving + 2 business days = Monday', () => {
    const wednesday = new Date('2026-11-25T15:00:00Z');
    // Monday 30 November 23:59:59 EST.
    expect(dueAfter(wednesday, { days: 2, business: true }, NY).toISOString()).toBe(
      '2026-12-01T04:59:59.000Z',
    );
  });

  it('uses the calendar it is given (weekends only: Friday 27 November)', () => {
    const wednesday = new Date('2026-11-25T15:00:00Z');
    const weekendsOnly = createBusinessCalendar({ holidays: 'none' });
    expect(dueAfter(wednesday, { days: 2, business: true }, NY, weekendsOnly).toISOString()).toBe(
      '2026-11-28T04:59:59.000Z',
    );
  });

  it('counts from the local day: 21:00 Friday in New York is already Saturday in UTC', () => {
    const fridayEvening = new Date('2026-11-21T02:00:00Z');
    expect(localDateString(fridayEvening, NY)).toBe('2026-11-20');
    expect(dueAfter(fridayEvening, { days: 2, business: true }, NY).toISOString()).toBe(
      '2026-11-25T04:59:59.000Z',
    );
  });

  it('keeps calendar days as exact spans', () => {
    const at = new Date('2026-11-25T15:00:00Z');
    expect(dueAfter(at, { days: 2 }, NY).toISOString()).toBe('2026-11-27T15:00:00.000Z');
  });
});

import { describe, expect, it } from 'vitest';
import { localDaysBetween, startOfLocalDay } from './local-day.js';
import { explainRank, overdueDays, rankTime } from './worklists.rules.js';

const facts = {
  priority: 'urgent',
  due_ms: null,
  risk_tier: null,
  contact_from: null,
  contact_to: null,
  interpreter: 0,
  language: null,
  reason: null,
  discharged_ms: null,
};

describe('worklist ranking rules', () => {
  it('draws local days in the zone, 25 hours long when clocks go back (New York, 1 Nov 2026)', () => {
    const now = Date.parse('2026-11-01T18:00:00Z');
    expect(new Date(startOfLocalDay(now, 'America/New_York')).toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(new Date(startOfLocalDay(now, 'America/New_York', 1)).toISOString()).toBe(
      '2026-11-02T05:00:00.000Z',
    );
    const time = rankTime(Date.parse('2026-11-02T15:00:00Z'), 'America/New_York');
    // Due 23:30 on 31 Oct local (03:30Z 1 Nov): two local days before 2 Nov.
    expect(overdueDays(Date.parse('2026-11-01T03:30:00Z'), time)).toBe(2);
  });

  it('adds up its factors to the score, caps days overdue and gives the interpreter need no points', () => {
    const time = rankTime(Date.parse('2026-11-30T12:00:00Z'), 'America/New_York');
    const late = explainRank(
      { ...facts, due_ms: Date.parse('2026-10-01T15:00:00Z'), interpreter: 1, language: 'Spanish' },
      time,
    );
    expect(late.overdueDays).toBe(60);
    expect(late.factors.find((f) => f.name === 'overdue')!.points).toBe(42);
    expect(late.factors.find((f) => f.name === 'interpreter')!.points).toBe(0);
    expect(late.score).toBe(late.factors.reduce((s, f) => s + f.points, 0));
    expect(late.score).toBe(20 + 42);
    // 07:00 New York: inside a 06:30–08:00 window, outside 09:00–12:00.
    expect(explainRank({ ...facts, contact_from: 390, contact_to: 480 }, time).score).toBe(25);
    expect(explainRank({ ...facts, contact_from: 540, contact_to: 720 }, time).score).toBe(20);
  });

  it('counts long-overdue days from the kept local midnights exactly as the calendar does, across clock changes', () => {
    for (const zone of ['America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu']) {
      const now = Date.parse('2026-11-30T12:00:00Z');
      const time = rankTime(now, zone);
      // Every 187 minutes back over 450 days: both sides of each DST change, and past the kept 400 days.
      for (let ms = now; ms > now - 450 * 86_400_000; ms -= 187 * 60_000)
        expect(overdueDays(ms, time), `${zone} ${new Date(ms).toISOString()}`).toBe(
          ms >= time.dayStarts[0]! ? 0 : localDaysBetween(ms, now, zone),
        );
    }
  });
});

import { describe, expect, it } from 'vitest';
import { hashSeed, Rng, Weighted } from './prng.js';
import { atLocalTime, fhirDate, fhirDateTime, toWeekday } from './time.js';

describe('Rng', () => {
  it('is a pure function of its seed', () => {
    const draw = (seed: string) => {
      const rng = new Rng(seed);
      return [rng.u32(), rng.next(), rng.int(1, 6), rng.uuid()];
    };
    expect(draw('a')).toEqual(draw('a'));
    expect(draw('a')).not.toEqual(draw('b'));
    expect(hashSeed('careloop')).toEqual(hashSeed('careloop'));
  });

  it('draws uniformly and makes version-4-shaped UUIDs', () => {
    const rng = new Rng('uniform');
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[Math.floor(rng.next() * 10)]++;
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = rng.uuid();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(10_000);
  });

  it('draws normal, Poisson and weighted values with the right means', () => {
    const rng = new Rng('moments');
    let normal = 0;
    let poisson = 0;
    let big = 0;
    for (let i = 0; i < 20_000; i++) {
      normal += rng.normal(5, 2);
      poisson += rng.poisson(3);
      big += rng.poisson(50);
    }
    expect(normal / 20_000).toBeCloseTo(5, 1);
    expect(poisson / 20_000).toBeCloseTo(3, 1);
    expect(big / 20_000).toBeCloseTo(50, 0);
    const table = new Weighted([
      ['rare', 1],
      ['common', 9],
    ]);
    let common = 0;
    for (let i = 0; i < 10_000; i++) if (table.pick(rng) === 'common') common++;
    expect(common / 10_000).toBeCloseTo(0.9, 1);
  });
});

describe('time formatting', () => {
  it('matches Date-based formatting at a fixed -05:00 offset, before and after 1970', () => {
    const rng = new Rng('dates');
    for (let i = 0; i < 20_000; i++) {
      const ms = rng.range(-2.5e12, 2e12);
      const expected = new Date(ms - 5 * 3_600_000).toISOString().slice(0, 19) + '-05:00';
      expect(fhirDateTime(ms)).toBe(expected);
      expect(fhirDate(ms)).toBe(expected.slice(0, 10));
    }
  });

  it('places clinic times on local weekdays', () => {
    const saturday = Date.UTC(2026, 10, 28, 15); // Saturday 10:00 in Ohio
    const friday = toWeekday(saturday);
    expect(fhirDateTime(atLocalTime(friday, 8.5))).toBe('2026-11-27T08:30:00-05:00');
    expect(fhirDate(toWeekday(Date.UTC(2026, 10, 29, 15)))).toBe('2026-11-30');
  });
});

/**
 * Scoring at every band boundary of every instrument, the follow-up rules' triggers (PHQ-9 item 9
 * whatever the total, PHQ-2 cut-off 3, AHC domains incl. safety 10 vs 11, STEADI), and that a
 * shipped instrument validates the responses the scoring reads.
 */
import { describe, expect, it } from 'vitest';
import {
  AHC_NEGATIVE,
  frequencyPositions,
  GAD7_ITEMS,
  PHQ9_ITEMS,
  responseTo,
  spread,
} from './assessment-fixture.js';
import { rescreenFor, scoreRules } from './follow-up.rules.js';
import { responseErrors } from './questionnaire-engine.js';
import { instruments } from './questionnaires.js';
import { scoreResponse } from './scoring.js';
import { type InstrumentId, scoringDefinitions } from './scoring.rules.js';

const score = (instrument: InstrumentId, positions: Record<string, number>) => {
  const response = responseTo(instrument, positions);
  // Every response the tests score is one the engine accepts: scoring never sees what validation refuses.
  expect(responseErrors(instruments[instrument], response)).toEqual([]);
  return scoreResponse(scoringDefinitions[instrument], response);
};
const firing = (instrument: InstrumentId, positions: Record<string, number>) => {
  const s = score(instrument, positions);
  return scoreRules.filter((r) => r.instrument === instrument && r.applies(s)).map((r) => r.id);
};

describe('PHQ-9 bands (Kroenke 2001)', () => {
  it.each([
    [0, 'minimal'],
    [4, 'minimal'],
    [5, 'mild'],
    [9, 'mild'],
    [10, 'moderate'],
    [14, 'moderate'],
    [15, 'moderately-severe'],
    [19, 'moderately-severe'],
    [20, 'severe'],
    [27, 'severe'],
  ])('scores a total of %i as %s', (total, band) => {
    const s = score('phq-9', frequencyPositions(PHQ9_ITEMS, spread(total, 9)));
    expect(s.total).toBe(total);
    expect(s.band?.code).toBe(band);
    // The factors: each item's points add up to the total, the difficulty item scores nothing.
    expect(s.items.filter((i) => i.points !== undefined)).toHaveLength(9);
    expect(s.items.reduce((sum, i) => sum + (i.points ?? 0), 0)).toBe(total);
  });

  it('keys on option position, not wording: a response coded without a system scores the same', () => {
    const response = responseTo('phq-9', frequencyPositions(PHQ9_ITEMS, spread(12, 9)));
    for (const item of response.item ?? []) for (const a of item.answer ?? []) delete a.valueCoding!.system;
    expect(scoreResponse(scoringDefinitions['phq-9'], response).total).toBe(12);
  });
});

describe('PHQ-9 item 9 rule', () => {
  it('fires on item 9 alone (total 1, minimal band): same-day assessment and flag, whatever the total', () => {
    const points = [0, 0, 0, 0, 0, 0, 0, 0, 1];
    const s = score('phq-9', frequencyPositions(PHQ9_ITEMS, points));
    expect(s.total).toBe(1);
    expect(s.band?.code).toBe('minimal');
    expect(firing('phq-9', frequencyPositions(PHQ9_ITEMS, points))).toEqual(['phq9-item9-suicide-risk']);
  });

  it('does not fire at a total of 0', () => {
    expect(firing('phq-9', frequencyPositions(PHQ9_ITEMS, spread(0, 9)))).toEqual([]);
  });

  it('does not fire on a high total without item 9, which suggests collaborative care instead', () => {
    expect(firing('phq-9', frequencyPositions(PHQ9_ITEMS, [3, 3, 3, 3, 3, 3, 3, 3, 0]))).toEqual([
      'phq9-consider-collaborative-care',
    ]);
  });

  it('suggests collaborative care from 10, not at 9', () => {
    expect(firing('phq-9', frequencyPositions(PHQ9_ITEMS, spread(9, 8)))).toEqual([]);
    expect(firing('phq-9', frequencyPositions(PHQ9_ITEMS, spread(10, 8)))).toEqual([
      'phq9-consider-collaborative-care',
    ]);
  });
});

describe('PHQ-2 (Kroenke 2003)', () => {
  it.each([
    [0, 'negative', []],
    [2, 'negative', []],
    [3, 'positive', ['phq2-positive-give-phq9']],
    [6, 'positive', ['phq2-positive-give-phq9']],
  ])('scores %i as %s', (total, band, rules) => {
    const positions = frequencyPositions(PHQ9_ITEMS.slice(0, 2), spread(total, 2));
    expect(score('phq-2', positions)).toMatchObject({ total, band: { code: band } });
    expect(firing('phq-2', positions)).toEqual(rules);
  });
});

describe('GAD-7 bands (Spitzer 2006)', () => {
  it.each([
    [0, 'minimal'],
    [4, 'minimal'],
    [5, 'mild'],
    [9, 'mild'],
    [10, 'moderate'],
    [14, 'moderate'],
    [15, 'severe'],
    [21, 'severe'],
  ])('scores a total of %i as %s', (total, band) => {
    const positions = frequencyPositions(GAD7_ITEMS, spread(total, 7));
    expect(score('gad-7', positions)).toMatchObject({ total, band: { code: band } });
    expect(firing('gad-7', positions)).toEqual(total >= 10 ? ['gad7-consider-collaborative-care'] : []);
  });
});

describe('AHC HRSN core domains (CMS 2017)', () => {
  const negative = AHC_NEGATIVE;
  const positiveDomains = (changes: Record<string, number>) =>
    score('ahc-hrsn', { ...negative, ...changes })
      .domains.filter((d) => d.positive)
      .map((d) => d.id);

  it('finds no need when every answer is negative, with a safety score of 4', () => {
    const s = score('ahc-hrsn', negative);
    expect(s.domains.every((d) => !d.positive)).toBe(true);
    expect(s).toMatchObject({ total: 4, band: { code: 'safety-negative' } });
  });

  it.each([
    [{ '71802-3': 1 }, ['living-situation']],
    [{ '71802-3': 2 }, ['living-situation']],
    [{ '96778-6': 0 }, ['living-situation']],
    [{ '88122-7': 0 }, ['food']],
    [{ '88123-5': 1 }, ['food']],
    [{ '93030-5': 0 }, ['transportation']],
    [{ '96779-4': 0 }, ['utilities']],
    [{ '96779-4': 2 }, ['utilities']],
  ])('answers %o make %o positive', (changes, domains) => {
    expect(positiveDomains(changes)).toEqual(domains);
  });

  it('counts safety positive above 10: 10 is negative, 11 positive (range 4–20)', () => {
    // Positions are points − 1: [3,3,2,2] = 10, [3,3,3,2] = 11.
    const ten = { '95618-5': 2, '95617-7': 2, '95616-9': 1, '95615-1': 1 };
    const eleven = { ...ten, '95616-9': 2 };
    expect(score('ahc-hrsn', { ...negative, ...ten })).toMatchObject({
      total: 10,
      band: { code: 'safety-negative' },
    });
    expect(positiveDomains(ten)).toEqual([]);
    expect(score('ahc-hrsn', { ...negative, ...eleven })).toMatchObject({
      total: 11,
      band: { code: 'safety-positive' },
    });
    expect(positiveDomains(eleven)).toEqual(['safety']);
    expect(
      score('ahc-hrsn', { ...negative, '95618-5': 4, '95617-7': 4, '95616-9': 4, '95615-1': 4 }).total,
    ).toBe(20);
  });

  it('reads "often" and "sometimes true" on either food question, not "never"', () => {
    expect(positiveDomains({ '88122-7': 1, '88123-5': 2 })).toEqual(['food']);
    expect(positiveDomains({ '88122-7': 2, '88123-5': 2 })).toEqual([]);
  });
});

describe('STEADI key questions (CDC 2019)', () => {
  it.each([
    [[1, 1, 1], 0, 'not-at-risk'],
    [[0, 1, 1], 1, 'at-risk'],
    [[1, 1, 0], 1, 'at-risk'],
    [[0, 0, 0], 3, 'at-risk'],
  ])('answers at positions %o (0 = yes) give %i yes: %s', (positions, total, band) => {
    const p = {
      'fallen-past-year': positions[0]!,
      unsteady: positions[1]!,
      'worried-falling': positions[2]!,
    };
    expect(score('steadi', p)).toMatchObject({ total, band: { code: band } });
    expect(firing('steadi', p)).toEqual(total > 0 ? ['steadi-at-risk-assess'] : []);
  });
});

describe('rescreen intervals', () => {
  it('rescreens a negative PHQ-9 in a year and a positive one in 4 weeks', () => {
    expect(rescreenFor(score('phq-9', frequencyPositions(PHQ9_ITEMS, spread(9, 9))))?.days).toBe(365);
    expect(rescreenFor(score('phq-9', frequencyPositions(PHQ9_ITEMS, spread(10, 9))))?.days).toBe(28);
    expect(rescreenFor(score('gad-7', frequencyPositions(GAD7_ITEMS, spread(10, 7))))?.days).toBe(28);
  });
});

/**
 * Which forms CareLoop scores and what a response to them must answer: the shipped instruments, the
 * LHC-Forms PHQ-9 (another publisher's linkIds, matched by LOINC codes), and forms that only look
 * like an instrument.
 */
import { readFileSync } from 'node:fs';
import type { Questionnaire } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { AHC_NEGATIVE, frequencyPositions, PHQ9_ITEMS, responseTo } from './assessment-fixture.js';
import { instruments } from './questionnaires.js';
import { neededItems, responseFaults, responseIssues, scoredForm } from './scored-forms.js';

const lhcPhq9 = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/questionnaires/phq9.json', import.meta.url), 'utf8'),
) as Questionnaire;

describe('scoredForm', () => {
  it('scores the shipped instruments by url, their linkIds as they are', () => {
    const form = scoredForm(instruments['gad-7'])!;
    expect(form.definition.instrument).toBe('gad-7');
    expect(form.linkIdOf.get('69736-7')).toBe('69736-7');
  });

  it("maps the LHC-Forms PHQ-9's own linkIds onto the PHQ-9 by the items' LOINC codes", () => {
    const form = scoredForm(lhcPhq9)!;
    expect(form.definition.instrument).toBe('phq-9');
    expect(form.linkIdOf.get('44260-8')).toBe('/44260-8');
    expect(form.linkIdOf.get('69722-7')).toBe('/69722-7');
  });

  it('does not score a form coded as the PHQ-9 panel that leaves out an item the total needs', () => {
    const withoutItem9 = { ...lhcPhq9, item: lhcPhq9.item!.filter((i) => i.linkId !== '/44260-8') };
    expect(scoredForm(withoutItem9)).toBeUndefined();
    expect(scoredForm({ ...lhcPhq9, code: undefined })).toBeUndefined();
  });
});

describe('what a response to a scored form must answer', () => {
  it('the PHQ-9 needs its nine items, not the difficulty item', () => {
    expect(neededItems(scoredForm(instruments['phq-9'])!.definition)).toEqual(PHQ9_ITEMS);
  });

  it('asks for the difficulty item with a warning and refuses a missing scored item', () => {
    const positions = frequencyPositions(PHQ9_ITEMS, [1, 0, 0, 0, 0, 0, 0, 0, 1]);
    delete positions['69722-7'];
    const r = responseTo('phq-9', positions);
    expect(responseFaults(instruments['phq-9'], r)).toEqual([]);
    expect(responseIssues(instruments['phq-9'], r)).toEqual([
      expect.objectContaining({ linkId: '69722-7', severity: 'warning', code: 'required' }),
    ]);
    delete positions['44255-8'];
    expect(responseFaults(instruments['phq-9'], responseTo('phq-9', positions))).toEqual([
      expect.objectContaining({ linkId: '44255-8', code: 'required' }),
    ]);
  });

  it('keeps a required group that holds scored items (the AHC safety questions) an error', () => {
    const ahc = instruments['ahc-hrsn'];
    const safety = ['95618-5', '95617-7', '95616-9', '95615-1'];
    const r = responseTo(
      'ahc-hrsn',
      Object.fromEntries(Object.entries(AHC_NEGATIVE).filter(([linkId]) => !safety.includes(linkId))),
    );
    expect(responseFaults(ahc, r).map((i) => i.linkId)).toEqual(['safety']);
  });
});

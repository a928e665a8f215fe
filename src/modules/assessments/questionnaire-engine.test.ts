/**
 * The questionnaire engine against the shipped instruments, a small questionnaire made to exercise
 * every enableWhen operator, and Questionnaires written by others (LHC-Forms test forms, the FHIR
 * specification's examples, including the faults known in two of them).
 */
import { readFileSync } from 'node:fs';
import type { Questionnaire, QuestionnaireResponse, ValueSet } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import {
  AHC_NEGATIVE,
  answerAt,
  frequencyPositions,
  PHQ9_ITEMS,
  responseTo,
  spread,
} from './assessment-fixture.js';
import { enabledItems, responseErrors, validateResponse } from './questionnaire-engine.js';
import { instruments } from './questionnaires.js';

const fixture = (path: string) =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/${path}`, import.meta.url), 'utf8'));
const phq9 = instruments['phq-9'];
const linkIds = (q: Questionnaire, r: QuestionnaireResponse) => responseErrors(q, r).map((i) => i.linkId);

describe('validateResponse on the shipped PHQ-9', () => {
  it('accepts a complete response', () => {
    expect(
      validateResponse(phq9, responseTo('phq-9', frequencyPositions(PHQ9_ITEMS, spread(12, 9)))),
    ).toEqual([]);
  });

  it('names the missing required item', () => {
    const r = responseTo('phq-9', frequencyPositions(PHQ9_ITEMS, spread(0, 9)));
    r.item = r.item!.filter((i) => i.linkId !== '44260-8');
    const [problem, ...more] = responseErrors(phq9, r);
    expect(more).toEqual([]);
    expect(problem).toMatchObject({ linkId: '44260-8', path: 'QuestionnaireResponse' });
    expect(problem!.message).toContain('required');
  });

  it('names an unknown answer code', () => {
    const r = responseTo('phq-9', frequencyPositions(PHQ9_ITEMS, spread(1, 9)));
    r.item![3]!.answer = [{ valueCoding: { system: 'http://loinc.org', code: 'LA9999-9' } }];
    const errors = responseErrors(phq9, r);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      linkId: '44254-1',
      path: 'QuestionnaireResponse.item[3].answer[0].valueCoding',
    });
    expect(errors[0]!.message).toContain('LA9999-9');
  });

  it('refuses a right code from another system', () => {
    const r = responseTo('phq-9', frequencyPositions(PHQ9_ITEMS, spread(1, 9)));
    r.item![0]!.answer = [{ valueCoding: { system: 'http://snomed.info/sct', code: 'LA6568-5' } }];
    expect(linkIds(phq9, r)).toEqual(['44250-9']);
  });

  it('names an answer of the wrong type', () => {
    const r = responseTo('phq-9', frequencyPositions(PHQ9_ITEMS, spread(1, 9)));
    r.item![1]!.answer = [{ valueBoolean: true }];
    const errors = responseErrors(phq9, r);
    expect(errors.map((e) => e.linkId)).toEqual(['44255-8']);
    expect(errors[0]!.message).toContain('wrong type');
  });

  it('names an item the questionnaire does not have', () => {
    const r = responseTo('phq-9', frequencyPositions(PHQ9_ITEMS, spread(0, 9)));
    r.item!.push({ linkId: 'made-up', answer: [{ valueString: 'x' }] });
    expect(linkIds(phq9, r)).toEqual(['made-up']);
  });

  it('refuses two answers to a question that does not repeat', () => {
    const r = responseTo('phq-9', frequencyPositions(PHQ9_ITEMS, spread(0, 9)));
    r.item![0]!.answer!.push(answerAt('phq-9', '44250-9', 1).answer![0]!);
    expect(linkIds(phq9, r)).toEqual(['44250-9']);
  });

  it('does not require the difficulty item while enableWhen hides it, and requires it once enabled', () => {
    const zero = responseTo('phq-9', frequencyPositions(PHQ9_ITEMS, spread(0, 9)));
    expect(zero.item!.some((i) => i.linkId === '69722-7')).toBe(false);
    expect(responseErrors(phq9, zero)).toEqual([]);
    expect(enabledItems(phq9, zero)).not.toContain('69722-7');

    const one = responseTo('phq-9', { ...frequencyPositions(PHQ9_ITEMS, spread(0, 9)), '44250-9': 1 });
    expect(enabledItems(phq9, one)).toContain('69722-7');
    expect(linkIds(phq9, one)).toEqual(['69722-7']);
  });

  it('refuses an answer to an item enableWhen hides', () => {
    const zero = responseTo('phq-9', { ...frequencyPositions(PHQ9_ITEMS, spread(0, 9)), '69722-7': 0 });
    const errors = responseErrors(phq9, zero);
    expect(errors.map((e) => e.linkId)).toEqual(['69722-7']);
    expect(errors[0]!.message).toContain('not enabled');
  });

  it('skips the required check for a response in progress, but still checks what was answered', () => {
    const partial = responseTo('phq-9', { '44250-9': 2 }, { status: 'in-progress' });
    expect(responseErrors(phq9, partial)).toEqual([]);
    partial.item![0]!.answer = [{ valueCoding: { code: 'nope' } }];
    expect(linkIds(phq9, partial)).toEqual(['44250-9']);
    expect(linkIds(phq9, { ...partial, status: 'completed' })).toContain('44260-8');
  });
});

describe('validateResponse on the AHC HRSN (groups, repeats)', () => {
  const ahc = instruments['ahc-hrsn'];
  const all = AHC_NEGATIVE;

  it('accepts several housing problems (a repeating question)', () => {
    const r = responseTo('ahc-hrsn', { ...all, '96778-6': 0 });
    r.item!.find((i) => i.linkId === '96778-6')!.answer!.push(answerAt('ahc-hrsn', '96778-6', 3).answer![0]!);
    expect(responseErrors(ahc, r)).toEqual([]);
  });

  it('names a required question missing inside the safety group, with its path', () => {
    const r = responseTo('ahc-hrsn', all);
    const safety = r.item!.find((i) => i.linkId === 'safety')!;
    safety.item = safety.item!.filter((i) => i.linkId !== '95616-9');
    expect(responseErrors(ahc, r)).toMatchObject([
      { linkId: '95616-9', path: 'QuestionnaireResponse.item[6]' },
    ]);
  });

  it('names a safety question answered outside its group', () => {
    const r = responseTo('ahc-hrsn', all);
    r.item!.push(answerAt('ahc-hrsn', '95616-9', 0));
    expect(linkIds(ahc, r)).toEqual(['95616-9']);
  });
});

/** Every item type and enableWhen operator in one small questionnaire. */
const form: Questionnaire = {
  resourceType: 'Questionnaire',
  status: 'active',
  contained: [
    {
      resourceType: 'ValueSet',
      id: 'colours',
      status: 'active',
      compose: { include: [{ system: 'urn:colours', concept: [{ code: 'red' }, { code: 'blue' }] }] },
    } as ValueSet,
  ],
  item: [
    { linkId: 'age', type: 'integer', required: true },
    { linkId: 'weight', type: 'decimal' },
    { linkId: 'smoker', type: 'boolean' },
    { linkId: 'born', type: 'date' },
    { linkId: 'name', type: 'string', maxLength: 5 },
    { linkId: 'notes', type: 'text' },
    { linkId: 'colour', type: 'choice', answerValueSet: '#colours' },
    { linkId: 'condition', type: 'choice', answerValueSet: 'http://example.org/ValueSet/conditions' },
    {
      linkId: 'pet',
      type: 'open-choice',
      answerOption: [{ valueCoding: { system: 'urn:pets', code: 'cat' } }],
    },
    {
      linkId: 'adult',
      type: 'display',
      enableWhen: [{ question: 'age', operator: '>=', answerInteger: 18 }],
    },
    { linkId: 'child', type: 'string', enableWhen: [{ question: 'age', operator: '<', answerInteger: 18 }] },
    {
      linkId: 'over-65',
      type: 'string',
      enableWhen: [{ question: 'age', operator: '>', answerInteger: 65 }],
    },
    {
      linkId: 'up-to-12',
      type: 'string',
      enableWhen: [{ question: 'age', operator: '<=', answerInteger: 12 }],
    },
    {
      linkId: 'exactly-40',
      type: 'string',
      enableWhen: [{ question: 'age', operator: '=', answerInteger: 40 }],
    },
    {
      linkId: 'weighed',
      type: 'string',
      enableWhen: [{ question: 'weight', operator: 'exists', answerBoolean: true }],
    },
    {
      linkId: 'not-weighed',
      type: 'string',
      enableWhen: [{ question: 'weight', operator: 'exists', answerBoolean: false }],
    },
    {
      linkId: 'non-smoker',
      type: 'string',
      enableWhen: [{ question: 'smoker', operator: '!=', answerBoolean: true }],
    },
    {
      linkId: 'young-smoker',
      type: 'string',
      required: true,
      enableWhen: [
        { question: 'age', operator: '<', answerInteger: 30 },
        { question: 'smoker', operator: '=', answerBoolean: true },
      ],
    },
    {
      linkId: 'young-or-smoker',
      type: 'string',
      enableBehavior: 'any',
      enableWhen: [
        { question: 'age', operator: '<', answerInteger: 30 },
        { question: 'smoker', operator: '=', answerBoolean: true },
      ],
    },
  ],
};
const answers = (values: Record<string, object>): QuestionnaireResponse => ({
  resourceType: 'QuestionnaireResponse',
  status: 'completed',
  item: Object.entries(values).map(([linkId, value]) => ({ linkId, answer: [value] })),
});

describe('enableWhen operators and item types', () => {
  it.each([
    [{ age: { valueInteger: 40 } }, ['adult', 'exactly-40', 'not-weighed']],
    [{ age: { valueInteger: 50 }, smoker: { valueBoolean: false } }, ['adult', 'not-weighed', 'non-smoker']],
    [
      { age: { valueInteger: 12 }, weight: { valueDecimal: 40.5 } },
      ['child', 'up-to-12', 'weighed', 'young-or-smoker'],
    ],
    [
      { age: { valueInteger: 70 }, smoker: { valueBoolean: true } },
      ['adult', 'over-65', 'not-weighed', 'young-or-smoker'],
    ],
    [
      { age: { valueInteger: 25 }, smoker: { valueBoolean: true } },
      ['adult', 'not-weighed', 'young-smoker', 'young-or-smoker'],
    ],
  ])('%o enables %o', (given, expected) => {
    const conditional = enabledItems(form, answers(given)).filter(
      (id) => form.item!.find((i) => i.linkId === id)!.enableWhen,
    );
    expect(conditional).toEqual(expected);
  });

  it('requires an item only while all its conditions hold (enableBehavior all)', () => {
    expect(linkIds(form, answers({ age: { valueInteger: 25 }, smoker: { valueBoolean: false } }))).toEqual(
      [],
    );
    expect(linkIds(form, answers({ age: { valueInteger: 25 }, smoker: { valueBoolean: true } }))).toEqual([
      'young-smoker',
    ]);
  });

  it.each([
    ['age', { valueInteger: 1.5 }, 'whole number'],
    ['age', { valueString: '40' }, 'wrong type'],
    ['weight', { valueInteger: 70 }, 'wrong type'],
    ['smoker', { valueString: 'no' }, 'wrong type'],
    ['born', { valueDate: '1980-13-01' }, 'date'],
    ['name', { valueString: 'Alexandra' }, 'at most 5'],
    ['colour', { valueCoding: { system: 'urn:colours', code: 'green' } }, 'not in the answer value set'],
    ['pet', { valueCoding: { system: 'urn:pets', code: 'dog' } }, 'not one of'],
  ])('refuses %s = %o (%s)', (linkId, value, reason) => {
    const errors = responseErrors(form, answers({ age: { valueInteger: 40 }, [linkId]: value }));
    expect(errors.map((e) => e.linkId)).toEqual([linkId]);
    expect(errors[0]!.message).toContain(reason);
  });

  it('accepts free text in an open choice and a code from a contained value set', () => {
    expect(
      responseErrors(
        form,
        answers({
          age: { valueInteger: 40 },
          pet: { valueString: 'a hamster' },
          colour: { valueCoding: { system: 'urn:colours', code: 'blue' } },
          notes: { valueString: 'long text is fine here' },
        }),
      ),
    ).toEqual([]);
  });

  it('accepts a coding from a value set it cannot expand, and says so as a warning', () => {
    const issues = validateResponse(
      form,
      answers({
        age: { valueInteger: 40 },
        condition: { valueCoding: { system: 'http://snomed.info/sct', code: '44054006' } },
      }),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ linkId: 'condition', severity: 'warning' });
    expect(issues[0]!.message).toContain('accepted without checking');
  });
});

describe('Questionnaires written by others', () => {
  it('validates a PHQ-9 response to the LHC-Forms PHQ-9 (options without a code system)', () => {
    const q = fixture('questionnaires/phq9.json') as Questionnaire;
    const item = q.item!.map((i) =>
      i.type === 'choice'
        ? {
            linkId: i.linkId,
            answer: [
              { valueCoding: { system: 'http://loinc.org', code: i.answerOption![1]!.valueCoding!.code } },
            ],
          }
        : { linkId: i.linkId, answer: [{ valueDecimal: 9 }] },
    );
    const r: QuestionnaireResponse = { resourceType: 'QuestionnaireResponse', status: 'completed', item };
    expect(validateResponse(q, r)).toEqual([]);
    // A difficulty answer given to item 9 is named there.
    const wrong = structuredClone(r);
    wrong.item![8]!.answer = [{ valueCoding: { system: 'http://loinc.org', code: 'LA6572-7' } }];
    expect(linkIds(q, wrong)).toEqual(['/44260-8']);
  });

  it('validates the Hunger Vital Sign and refuses an answer from another item', () => {
    const q = fixture('questionnaires/hunger-vital-signs.json') as Questionnaire;
    const coded = (linkId: string, code: string) => ({
      linkId,
      answer: [{ valueCoding: { system: 'http://loinc.org', code } }],
    });
    const ok = {
      resourceType: 'QuestionnaireResponse',
      status: 'completed',
      item: [coded('/88122-7', 'LA28397-0'), coded('/88123-5', 'LA28398-8'), coded('/88124-3', 'LA19952-3')],
    } as QuestionnaireResponse;
    expect(responseErrors(q, ok)).toEqual([]);
    ok.item![2] = coded('/88124-3', 'LA28397-0');
    expect(linkIds(q, ok)).toEqual(['/88124-3']);
  });

  it('validates a family health portrait: repeating groups, answers with nested items, enableWhen inside them', () => {
    const q = fixture('questionnaires/ussg-fhp.json') as Questionnaire;
    const coding = (code: string) => ({ valueCoding: { system: 'http://loinc.org', code } });
    const relative = (living: string, nested: object[]) => ({
      linkId: '/54114-4',
      item: [
        { linkId: '/54114-4/54136-7', answer: [coding('LA10405-1')] },
        { linkId: '/54114-4/54139-1', answer: [{ ...coding(living), item: nested }] },
      ],
    });
    const r: QuestionnaireResponse = {
      resourceType: 'QuestionnaireResponse',
      status: 'completed',
      item: [
        {
          linkId: '/54126-8',
          item: [
            { linkId: '/54126-8/54125-0', answer: [{ valueString: 'Ann' }] },
            { linkId: '/54126-8/21112-8', answer: [{ valueDate: '1970-05-01' }] },
            { linkId: '/54126-8/54134-2', answer: [coding('LA10608-0'), coding('LA6156-9')] },
          ],
        },
        relative('LA33-6', [{ linkId: '/54114-4/54139-1/54124-3', answer: [{ valueDate: '1940-01-01' }] }]),
        relative('LA32-8', [{ linkId: '/54114-4/54139-1/54112-8', answer: [coding('LA10533-0')] }]),
      ],
    };
    const issues = validateResponse(q, r);
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    // Answered "living", so the cause-of-death question stays hidden and must not be answered.
    const wrong = structuredClone(r);
    (wrong.item![1]!.item![1]!.answer![0]!.item as object[]).push({
      linkId: '/54114-4/54139-1/54112-8',
      answer: [coding('LA10533-0')],
    });
    expect(linkIds(q, wrong)).toEqual(['/54114-4/54139-1/54112-8']);
  });

  it('validates a Framingham response and shows the age notice only outside 30–79 (decimal <, >, enableBehavior any)', () => {
    const q = fixture('questionnaires/framingham-HCHD.json') as Questionnaire;
    const coded = (linkId: string, code: string) => ({ linkId, answer: [{ valueCoding: { code } }] });
    const withAge = (age: number): QuestionnaireResponse => ({
      resourceType: 'QuestionnaireResponse',
      status: 'completed',
      item: [
        { linkId: '/age', answer: [{ valueDecimal: age }] },
        coded('/46098-0', 'LA3-6'),
        coded('/smokes', 'N'),
        { linkId: '/8480-6', answer: [{ valueDecimal: 128 }] },
        { linkId: '/2093-3', answer: [{ valueDecimal: 190 }] },
        { linkId: '/2085-9', answer: [{ valueDecimal: 55 }] },
        coded('/antihypertensive', 'N'),
      ],
    });
    expect(validateResponse(q, withAge(50))).toEqual([]);
    expect(enabledItems(q, withAge(50))).not.toContain('/age_requirement_notice');
    expect(enabledItems(q, withAge(25))).toContain('/age_requirement_notice');
    expect(enabledItems(q, withAge(85))).toContain('/age_requirement_notice');
    // A completed response without answers names every required question.
    expect(linkIds(q, { resourceType: 'QuestionnaireResponse', status: 'completed' })).toEqual([
      '/age',
      '/46098-0',
      '/smokes',
      '/8480-6',
      '/2093-3',
      '/2085-9',
      '/antihypertensive',
    ]);
  });

  it('validates the FHIR spec Glasgow Coma Score response against contained value sets', () => {
    const q = fixture('fhir-r4-examples/questionnaire-example-gcs.json');
    const r = fixture('fhir-r4-examples/questionnaireresponse-example-gcs.json');
    expect(validateResponse(q, r)).toEqual([]);
  });

  it('finds the faults known in the spec examples f201 (booleans answered in text) and bluebook (code case, linkId typo)', () => {
    const f201 = responseErrors(
      fixture('fhir-r4-examples/questionnaire-example-f201-lifelines.json'),
      fixture('fhir-r4-examples/questionnaireresponse-example-f201-lifelines.json'),
    );
    expect(f201.map((e) => e.linkId)).toEqual(['1', '3.1', '3.2']);
    const bluebook = responseErrors(
      fixture('fhir-r4-examples/questionnaire-example-bluebook.json'),
      fixture('fhir-r4-examples/questionnaireresponse-example-bluebook.json'),
    );
    expect(bluebook.map((e) => e.linkId)).toEqual(
      expect.arrayContaining(['sex', 'vitaminKDose1', 'vitaminKDose2']),
    );
  });
});

/**
 * The matcher on hand-made pairs: normalisation, every agreement level of every field, each kind of
 * registration error, the decision bands at their boundaries, and the pairs that must never link
 * automatically (twins, a father and son of the same name).
 */
import { describe, expect, it } from 'vitest';
import { type Demographics, decide, demographicsOf, scorePair } from './matcher.js';
import {
  formalGiven,
  normalizeAddress,
  normalizeBirthDate,
  normalizeName,
  normalizePhone,
  normalizePostal,
  normalizeSex,
} from './normalize.js';
import { fieldRules, levelWeight, thresholds, VETO_CAP } from './patient-matching.rules.js';

const maria: Demographics = {
  identifiers: [{ system: 'http://careloop.example/mrn', value: '10000001' }],
  family: 'García',
  given: ['María', 'Elena'],
  birthDate: '1975-03-07',
  sex: 'female',
  postalCode: '43201',
  addressLine: '1200 Summit St',
  city: 'Columbus',
  phone: '(614) 555-0142',
};
const incoming = (overrides: Partial<Demographics>): Demographics => ({ ...maria, ...overrides });
const factor = (d: Demographics, field: string) =>
  scorePair(d, maria).factors.find((f) => f.field === field)!;

describe('normalize', () => {
  it('folds case, accents, apostrophes and hyphens in names', () => {
    expect(normalizeName('  GARCÍA-López ')).toBe('garcia lopez');
    expect(normalizeName("O'Brien")).toBe('obrien');
    expect(normalizeName('Zoë')).toBe('zoe');
  });
  it('maps nicknames to the formal given name and leaves other names alone', () => {
    expect(formalGiven('Bob')).toBe('robert');
    expect(formalGiven('BILL')).toBe('william');
    expect(formalGiven('Liz')).toBe('elizabeth');
    expect(formalGiven('Xiomara')).toBe('xiomara');
  });
  it('keeps the last ten digits of a phone number and rejects fragments', () => {
    expect(normalizePhone('+1 (614) 555-0142')).toBe('6145550142');
    expect(normalizePhone('614.555.0142')).toBe('6145550142');
    expect(normalizePhone('555')).toBeUndefined();
  });
  it('keeps five-digit ZIP codes', () => {
    expect(normalizePostal('43201-1234')).toBe('43201');
    expect(normalizePostal('4320')).toBeUndefined();
  });
  it('standardises street suffixes and drops the apartment', () => {
    expect(normalizeAddress('1200 Summit Street, Apt 4B')).toEqual({ number: '1200', street: 'summit st' });
    expect(normalizeAddress('1200 N. Summit Avenue')).toEqual({ number: '1200', street: 'n summit ave' });
    expect(normalizeAddress('')).toBeUndefined();
  });
  it('reads HL7 v2 and FHIR dates and sexes', () => {
    expect(normalizeBirthDate('19750307')).toBe('1975-03-07');
    expect(normalizeBirthDate('1975-03-07')).toBe('1975-03-07');
    expect(normalizeBirthDate('1975-13-07')).toBeUndefined();
    expect(normalizeSex('F')).toBe('female');
    expect(normalizeSex('U')).toBeUndefined();
  });
});

describe('agreement levels', () => {
  it('family: exact, phonetic, Jaro–Winkler, compound, disagree, missing', () => {
    expect(factor(incoming({ family: 'GARCIA' }), 'family').agreement).toBe('exact');
    expect(factor(incoming({ family: 'Garsia' }), 'family').agreement).toBe('phonetic');
    expect(factor(incoming({ family: 'Gracia' }), 'family').agreement).toBe('phonetic'); // transposed letters
    expect(factor(incoming({ family: 'Lopez-Garcia' }), 'family').agreement).toBe('compound');
    expect(factor(incoming({ family: 'Thompson' }), 'family').agreement).toBe('disagree');
    expect(factor(incoming({ family: undefined }), 'family')).toEqual({
      field: 'family',
      agreement: 'missing',
      weight: 0,
    });
  });
  it('given: exact, nickname, phonetic, disagree', () => {
    expect(factor(incoming({ given: ['MARIA'] }), 'given').agreement).toBe('exact');
    const bob = { ...maria, given: ['Robert'] };
    expect(
      scorePair({ ...bob, given: ['Bob'] }, bob).factors.find((f) => f.field === 'given')!.agreement,
    ).toBe('nickname');
    expect(factor(incoming({ given: ['Mariah'] }), 'given').agreement).toBe('phonetic');
    expect(factor(incoming({ given: ['Lucia'] }), 'given').agreement).toBe('disagree');
  });
  it('birth date: exact, day/month transposed, one digit off, same year and month, disagree', () => {
    expect(factor(incoming({ birthDate: '19750307' }), 'birthDate').agreement).toBe('exact');
    expect(factor(incoming({ birthDate: '1975-07-03' }), 'birthDate').agreement).toBe('transposed');
    expect(factor(incoming({ birthDate: '1976-03-07' }), 'birthDate').agreement).toBe('one-digit');
    expect(factor(incoming({ birthDate: '1975-03-27' }), 'birthDate').agreement).toBe('one-digit');
    expect(factor(incoming({ birthDate: '1975-03-21' }), 'birthDate').agreement).toBe('year-month');
    expect(factor(incoming({ birthDate: '1982-11-30' }), 'birthDate').agreement).toBe('disagree');
  });
  it('sex, address, phone and SSN last four', () => {
    expect(factor(incoming({ sex: 'F' }), 'sex').agreement).toBe('agree');
    expect(factor(incoming({ sex: 'male' }), 'sex').agreement).toBe('disagree');
    expect(factor(incoming({ sex: 'unknown' }), 'sex').agreement).toBe('missing');
    expect(factor(incoming({ addressLine: '1200 SUMMIT STREET' }), 'address').agreement).toBe('street');
    expect(factor(incoming({ addressLine: '88 Oak Ave' }), 'address').agreement).toBe('postal');
    expect(factor(incoming({ addressLine: '88 Oak Ave', postalCode: '43055' }), 'address').agreement).toBe(
      'disagree',
    );
    expect(factor(incoming({ phone: '6145550142' }), 'phone').agreement).toBe('agree');
    expect(factor(incoming({ phone: '6145550199' }), 'phone').agreement).toBe('disagree');
    const ssn = (v: string) => [{ system: 'http://hl7.org/fhir/sid/us-ssn', value: v }];
    const a = { ...maria, identifiers: ssn('900-12-3456') };
    expect(
      scorePair({ ...a, identifiers: ssn('900123456') }, a).factors.find((f) => f.field === 'ssnLast4')!
        .agreement,
    ).toBe('agree');
    expect(factor(incoming({ identifiers: ssn('900123456') }), 'ssnLast4').agreement).toBe('missing');
  });
  it('weighs each level log2(m/u): agreement positive, disagreement negative, stronger levels more', () => {
    for (const rule of Object.values(fieldRules)) {
      const weights = rule.levels.map((l) => levelWeight(rule.field, l.level));
      expect(weights[0], rule.field).toBeGreaterThan(0);
      expect(weights.at(-1), rule.field).toBeLessThan(0);
    }
    expect(levelWeight('birthDate', 'exact')).toBeCloseTo(Math.log2(0.88 / 0.000075), 6);
    expect(levelWeight('family', 'exact')).toBeGreaterThan(levelWeight('family', 'phonetic'));
  });
  it('sums the factors into the score', () => {
    const s = scorePair(incoming({ phone: undefined }), maria);
    expect(s.score).toBeCloseTo(
      s.factors.reduce((sum, f) => sum + f.weight, 0),
      1,
    );
  });
});

describe('registration errors of the same person still score as a link', () => {
  const cases: [string, Partial<Demographics>][] = [
    [
      'capitals, HL7 date and sex, unformatted phone',
      { family: 'GARCIA', given: ['MARIA'], birthDate: '19750307', sex: 'F', phone: '6145550142' },
    ],
    ['a typo in the family name (keyboard neighbour)', { family: 'Garcua' }],
    ['a dropped letter in the given name', { given: ['Mara'] }],
    ['transposed letters', { family: 'Gracia' }],
    ['day and month transposed', { birthDate: '1975-07-03' }],
    ['one digit of the birth date wrong', { birthDate: '1975-03-08' }],
    ['a hyphenated married name', { family: 'García-Lopez' }],
    ['a new phone number', { phone: '(614) 555-0177' }],
    ['a missing phone and sex', { phone: undefined, sex: undefined }],
  ];
  it.each(cases)('%s', (_label, overrides) => {
    const { score } = scorePair(incoming(overrides), maria);
    expect(decide(score)).toBe('link');
  });

  it('a nickname links (Bob for Robert)', () => {
    const robert = { ...maria, given: ['Robert'], sex: 'male' };
    expect(decide(scorePair({ ...robert, given: ['Bob'] }, robert).score)).toBe('link');
  });
  it('a married-name change with a move goes to review, not to a new patient', () => {
    const { score } = scorePair(
      incoming({ family: 'Thompson', addressLine: '9 Elm Ct', postalCode: '43055', phone: '7405550101' }),
      maria,
    );
    expect(decide(score)).toBe('review');
  });
});

describe('pairs that must not link automatically', () => {
  it('twins: same family, birth date, address and phone, another given name → review at most', () => {
    const twin = incoming({ given: ['Lucia'] });
    const s = scorePair(twin, maria);
    expect(s.score).toBe(VETO_CAP);
    expect(decide(s.score)).toBe('review');
    expect(s.factors.find((f) => f.field === 'veto')?.agreement).toBe('given-disagree');
  });
  it('a father and son of the same name in one household → review at most', () => {
    const father: Demographics = {
      ...maria,
      given: ['Jose'],
      family: 'Garcia',
      sex: 'male',
      birthDate: '1950-06-01',
    };
    const son = { ...father, birthDate: '1978-02-14' };
    expect(decide(scorePair(son, father).score)).not.toBe('link');
  });
  it('a namesake born the same year elsewhere → new patient', () => {
    const other = incoming({
      birthDate: '1975-10-22',
      addressLine: '77 Cedar Rd',
      postalCode: '43123',
      phone: '6145550111',
      identifiers: [],
    });
    expect(decide(scorePair(other, maria).score)).toBe('new');
  });
});

describe('decide', () => {
  it('splits at the two thresholds (inclusive lower bounds)', () => {
    expect(decide(thresholds.link)).toBe('link');
    expect(decide(thresholds.link - 0.01)).toBe('review');
    expect(decide(thresholds.review)).toBe('review');
    expect(decide(thresholds.review - 0.01)).toBe('new');
  });
});

describe('demographicsOf', () => {
  it('takes the official name, home address and phone of a Patient', () => {
    const d = demographicsOf({
      resourceType: 'Patient',
      identifier: [{ system: 's', value: 'v' }],
      name: [
        { use: 'old', family: 'Smith', given: ['Ann'] },
        { use: 'official', family: 'Jones', given: ['Ann', 'Marie'] },
      ],
      telecom: [
        { system: 'email', value: 'a@example.com' },
        { system: 'phone', value: '(614) 555-0100' },
      ],
      gender: 'female',
      birthDate: '1980-01-02',
      address: [
        { use: 'work', line: ['1 Work Way'], postalCode: '43017' },
        { use: 'home', line: ['2 Home St', 'Apt 1'], city: 'Dublin', postalCode: '43016' },
      ],
    });
    expect(d).toEqual({
      identifiers: [{ system: 's', value: 'v' }],
      family: 'Jones',
      given: ['Ann', 'Marie'],
      birthDate: '1980-01-02',
      sex: 'female',
      postalCode: '43016',
      addressLine: '2 Home St',
      city: 'Dublin',
      phone: '(614) 555-0100',
    });
  });
});

/** Reference tables for synthetic demographics: age, sex, race/ethnicity, language and places. */
import { Weighted } from './prng.js';

/**
 * Share of the US population by 5-year age group, 2020 Census (DHC national counts, rounded %); the open
 * 85+ group is spread over 85-95 because the generator caps ages at 95.
 */
export const AGE_GROUPS = new Weighted<readonly [number, number]>([
  [[0, 4], 5.7],
  [[5, 9], 6.0],
  [[10, 14], 6.4],
  [[15, 19], 6.6],
  [[20, 24], 6.4],
  [[25, 29], 6.7],
  [[30, 34], 6.8],
  [[35, 39], 6.6],
  [[40, 44], 6.3],
  [[45, 49], 6.0],
  [[50, 54], 6.2],
  [[55, 59], 6.4],
  [[60, 64], 6.3],
  [[65, 69], 5.4],
  [[70, 74], 4.4],
  [[75, 79], 3.0],
  [[80, 84], 1.9],
  [[85, 95], 2.0],
]);

/** Female share by age (2020 Census): about even until midlife, then women outlive men. */
export function femaleShare(age: number): number {
  if (age < 45) return 0.49;
  if (age < 65) return 0.51;
  if (age < 75) return 0.54;
  if (age < 85) return 0.57;
  return 0.64;
}

export type Race = 'white' | 'black' | 'asian' | 'aian' | 'nhpi' | 'multi' | 'unknown';

/** OMB race categories (CDC Race & Ethnicity code system, urn:oid:2.16.840.1.113883.6.238). */
export const OMB_RACE: Record<Exclude<Race, 'multi' | 'unknown'>, readonly [string, string]> = {
  white: ['2106-3', 'White'],
  black: ['2054-5', 'Black or African American'],
  asian: ['2028-9', 'Asian'],
  aian: ['1002-5', 'American Indian or Alaska Native'],
  nhpi: ['2076-8', 'Native Hawaiian or Other Pacific Islander'],
};

/** Hispanic or Latino of any race: 18.7% of the US population (2020 Census). */
export const HISPANIC_SHARE = 0.187;

/** Race of non-Hispanic residents, 2020 Census shares re-based to the non-Hispanic population (%). */
export const NON_HISPANIC_RACE = new Weighted<Race>([
  ['white', 71.1],
  ['black', 14.9],
  ['asian', 7.3],
  ['aian', 0.9],
  ['nhpi', 0.2],
  ['multi', 5.0],
  ['unknown', 0.6],
]);

/**
 * OMB race reported by Hispanic residents. In the 2020 Census most chose "Some other race" or several races,
 * which have no OMB category; those are recorded as unknown (asked, no OMB answer).
 */
export const HISPANIC_RACE = new Weighted<Race>([
  ['white', 40],
  ['unknown', 42],
  ['multi', 10],
  ['black', 4],
  ['aian', 4],
]);

/** BCP-47 language display names. */
export const LANGUAGES: Record<string, string> = {
  en: 'English',
  es: 'Spanish',
  zh: 'Chinese',
  vi: 'Vietnamese',
  tl: 'Tagalog',
  ko: 'Korean',
  hi: 'Hindi',
  ja: 'Japanese',
  ar: 'Arabic',
  ru: 'Russian',
  fr: 'French',
  de: 'German',
  ht: 'Haitian Creole',
  so: 'Somali',
};

/**
 * Non-English languages spoken at home by non-Hispanic White and Black residents (ACS 2019 "language spoken
 * at home": Arabic, Russian, French, German, Haitian, Somali each 0.1-0.4% of the population). Together with
 * Spanish for ~70% of Hispanic and a heritage language for ~60% of Asian residents this reproduces the ACS
 * split of ~78% English only, ~13% Spanish, ~9% other.
 */
export const OTHER_LANGUAGE_SHARE = 0.06;
export const OTHER_LANGUAGE_WHITE = new Weighted<string>([
  ['ar', 3],
  ['ru', 3],
  ['fr', 2],
  ['de', 2],
]);
export const OTHER_LANGUAGE_BLACK = new Weighted<string>([
  ['fr', 2],
  ['ht', 3],
  ['so', 2],
]);

export interface City {
  readonly name: string;
  readonly county: string;
  readonly zips: readonly string[];
  readonly areaCode: string;
}

/** Cities of the synthetic central-Ohio service area, weighted roughly by population. */
export const CITIES = new Weighted<City>([
  [
    {
      name: 'Columbus',
      county: 'Franklin',
      zips: ['43201', '43205', '43206', '43211', '43214', '43223', '43229'],
      areaCode: '614',
    },
    45,
  ],
  [{ name: 'Westerville', county: 'Franklin', zips: ['43081', '43082'], areaCode: '614' }, 8],
  [{ name: 'Dublin', county: 'Franklin', zips: ['43016', '43017'], areaCode: '614' }, 7],
  [{ name: 'Grove City', county: 'Franklin', zips: ['43123'], areaCode: '614' }, 7],
  [{ name: 'Newark', county: 'Licking', zips: ['43055'], areaCode: '740' }, 9],
  [{ name: 'Delaware', county: 'Delaware', zips: ['43015'], areaCode: '740' }, 8],
  [{ name: 'Lancaster', county: 'Fairfield', zips: ['43130'], areaCode: '740' }, 8],
  [{ name: 'Marysville', county: 'Union', zips: ['43040'], areaCode: '937' }, 5],
]);

export const STREETS = [
  ...'Main High Oak Maple Elm Cedar Park Washington Lincoln Broad Church Walnut Cherry Sycamore Hickory'.split(
    ' ',
  ),
  ...'Buckeye Riverside Lakeview Summit Hamilton Cleveland Indianola Karl Livingston Sunbury Refugee Morse'.split(
    ' ',
  ),
];
export const STREET_SUFFIXES = ['St', 'Ave', 'Rd', 'Dr', 'Ln', 'Ct', 'Blvd', 'Way'];

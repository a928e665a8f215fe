/**
 * The patient-matching model as data: a Fellegi–Sunter record-linkage model (Fellegi IP, Sunter AB.
 * "A Theory for Record Linkage", JASA 1969;64(328):1183–1210). For each compared field and each
 * agreement level, m = P(level | same person) and u = P(level | different people); the pair's score
 * is the sum of log2(m/u) over the fields present on both sides (a missing field weighs 0). Two
 * thresholds split the scores into link / review / new, as in the original paper's "possible link"
 * band. Fields follow the attributes the ONC Patient Identification and Matching Final Report (2014)
 * recommends standardising — name, date of birth, sex, address, phone — plus SSN last four digits when
 * both records carry it. docs/patient-matching.md renders this table.
 *
 * Where m and u come from: COUNTED on CareLoop's generated labeled set (labeled-set.ts, seed
 * "weights", 2000 persons; `npm run bench:matching -- --estimate --persons 2000 --seed weights`):
 * m = share of true pairs (a registration and its person) at the level, u = share of random
 * non-matching pairs at the level, both among pairs where the field is present on both sides, with
 * add-½ smoothing, rounded. They describe the synthetic data's error rates, not a real registration
 * desk's; re-estimate on reviewed real pairs before production use (Grannis et al. 2019 reports how
 * much real data quality moves these numbers). Exception: SSN last four, which the generator carries
 * too rarely to count well: u = 1/10 000 (four uniformly distributed digits), m = 0.97 (CareLoop
 * assumption: a mistyped or absent-and-guessed SSN on 3% of registrations).
 */

/** The compared fields. */
export const matchFields = ['family', 'given', 'birthDate', 'sex', 'address', 'phone', 'ssnLast4'] as const;
export type MatchField = (typeof matchFields)[number];

export interface AgreementLevel {
  /** The level's code, as reported in a pair's factors. */
  level: string;
  description: string;
  /** P(level | same person). */
  m: number;
  /** P(level | different people). */
  u: number;
}

export interface FieldRule {
  field: MatchField;
  description: string;
  /** Strongest first; the comparison reports the first level that holds; the last is disagreement. */
  levels: readonly AgreementLevel[];
  source: string;
}

const COUNTED = 'counted on the generated labeled set (seed "weights", 2000 persons), add-½ smoothing';

/** Jaro–Winkler similarity at or above which two name strings count as a spelling variant. */
export const JARO_WINKLER_AGREE = 0.92;

export const fieldRules: Record<MatchField, FieldRule> = {
  family: {
    field: 'family',
    description: 'family name, normalised (case, accents, punctuation)',
    levels: [
      { level: 'exact', description: 'same normalised name', m: 0.72, u: 0.0065 },
      {
        level: 'phonetic',
        description: `same Double Metaphone code, or Jaro–Winkler ≥ ${JARO_WINKLER_AGREE}`,
        m: 0.17,
        u: 0.0036,
      },
      {
        level: 'compound',
        description: 'one part of a compound name equals a part of the other (Garcia-Lopez / Garcia)',
        m: 0.053,
        u: 0.00094,
      },
      { level: 'disagree', description: 'none of the above', m: 0.057, u: 0.989 },
    ],
    source: COUNTED,
  },
  given: {
    field: 'given',
    description: 'first given name, normalised',
    levels: [
      { level: 'exact', description: 'same normalised name', m: 0.76, u: 0.0055 },
      {
        level: 'nickname',
        description: 'same formal name through the nickname table (Bob / Robert)',
        m: 0.036,
        u: 0.00041,
      },
      {
        level: 'phonetic',
        description: `same Double Metaphone code, or Jaro–Winkler ≥ ${JARO_WINKLER_AGREE}`,
        m: 0.17,
        u: 0.0043,
      },
      { level: 'disagree', description: 'none of the above', m: 0.035, u: 0.99 },
    ],
    source: COUNTED,
  },
  birthDate: {
    field: 'birthDate',
    description: 'full date of birth',
    levels: [
      { level: 'exact', description: 'same date', m: 0.88, u: 0.000075 },
      {
        level: 'transposed',
        description: 'day and month swapped (03-07 / 07-03)',
        m: 0.029,
        u: 0.000042,
      },
      { level: 'one-digit', description: 'exactly one of the eight digits differs', m: 0.09, u: 0.00094 },
      { level: 'year-month', description: 'same year and month', m: 0.00018, u: 0.00052 },
      { level: 'disagree', description: 'none of the above', m: 0.00018, u: 0.998 },
    ],
    source: COUNTED,
  },
  sex: {
    field: 'sex',
    description: 'administrative sex (male / female; other and unknown count as missing)',
    levels: [
      { level: 'agree', description: 'same', m: 0.966, u: 0.503 },
      { level: 'disagree', description: 'different', m: 0.034, u: 0.497 },
    ],
    source: COUNTED,
  },
  address: {
    field: 'address',
    description: 'home address: street number + USPS-standardised street name, and the 5-digit ZIP',
    levels: [
      {
        level: 'street',
        description: 'same number and street (Jaro–Winkler on the street name)',
        m: 0.81,
        u: 0.000075,
      },
      { level: 'postal', description: 'different street, same ZIP code', m: 0.016, u: 0.067 },
      { level: 'disagree', description: 'different street and ZIP', m: 0.174, u: 0.933 },
    ],
    source: COUNTED,
  },
  phone: {
    field: 'phone',
    description: 'phone number, last ten digits',
    levels: [
      { level: 'agree', description: 'same ten digits', m: 0.78, u: 0.0059 },
      { level: 'disagree', description: 'different', m: 0.22, u: 0.994 },
    ],
    source: COUNTED,
  },
  ssnLast4: {
    field: 'ssnLast4',
    description: 'last four digits of the SSN, only when both records carry one',
    levels: [
      { level: 'agree', description: 'same four digits', m: 0.97, u: 0.0001 },
      { level: 'disagree', description: 'different', m: 0.03, u: 0.9999 },
    ],
    source: 'u = 1/10 000 (uniform digits); m = 0.97, CareLoop assumption (3% keying error)',
  },
};

/** The weight of one field's agreement level: log2(m / u). */
export function levelWeight(field: MatchField, level: string): number {
  const found = fieldRules[field].levels.find((l) => l.level === level);
  if (!found) throw new Error(`unknown agreement level ${field}.${level}`);
  return Math.log2(found.m / found.u);
}

/**
 * The decision thresholds on the summed log2 weight, chosen from `npm run bench:matching` (see
 * docs/patient-matching.md): a false link merges two people's records — one patient's medications,
 * allergies and results shown in another's chart — while a missed link only costs a steward's review
 * or leaves a duplicate to merge later. So the link threshold is set for precision first: no false
 * link on the benchmark, at the price of sending more true matches to review.
 */
export const thresholds = {
  /** At or above: link automatically (if clearly ahead of the next candidate). */
  link: 22,
  /** At or above (and below link): a data steward reviews. Below: a new patient. */
  review: 8,
  /** The best candidate must lead the second by this many bits to be linked automatically. */
  margin: 6,
} as const;

/**
 * Disagreements that forbid an automatic link whatever the sum says: the score is capped just below
 * the link threshold, so the pair goes to review at most. Fellegi–Sunter assumes fields independent;
 * people who share a household break that assumption — twins share family name, birth date, address
 * and phone and differ only in given name (the Sequoia Project framework, 2018, treats multiple
 * births as a matching challenge of their own), and a father and son "Jr." share every field but the birth date.
 */
export const noAutoLink: readonly { field: MatchField; level: string; reason: string }[] = [
  { field: 'given', level: 'disagree', reason: 'twins and siblings share everything but the given name' },
  {
    field: 'birthDate',
    level: 'disagree',
    reason: 'a parent and child of the same name (Jr./Sr.) share a household',
  },
];

/** The capped score of a vetoed pair: just below the link threshold. */
export const VETO_CAP = thresholds.link - 0.5;

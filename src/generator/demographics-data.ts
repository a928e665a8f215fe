/** Reference tables for synthetic demographics: age, sex, race/ethnicity, language, names and places. */
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

export interface AsianGroup {
  readonly name: string;
  /** BCP-47 heritage language and the share speaking it at home (ACS 2019 language-at-home tables, approx.). */
  readonly language: string;
  readonly languageShare: number;
  readonly given: { readonly female: readonly string[]; readonly male: readonly string[] };
  readonly family: readonly string[];
}

/** Largest Asian-origin groups in the US (Pew Research Center 2021, share of Asian Americans). */
export const ASIAN_GROUPS = new Weighted<AsianGroup>([
  [
    {
      name: 'Chinese',
      language: 'zh',
      languageShare: 0.7,
      given: {
        female: ['Mei', 'Li', 'Jing', 'Xiu Ying', 'Hui', 'Ling'],
        male: ['Wei', 'Jian', 'Hao', 'Ming', 'Jun', 'Lei'],
      },
      family: ['Chen', 'Wang', 'Li', 'Zhang', 'Liu', 'Huang', 'Lin', 'Wu', 'Wong', 'Chang'],
    },
    24,
  ],
  [
    {
      name: 'Indian',
      language: 'hi',
      languageShare: 0.6,
      given: {
        female: ['Priya', 'Anjali', 'Pooja', 'Neha', 'Kavya'],
        male: ['Raj', 'Arjun', 'Rohan', 'Vikram', 'Sanjay'],
      },
      family: ['Patel', 'Shah', 'Singh', 'Kumar', 'Reddy', 'Gupta'],
    },
    21,
  ],
  [
    {
      name: 'Filipino',
      language: 'tl',
      languageShare: 0.5,
      given: {
        female: ['Maricel', 'Jocelyn', 'Rowena', 'Marites', 'Angelica'],
        male: ['Rodel', 'Jomar', 'Ramon', 'Arnel', 'Jerome'],
      },
      family: ['Santos', 'Reyes', 'Bautista', 'Dela Cruz', 'Mendoza', 'Villanueva'],
    },
    19,
  ],
  [
    {
      name: 'Vietnamese',
      language: 'vi',
      languageShare: 0.8,
      given: {
        female: ['Linh', 'Thu', 'Ngoc Anh', 'Mai', 'Huong', 'Lan'],
        male: ['Minh', 'Tuan', 'Duc', 'Quang', 'Thanh', 'Hung'],
      },
      family: ['Nguyen', 'Tran', 'Le', 'Pham', 'Huynh', 'Vo'],
    },
    10,
  ],
  [
    {
      name: 'Korean',
      language: 'ko',
      languageShare: 0.65,
      given: {
        female: ['Min-ji', 'Seo-yeon', 'Ji-woo', 'Eun-ji', 'Soo-jin'],
        male: ['Min-jun', 'Ji-hoon', 'Seung-ho', 'Dong-hyun'],
      },
      family: ['Kim', 'Lee', 'Park', 'Choi', 'Jung', 'Kang'],
    },
    9,
  ],
  [
    {
      name: 'Japanese',
      language: 'ja',
      languageShare: 0.35,
      given: { female: ['Aiko', 'Yuki', 'Hana', 'Emi'], male: ['Hiroshi', 'Kenji', 'Takeshi', 'Daisuke'] },
      family: ['Tanaka', 'Yamamoto', 'Suzuki', 'Nakamura', 'Sato'],
    },
    7,
  ],
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

/** Generations by birth year (Pew Research Center definitions), used to pick period-typical first names. */
export function generationOf(birthYear: number): number {
  if (birthYear < 1946) return 0;
  if (birthYear < 1965) return 1;
  if (birthYear < 1981) return 2;
  if (birthYear < 1997) return 3;
  if (birthYear < 2013) return 4;
  return 5;
}

/** Popular US first names per generation (SSA baby-name tables, top names of each era). */
export const GIVEN_BY_GENERATION: {
  readonly female: readonly string[][];
  readonly male: readonly string[][];
} = {
  female: [
    [
      'Mary',
      'Dorothy',
      'Helen',
      'Betty',
      'Margaret',
      'Ruth',
      'Virginia',
      'Doris',
      'Mildred',
      'Frances',
      'Evelyn',
      'Shirley',
      'Jean',
      'Joan',
      'Irene',
      'Alice',
    ],
    [
      'Mary',
      'Linda',
      'Patricia',
      'Susan',
      'Deborah',
      'Barbara',
      'Karen',
      'Nancy',
      'Donna',
      'Cynthia',
      'Sandra',
      'Pamela',
      'Sharon',
      'Kathleen',
      'Carol',
      'Brenda',
    ],
    [
      'Jennifer',
      'Lisa',
      'Kimberly',
      'Michelle',
      'Amy',
      'Angela',
      'Melissa',
      'Tammy',
      'Julie',
      'Heather',
      'Christina',
      'Tracy',
      'Dawn',
      'Laura',
      'Kelly',
      'Wendy',
    ],
    [
      'Jessica',
      'Ashley',
      'Amanda',
      'Sarah',
      'Stephanie',
      'Nicole',
      'Elizabeth',
      'Megan',
      'Lauren',
      'Rachel',
      'Samantha',
      'Brittany',
      'Emily',
      'Danielle',
      'Kayla',
      'Amber',
    ],
    [
      'Emily',
      'Hannah',
      'Madison',
      'Alexis',
      'Abigail',
      'Olivia',
      'Emma',
      'Taylor',
      'Chloe',
      'Grace',
      'Isabella',
      'Ava',
      'Sophia',
      'Brianna',
      'Natalie',
      'Hailey',
    ],
    [
      'Olivia',
      'Emma',
      'Charlotte',
      'Amelia',
      'Ava',
      'Sophia',
      'Mia',
      'Evelyn',
      'Harper',
      'Luna',
      'Gianna',
      'Eleanor',
      'Ella',
      'Avery',
      'Scarlett',
      'Nora',
    ],
  ],
  male: [
    [
      'Robert',
      'James',
      'John',
      'William',
      'Richard',
      'Charles',
      'Donald',
      'George',
      'Thomas',
      'Joseph',
      'Edward',
      'Frank',
      'Harold',
      'Raymond',
      'Walter',
      'Arthur',
    ],
    [
      'James',
      'Michael',
      'Robert',
      'John',
      'David',
      'William',
      'Richard',
      'Thomas',
      'Mark',
      'Steven',
      'Gary',
      'Joseph',
      'Donald',
      'Ronald',
      'Kenneth',
      'Larry',
    ],
    [
      'Michael',
      'David',
      'John',
      'James',
      'Robert',
      'Christopher',
      'William',
      'Brian',
      'Jason',
      'Scott',
      'Jeffrey',
      'Kevin',
      'Timothy',
      'Eric',
      'Todd',
      'Matthew',
    ],
    [
      'Michael',
      'Christopher',
      'Matthew',
      'Joshua',
      'David',
      'Daniel',
      'Andrew',
      'Justin',
      'Ryan',
      'Brandon',
      'Jonathan',
      'Nicholas',
      'Anthony',
      'Tyler',
      'Kyle',
      'Kevin',
    ],
    [
      'Jacob',
      'Ethan',
      'Joshua',
      'Matthew',
      'Andrew',
      'Daniel',
      'Anthony',
      'William',
      'Alexander',
      'Ryan',
      'Nicholas',
      'Tyler',
      'Noah',
      'Logan',
      'Dylan',
      'Caleb',
    ],
    [
      'Liam',
      'Noah',
      'Oliver',
      'Elijah',
      'James',
      'Benjamin',
      'Lucas',
      'Henry',
      'Theodore',
      'Jack',
      'Levi',
      'Jackson',
      'Mateo',
      'Mason',
      'Sebastian',
      'Ezra',
    ],
  ],
};

/** First names common among Hispanic Americans (SSA state tables for TX/CA, Pew naming studies). */
export const HISPANIC_GIVEN = {
  female: [
    'Maria',
    'Guadalupe',
    'Ana',
    'Rosa',
    'Carmen',
    'Sofia',
    'Valentina',
    'Camila',
    'Ximena',
    'Daniela',
    'Gabriela',
    'Lucia',
    'Isabel',
    'Alejandra',
    'Veronica',
    'Yesenia',
  ],
  male: [
    'Jose',
    'Juan',
    'Luis',
    'Carlos',
    'Jesus',
    'Miguel',
    'Francisco',
    'Antonio',
    'Alejandro',
    'Jorge',
    'Manuel',
    'Ricardo',
    'Santiago',
    'Mateo',
    'Diego',
    'Javier',
  ],
} as const;

/** First names more common among African Americans (Fryer & Levitt 2004; SSA data). */
export const BLACK_GIVEN = {
  female: [
    'Aaliyah',
    'Imani',
    'Keisha',
    'Latoya',
    'Ebony',
    'Tamika',
    'Jasmine',
    'Destiny',
    'Shanice',
    'Nia',
    'Kiara',
    'Zuri',
  ],
  male: [
    'DeShawn',
    'Jamal',
    'Darnell',
    'Tyrone',
    'Malik',
    'Terrell',
    'Andre',
    'Marcus',
    'Darius',
    'Jalen',
    'Xavier',
    'Isaiah',
  ],
} as const;

/** Surnames, from the Census Bureau's 2010 surname file (most frequent names by predominant group). */
export const FAMILY_GENERAL = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Miller',
  'Davis',
  'Wilson',
  'Anderson',
  'Taylor',
  'Thomas',
  'Moore',
  'Martin',
  'Thompson',
  'White',
  'Clark',
  'Lewis',
  'Walker',
  'Hall',
  'Allen',
  'Young',
  'King',
  'Wright',
  'Scott',
  'Green',
  'Baker',
  'Adams',
  'Nelson',
  'Hill',
  'Campbell',
  'Mitchell',
  'Roberts',
  'Carter',
  'Phillips',
  'Evans',
  'Turner',
  'Parker',
  'Collins',
  'Edwards',
  'Stewart',
  'Murphy',
  'Cook',
  'Rogers',
  'Morgan',
  'Cooper',
  'Peterson',
  'Reed',
  'Bailey',
  'Kelly',
  'Howard',
  'Cox',
  'Ward',
  'Richardson',
  'Wood',
  'Watson',
  'Brooks',
  'Bennett',
  'Gray',
  'Hughes',
  'Price',
  'Sanders',
  'Myers',
  'Long',
  'Ross',
  'Foster',
  'Schmidt',
  'Mueller',
  'Kowalski',
  'Sullivan',
  "O'Brien",
  'Murray',
  'Fischer',
  'Weber',
  'Novak',
  'Hoffman',
  'Schneider',
  'Meyer',
];
export const FAMILY_BLACK = [
  'Washington',
  'Jefferson',
  'Jackson',
  'Williams',
  'Johnson',
  'Brown',
  'Jones',
  'Davis',
  'Harris',
  'Robinson',
  'Thomas',
  'Banks',
  'Booker',
  'Mosley',
  'Gaines',
  'Coleman',
  'Jenkins',
  'Bryant',
  'Freeman',
  'Dorsey',
  'Holmes',
  'Simmons',
  'Wallace',
  'Woods',
];
export const FAMILY_HISPANIC = [
  'Garcia',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Perez',
  'Sanchez',
  'Ramirez',
  'Torres',
  'Flores',
  'Rivera',
  'Gomez',
  'Diaz',
  'Cruz',
  'Morales',
  'Reyes',
  'Ortiz',
  'Gutierrez',
  'Chavez',
  'Ramos',
  'Ruiz',
  'Mendoza',
  'Vasquez',
  'Castillo',
  'Jimenez',
  'Romero',
  'Herrera',
  'Medina',
  'Aguilar',
];

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
  'Main',
  'High',
  'Oak',
  'Maple',
  'Elm',
  'Cedar',
  'Park',
  'Washington',
  'Lincoln',
  'Broad',
  'Church',
  'Walnut',
  'Cherry',
  'Sycamore',
  'Hickory',
  'Buckeye',
  'Riverside',
  'Lakeview',
  'Summit',
  'Hamilton',
  'Cleveland',
  'Indianola',
  'Karl',
  'Livingston',
  'Sunbury',
  'Refugee',
  'Morse',
  'Schrock',
];
export const STREET_SUFFIXES = ['St', 'Ave', 'Rd', 'Dr', 'Ln', 'Ct', 'Blvd', 'Way'];

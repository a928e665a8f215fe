/** Demographics of one synthetic patient and the Patient resource (US Core shaped). */
import type { Address, ContactPoint, Extension, HumanName, Patient } from 'fhir/r4.js';
import { coding, concept, ref, SYS } from './codes.js';
import {
  AGE_GROUPS,
  CITIES,
  femaleShare,
  HISPANIC_RACE,
  HISPANIC_SHARE,
  LANGUAGES,
  NON_HISPANIC_RACE,
  OMB_RACE,
  OTHER_LANGUAGE_BLACK,
  OTHER_LANGUAGE_SHARE,
  OTHER_LANGUAGE_WHITE,
  type Race,
  STREET_SUFFIXES,
  STREETS,
} from './demographics-data.js';
import { asciiSlug, pickFamily, pickGiven } from './names.js';
import { ASIAN_GROUPS } from './names-data.js';
import { type PatientContext, put } from './patient-context.js';
import { Weighted } from './prng.js';
import { ageAt, DAY, fhirDateTime, YEAR } from './time.js';

const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition/';

/** Marital status by age band (ACS 2022 table S1201, rounded): [upper age, weights for S, M, D, W]. */
const MARITAL: readonly (readonly [number, Weighted<string>])[] = [
  [
    30,
    new Weighted([
      ['S', 80],
      ['M', 18],
      ['D', 2],
    ]),
  ],
  [
    45,
    new Weighted([
      ['S', 33],
      ['M', 55],
      ['D', 11],
      ['W', 1],
    ]),
  ],
  [
    65,
    new Weighted([
      ['S', 15],
      ['M', 62],
      ['D', 18],
      ['W', 5],
    ]),
  ],
  [
    80,
    new Weighted([
      ['S', 5],
      ['M', 60],
      ['D', 15],
      ['W', 20],
    ]),
  ],
  [
    200,
    new Weighted([
      ['S', 3],
      ['M', 40],
      ['D', 7],
      ['W', 50],
    ]),
  ],
];
const MARITAL_DISPLAY: Record<string, string> = {
  S: 'Never Married',
  M: 'Married',
  D: 'Divorced',
  W: 'Widowed',
};

/** Draws age, sex, race/ethnicity, language, name, practice and PCP. */
export function sampleDemographics(ctx: PatientContext): void {
  const { rng, now } = ctx;
  const [lo, hi] = AGE_GROUPS.pick(rng);
  const years = rng.int(lo, hi) + rng.next();
  ctx.birth = Math.floor((now - years * YEAR) / DAY) * DAY;
  ctx.age = ageAt(ctx.birth, now);
  ctx.sex = rng.chance(femaleShare(ctx.age)) ? 'female' : 'male';

  ctx.hispanic = rng.chance(HISPANIC_SHARE);
  ctx.race = ctx.hispanic ? HISPANIC_RACE.pick(rng) : NON_HISPANIC_RACE.pick(rng);
  ctx.language = 'en';
  if (ctx.hispanic) {
    ctx.background = 'hispanic';
    // ACS 2019: about 70% of Hispanic Americans speak Spanish at home.
    if (rng.chance(0.7)) ctx.language = 'es';
  } else if (ctx.race === 'asian') {
    const group = ASIAN_GROUPS.pick(rng);
    ctx.background = group;
    if (rng.chance(group.languageShare)) ctx.language = group.language;
  } else if (ctx.race === 'black') {
    ctx.background = 'black';
    if (rng.chance(OTHER_LANGUAGE_SHARE)) ctx.language = OTHER_LANGUAGE_BLACK.pick(rng);
  } else {
    ctx.background = 'general';
    if (rng.chance(OTHER_LANGUAGE_SHARE)) ctx.language = OTHER_LANGUAGE_WHITE.pick(rng);
  }
  const birthYear = new Date(ctx.birth).getUTCFullYear();
  ctx.given = pickGiven(rng, ctx.sex, birthYear, ctx.background);
  ctx.family = pickFamily(rng, ctx.background);

  ctx.practice = rng.pick(ctx.dir.practices);
  ctx.pcp = rng.pick(ctx.practice.staff.pcp);
}

function raceExtension(ctx: PatientContext): Extension {
  const { rng } = ctx;
  const categories: Exclude<Race, 'multi' | 'unknown'>[] = [];
  let text: string;
  if (ctx.race === 'multi') {
    categories.push('white', ctx.hispanic ? 'aian' : rng.pick(['black', 'asian', 'aian'] as const));
    text = 'Two or more races';
  } else if (ctx.race === 'unknown') {
    text = ctx.hispanic ? 'Other race' : 'Declined to answer';
  } else {
    categories.push(ctx.race);
    text = OMB_RACE[ctx.race][1];
  }
  const parts: Extension[] = categories.map((r) => ({
    url: 'ombCategory',
    valueCoding: coding(SYS.ombRaceEth, OMB_RACE[r][0], OMB_RACE[r][1]),
  }));
  if (ctx.race === 'unknown') {
    parts.push({
      url: 'ombCategory',
      valueCoding: ctx.hispanic
        ? coding(SYS.nullFlavor, 'UNK', 'unknown')
        : coding(SYS.nullFlavor, 'ASKU', 'asked but unknown'),
    });
  }
  parts.push({ url: 'text', valueString: text });
  return { url: US_CORE + 'us-core-race', extension: parts };
}

function ethnicityExtension(ctx: PatientContext): Extension {
  const [code, display] = ctx.hispanic
    ? ['2135-2', 'Hispanic or Latino']
    : ['2186-5', 'Not Hispanic or Latino'];
  return {
    url: US_CORE + 'us-core-ethnicity',
    extension: [
      { url: 'ombCategory', valueCoding: coding(SYS.ombRaceEth, code, display) },
      { url: 'text', valueString: display },
    ],
  };
}

/** A stable medical record number: a per-seed offset plus the patient index, so numbers never repeat. */
function mrn(ctx: PatientContext): string {
  return String(10_000_000 + ((ctx.mrnBase + ctx.index) % 90_000_000));
}

/** Builds the Patient resource and adds it to the bundle. */
export function addPatient(ctx: PatientContext): Patient {
  const { rng } = ctx;
  const city = CITIES.pick(rng);
  const line = [`${rng.int(100, 9899)} ${rng.pick(STREETS)} ${rng.pick(STREET_SUFFIXES)}`];
  if (rng.chance(0.12)) line.push(`Apt ${rng.int(1, 24)}${rng.pick(['A', 'B', 'C', 'D'])}`);
  const address: Address = {
    use: 'home',
    line,
    city: city.name,
    district: city.county + ' County',
    state: 'OH',
    postalCode: rng.pick(city.zips),
    country: 'US',
  };

  const name: HumanName = { use: 'official', family: ctx.family, given: [ctx.given] };
  if (rng.chance(0.35)) {
    const middle = pickGiven(rng, ctx.sex, new Date(ctx.birth).getUTCFullYear(), ctx.background);
    if (middle !== ctx.given) name.given!.push(middle);
  }

  // 555-0100..0199 numbers are reserved for fiction; example.com is reserved for documentation.
  const telecom: ContactPoint[] = [
    {
      system: 'phone',
      value: `(${city.areaCode}) 555-01${String(rng.int(0, 99)).padStart(2, '0')}`,
      use: rng.chance(0.75) ? 'mobile' : 'home',
    },
  ];
  if (ctx.age >= 16 && rng.chance(ctx.age < 80 ? 0.6 : 0.2)) {
    const local = `${asciiSlug(ctx.given)}.${asciiSlug(ctx.family)}${rng.int(1, 99)}`;
    telecom.push({ system: 'email', value: local + '@example.com', use: 'home' });
  }

  const patient: Patient = {
    resourceType: 'Patient',
    id: ctx.id,
    extension: [
      raceExtension(ctx),
      ethnicityExtension(ctx),
      { url: US_CORE + 'us-core-birthsex', valueCode: ctx.sex === 'female' ? 'F' : 'M' },
    ],
    identifier: [
      {
        use: 'usual',
        type: concept(SYS.identifierType, 'MR', 'Medical record number'),
        system: SYS.mrn,
        value: mrn(ctx),
      },
    ],
    active: true,
    name: [name],
    telecom,
    gender: ctx.sex,
    birthDate: new Date(ctx.birth).toISOString().slice(0, 10),
  };
  if (ctx.death !== undefined) patient.deceasedDateTime = fhirDateTime(ctx.death);
  patient.address = [address];
  if (ctx.age >= 18) {
    const table = MARITAL.find(([upTo]) => ctx.age < upTo)![1];
    const code = table.pick(rng);
    patient.maritalStatus = concept(SYS.maritalStatus, code, MARITAL_DISPLAY[code]);
  }
  patient.communication = [
    {
      language: concept(SYS.bcp47, ctx.language, LANGUAGES[ctx.language], LANGUAGES[ctx.language]),
      preferred: true,
    },
  ];
  patient.generalPractitioner = [ref('Practitioner', ctx.pcp.id, ctx.pcp.display)];
  patient.managingOrganization = ref('Organization', ctx.practice.id, ctx.practice.name);
  put(ctx, patient as Patient & { id: string });
  return patient;
}

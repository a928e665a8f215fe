/**
 * The persons of the labeled set (labeled-set.ts): synthetic names, birth dates, addresses and
 * phones drawn from the population generator's tables, the Patient each is stored as, and the
 * registration another facility would send for them (with harmless formatting differences).
 */
import type { Patient } from 'fhir/r4.js';
import { CITIES, STREET_SUFFIXES, STREETS } from '../../generator/demographics-data.js';
import { pickFamily, pickGiven, type Sex } from '../../generator/names.js';
import { ASIAN_GROUPS, type AsianGroup } from '../../generator/names-data.js';
import type { Rng } from '../../generator/prng.js';
import { type Demographics, SSN_SYSTEM } from './matcher.js';

export const MRN_SYSTEM = 'http://careloop.example/mrn';
/** The sending facility's own record numbers (a different assigning authority). */
export const OTHER_MRN_SYSTEM = 'http://careloop.example/facility-b/mrn';

export interface Person {
  id: string;
  sex: Sex;
  given: string;
  middle?: string;
  family: string;
  birthDate: string;
  line: string;
  city: string;
  postalCode: string;
  phone: string;
  mrn: string;
  ssn?: string;
  background: 'general' | 'hispanic' | 'black' | AsianGroup;
}

export const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function isoDate(y: number, m: number, d: number): string {
  return `${y}-${pad(m)}-${pad(d)}`;
}
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
export const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

export function backgroundOf(rng: Rng): Person['background'] {
  const x = rng.next();
  if (x < 0.19) return 'hispanic';
  if (x < 0.32) return 'black';
  if (x < 0.38) return ASIAN_GROUPS.pick(rng);
  return 'general';
}

export function newAddress(rng: Rng): Pick<Person, 'line' | 'city' | 'postalCode' | 'phone'> {
  const city = CITIES.pick(rng);
  return {
    line: `${rng.int(100, 9899)} ${rng.pick(STREETS)} ${rng.pick(STREET_SUFFIXES)}`,
    city: city.name,
    postalCode: rng.pick(city.zips),
    // 555-0100..0199 numbers are reserved for fiction.
    phone: `(${city.areaCode}) 555-01${pad(rng.int(0, 99))}`,
  };
}

export function newPerson(rng: Rng, id: string, fixed: Partial<Person> = {}): Person {
  const sex: Sex = fixed.sex ?? (rng.chance(0.52) ? 'female' : 'male');
  const year = rng.int(1930, 2022);
  const month = rng.int(1, 12);
  const background = fixed.background ?? backgroundOf(rng);
  const birthDate = fixed.birthDate ?? isoDate(year, month, rng.int(1, daysIn(year, month)));
  const birthYear = Number(birthDate.slice(0, 4));
  const given = fixed.given ?? pickGiven(rng, sex, birthYear, background);
  const middle = rng.chance(0.35) ? pickGiven(rng, sex, birthYear, background) : undefined;
  return {
    id,
    sex,
    given,
    middle: middle !== given ? middle : undefined,
    family: fixed.family ?? pickFamily(rng, background),
    birthDate,
    ...newAddress(rng),
    ...(fixed.line
      ? { line: fixed.line, city: fixed.city!, postalCode: fixed.postalCode!, phone: fixed.phone! }
      : {}),
    mrn: String(rng.int(10_000_000, 99_999_999)),
    // 9xx area numbers are never issued as SSNs, so these cannot be anybody's.
    ssn: rng.chance(0.4)
      ? `9${pad(rng.int(0, 99))}-${pad(rng.int(1, 99))}-${pad(rng.int(1, 9999), 4)}`
      : undefined,
    background,
  };
}

export function toPatient(p: Person): Patient {
  return {
    resourceType: 'Patient',
    id: p.id,
    identifier: [
      { system: MRN_SYSTEM, value: p.mrn },
      ...(p.ssn ? [{ system: SSN_SYSTEM, value: p.ssn }] : []),
    ],
    active: true,
    name: [{ use: 'official', family: p.family, given: p.middle ? [p.given, p.middle] : [p.given] }],
    telecom: [{ system: 'phone', value: p.phone, use: 'mobile' }],
    gender: p.sex,
    birthDate: p.birthDate,
    address: [{ use: 'home', line: [p.line], city: p.city, state: 'OH', postalCode: p.postalCode }],
  };
}

/** What the sending system puts in PID, with harmless formatting differences normalisation must absorb. */
export function registrationOf(rng: Rng, p: Person): Demographics {
  const upper = rng.chance(0.5); // many ADT feeds send names in capitals
  const digits = p.phone.replace(/\D/g, '');
  const phone = rng.pick([p.phone, digits, `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6)}`]);
  const line = rng.chance(0.3)
    ? p.line
        .replace(/\bSt$/, 'Street')
        .replace(/\bAve$/, 'Avenue')
        .replace(/\bRd$/, 'Road')
        .replace(/\bDr$/, 'Drive')
    : p.line;
  return {
    identifiers: [
      { system: OTHER_MRN_SYSTEM, value: `B${rng.int(100_000, 999_999)}` },
      ...(p.ssn && rng.chance(0.6) ? [{ system: SSN_SYSTEM, value: p.ssn.replace(/-/g, '') }] : []),
    ],
    family: upper ? p.family.toUpperCase() : p.family,
    given: [upper ? p.given.toUpperCase() : p.given, ...(p.middle && rng.chance(0.5) ? [p.middle] : [])],
    birthDate: rng.chance(0.5) ? p.birthDate.replace(/-/g, '') : p.birthDate,
    sex: rng.chance(0.5) ? p.sex : p.sex === 'female' ? 'F' : 'M',
    postalCode: p.postalCode,
    addressLine: line,
    city: p.city,
    phone,
  };
}

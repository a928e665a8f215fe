/**
 * A labeled set for measuring patient matching: synthetic persons (stored as Patients) and incoming
 * registrations of them as another facility would send them — with the errors real registration
 * desks make (typos, transpositions, day/month swaps, nicknames, married and hyphenated names, moves,
 * new phones, blank fields) — plus near misses that must NOT be linked: twins, namesakes born the same
 * year, a father and son "Jr." in one household, and strangers. Deterministic per seed (prng.ts).
 */
import type { Patient } from 'fhir/r4.js';
import { pickFamily } from '../../generator/names.js';
import { Rng, Weighted } from '../../generator/prng.js';
import {
  daysIn,
  isoDate,
  MRN_SYSTEM,
  newAddress,
  newPerson,
  type Person,
  pad,
  range,
  registrationOf,
  toPatient,
} from './labeled-set-people.js';
import { type Demographics, SSN_SYSTEM } from './matcher.js';
import { NICKNAMES } from './normalize.js';

export { MRN_SYSTEM, OTHER_MRN_SYSTEM } from './labeled-set-people.js';

export const corruptions = [
  'clean',
  'same-identifier',
  'typo-family',
  'typo-given',
  'transposed-letters',
  'dob-transposed',
  'dob-digit',
  'nickname',
  'married-name',
  'hyphenated-name',
  'moved',
  'new-phone',
  'missing-fields',
  'sex-error',
] as const;
export const nearMisses = ['twin', 'namesake', 'junior', 'stranger'] as const;
export type Corruption = (typeof corruptions)[number];
export type NearMiss = (typeof nearMisses)[number];

export interface LabeledPerson {
  personId: string;
  patient: Patient;
}

export interface LabeledRegistration {
  id: string;
  demographics: Demographics;
  /** The label: the person this registration belongs to; undefined when it must become a new patient. */
  personId?: string;
  kinds: (Corruption | NearMiss)[];
}

export interface LabeledSet {
  persons: LabeledPerson[];
  registrations: LabeledRegistration[];
}

/** Neighbouring keys on a QWERTY keyboard (the commonest substitution typo). */
const KEY_NEIGHBOURS: Record<string, string> = {
  q: 'wa',
  w: 'qes',
  e: 'wrd',
  r: 'etf',
  t: 'ryg',
  y: 'tuh',
  u: 'yij',
  i: 'uok',
  o: 'ipl',
  p: 'ol',
  a: 'qsz',
  s: 'adwx',
  d: 'sfec',
  f: 'dgrv',
  g: 'fhtb',
  h: 'gjyn',
  j: 'hkum',
  k: 'jli',
  l: 'ko',
  z: 'asx',
  x: 'zsc',
  c: 'xdv',
  v: 'cfb',
  b: 'vgn',
  n: 'bhm',
  m: 'nj',
};

/** Diminutives the matcher's table does NOT know (so some nickname registrations test the fallback). */
const UNKNOWN_NICKNAMES: Record<string, string> = {
  john: 'Jack',
  henry: 'Hank',
  mary: 'Polly',
  sarah: 'Sally',
  margaret: 'Daisy',
  richard: 'Dickie',
};

const FORMAL_TO_NICK = new Map<string, string[]>();
for (const [nick, formal] of Object.entries(NICKNAMES))
  FORMAL_TO_NICK.set(formal, [...(FORMAL_TO_NICK.get(formal) ?? []), nick]);

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Keeps a capitalised feed capitalised: a typo in "GARCIA" is a capital letter too. */
function sameCase(word: string, ch: string): string {
  return word === word.toUpperCase() ? ch.toUpperCase() : ch;
}

function typo(rng: Rng, word: string): string {
  if (word.length < 3) return word;
  const i = rng.int(1, word.length - 1); // registration clerks rarely miss the first letter
  const ch = word[i]!.toLowerCase();
  const kind = rng.int(0, 2);
  if (kind === 0 && KEY_NEIGHBOURS[ch])
    return word.slice(0, i) + sameCase(word, rng.pick([...KEY_NEIGHBOURS[ch]!])) + word.slice(i + 1);
  if (kind === 1) return word.slice(0, i) + word.slice(i + 1);
  return word.slice(0, i) + sameCase(word, rng.pick([...(KEY_NEIGHBOURS[ch] ?? 'e')])) + word.slice(i);
}

function transposeLetters(rng: Rng, word: string): string {
  if (word.length < 3) return word;
  const i = rng.int(1, word.length - 2);
  return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
}

/** Applies one corruption to a registration; false when it does not apply to this person. */
function corrupt(rng: Rng, kind: Corruption, d: Demographics, p: Person): boolean {
  const given0 = d.given?.[0] ?? '';
  switch (kind) {
    case 'clean':
      return true;
    case 'same-identifier':
      d.identifiers.push({ system: MRN_SYSTEM, value: p.mrn });
      return true;
    case 'typo-family':
      d.family = typo(rng, d.family ?? '');
      return true;
    case 'typo-given':
      d.given = [typo(rng, given0), ...(d.given?.slice(1) ?? [])];
      return true;
    case 'transposed-letters':
      if (rng.chance(0.5)) d.family = transposeLetters(rng, d.family ?? '');
      else d.given = [transposeLetters(rng, given0), ...(d.given?.slice(1) ?? [])];
      return true;
    case 'dob-transposed': {
      const [y, m, dd] = p.birthDate.split('-');
      if (m === dd || Number(dd) > 12) return false;
      d.birthDate = `${y}-${dd}-${m}`;
      return true;
    }
    case 'dob-digit': {
      // One keyed digit wrong, the date still valid: the last digit of the year, or a month or day
      // that differs from the true one in exactly one digit.
      const [y, m, dd] = p.birthDate.split('-').map(Number) as [number, number, number];
      const oneOff = (a: number, b: number, width: number) =>
        [...pad(a, width)].filter((c, i) => c !== pad(b, width)[i]).length === 1;
      const which = rng.int(0, 2);
      let date: string;
      if (which === 0) {
        const years = range(y - 9, y + 9).filter((v) => oneOff(v, y, 4) && v <= 2025);
        const y2 = rng.pick(years);
        date = isoDate(y2, m, Math.min(dd, daysIn(y2, m)));
      } else if (which === 1) {
        const months = range(1, 12).filter((v) => oneOff(v, m, 2) && dd <= daysIn(y, v));
        if (months.length === 0) return false;
        date = isoDate(y, rng.pick(months), dd);
      } else {
        date = isoDate(y, m, rng.pick(range(1, daysIn(y, m)).filter((v) => oneOff(v, dd, 2))));
      }
      d.birthDate = date;
      return true;
    }
    case 'nickname': {
      const formal = p.given.toLowerCase();
      const known = FORMAL_TO_NICK.get(formal);
      const unknown = UNKNOWN_NICKNAMES[formal];
      if (unknown && (!known || rng.chance(0.3))) d.given = [unknown];
      else if (known) d.given = [capital(rng.pick(known))];
      else return false;
      return true;
    }
    case 'married-name': {
      if (p.sex !== 'female' || Number(p.birthDate.slice(0, 4)) > 2005) return false;
      let family = pickFamily(rng, rng.chance(0.7) ? p.background : 'general');
      while (family === p.family) family = pickFamily(rng, 'general');
      d.family = family;
      return true;
    }
    case 'hyphenated-name': {
      const other = pickFamily(rng, p.background);
      if (other === p.family) return false;
      d.family = rng.chance(0.6) ? `${p.family}-${other}` : `${other}-${p.family}`;
      return true;
    }
    case 'moved': {
      const moved = newAddress(rng);
      d.addressLine = moved.line;
      d.city = moved.city;
      d.postalCode = moved.postalCode;
      if (rng.chance(0.3)) d.phone = moved.phone;
      return true;
    }
    case 'new-phone': {
      let phone = newAddress(rng).phone;
      while (phone.replace(/\D/g, '') === p.phone.replace(/\D/g, '')) phone = newAddress(rng).phone;
      d.phone = phone;
      return true;
    }
    case 'sex-error':
      d.sex = p.sex === 'female' ? 'male' : 'female';
      return true;
    case 'missing-fields': {
      const drops = rng.int(1, 2);
      for (let i = 0; i < drops; i++) {
        const field = rng.pick(['phone', 'address', 'sex', 'birthDate', 'ssn'] as const);
        if (field === 'phone') d.phone = undefined;
        else if (field === 'address') {
          d.addressLine = undefined;
          d.postalCode = undefined;
          d.city = undefined;
        } else if (field === 'sex') d.sex = undefined;
        else if (field === 'birthDate') d.birthDate = undefined;
        else d.identifiers = d.identifiers.filter((x) => x.system !== SSN_SYSTEM);
      }
      return true;
    }
  }
}

/** How often each corruption is drawn (CareLoop choice: common errors first; no published base rates). */
const CORRUPTION_WEIGHTS: readonly [Corruption, number][] = [
  ['typo-family', 10],
  ['typo-given', 10],
  ['transposed-letters', 6],
  ['dob-transposed', 5],
  ['dob-digit', 6],
  ['nickname', 8],
  ['married-name', 6],
  ['hyphenated-name', 4],
  ['moved', 12],
  ['new-phone', 10],
  ['missing-fields', 10],
  ['sex-error', 2],
];

const CORRUPTION_TABLE = new Weighted(CORRUPTION_WEIGHTS);
const pickCorruption = (rng: Rng): Corruption => CORRUPTION_TABLE.pick(rng);

/** Generates `persons` stored persons, their registrations and near misses, deterministically per seed. */
export function generateLabeledSet(options: { persons: number; seed: string }): LabeledSet {
  const rng = new Rng(`labeled-set:${options.seed}`);
  const people: Person[] = [];
  while (people.length < options.persons) {
    const person = newPerson(rng, `mp-${options.seed}-${people.length + 1}`);
    people.push(person);
    // About 3% of stored persons have a twin who is also a patient (US twin birth rate ≈ 3%, CDC NVSS).
    if (rng.chance(0.03) && people.length < options.persons) {
      const twin = newPerson(rng, `mp-${options.seed}-${people.length + 1}`, {
        ...person,
        sex: rng.chance(0.5) ? person.sex : undefined,
        given: undefined,
      });
      if (twin.given === person.given) twin.given = twin.sex === 'female' ? 'Grace' : 'Henry';
      twin.ssn = undefined;
      people.push(twin);
    }
  }

  const registrations: LabeledRegistration[] = [];
  let n = 0;
  const add = (demographics: Demographics, kinds: LabeledRegistration['kinds'], personId?: string) =>
    registrations.push({ id: `reg-${++n}`, demographics, personId, kinds });

  for (const person of people) {
    const count = rng.pick([0, 1, 1, 1, 2, 2, 3]);
    for (let r = 0; r < count; r++) {
      const d = registrationOf(rng, person);
      const kinds: Corruption[] = [];
      if (rng.chance(0.05) && corrupt(rng, 'same-identifier', d, person)) kinds.push('same-identifier');
      const wanted = rng.pick([0, 0, 1, 1, 1, 1, 2, 2, 3]);
      for (
        let tries = 0;
        kinds.filter((k) => k !== 'same-identifier').length < wanted && tries < 10;
        tries++
      ) {
        const kind = pickCorruption(rng);
        if (!kinds.includes(kind) && corrupt(rng, kind, d, person)) kinds.push(kind);
      }
      if (kinds.length === 0) kinds.push('clean');
      add(d, kinds, person.id);
    }
  }

  // Near misses, about 15% of the persons: none of them is any stored person.
  const nearMissCount = Math.round(options.persons * 0.15);
  for (let i = 0; i < nearMissCount; i++) {
    const kind = rng.pick(nearMisses);
    const of = rng.pick(people);
    let other: Person;
    if (kind === 'twin') {
      other = newPerson(rng, 'nm', { ...of, sex: rng.chance(0.5) ? of.sex : undefined, given: undefined });
      if (other.given === of.given) continue;
      other.ssn = undefined;
    } else if (kind === 'namesake') {
      const year = Number(of.birthDate.slice(0, 4));
      let birthDate = of.birthDate;
      while (birthDate.slice(0, 7) === of.birthDate.slice(0, 7)) {
        const m = rng.int(1, 12);
        birthDate = isoDate(year, m, rng.int(1, daysIn(year, m)));
      }
      other = newPerson(rng, 'nm', {
        sex: of.sex,
        given: of.given,
        family: of.family,
        background: of.background,
        birthDate,
      });
    } else if (kind === 'junior') {
      const year = Number(of.birthDate.slice(0, 4));
      if (of.sex !== 'male' || year > 1990) continue;
      const juniorYear = year + rng.int(22, 35);
      const m = rng.int(1, 12);
      other = newPerson(rng, 'nm', {
        ...of,
        birthDate: isoDate(juniorYear, m, rng.int(1, daysIn(juniorYear, m))),
      });
      other.ssn = undefined;
    } else {
      other = newPerson(rng, 'nm');
    }
    add(registrationOf(rng, other), [kind]);
  }
  return { persons: people.map((p) => ({ personId: p.id, patient: toPatient(p) })), registrations };
}

/**
 * Scores a pair of demographic records with the Fellegi–Sunter weights of patient-matching.rules.ts
 * and turns a score into a decision. Pure functions: no store, no clock.
 */
import { doubleMetaphone } from 'double-metaphone';
import type { Patient } from 'fhir/r4.js';
import jaroWinkler from 'jaro-winkler';
import {
  formalGiven,
  nameParts,
  normalizeAddress,
  normalizeBirthDate,
  normalizeName,
  normalizePhone,
  normalizePostal,
  normalizeSex,
} from './normalize.js';
import {
  JARO_WINKLER_AGREE,
  levelWeight,
  type MatchField,
  matchFields,
  noAutoLink,
  thresholds,
  VETO_CAP,
} from './patient-matching.rules.js';

/** The traits an incoming registration (an HL7 PID, a FHIR Patient) is matched on. */
export interface Demographics {
  identifiers: { system?: string; value: string }[];
  family?: string;
  given?: string[];
  birthDate?: string;
  sex?: string;
  postalCode?: string;
  addressLine?: string;
  city?: string;
  phone?: string;
}

/** One field's contribution to a pair's score. */
export interface MatchFactor {
  field: string;
  agreement: string;
  weight: number;
}

export interface PairScore {
  score: number;
  factors: MatchFactor[];
}

export const SSN_SYSTEM = 'http://hl7.org/fhir/sid/us-ssn';

/** The demographics of a stored Patient: the official (else first) name, home (else first) address, first phone. */
export function demographicsOf(patient: Patient): Demographics {
  const name =
    patient.name?.find((n) => n.use === 'official') ??
    patient.name?.find((n) => n.use !== 'old') ??
    patient.name?.[0];
  const address = patient.address?.find((a) => a.use === 'home') ?? patient.address?.[0];
  const phone = patient.telecom?.find((t) => t.system === 'phone' && t.value)?.value;
  return {
    identifiers: (patient.identifier ?? [])
      .filter((i) => i.value)
      .map((i) => ({ ...(i.system ? { system: i.system } : {}), value: i.value! })),
    family: name?.family,
    given: name?.given,
    birthDate: patient.birthDate,
    sex: patient.gender,
    postalCode: address?.postalCode,
    addressLine: address?.line?.[0],
    city: address?.city,
    phone,
  };
}

/** Both names' Double Metaphone codes share a code (primary or alternate). */
function phoneticAgree(a: string, b: string): boolean {
  const [a1, a2] = doubleMetaphone(a);
  const [b1, b2] = doubleMetaphone(b);
  return Boolean(a1) && (a1 === b1 || a1 === b2 || (a2 !== '' && (a2 === b1 || a2 === b2)));
}

function similar(a: string, b: string): boolean {
  return phoneticAgree(a, b) || jaroWinkler(a, b) >= JARO_WINKLER_AGREE;
}

type Level = string | undefined; // undefined: missing on one side

function compareFamily(x?: string, y?: string): Level {
  const a = nameParts(x);
  const b = nameParts(y);
  if (a.length === 0 || b.length === 0) return undefined;
  const joinedA = a.join('');
  const joinedB = b.join('');
  if (joinedA === joinedB) return 'exact';
  if (similar(joinedA, joinedB)) return 'phonetic';
  // Compound names: ignore short particles (de, la, van) when looking for a shared part.
  const partsB = new Set(b.filter((p) => p.length > 3));
  if (a.some((p) => p.length > 3 && partsB.has(p))) return 'compound';
  return 'disagree';
}

function firstGiven(given?: string[]): string {
  return normalizeName(given?.[0]).split(' ')[0] ?? '';
}

function compareGiven(x?: string[], y?: string[]): Level {
  const a = firstGiven(x);
  const b = firstGiven(y);
  if (!a || !b) return undefined;
  if (a === b) return 'exact';
  if (formalGiven(a) === formalGiven(b)) return 'nickname';
  if (similar(a, b)) return 'phonetic';
  return 'disagree';
}

function compareBirthDate(x?: string, y?: string): Level {
  const a = normalizeBirthDate(x);
  const b = normalizeBirthDate(y);
  if (!a || !b) return undefined;
  if (a === b) return 'exact';
  const [ya, ma, da] = a.split('-');
  const [yb, mb, db] = b.split('-');
  if (ya === yb && ma === db && da === mb) return 'transposed';
  const digitsA = a.replace(/-/g, '');
  const digitsB = b.replace(/-/g, '');
  let differing = 0;
  for (let i = 0; i < digitsA.length; i++) if (digitsA[i] !== digitsB[i]) differing++;
  if (differing === 1) return 'one-digit';
  if (ya === yb && ma === mb) return 'year-month';
  return 'disagree';
}

function compareSex(x?: string, y?: string): Level {
  const a = normalizeSex(x);
  const b = normalizeSex(y);
  if (!a || !b) return undefined;
  return a === b ? 'agree' : 'disagree';
}

function compareAddress(x: Demographics, y: Demographics): Level {
  const la = normalizeAddress(x.addressLine);
  const lb = normalizeAddress(y.addressLine);
  const pa = normalizePostal(x.postalCode);
  const pb = normalizePostal(y.postalCode);
  const linesComparable = Boolean(la?.number && lb?.number && la.street && lb.street);
  if (!linesComparable && !(pa && pb)) return undefined;
  if (
    linesComparable &&
    la!.number === lb!.number &&
    (la!.street === lb!.street || jaroWinkler(la!.street, lb!.street) >= JARO_WINKLER_AGREE)
  )
    return 'street';
  if (pa && pb && pa === pb) return 'postal';
  return 'disagree';
}

function comparePhone(x?: string, y?: string): Level {
  const a = normalizePhone(x);
  const b = normalizePhone(y);
  if (!a || !b) return undefined;
  return a === b ? 'agree' : 'disagree';
}

/** The last four digits of the first SSN identifier. */
export function ssnLast4(d: Demographics): string | undefined {
  const value = d.identifiers.find((i) => i.system === SSN_SYSTEM)?.value.replace(/\D/g, '');
  return value && value.length >= 4 ? value.slice(-4) : undefined;
}

function compareSsn(x: Demographics, y: Demographics): Level {
  const a = ssnLast4(x);
  const b = ssnLast4(y);
  if (!a || !b) return undefined;
  return a === b ? 'agree' : 'disagree';
}

/** Every field's agreement level for a pair (undefined where a side lacks the field). */
export function compareFields(incoming: Demographics, candidate: Demographics): Record<MatchField, Level> {
  return {
    family: compareFamily(incoming.family, candidate.family),
    given: compareGiven(incoming.given, candidate.given),
    birthDate: compareBirthDate(incoming.birthDate, candidate.birthDate),
    sex: compareSex(incoming.sex, candidate.sex),
    address: compareAddress(incoming, candidate),
    phone: comparePhone(incoming.phone, candidate.phone),
    ssnLast4: compareSsn(incoming, candidate),
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The Fellegi–Sunter score of a pair: the sum of each field's log2(m/u) (missing fields 0), capped
 * below the link threshold when a no-auto-link disagreement holds (the cap shows as a `veto` factor).
 */
export function scorePair(incoming: Demographics, candidate: Demographics): PairScore {
  const levels = compareFields(incoming, candidate);
  const factors: MatchFactor[] = matchFields.map((field) => {
    const agreement = levels[field];
    return agreement === undefined
      ? { field, agreement: 'missing', weight: 0 }
      : { field, agreement, weight: round2(levelWeight(field, agreement)) };
  });
  let score = factors.reduce((sum, f) => sum + f.weight, 0);
  const veto = noAutoLink.find((v) => levels[v.field] === v.level);
  if (veto && score > VETO_CAP) {
    factors.push({
      field: 'veto',
      agreement: `${veto.field}-${veto.level}`,
      weight: round2(VETO_CAP - score),
    });
    score = VETO_CAP;
  }
  return { score: round2(score), factors };
}

/** The decision for a best score: link automatically, review by a data steward, or a new patient. */
export function decide(score: number): 'link' | 'review' | 'new' {
  if (score >= thresholds.link) return 'link';
  if (score >= thresholds.review) return 'review';
  return 'new';
}

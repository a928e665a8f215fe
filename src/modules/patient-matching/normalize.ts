/**
 * Normalisation of the demographic traits compared by the matcher. Matching on raw strings fails on
 * trivia (case, accents, "St" vs "Street", "(614) 555-0101" vs "6145550101"); standardising address
 * and last name measurably raised matching sensitivity on real data (Grannis et al. 2019, JAMIA
 * 26(5):447, "Evaluating the effect of data standardization and validation on patient matching
 * accuracy"), and the Sequoia Project framework (2018) asks for normalised traits rather than
 * character-by-character comparison.
 */

/** Lower case, no diacritics, letters/digits and single spaces only (hyphens and apostrophes split or vanish). */
export function normalizeName(value: string | undefined): string {
  if (!value) return '';
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’.]/g, '') // O'Brien → obrien, St. → st
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The parts of a compound name ("Garcia-Lopez", "de la Cruz" → garcia, lopez / de, la, cruz). */
export function nameParts(value: string | undefined): string[] {
  return normalizeName(value).split(' ').filter(Boolean);
}

/**
 * Common English given-name diminutives → the formal name. A small hand-made table, clearly
 * illustrative (CareLoop-curated from everyday usage, in the spirit of the Carlton "nicknames" list,
 * github.com/carltonnorthern/nicknames); it covers the names the synthetic population uses most.
 * A production deployment should load a full list.
 */
export const NICKNAMES: Readonly<Record<string, string>> = {
  bob: 'robert',
  bobby: 'robert',
  rob: 'robert',
  robbie: 'robert',
  bill: 'william',
  billy: 'william',
  will: 'william',
  willie: 'william',
  liz: 'elizabeth',
  beth: 'elizabeth',
  betsy: 'elizabeth',
  lizzie: 'elizabeth',
  betty: 'elizabeth',
  jim: 'james',
  jimmy: 'james',
  jamie: 'james',
  mike: 'michael',
  mikey: 'michael',
  dave: 'david',
  davy: 'david',
  dick: 'richard',
  rick: 'richard',
  rich: 'richard',
  chuck: 'charles',
  charlie: 'charles',
  tom: 'thomas',
  tommy: 'thomas',
  joe: 'joseph',
  joey: 'joseph',
  ed: 'edward',
  eddie: 'edward',
  ted: 'edward',
  tony: 'anthony',
  chris: 'christopher',
  matt: 'matthew',
  dan: 'daniel',
  danny: 'daniel',
  andy: 'andrew',
  drew: 'andrew',
  nick: 'nicholas',
  josh: 'joshua',
  steve: 'steven',
  jeff: 'jeffrey',
  tim: 'timothy',
  ron: 'ronald',
  don: 'donald',
  greg: 'gregory',
  alex: 'alexander',
  jon: 'jonathan',
  kate: 'katherine',
  katie: 'katherine',
  kathy: 'katherine',
  peggy: 'margaret',
  maggie: 'margaret',
  meg: 'margaret',
  patty: 'patricia',
  pat: 'patricia',
  trish: 'patricia',
  sue: 'susan',
  susie: 'susan',
  debbie: 'deborah',
  deb: 'deborah',
  barb: 'barbara',
  cindy: 'cynthia',
  sandy: 'sandra',
  pam: 'pamela',
  jenny: 'jennifer',
  jen: 'jennifer',
  kim: 'kimberly',
  jess: 'jessica',
  jessie: 'jessica',
  sam: 'samantha',
  abby: 'abigail',
  dot: 'dorothy',
  dottie: 'dorothy',
  ginny: 'virginia',
  fran: 'frances',
  manny: 'manuel',
  pepe: 'jose',
  lupe: 'guadalupe',
};

/** The formal form of a given name (itself when it is not a known diminutive). */
export function formalGiven(value: string | undefined): string {
  const name = normalizeName(value).split(' ')[0] ?? '';
  return NICKNAMES[name] ?? name;
}

/** The last ten digits of a phone number (NANP without the country code); undefined below seven digits. */
export function normalizePhone(value: string | undefined): string | undefined {
  const digits = (value ?? '').replace(/\D/g, '');
  if (digits.length < 7) return undefined;
  return digits.slice(-10);
}

/** The five-digit ZIP code of a US postal code ("43201-1234" → "43201"); undefined when malformed. */
export function normalizePostal(value: string | undefined): string | undefined {
  const match = /^\s*(\d{5})/.exec(value ?? '');
  return match?.[1];
}

/**
 * Street suffixes and directionals to their USPS abbreviations (USPS Publication 28, appendix C1
 * "Street suffix abbreviations" and the directional table), so "Street" and "St" agree.
 */
const STREET_WORDS: Readonly<Record<string, string>> = {
  street: 'st',
  str: 'st',
  avenue: 'ave',
  av: 'ave',
  road: 'rd',
  drive: 'dr',
  lane: 'ln',
  court: 'ct',
  boulevard: 'blvd',
  place: 'pl',
  terrace: 'ter',
  circle: 'cir',
  parkway: 'pkwy',
  highway: 'hwy',
  north: 'n',
  south: 's',
  east: 'e',
  west: 'w',
};
/** Secondary unit designators (USPS Pub. 28 C2): the apartment is not part of the street address. */
const UNIT_WORDS = new Set(['apt', 'apartment', 'unit', 'ste', 'suite', 'fl', 'floor', 'rm', 'room', 'lot']);

/** A street address as number + standardised street name; undefined without a usable line. */
export function normalizeAddress(line: string | undefined): { number?: string; street: string } | undefined {
  const words = normalizeName(line?.replace(/#.*/, '')).split(' ').filter(Boolean);
  const unit = words.findIndex((w) => UNIT_WORDS.has(w));
  const kept = (unit >= 0 ? words.slice(0, unit) : words).map((w) => STREET_WORDS[w] ?? w);
  if (kept.length === 0) return undefined;
  const number = /^\d+[a-z]?$/.test(kept[0]!) ? kept.shift() : undefined;
  const street = kept.join(' ');
  return street ? { number, street } : number ? { number, street: '' } : undefined;
}

/** FHIR administrative gender from FHIR or HL7 v2 (table 0001) codes; undefined for unknown/other. */
export function normalizeSex(value: string | undefined): 'male' | 'female' | undefined {
  const v = (value ?? '').trim().toLowerCase();
  if (v === 'male' || v === 'm') return 'male';
  if (v === 'female' || v === 'f') return 'female';
  return undefined;
}

/** A full birth date as YYYY-MM-DD from FHIR (YYYY-MM-DD) or HL7 v2 (YYYYMMDD[hhmm]); else undefined. */
export function normalizeBirthDate(value: string | undefined): string | undefined {
  const v = (value ?? '').trim();
  const m = /^(\d{4})-?(\d{2})-?(\d{2})/.exec(v);
  if (!m) return undefined;
  const [, y, mo, d] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return undefined;
  return `${y}-${mo}-${d}`;
}

/** Picks culturally plausible US names for patients and staff. */
import {
  type AsianGroup,
  BLACK_GIVEN,
  FAMILY_BLACK,
  FAMILY_GENERAL,
  FAMILY_HISPANIC,
  GIVEN_BY_GENERATION,
  generationOf,
  HISPANIC_GIVEN,
} from './names-data.js';
import type { Rng } from './prng.js';

export type Sex = 'female' | 'male';

/** Naming background: mainstream, Hispanic, African American, or an Asian-origin group. */
export type Background = 'general' | 'hispanic' | 'black' | AsianGroup;

/** A first name, mixing period-typical names with names common in the person's community. */
export function pickGiven(rng: Rng, sex: Sex, birthYear: number, background: Background): string {
  const generational = GIVEN_BY_GENERATION[sex][generationOf(birthYear)];
  if (background === 'hispanic')
    return rng.chance(0.6) ? rng.pick(HISPANIC_GIVEN[sex]) : rng.pick(generational);
  if (background === 'black') return rng.chance(0.35) ? rng.pick(BLACK_GIVEN[sex]) : rng.pick(generational);
  if (background !== 'general') {
    // US-born Asian Americans mostly carry English first names; immigrants more often heritage names.
    return rng.chance(0.55) ? rng.pick(background.given[sex]) : rng.pick(generational);
  }
  return rng.pick(generational);
}

/** A family name for the background. */
export function pickFamily(rng: Rng, background: Background): string {
  if (background === 'hispanic')
    return rng.chance(0.85) ? rng.pick(FAMILY_HISPANIC) : rng.pick(FAMILY_GENERAL);
  if (background === 'black') return rng.chance(0.5) ? rng.pick(FAMILY_BLACK) : rng.pick(FAMILY_GENERAL);
  if (background !== 'general')
    return rng.chance(0.9) ? rng.pick(background.family) : rng.pick(FAMILY_GENERAL);
  return rng.pick(FAMILY_GENERAL);
}

/** Lower-case ASCII letters only (for e-mail local parts). */
export function asciiSlug(text: string): string {
  return text.toLowerCase().replace(/[^a-z]/g, '');
}

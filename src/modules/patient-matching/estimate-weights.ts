/**
 * Counting m and u on a labeled set (how patient-matching.rules.ts got its numbers): m from true
 * pairs (each registration with its person), u from random non-matching pairs (each registration
 * with `nonMatchesPerRegistration` other persons), per field among pairs where the field is present
 * on both sides, with add-½ smoothing so no level has probability 0.
 */
import { Rng } from '../../generator/prng.js';
import type { LabeledSet } from './labeled-set.js';
import { compareFields, demographicsOf } from './matcher.js';
import { fieldRules, type MatchField, matchFields } from './patient-matching.rules.js';

export interface EstimatedLevel {
  field: MatchField;
  level: string;
  m: number;
  u: number;
  matchCount: number;
  nonMatchCount: number;
}

export function estimateWeights(
  set: LabeledSet,
  nonMatchesPerRegistration = 20,
  seed = 'estimate',
): EstimatedLevel[] {
  const rng = new Rng(seed);
  const byId = new Map(set.persons.map((p) => [p.personId, demographicsOf(p.patient)]));
  const ids = [...byId.keys()];
  const counts = {
    m: new Map<string, number>(),
    u: new Map<string, number>(),
  };
  const tally = (which: 'm' | 'u', levels: Record<MatchField, string | undefined>) => {
    for (const field of matchFields) {
      const level = levels[field];
      if (level !== undefined)
        counts[which].set(`${field}.${level}`, (counts[which].get(`${field}.${level}`) ?? 0) + 1);
    }
  };
  for (const reg of set.registrations) {
    if (reg.personId) tally('m', compareFields(reg.demographics, byId.get(reg.personId)!));
    for (let i = 0; i < nonMatchesPerRegistration; i++) {
      const other = rng.pick(ids);
      if (other !== reg.personId) tally('u', compareFields(reg.demographics, byId.get(other)!));
    }
  }
  const out: EstimatedLevel[] = [];
  for (const field of matchFields) {
    const levels = fieldRules[field].levels.map((l) => l.level);
    const total = (which: 'm' | 'u') =>
      levels.reduce((s, l) => s + (counts[which].get(`${field}.${l}`) ?? 0), 0);
    const [mTotal, uTotal] = [total('m'), total('u')];
    for (const level of levels) {
      const mc = counts.m.get(`${field}.${level}`) ?? 0;
      const uc = counts.u.get(`${field}.${level}`) ?? 0;
      out.push({
        field,
        level,
        m: (mc + 0.5) / (mTotal + 0.5 * levels.length),
        u: (uc + 0.5) / (uTotal + 0.5 * levels.length),
        matchCount: mc,
        nonMatchCount: uc,
      });
    }
  }
  return out;
}

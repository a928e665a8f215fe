/**
 * Measuring the matcher on a labeled set through a real store: load the persons as Patients, run
 * findPatientMatch on every registration, and count what a data steward would care about — automatic
 * links that were right or wrong, reviews, and new patients that should have been links. Shared by
 * `npm run bench:matching` and the integration test.
 */
import type { ResourceStore } from '../../fhir/store/store.js';
import type { LabeledRegistration, LabeledSet } from './labeled-set.js';
import { thresholds } from './patient-matching.rules.js';
import { findPatientMatch, type MatchResult } from './patient-matching.service.js';

export interface Confusion {
  total: number;
  /** Automatic link (identifier or probabilistic) to the right person. */
  linkedCorrect: number;
  /** Automatic link to the wrong person, or a link where a new patient was right: a merged chart. */
  linkedWrong: number;
  /** Sent to a data steward (the right person among the candidates or not). */
  review: number;
  /** Reviews where the right person was among the listed candidates. */
  reviewWithTruth: number;
  /** A new patient although the person was stored (a duplicate record). */
  newWhenShouldLink: number;
  /** A new patient, rightly. */
  newCorrect: number;
}

export interface Evaluation {
  overall: Confusion & { precision: number; recall: number; reviewRate: number };
  byKind: Record<string, Confusion & { precision: number; recall: number }>;
  /** Precision / recall / review rate had the link threshold been different (same margin). */
  linkThresholdSweep: {
    link: number;
    precision: number;
    recall: number;
    reviewRate: number;
    wrongLinks: number;
  }[];
  registrations: number;
  persons: number;
  msPerRegistration: number;
}

const empty = (): Confusion => ({
  total: 0,
  linkedCorrect: 0,
  linkedWrong: 0,
  review: 0,
  reviewWithTruth: 0,
  newWhenShouldLink: 0,
  newCorrect: 0,
});

function count(c: Confusion, reg: LabeledRegistration, result: MatchResult): void {
  c.total++;
  if (result.decision === 'identifier' || result.decision === 'link') {
    if (reg.personId && result.patientId === reg.personId) c.linkedCorrect++;
    else c.linkedWrong++;
  } else if (result.decision === 'review') {
    c.review++;
    if (reg.personId && result.candidates.some((x) => x.patientId === reg.personId)) c.reviewWithTruth++;
  } else if (reg.personId) c.newWhenShouldLink++;
  else c.newCorrect++;
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : Math.round((a / b) * 10000) / 10000);

/** Loads the labeled set's persons into the store (ids as given), in batches. */
export async function loadPersons(store: ResourceStore, set: LabeledSet, batch = 250): Promise<void> {
  for (let i = 0; i < set.persons.length; i += batch) {
    const writes = set.persons.slice(i, i + batch).map((p) => ({
      method: 'PUT' as const,
      resourceType: 'Patient',
      id: p.personId,
      resource: p.patient,
    }));
    await store.transaction((tx) => tx.write(writes));
  }
}

/** Runs every registration through findPatientMatch and counts the outcomes. */
export async function evaluateMatching(store: ResourceStore, set: LabeledSet): Promise<Evaluation> {
  const overall = empty();
  let shouldLinkCount = 0;
  const byKind = new Map<string, Confusion>();
  const outcomes: { reg: LabeledRegistration; result: MatchResult }[] = [];
  const started = performance.now();
  for (const reg of set.registrations) {
    const result = await findPatientMatch(store, reg.demographics);
    outcomes.push({ reg, result });
    count(overall, reg, result);
    if (reg.personId) shouldLinkCount++;
    for (const kind of reg.kinds) {
      if (!byKind.has(kind)) byKind.set(kind, empty());
      count(byKind.get(kind)!, reg, result);
    }
  }
  const elapsed = performance.now() - started;

  const summarize = (c: Confusion, linkable: number) => ({
    ...c,
    precision: ratio(c.linkedCorrect, c.linkedCorrect + c.linkedWrong),
    recall: ratio(c.linkedCorrect, linkable),
  });
  const linkableByKind = new Map<string, number>();
  for (const reg of set.registrations)
    if (reg.personId) for (const k of reg.kinds) linkableByKind.set(k, (linkableByKind.get(k) ?? 0) + 1);

  return {
    overall: { ...summarize(overall, shouldLinkCount), reviewRate: ratio(overall.review, overall.total) },
    byKind: Object.fromEntries(
      [...byKind.entries()].sort().map(([k, c]) => [k, summarize(c, linkableByKind.get(k) ?? 0)]),
    ),
    linkThresholdSweep: sweep(outcomes, shouldLinkCount),
    registrations: set.registrations.length,
    persons: set.persons.length,
    msPerRegistration: Math.round((elapsed / Math.max(1, set.registrations.length)) * 100) / 100,
  };
}

/** What other link thresholds would have done with the same candidates (review threshold unchanged). */
function sweep(outcomes: { reg: LabeledRegistration; result: MatchResult }[], linkable: number) {
  const rows: Evaluation['linkThresholdSweep'] = [];
  for (let link = thresholds.review + 2; link <= 40; link += 2) {
    let right = 0;
    let wrong = 0;
    let review = 0;
    for (const { reg, result } of outcomes) {
      if (result.decision === 'identifier') {
        if (result.patientId === reg.personId) right++;
        else wrong++;
        continue;
      }
      const [best, second] = result.candidates;
      if (!best) continue;
      const ahead = !second || best.score - second.score >= thresholds.margin;
      // A vetoed pair (twins, Jr./Sr.) is capped below whatever link threshold is configured.
      const vetoed = best.factors.some((f) => f.field === 'veto');
      if (best.score >= link && ahead && !vetoed) {
        if (best.patientId === reg.personId) right++;
        else wrong++;
      } else if (best.score >= thresholds.review) review++;
    }
    rows.push({
      link,
      precision: ratio(right, right + wrong),
      recall: ratio(right, linkable),
      reviewRate: ratio(review, outcomes.length),
      wrongLinks: wrong,
    });
  }
  return rows;
}

/**
 * Finding the stored Patient an incoming registration (an HL7 ADT PID, a FHIR Patient) belongs to:
 * an identifier issued by an assigning authority first, then a probabilistic match (matcher.ts) on
 * candidates gathered by a few blocking searches through the store. Also the data steward's side:
 * the review Task for a doubtful match, and linking a confirmed duplicate to the record kept.
 */
import type { Bundle, Patient, Task } from 'fhir/r4.js';
import { systemContext } from '../../access/access-context.js';
import { withLabelsOf } from '../../access/policy/access-facts.js';
import { badRequest } from '../../fhir/outcome.js';
import type { Query, ResourceStore } from '../../fhir/store/store.js';
import { roleCodes } from '../tasks/tasks.rules.js';
import { type Demographics, demographicsOf, type MatchFactor, SSN_SYSTEM, scorePair } from './matcher.js';
import { nameParts, normalizeBirthDate, normalizePhone } from './normalize.js';
import { thresholds } from './patient-matching.rules.js';

export interface MatchCandidate {
  patientId: string;
  score: number;
  factors: MatchFactor[];
}

export interface MatchResult {
  decision: 'identifier' | 'link' | 'review' | 'new';
  /** The matched Patient's id, for `identifier` and `link`. */
  patientId?: string;
  /** The best candidate's score, for probabilistic decisions. */
  score?: number;
  /** The best-scoring candidates, highest first (at most CANDIDATES_REPORTED). */
  candidates: MatchCandidate[];
}

/** At most this many Patients are scored per registration (the union of the blocking searches). */
export const CANDIDATE_CAP = 200;
/** Candidates reported in a MatchResult and listed on a review Task. */
export const CANDIDATES_REPORTED = 5;

/** Task.code of the data steward's review of a possible duplicate. */
export const MATCH_REVIEW_CODE = {
  system: 'https://careloop.org/fhir/CodeSystem/task-code',
  code: 'patient-match-review',
  display: 'Review a possible duplicate patient',
};
/** Task.identifier system of review tasks; the value is the incoming Patient's id (one task per patient). */
export const MATCH_REVIEW_SYSTEM = 'https://careloop.org/fhir/patient-match-review';

/** FHIR search escaping of a token part (R4 search.html#escaping). */
function escapeSearch(value: string): string {
  return value.replace(/[\\|,$]/g, (c) => `\\${c}`);
}

async function searchPatients(store: ResourceStore, query: Query): Promise<Patient[]> {
  const bundle: Bundle = await store.search('Patient', [...query, ['_count', String(CANDIDATE_CAP)]], '');
  return (bundle.entry ?? []).map((e) => e.resource as Patient).filter((p) => p?.resourceType === 'Patient');
}

/** A Patient merged into another (Patient.link replaced-by) is no longer a match target. */
function isMergedAway(patient: Patient): boolean {
  return (patient.link ?? []).some((l) => l.type === 'replaced-by');
}

/**
 * The blocking searches: cheap index lookups that between them find almost every true match, so only
 * a few hundred Patients are scored rather than all of them. Exact birth date; the same date with day
 * and month swapped; family-name prefix + birth year (survives a birth-date typo outside the year
 * and spelling errors after the third letter); given + family prefixes (survives any birth-date
 * error); the phone number in the formats stores hold. R4's Patient `phonetic` parameter is indexed
 * by this store as a plain string (no phonetic algorithm), so prefixes stand in for it.
 */
function blockingQueries(incoming: Demographics): Query[] {
  const queries: Query[] = [];
  const birthDate = normalizeBirthDate(incoming.birthDate);
  const family = nameParts(incoming.family)[0]?.slice(0, 3);
  const given = nameParts(incoming.given?.[0])[0]?.slice(0, 3);
  if (birthDate) {
    queries.push([['birthdate', birthDate]]);
    const [y, m, d] = birthDate.split('-');
    if (m !== d && Number(d) <= 12) queries.push([['birthdate', `${y}-${d}-${m}`]]);
    if (family)
      queries.push([
        ['family', family],
        ['birthdate', y!],
      ]);
  }
  if (family && given)
    queries.push([
      ['family', family],
      ['given', given],
    ]);
  const phone = normalizePhone(incoming.phone);
  if (phone?.length === 10) {
    const [a, b, c] = [phone.slice(0, 3), phone.slice(3, 6), phone.slice(6)];
    // Token search is exact: the formats HL7 feeds and FHIR clients commonly write.
    const forms = [phone, `(${a}) ${b}-${c}`, `${a}-${b}-${c}`];
    queries.push([['phone', forms.map(escapeSearch).join(',')]]);
  }
  return queries;
}

/** Scores Patients against the registration, best first. */
function rank(incoming: Demographics, patients: Iterable<Patient>): MatchCandidate[] {
  const ranked: MatchCandidate[] = [];
  for (const patient of patients) {
    const { score, factors } = scorePair(incoming, demographicsOf(patient));
    ranked.push({ patientId: patient.id!, score, factors });
  }
  return ranked.sort((a, b) => b.score - a.score || a.patientId.localeCompare(b.patientId));
}

/**
 * The stored Patient an incoming registration belongs to. `store` must be able to read every
 * Patient (the ADT interface passes `store.as(systemContext('adt'))` or an integration account).
 * Identifier first: a Patient carrying the same system|value (SSNs excepted: shared, reused and
 * mistyped, they only weigh in the score) → `identifier`; several → `review`. Otherwise the best
 * probabilistic candidate: ≥ link threshold and clearly ahead of the next → `link`; ≥ review → `review`;
 * else `new`.
 */
export async function findPatientMatch(store: ResourceStore, incoming: Demographics): Promise<MatchResult> {
  // One transaction for all the searches: one consistent snapshot, and about half the time on PostgreSQL.
  return store.transaction((tx) => matchWithin(tx, incoming));
}

async function matchWithin(store: ResourceStore, incoming: Demographics): Promise<MatchResult> {
  const byIdentifier = new Map<string, Patient>();
  for (const id of incoming.identifiers) {
    if (!id.system || !id.value || id.system === SSN_SYSTEM) continue;
    const query: Query = [['identifier', `${escapeSearch(id.system)}|${escapeSearch(id.value)}`]];
    for (const p of await searchPatients(store, query)) if (!isMergedAway(p)) byIdentifier.set(p.id!, p);
  }
  if (byIdentifier.size > 0) {
    const candidates = rank(incoming, byIdentifier.values()).slice(0, CANDIDATES_REPORTED);
    if (byIdentifier.size === 1)
      return { decision: 'identifier', patientId: candidates[0]!.patientId, candidates };
    // The same identifier on several Patients is a data problem a person must sort out.
    return { decision: 'review', score: candidates[0]!.score, candidates };
  }

  const pool = new Map<string, Patient>();
  for (const query of blockingQueries(incoming)) {
    for (const p of await searchPatients(store, query)) {
      if (pool.size >= CANDIDATE_CAP) break;
      if (!isMergedAway(p)) pool.set(p.id!, p);
    }
  }
  const candidates = rank(incoming, pool.values()).slice(0, CANDIDATES_REPORTED);
  const [best, second] = candidates;
  if (!best) return { decision: 'new', candidates };
  const clearlyAhead = !second || best.score - second.score >= thresholds.margin;
  if (best.score >= thresholds.link && clearlyAhead)
    return { decision: 'link', patientId: best.patientId, score: best.score, candidates };
  if (best.score >= thresholds.review) return { decision: 'review', score: best.score, candidates };
  return { decision: 'new', score: best.score, candidates };
}

/** One line per candidate: the reference, the score and each field's agreement — levels only, no values. */
function describeFactors(candidates: MatchCandidate[]): string {
  return candidates
    .map((c) => {
      const fields = c.factors
        .filter((f) => f.agreement !== 'missing')
        .map((f) => `${f.field} ${f.agreement} ${f.weight >= 0 ? '+' : ''}${f.weight}`);
      return `Patient/${c.patientId}: score ${c.score} (${fields.join(', ')})`;
    })
    .join('\n');
}

/**
 * The data steward's review of a possible duplicate: a Task focused on the newly created Patient,
 * listing the candidate Patients with their scores and matching factors. Made once per incoming
 * Patient (a resent message finds the existing task). CareLoop has no data-steward role and
 * administrators may not read patients (docs/security.md), so the task is performed by care
 * coordinators, who may read demographics of the patients they are related to.
 */
export async function createMatchReviewTask(
  store: ResourceStore,
  input: { incomingPatientId: string; candidates: MatchCandidate[]; source: string },
): Promise<Task> {
  if (!input.incomingPatientId) throw badRequest('incomingPatientId is required', 'incomingPatientId');
  const candidates = input.candidates.filter((c) => c.patientId !== input.incomingPatientId);
  if (candidates.length === 0) throw badRequest('a match review needs at least one candidate', 'candidates');
  const system = store.as(systemContext('patient-matching'));
  const now = system.options.clock.now().toISOString();
  const role = roleCodes['care-coordinator']!;
  const patient = `Patient/${input.incomingPatientId}`;
  const task: Task = {
    resourceType: 'Task',
    identifier: [{ system: MATCH_REVIEW_SYSTEM, value: input.incomingPatientId }],
    status: 'requested',
    intent: 'order',
    priority: 'routine',
    code: { coding: [MATCH_REVIEW_CODE], text: MATCH_REVIEW_CODE.display },
    description: `Possible duplicate of ${patient} (from ${input.source}). Same person? Link the records; else close.\n${describeFactors(candidates)}`,
    focus: { reference: patient },
    for: { reference: patient },
    authoredOn: now,
    lastModified: now,
    performerType: [{ coding: [{ ...role }], text: 'care-coordinator (data steward)' }],
    reasonCode: { text: `patient match score between the review (${thresholds.review}) and link thresholds` },
    input: candidates.map((c) => ({
      type: { text: `candidate patient (score ${c.score})` },
      valueReference: { reference: `Patient/${c.patientId}` },
    })),
  };
  // The task quotes how the patients' demographics agree: it carries their sensitivity labels (a
  // restricted patient's likeness is not for every steward).
  const people: Patient[] = [];
  for (const id of [input.incomingPatientId, ...candidates.map((c) => c.patientId)])
    people.push((await system.read('Patient', id)) as Patient);
  const { resource } = await system.create(withLabelsOf(task, people), {
    ifNoneExist: `identifier=${escapeSearch(MATCH_REVIEW_SYSTEM)}|${escapeSearch(input.incomingPatientId)}`,
  });
  return resource as Task;
}

/**
 * The steward's decision that two Patients are one person: the duplicate is marked inactive and
 * `replaced-by` the kept record, the kept one `replaces` it (R4 Patient.link), in one transaction.
 * Records attached to the duplicate are not moved (that is a separate merge).
 */
export async function linkPatients(
  store: ResourceStore,
  input: { keep: string; duplicate: string },
): Promise<{ keep: Patient; duplicate: Patient }> {
  if (!input.keep) throw badRequest('keep is required', 'keep');
  if (!input.duplicate) throw badRequest('duplicate is required', 'duplicate');
  if (input.keep === input.duplicate) throw badRequest('a patient cannot be linked to itself', 'duplicate');
  return store.transaction(async (tx) => {
    const keep = (await tx.read('Patient', input.keep)) as Patient;
    const duplicate = (await tx.read('Patient', input.duplicate)) as Patient;
    const withLink = (p: Patient, other: string, type: 'replaces' | 'replaced-by'): Patient => ({
      ...p,
      link: [
        ...(p.link ?? []).filter((l) => l.other.reference !== `Patient/${other}`),
        { other: { reference: `Patient/${other}` }, type },
      ],
    });
    const keptSaved = await tx.update('Patient', input.keep, withLink(keep, input.duplicate, 'replaces'));
    const duplicateSaved = await tx.update('Patient', input.duplicate, {
      ...withLink(duplicate, input.keep, 'replaced-by'),
      active: false,
    });
    return { keep: keptSaved.resource as Patient, duplicate: duplicateSaved.resource as Patient };
  });
}

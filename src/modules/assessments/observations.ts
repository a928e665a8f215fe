/**
 * A scored response as Observations: one per answered item (the answer as a LOINC-coded value) and
 * one total (valueInteger, its band as interpretation, the items as members), each derived from the
 * response and identified by (response, item) so that saving the response again adds nothing.
 */
import { createHash } from 'node:crypto';
import type { CodeableConcept, Observation, QuestionnaireResponse } from 'fhir/r4.js';
import { sensitivityLabelsOf, sensitivityOf } from '../../access/policy/access-facts.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import type { ScoreResult } from './scoring.js';
import { BAND_SYSTEM, type ScoringDefinition } from './scoring.rules.js';

/** Observation.identifier system of assessment results; the value is `<response key>:<item or total>`. */
export const RESULT_SYSTEM = 'https://careloop.org/fhir/assessment-result';
const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const US_CORE_CATEGORY = 'http://hl7.org/fhir/us/core/CodeSystem/us-core-category';
export const V3_INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

/**
 * What identifies a response across saves: its business identifier when it has one (an integration
 * that posts the same response twice), else its id; a refused response, which has neither, is known
 * by its content (sending it again refused raises nothing twice).
 */
export function responseKey(response: QuestionnaireResponse): string {
  const id = response.identifier;
  if (id?.value) return `qr-${hash(`${id.system ?? ''}|${id.value}`)}`;
  if (response.id) return response.id;
  const { subject, questionnaire, authored, item } = response;
  return `qr-${hash(JSON.stringify([subject?.reference, questionnaire, authored, item]))}`;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 24);

/**
 * The If-None-Exist query of a record made once per response: its identifier, within the patient. The
 * response key may come from a client's identifier, which another patient's response can share; the
 * patient keeps one patient's results and follow-ups from ever matching (and being updated from or
 * answered with) another's.
 */
export function onceFor(system: string, value: string, patient: string): string {
  return `identifier=${encodeURIComponent(`${system}|${value}`)}&patient=${encodeURIComponent(patient)}`;
}

/** Creates (or, when an amended response changed them, updates) the result Observations; returns them. */
export async function recordResults(
  store: ResourceStore,
  definition: ScoringDefinition,
  response: QuestionnaireResponse,
  score: ScoreResult,
): Promise<{ total?: Observation; items: Observation[] }> {
  const key = responseKey(response);
  const base = baseObservation(definition, response, store.options.clock.now());
  const items: Observation[] = [];
  for (const item of score.items) {
    for (const [index, answer] of item.answers.entries()) {
      const suffix = item.answers.length > 1 ? `${item.linkId}:${index}` : item.linkId;
      items.push(
        await upsert(store, `${key}:${suffix}`, {
          ...base,
          code: { coding: [item.code], text: item.code.display },
          valueCodeableConcept: { coding: [answer], text: answer.display },
        }),
      );
    }
  }
  if (score.total === undefined) return { items };
  const total = await upsert(store, `${key}:total`, {
    ...base,
    code: { coding: [definition.total], text: `${definition.title} total` },
    valueInteger: score.total,
    ...(score.band ? { interpretation: [bandInterpretation(definition, score)] } : {}),
    hasMember: items.map((o) => ({ reference: `Observation/${o.id}` })),
  });
  return { total, items };
}

/** The band as an interpretation: positive/negative (v3), CareLoop's band code, and the action in words. */
export function bandInterpretation(definition: ScoringDefinition, score: ScoreResult): CodeableConcept {
  const band = score.band!;
  return {
    coding: [
      {
        system: V3_INTERPRETATION,
        code: band.positive ? 'POS' : 'NEG',
        display: band.positive ? 'Positive' : 'Negative',
      },
      {
        system: BAND_SYSTEM,
        code: `${definition.instrument}-${band.code}`,
        display: `${definition.title}: ${band.label}`,
      },
    ],
    text: `${band.label}: ${band.interpretation}`,
  };
}

function baseObservation(
  definition: ScoringDefinition,
  response: QuestionnaireResponse,
  now: Date,
): Omit<Observation, 'code'> {
  const sdoh = definition.instrument === 'ahc-hrsn';
  // The results are the answers: they carry the response's sensitivity labels.
  const labels = sensitivityLabelsOf([response]);
  return {
    resourceType: 'Observation',
    ...(labels.length ? { meta: { security: labels } } : {}),
    status: 'final',
    category: [
      { coding: [{ system: OBSERVATION_CATEGORY, code: 'survey', display: 'Survey' }] },
      ...(sdoh ? [{ coding: [{ system: US_CORE_CATEGORY, code: 'sdoh', display: 'SDOH' }] }] : []),
    ],
    subject: response.subject,
    ...(response.encounter ? { encounter: response.encounter } : {}),
    effectiveDateTime: response.authored ?? now.toISOString(),
    issued: now.toISOString(),
    derivedFrom: [{ reference: `QuestionnaireResponse/${response.id}` }],
  };
}

/** Create once by identifier; when the stored one's value differs (an amended response), update it. */
async function upsert(
  store: ResourceStore,
  value: string,
  observation: Omit<Observation, 'identifier'>,
): Promise<Observation> {
  const resource: Observation = {
    ...observation,
    identifier: [{ system: RESULT_SYSTEM, value }],
  } as Observation;
  const { resource: saved, status } = await store.create(resource, {
    ifNoneExist: onceFor(RESULT_SYSTEM, value, observation.subject!.reference!),
  });
  const existing = saved as Observation;
  if (status === 201) return existing;
  const same =
    JSON.stringify([
      existing.valueInteger,
      existing.valueCodeableConcept,
      existing.interpretation,
      existing.effectiveDateTime,
    ]) ===
    JSON.stringify([
      resource.valueInteger,
      resource.valueCodeableConcept,
      resource.interpretation,
      resource.effectiveDateTime,
    ]);
  // A response labelled since: the results take its labels (not an amended value).
  const sameLabels = sensitivityOf(existing) === sensitivityOf(resource);
  if (same && sameLabels) return existing;
  const { resource: updated } = await store.update('Observation', existing.id!, {
    ...resource,
    id: existing.id,
    status: same ? existing.status : 'amended',
  });
  return updated as Observation;
}

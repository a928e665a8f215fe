/**
 * What a response sets in motion, done by the server (Device/careloop-assessments) in one
 * transaction, for every path (the assessments API, /fhir, bundles): a completed or amended response
 * to a form CareLoop scores (scored-forms.ts) is scored into Observations and followed up; one in
 * progress or stopped, and one refused, gets the follow-ups of the rules that read one answer
 * whatever else is missing (the PHQ-9 item-9 safety rule). Safe to repeat: everything is made once.
 */
import type { Observation, QuestionnaireResponse } from 'fhir/r4.js';
import { systemContext } from '../../access/access-context.js';
import type { ChangeListener, ResourceStore } from '../../fhir/store/store.js';
import { type ScoreRule, scoreRules } from './follow-up.rules.js';
import { applyAssessmentFollowUps, type FollowUps } from './follow-up.service.js';
import { recordResults } from './observations.js';
import { findScoredForm } from './questionnaires.js';
import type { ScoredForm } from './scored-forms.js';
import { type ScoreResult, scoreResponse } from './scoring.js';

export interface Processed {
  /** How the response's form is scored, when CareLoop scores it. */
  form?: ScoredForm;
  score?: ScoreResult;
  observations: Observation[];
  followUps: FollowUps;
}

const none = (form?: ScoredForm): Processed => ({
  ...(form ? { form } : {}),
  observations: [],
  followUps: { tasks: [], flags: [], conditions: [], goals: [] },
});

/**
 * Scores a response and applies its follow-ups, as the server: all of them when it is completed or
 * amended, the `anyResponse` ones when it is in progress or stopped. Responses to forms CareLoop does
 * not score (or to none) give nothing. `form` saves looking it up when the caller has it.
 */
export async function processResponse(
  store: ResourceStore,
  response: QuestionnaireResponse,
  timeZone: string,
  form?: ScoredForm,
): Promise<Processed> {
  const scored = form ?? (await findScoredForm(store, response.questionnaire));
  const complete = response.status === 'completed' || response.status === 'amended';
  const partial = response.status === 'in-progress' || response.status === 'stopped';
  if (!scored || !response.subject?.reference?.startsWith('Patient/') || (!complete && !partial))
    return none(scored);
  const { definition, linkIdOf } = scored;
  const score = scoreResponse(definition, response, linkIdOf);
  if (partial && anyResponseRules(scored, score).length === 0) return { ...none(scored), score };
  return store.as(systemContext('assessments')).transaction(async (tx) => {
    const results = complete ? await recordResults(tx, definition, response, score) : { items: [] };
    const followUps = await applyAssessmentFollowUps(tx, definition, response, score, timeZone, {
      partial: !complete,
    });
    return {
      form: scored,
      score,
      observations: [...(results.total ? [results.total] : []), ...results.items],
      followUps,
    };
  });
}

/**
 * A response refused (not saved) that still gives what an `anyResponse` rule reads: that rule's
 * follow-ups, as the server, pointing at the patient and saying why (`refused`). Nothing otherwise.
 */
export async function processRefused(
  store: ResourceStore,
  response: QuestionnaireResponse,
  form: ScoredForm,
  timeZone: string,
  refused: string,
): Promise<FollowUps | undefined> {
  if (!response.subject?.reference?.startsWith('Patient/')) return undefined;
  const score = scoreResponse(form.definition, response, form.linkIdOf);
  if (anyResponseRules(form, score).length === 0) return undefined;
  return store
    .as(systemContext('assessments'))
    .transaction((tx) =>
      applyAssessmentFollowUps(tx, form.definition, response, score, timeZone, { partial: true, refused }),
    );
}

/** The `anyResponse` rules (the PHQ-9 item-9 safety rule) that apply to `score`. */
export function anyResponseRules(form: ScoredForm, score: ScoreResult): ScoreRule[] {
  return scoreRules.filter(
    (r) => r.anyResponse && r.instrument === form.definition.instrument && r.applies(score),
  );
}

/** The after-commit listener: every QuestionnaireResponse saved, whoever wrote it, is processed. */
export function assessmentListener(
  store: ResourceStore,
  timeZone: string,
  onError: (err: unknown) => void = () => {},
): ChangeListener {
  return async (changes) => {
    for (const change of changes) {
      if (change.resourceType !== 'QuestionnaireResponse' || change.action === 'delete') continue;
      try {
        await processResponse(store, change.resource as QuestionnaireResponse, timeZone);
      } catch (err) {
        // Saving the response again (PUT, a resend) is safe and makes what is missing.
        onError(err);
      }
    }
  };
}

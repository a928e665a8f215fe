/**
 * The check every user's and integration's QuestionnaireResponse write passes, inside the write's
 * transaction and after its access check: the /fhir guard, which the assessments API goes through as
 * well. A response that names a Questionnaire must fit it (for a form CareLoop scores, the items a
 * score needs are required, the others only asked: scored-forms.ts); one that names none is stored
 * as it is (R4: `questionnaire` is 0..1) and checked and scored against nothing. A refused response
 * that still answers what a safety rule reads (PHQ-9 item 9 above "Not at all") raises that rule's
 * task and Flag all the same, once the refusal is rolled back.
 */
import type { Questionnaire, QuestionnaireResponse } from 'fhir/r4.js';
import type { FhirIssue } from '../../fhir/outcome.js';
import { unprocessable } from '../../fhir/outcome.js';
import type { ResourceStore, WriteGuard } from '../../fhir/store/store.js';
import { anyResponseRules, processRefused } from './process-response.js';
import type { ResponseIssue } from './questionnaire-engine.js';
import { findQuestionnaire, invalidResponse } from './questionnaires.js';
import { responseFaults, type ScoredForm, scoredForm } from './scored-forms.js';
import { scoreResponse } from './scoring.js';

/**
 * Validates a response against the Questionnaire it names; throws 422 (a Questionnaire the server
 * does not have) or 400 (the faults, by linkId). Undefined for a response that names none.
 */
export async function assertValidResponse(
  store: ResourceStore,
  response: QuestionnaireResponse,
  timeZone: string,
): Promise<Questionnaire | undefined> {
  if (response.questionnaire === undefined) return undefined;
  const questionnaire = await findQuestionnaire(store, response.questionnaire);
  if (!questionnaire)
    throw unprocessable(
      `the Questionnaire ${response.questionnaire} is not on this server: load it first, so the response can be checked against it (or send the response without one)`,
      'QuestionnaireResponse.questionnaire',
    );
  const form = scoredForm(questionnaire);
  const faults = responseFaults(questionnaire, response, form);
  if (faults.length === 0) return questionnaire;
  throw invalidResponse(faults, form ? await raiseFromRefused(store, response, form, faults, timeZone) : []);
}

/**
 * When the refused response gives what a safety rule reads, its follow-ups are raised after the
 * refusal (the rollback would erase them), and the refusal says so.
 */
async function raiseFromRefused(
  store: ResourceStore,
  response: QuestionnaireResponse,
  form: ScoredForm,
  faults: ResponseIssue[],
  timeZone: string,
): Promise<FhirIssue[]> {
  const rules = anyResponseRules(form, scoreResponse(form.definition, response, form.linkIdOf));
  if (rules.length === 0) return [];
  const faulty = [...new Set(faults.map((f) => f.linkId))].join(', ');
  const why = `Raised from a ${form.definition.title} response that was refused and not saved (sent by ${store.context.actor}; unanswered or invalid: ${faulty}): ask for the screening again.`;
  await store.afterTransaction((after) =>
    processRefused(after, response, form, timeZone, why).then(() => {}),
  );
  return rules.map((rule) => ({
    severity: 'information' as const,
    code: 'informational' as const,
    diagnostics: `raised for the patient although this response was refused, from the answers it does give: "${rule.task.title}"${rule.flag ? ` and the Flag "${rule.flag.code.text}"` : ''}; send the response again complete`,
  }));
}

/** The /fhir write guard: users' and integrations' QuestionnaireResponses must fit their Questionnaire. */
export function questionnaireResponseGuard(timeZone: string): WriteGuard {
  return async ({ resource, store }) => {
    if (resource?.resourceType !== 'QuestionnaireResponse') return;
    const response = resource as QuestionnaireResponse;
    // Entered in error or stopped: the record is being withdrawn, not answered.
    if (response.status === 'entered-in-error' || response.status === 'stopped') return;
    await assertValidResponse(store, response, timeZone);
  };
}

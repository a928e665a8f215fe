/**
 * The Questionnaires the server knows: the shipped instruments (seeded at start-up, once per
 * url + version), lookup by canonical, and the write guard that validates every QuestionnaireResponse
 * a user or an integration writes through /fhir against its Questionnaire.
 */
import type { Bundle, Questionnaire, QuestionnaireResponse } from 'fhir/r4.js';
import { systemContext } from '../../access/access-context.js';
import { FhirError, unprocessable } from '../../fhir/outcome.js';
import type { ResourceStore, WriteGuard } from '../../fhir/store/store.js';
import { ahcHrsn } from './instruments/ahc-hrsn.js';
import { gad7 } from './instruments/gad-7.js';
import { phq2, phq9 } from './instruments/phq.js';
import { steadi } from './instruments/steadi.js';
import { type ResponseIssue, responseErrors } from './questionnaire-engine.js';
import type { InstrumentId } from './scoring.rules.js';

/** The shipped instruments, by id. */
export const instruments: Record<InstrumentId, Questionnaire> = {
  'phq-2': phq2,
  'phq-9': phq9,
  'gad-7': gad7,
  'ahc-hrsn': ahcHrsn,
  steadi,
};

/**
 * Stores each shipped instrument unless a Questionnaire with its url and version exists (so a restart,
 * or two servers starting at once, add nothing twice); returns the stored ones.
 */
export async function ensureInstruments(store: ResourceStore): Promise<Questionnaire[]> {
  const system = store.as(systemContext('assessments'));
  const stored: Questionnaire[] = [];
  for (const q of Object.values(instruments)) {
    const { resource } = await system.create(q, {
      ifNoneExist: `url=${encodeURIComponent(q.url!)}&version=${encodeURIComponent(q.version!)}`,
    });
    stored.push(resource as Questionnaire);
  }
  return stored;
}

/**
 * The Questionnaire a canonical names: `url|version`, a bare `url` (the most recently updated
 * version), or a relative `Questionnaire/<id>`. Undefined when the server has none.
 */
export async function findQuestionnaire(
  store: ResourceStore,
  canonical: string | undefined,
): Promise<Questionnaire | undefined> {
  if (!canonical) return undefined;
  const system = store.as(systemContext('assessments'));
  const relative = /^Questionnaire\/([A-Za-z0-9\-.]{1,64})$/.exec(canonical);
  if (relative)
    return (await system.read('Questionnaire', relative[1]!).catch(() => undefined)) as
      | Questionnaire
      | undefined;
  const [url, version] = canonical.split('|');
  const query: [string, string][] = [
    ['url', url!],
    ['_sort', '-_lastUpdated'],
    ['_count', '1'],
  ];
  if (version) query.push(['version', version]);
  const bundle: Bundle = await system.search('Questionnaire', query, '');
  return bundle.entry?.[0]?.resource as Questionnaire | undefined;
}

/** 400 naming each offending item: expression = the linkId, diagnostics = where and why. */
export function invalidResponse(issues: ResponseIssue[]): FhirError {
  return new FhirError(
    400,
    issues.map((i) => ({
      code: i.message.includes('required') ? 'required' : 'invalid',
      diagnostics: `${i.path}: ${i.message}`,
      expression: i.linkId,
    })),
  );
}

/** Validates a response against its Questionnaire; throws 422 (unknown questionnaire) or 400 (invalid). */
export async function assertValidResponse(
  store: ResourceStore,
  response: QuestionnaireResponse,
): Promise<Questionnaire> {
  const questionnaire = await findQuestionnaire(store, response.questionnaire);
  if (!questionnaire)
    throw unprocessable(
      `the Questionnaire ${response.questionnaire ?? '(none given)'} is not on this server: load it first, so the response can be checked against it`,
      'QuestionnaireResponse.questionnaire',
    );
  const errors = responseErrors(questionnaire, response);
  if (errors.length > 0) throw invalidResponse(errors);
  return questionnaire;
}

/** The /fhir write guard: users' and integrations' QuestionnaireResponses must fit their Questionnaire. */
export const questionnaireResponseGuard: WriteGuard = async ({ resource, store }) => {
  if (resource?.resourceType !== 'QuestionnaireResponse') return;
  const response = resource as QuestionnaireResponse;
  // Entered in error or stopped: the record is being withdrawn, not answered.
  if (response.status === 'entered-in-error' || response.status === 'stopped') return;
  await assertValidResponse(store, response);
};

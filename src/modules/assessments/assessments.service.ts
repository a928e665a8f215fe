/**
 * The assessment workflow: submit or save a response (validated against its Questionnaire, nothing
 * written when invalid), score it and apply the follow-up rules (process-response.ts, as the server,
 * for every path: these routes, /fhir, bundles), list a patient's assessments with their scores, and
 * draw PHQ-9 / GAD-7 trends with response and remission marked.
 */
import type { Identifier, QuestionnaireResponse, QuestionnaireResponseItem } from 'fhir/r4.js';
import { forbidden } from '../../access/policy/visibility.js';
import { conflict, notFound } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { type Processed, processResponse } from './process-response.js';
import { findQuestionnaire, findScoredForm } from './questionnaires.js';
import { assertValidResponse } from './response-guard.js';
import { type ScoredForm, scoredForm, shippedForm } from './scored-forms.js';
import { type ScoreResult, scoreResponse } from './scoring.js';
import { definitionFor, type InstrumentId, scoringDefinitions } from './scoring.rules.js';

export interface ResponseInput {
  /** Canonical of the Questionnaire: `url`, `url|version` or `Questionnaire/<id>`. */
  questionnaire: string;
  status: 'completed' | 'in-progress';
  items: QuestionnaireResponseItem[];
  authored?: string;
  /** A business identifier: submitting the same one again returns the response already saved. */
  identifier?: Identifier;
}

/**
 * The store to write a patient's response with. Staff and integrations write as themselves (the
 * matrix decides). The permission matrix gives patients and caregivers no write on clinical records;
 * their own screening answers are the one exception: they write QuestionnaireResponses for their own
 * record (a caregiver: a patient whose active proxy Consent names them), still as themselves, so the
 * store matches, reads, checks and audits every step as the user and a conditional match sees only
 * what they may see.
 */
export async function writerFor(store: ResourceStore, patientId: string): Promise<ResourceStore> {
  const c = store.context;
  if (c.role !== 'patient' && c.role !== 'caregiver') return store;
  const patient = `Patient/${patientId}`;
  const named = c.role === 'patient' ? c.resource === patient : !c.onBehalfOf || c.onBehalfOf === patient;
  // The read, as the user, proves the reach (for a caregiver: the proxy Consent is active); the store
  // checks the write again, this gives the clearer refusal.
  const reached =
    named &&
    (await store.read('Patient', patientId).then(
      () => true,
      () => false,
    ));
  if (!reached) throw forbidden(`a ${c.role} may answer questionnaires only for their own record`);
  return store.as({ ...c, serviceWrites: ['QuestionnaireResponse'] });
}

/** Validates and saves a new response for `patientId`; scores and follows up when completed. */
export async function submitResponse(
  store: ResourceStore,
  patientId: string,
  input: ResponseInput,
  timeZone: string,
): Promise<{ response: QuestionnaireResponse } & Processed> {
  const writer = await writerFor(store, patientId);
  const { response, form } = await buildResponse(writer, patientId, input, timeZone);
  // The same identifier again is the same response of this patient; the match runs as the caller and
  // only among this patient's responses, so another patient's response is never "found".
  const { resource } = await writer.create(
    response,
    input.identifier?.value
      ? {
          ifNoneExist: `identifier=${encodeURIComponent(`${input.identifier.system ?? ''}|${input.identifier.value}`)}&subject=${encodeURIComponent(`Patient/${patientId}`)}`,
        }
      : {},
  );
  const saved = resource as QuestionnaireResponse;
  return { response: saved, ...(await processResponse(store, saved, timeZone, form)) };
}

/**
 * Saves answers to an existing response: in progress stays in progress or completes; a completed one
 * may be amended (completed again) but not reopened (409).
 */
export async function saveResponse(
  store: ResourceStore,
  patientId: string,
  responseId: string,
  input: ResponseInput,
  timeZone: string,
): Promise<{ response: QuestionnaireResponse } & Processed> {
  const writer = await writerFor(store, patientId);
  const stored = (await store.read('QuestionnaireResponse', responseId)) as QuestionnaireResponse;
  if (stored.subject?.reference !== `Patient/${patientId}`)
    throw notFound(`QuestionnaireResponse/${responseId} is not a response of Patient/${patientId}`);
  const done = stored.status === 'completed' || stored.status === 'amended';
  if (done && input.status === 'in-progress')
    throw conflict(
      `QuestionnaireResponse/${responseId} is ${stored.status}: it can be amended, not reopened`,
    );
  const { response, form } = await buildResponse(
    writer,
    patientId,
    { ...input, identifier: input.identifier ?? stored.identifier, authored: input.authored ?? undefined },
    timeZone,
  );
  const { resource } = await writer.update('QuestionnaireResponse', responseId, {
    ...response,
    id: responseId,
    status: done ? 'amended' : response.status,
  });
  const saved = resource as QuestionnaireResponse;
  return { response: saved, ...(await processResponse(store, saved, timeZone, form)) };
}

/**
 * The response to save, pinned to the Questionnaire answered (404 when the server has none). A
 * user's write is validated by the store's QuestionnaireResponse guard (response-guard.ts), after
 * their access is checked; the server's own writes are not guarded, so they are validated here.
 */
async function buildResponse(
  store: ResourceStore,
  patientId: string,
  input: ResponseInput,
  timeZone: string,
): Promise<{ response: QuestionnaireResponse; form?: ScoredForm }> {
  const questionnaire = await findQuestionnaire(store, input.questionnaire);
  if (!questionnaire) throw notFound(`no Questionnaire ${input.questionnaire} on this server`);
  const c = store.context;
  const response: QuestionnaireResponse = {
    resourceType: 'QuestionnaireResponse',
    ...(input.identifier ? { identifier: input.identifier } : {}),
    // Pinned to the version answered, so a later version never re-reads old answers.
    questionnaire: questionnaire.url
      ? `${questionnaire.url}${questionnaire.version ? `|${questionnaire.version}` : ''}`
      : `Questionnaire/${questionnaire.id}`,
    status: input.status,
    subject: { reference: `Patient/${patientId}` },
    authored: input.authored ?? store.options.clock.now().toISOString(),
    ...(c.resource ? { author: { reference: c.resource } } : {}),
    ...(c.role === 'patient' || c.role === 'caregiver'
      ? { source: { reference: c.resource ?? `Patient/${patientId}` } }
      : {}),
    item: input.items,
  };
  if (c.kind === 'system') await assertValidResponse(store, response, timeZone);
  return { response, form: scoredForm(questionnaire) };
}

export interface AssessmentView {
  id: string;
  questionnaire: string;
  instrument?: InstrumentId;
  title?: string;
  status: QuestionnaireResponse['status'];
  authored?: string;
  total?: number;
  band?: { code: string; label: string; interpretation: string; positive: boolean };
  /** Each item's answer and points: the factors behind the total. */
  factors: {
    linkId: string;
    question?: string;
    answers: { code?: string; display?: string }[];
    points?: number;
  }[];
  domains: ScoreResult['domains'];
  response: QuestionnaireResponse;
}

/** A patient's responses, newest first, each scored (as `store`'s user may see them). */
export async function listAssessments(store: ResourceStore, patientId: string): Promise<AssessmentView[]> {
  const bundle = await store.search(
    'QuestionnaireResponse',
    [
      ['subject', `Patient/${patientId}`],
      ['_sort', '-authored'],
      ['_count', '200'],
    ],
    '',
  );
  const forms = new Map<string, Promise<ScoredForm | undefined>>();
  const views: AssessmentView[] = [];
  for (const entry of bundle.entry ?? []) {
    const response = entry.resource as QuestionnaireResponse;
    const canonical = response.questionnaire ?? '';
    if (!forms.has(canonical)) forms.set(canonical, findScoredForm(store, response.questionnaire));
    views.push(assessmentView(response, await forms.get(canonical)));
  }
  return views;
}

/**
 * One response with its score and factors; `form` says how its Questionnaire is scored (by default:
 * a shipped instrument named by its url).
 */
export function assessmentView(response: QuestionnaireResponse, form?: ScoredForm): AssessmentView {
  const shipped = definitionFor(response.questionnaire);
  const scored = form ?? (shipped ? shippedForm(shipped) : undefined);
  const definition = scored?.definition;
  const score = scored ? scoreResponse(scored.definition, response, scored.linkIdOf) : undefined;
  return {
    id: response.id!,
    questionnaire: response.questionnaire ?? '',
    ...(definition ? { instrument: definition.instrument, title: definition.title } : {}),
    status: response.status,
    ...(response.authored ? { authored: response.authored } : {}),
    ...(score?.total !== undefined ? { total: score.total } : {}),
    ...(score?.band
      ? {
          band: {
            code: score.band.code,
            label: score.band.label,
            interpretation: score.band.interpretation,
            positive: score.band.positive,
          },
        }
      : {}),
    factors: (score?.items ?? [])
      .filter((i) => i.answers.length > 0)
      .map((i) => ({
        linkId: scored?.linkIdOf.get(i.linkId) ?? i.linkId,
        question: i.code.display,
        answers: i.answers.map((a) => ({ code: a.code, display: a.display })),
        ...(i.points !== undefined ? { points: i.points } : {}),
      })),
    domains: score?.domains ?? [],
    response,
  };
}

export { assessmentListener, type Processed } from './process-response.js';
export { type TrendPoint, trend } from './trends.js';
export { scoringDefinitions };

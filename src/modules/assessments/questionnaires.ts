/**
 * The Questionnaires the server knows: the shipped instruments (seeded at start-up, once per
 * url + version), lookup by canonical (and how CareLoop scores the one found), and the 400 that
 * names each fault of a response.
 */
import type { Bundle, Questionnaire } from 'fhir/r4.js';
import { systemContext } from '../../access/access-context.js';
import { FhirError, type FhirIssue } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { ahcHrsn } from './instruments/ahc-hrsn.js';
import { gad7 } from './instruments/gad-7.js';
import { phq2, phq9 } from './instruments/phq.js';
import { steadi } from './instruments/steadi.js';
import type { ResponseIssue } from './questionnaire-engine.js';
import { type ScoredForm, scoredForm, shippedForm } from './scored-forms.js';
import { definitionFor, type InstrumentId } from './scoring.rules.js';

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

/**
 * How CareLoop scores responses to the Questionnaire `canonical` names: a shipped instrument's url
 * (any version) needs no lookup; another is looked up and recognised by its codes. Undefined when the
 * server has no such Questionnaire or does not score it.
 */
export async function findScoredForm(
  store: ResourceStore,
  canonical: string | undefined,
): Promise<ScoredForm | undefined> {
  const shipped = definitionFor(canonical);
  if (shipped) return shippedForm(shipped);
  const questionnaire = await findQuestionnaire(store, canonical);
  return questionnaire ? scoredForm(questionnaire) : undefined;
}

/**
 * 400 naming each offending item: expression = the linkId, diagnostics = where and why; `notes` are
 * informational issues added after them (what the refusal nonetheless set in motion).
 */
export function invalidResponse(issues: ResponseIssue[], notes: FhirIssue[] = []): FhirError {
  return new FhirError(400, [
    ...issues.map((i) => ({
      code: i.code,
      diagnostics: `${i.path}: ${i.message}`,
      expression: i.linkId,
    })),
    ...notes,
  ]);
}

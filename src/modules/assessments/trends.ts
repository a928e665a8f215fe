/**
 * PHQ-9 and GAD-7 over time from the total-score Observations (CareLoop's own and any other
 * system's), with treatment episodes marked the way measurement-based care reads them:
 * - an episode starts at a score above 9 (CMS159's index event: PHQ-9 > 9) and that score is its
 *   baseline;
 * - response: a later score at least 50% below the baseline (AIMS Center, treat to target);
 * - remission: a later score below 5 (CMS159); it ends the episode, and the next score above 9
 *   starts a new one.
 */
import type { Observation } from 'fhir/r4.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { type InstrumentId, scoringDefinitions } from './scoring.rules.js';

export const trendSources = [
  {
    title: 'AIMS Center: treatment response = at least 50% reduction from the baseline PHQ-9 / GAD-7',
    url: 'https://aims.uw.edu/collaborative-care/',
  },
  {
    title: 'CMS159 Depression Remission at Twelve Months: index PHQ-9 > 9, remission = PHQ-9 < 5',
    url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0159v13',
  },
];

export interface TrendPoint {
  date: string;
  total: number;
  band?: string;
  observationId: string;
  /** The response the score came from, when CareLoop scored it. */
  responseId?: string;
  /** This score starts an episode (it is the baseline). */
  episodeStart: boolean;
  /** The episode's baseline, for scores inside an episode. */
  baseline?: number;
  response: boolean;
  remission: boolean;
}

/** The instruments with trends. */
export const trendInstruments = ['phq-9', 'gad-7'] as const;

/** The scores of `instrument` for the patient, oldest first, with episodes, response and remission marked. */
export async function trend(
  store: ResourceStore,
  patientId: string,
  instrument: (typeof trendInstruments)[number],
): Promise<TrendPoint[]> {
  const definition = scoringDefinitions[instrument as InstrumentId];
  const bundle = await store.search(
    'Observation',
    [
      ['subject', `Patient/${patientId}`],
      ['code', `${definition.total.system}|${definition.total.code}`],
      ['_sort', 'date'],
      ['_count', '500'],
    ],
    '',
  );
  const scores = (bundle.entry ?? [])
    .map((e) => e.resource as Observation)
    .filter((o) => o.status !== 'entered-in-error' && o.status !== 'cancelled')
    .flatMap((o) => {
      const total = o.valueInteger ?? o.valueQuantity?.value;
      const date = o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.issued;
      return total === undefined || !date ? [] : [{ o, total, date }];
    })
    .sort((a, b) => Date.parse(a.date) - Date.parse(b.date));
  let baseline: number | undefined;
  return scores.map(({ o, total, date }) => {
    const band = definition.bands.find((b) => total >= b.min && total <= b.max)?.label;
    const responseRef = o.derivedFrom?.find((r) =>
      r.reference?.startsWith('QuestionnaireResponse/'),
    )?.reference;
    const point: TrendPoint = {
      date,
      total,
      ...(band ? { band } : {}),
      observationId: o.id!,
      ...(responseRef ? { responseId: responseRef.slice('QuestionnaireResponse/'.length) } : {}),
      episodeStart: false,
      response: false,
      remission: false,
    };
    if (baseline === undefined) {
      if (total > 9) {
        baseline = total;
        point.episodeStart = true;
        point.baseline = total;
      }
      return point;
    }
    point.baseline = baseline;
    point.response = total <= baseline * 0.5;
    point.remission = total < 5;
    if (point.remission) baseline = undefined;
    return point;
  });
}

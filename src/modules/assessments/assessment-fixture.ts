/**
 * Builds responses to the shipped instruments for tests: answers chosen by option position, the way
 * the scoring reads them, with the option's LOINC coding exactly as the Questionnaire lists it.
 */
import type {
  CareTeam,
  QuestionnaireItem,
  QuestionnaireResponse,
  QuestionnaireResponseItem,
} from 'fhir/r4.js';
import { instruments } from './questionnaires.js';
import type { InstrumentId } from './scoring.rules.js';

/** The answer at `position` of the item `linkId` of an instrument (as a response item). */
export function answerAt(
  instrument: InstrumentId,
  linkId: string,
  position: number,
): QuestionnaireResponseItem {
  const item = findItem(instruments[instrument].item ?? [], linkId);
  const option = item?.answerOption?.[position];
  if (!option?.valueCoding) throw new Error(`${instrument} ${linkId} has no option ${position}`);
  return { linkId, answer: [{ valueCoding: option.valueCoding }] };
}

function findItem(items: QuestionnaireItem[], linkId: string): QuestionnaireItem | undefined {
  for (const item of items) {
    if (item.linkId === linkId) return item;
    const inner = findItem(item.item ?? [], linkId);
    if (inner) return inner;
  }
  return undefined;
}

/** Spreads `total` points over `count` items of 0–3 points, filling from the first item. */
export function spread(total: number, count: number, max = 3): number[] {
  return Array.from({ length: count }, (_, i) => Math.max(0, Math.min(max, total - i * max)));
}

/** A response to `instrument` with the options at `positions` for its top-level choice items, in order. */
export function responseTo(
  instrument: InstrumentId,
  positions: Record<string, number>,
  overrides: Partial<QuestionnaireResponse> = {},
): QuestionnaireResponse {
  const q = instruments[instrument];
  const item: QuestionnaireResponseItem[] = [];
  for (const definition of q.item ?? []) {
    if (definition.type === 'group') {
      const inner = (definition.item ?? [])
        .filter((d) => positions[d.linkId] !== undefined)
        .map((d) => answerAt(instrument, d.linkId, positions[d.linkId]!));
      if (inner.length > 0) item.push({ linkId: definition.linkId, item: inner });
    } else if (positions[definition.linkId] !== undefined)
      item.push(answerAt(instrument, definition.linkId, positions[definition.linkId]!));
  }
  return {
    resourceType: 'QuestionnaireResponse',
    questionnaire: `${q.url}|${q.version}`,
    status: 'completed',
    item,
    ...overrides,
  };
}

/** The PHQ-9 item linkIds in order (item 9 last). */
export const PHQ9_ITEMS = [
  '44250-9',
  '44255-8',
  '44259-0',
  '44254-1',
  '44251-7',
  '44258-2',
  '44252-5',
  '44253-3',
  '44260-8',
];
export const GAD7_ITEMS = ['69725-0', '68509-9', '69733-4', '69734-2', '69735-9', '69689-8', '69736-7'];

/**
 * Positions for an AHC HRSN with every answer negative: steady housing, no problems ("None", the last
 * option), never true, no, no, and "Never" to the four safety questions.
 */
export const AHC_NEGATIVE: Readonly<Record<string, number>> = {
  '71802-3': 0,
  '96778-6': 7,
  '88122-7': 2,
  '88123-5': 2,
  '93030-5': 1,
  '96779-4': 1,
  '95618-5': 0,
  '95617-7': 0,
  '95616-9': 0,
  '95615-1': 0,
};

/** Positions (= points) for a frequency instrument's items; the difficulty item answered when any is above 0. */
export function frequencyPositions(linkIds: string[], points: number[]): Record<string, number> {
  const positions: Record<string, number> = {};
  linkIds.forEach((id, i) => {
    positions[id] = points[i] ?? 0;
  });
  if (points.some((p) => p > 0) && linkIds.length > 2) positions['69722-7'] = 1;
  return positions;
}

/**
 * The active care team `ct-<patient>` the follow-ups are owned by: the coordinator `pr-coord` (SNOMED
 * 768832004 case manager, the lead) and the physician `pr-doc` (446050000, the responsible clinician).
 */
export function screeningCareTeam(patientId: string): CareTeam {
  const role = (code: string) => [{ coding: [{ system: 'http://snomed.info/sct', code }] }];
  return {
    resourceType: 'CareTeam',
    id: `ct-${patientId}`,
    status: 'active',
    subject: { reference: `Patient/${patientId}` },
    participant: [
      { role: role('768832004'), member: { reference: 'Practitioner/pr-coord' } },
      { role: role('446050000'), member: { reference: 'Practitioner/pr-doc' } },
    ],
  };
}

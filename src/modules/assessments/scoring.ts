/**
 * Scores a QuestionnaireResponse by its instrument's definition (scoring.rules.ts). Pure: the same
 * response always gives the same result, with each item's points kept as the factors a screen shows.
 */
import type { Coding, QuestionnaireResponse } from 'fhir/r4.js';
import { collectAnswers, sameCoding } from './response-values.js';
import type { Band, DomainRule, ScoringDefinition } from './scoring.rules.js';

export interface ItemScore {
  linkId: string;
  code: Coding;
  /** The answers given (several for a repeating question). */
  answers: Coding[];
  /** Positions of the answers in the item's option list (-1: not an option of the definition). */
  positions: number[];
  /** Points, for scored items that were answered. */
  points?: number;
}

export interface DomainResult {
  id: DomainRule['id'];
  label: string;
  positive: boolean;
  /** Why, in words: the answers that made it positive. */
  reason: string;
}

export interface ScoreResult {
  instrument: ScoringDefinition['instrument'];
  /** Absent when a scored item is unanswered (an in-progress response). */
  total?: number;
  band?: Band;
  items: ItemScore[];
  domains: DomainResult[];
}

/**
 * Scores `response` by `definition`. `linkIdOf` gives the form's linkId of each definition item when
 * the form is another publisher's (scored-forms.ts); by default they are the same.
 */
export function scoreResponse(
  definition: ScoringDefinition,
  response: QuestionnaireResponse,
  linkIdOf?: ReadonlyMap<string, string>,
): ScoreResult {
  const answers = collectAnswers(response.item ?? []);
  const items: ItemScore[] = definition.items.map((item) => {
    const asked = linkIdOf ? linkIdOf.get(item.linkId) : item.linkId;
    const given = ((asked && answers.get(asked)) || []).flatMap((a) =>
      a.valueCoding ? [a.valueCoding] : [],
    );
    const positions = given.map((c) => item.options.findIndex((code) => sameCoding(c, { code })));
    const first = positions[0];
    const points = item.points && first !== undefined && first >= 0 ? item.points[first] : undefined;
    return {
      linkId: item.linkId,
      code: item.code,
      answers: given,
      positions,
      ...(points !== undefined ? { points } : {}),
    };
  });
  const counted = definition.totalFrom ?? definition.items.filter((i) => i.points).map((i) => i.linkId);
  const scored = items.filter((i) => counted.includes(i.linkId));
  const total = scored.every((i) => i.points !== undefined)
    ? scored.reduce((sum, i) => sum + i.points!, 0)
    : undefined;
  const band =
    total === undefined ? undefined : definition.bands.find((b) => total >= b.min && total <= b.max);
  const domains = (definition.domains ?? []).map((rule) => domainResult(rule, items));
  return {
    instrument: definition.instrument,
    ...(total !== undefined ? { total } : {}),
    ...(band ? { band } : {}),
    items,
    domains,
  };
}

function domainResult(rule: DomainRule, items: ItemScore[]): DomainResult {
  const byLinkId = new Map(items.map((i) => [i.linkId, i]));
  const reasons: string[] = [];
  for (const part of rule.anyOf ?? []) {
    const item = byLinkId.get(part.linkId);
    item?.positions.forEach((p, index) => {
      if (part.positions.includes(p))
        reasons.push(`${part.linkId}: ${item.answers[index]?.display ?? item.answers[index]?.code}`);
    });
  }
  if (rule.sumAbove) {
    const parts = rule.sumAbove.linkIds.map((id) => byLinkId.get(id)?.points);
    if (parts.every((p) => p !== undefined)) {
      const sum = parts.reduce((a, b) => a! + b!, 0)!;
      if (sum > rule.sumAbove.above) reasons.push(`score ${sum} > ${rule.sumAbove.above}`);
    }
  }
  return { id: rule.id, label: rule.label, positive: reasons.length > 0, reason: reasons.join('; ') };
}

/** Points of one item (undefined when unanswered or unscored). */
export function itemPoints(result: ScoreResult, linkId: string): number | undefined {
  return result.items.find((i) => i.linkId === linkId)?.points;
}

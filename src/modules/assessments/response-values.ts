/** Reading answers out of a QuestionnaireResponse: shared by the engine, scoring and the routes. */
import type { Coding, QuestionnaireResponseItem, QuestionnaireResponseItemAnswer } from 'fhir/r4.js';

/** Every answer in a response by linkId, wherever the item sits (groups, answers' nested items). */
export type AnswerMap = Map<string, QuestionnaireResponseItemAnswer[]>;

export function collectAnswers(items: QuestionnaireResponseItem[], into: AnswerMap = new Map()): AnswerMap {
  for (const item of items) {
    const answers = item.answer ?? [];
    if (answers.length > 0) into.set(item.linkId, [...(into.get(item.linkId) ?? []), ...answers]);
    collectAnswers(item.item ?? [], into);
    for (const answer of answers) collectAnswers(answer.item ?? [], into);
  }
  return into;
}

/** The keys of an object that hold a value (skips undefined). */
export function valueKeys(value: object): string[] {
  return Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k);
}

/** The one value[x] of an answer. */
export function answerValue(answer: QuestionnaireResponseItemAnswer): unknown {
  const key = valueKeys(answer).find((k) => k.startsWith('value'));
  return key ? (answer as Record<string, unknown>)[key] : undefined;
}

/**
 * Same code, and same system when both say one: LHC-Forms and other renderers often leave the
 * system off answer options, so a missing system on either side matches on the code alone.
 */
export function sameCoding(a: Coding, b: Coding): boolean {
  if (!a?.code || a.code !== b?.code) return false;
  return !a.system || !b.system || a.system === b.system;
}

/** The first coded answer to `linkId`, if any. */
export function codedAnswer(answers: AnswerMap, linkId: string): Coding | undefined {
  return (answers.get(linkId) ?? []).find((a) => a.valueCoding)?.valueCoding;
}

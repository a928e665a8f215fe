/**
 * The Questionnaires CareLoop scores and how their items map onto a scoring definition
 * (scoring.rules.ts): the shipped instruments by url, whatever the version; another publisher's form
 * of the same instrument (the LHC-Forms PHQ-9, a vendor's GAD-7) by its panel code
 * (Questionnaire.code) and its items' codes, whatever their linkIds, when it asks every item the
 * scores need. And what a completed response to such a form must answer: the items a score needs.
 * Any other item the form marks required is asked for, not enforced: LOINC's PHQ-9 and GAD-7 panels
 * (44249-1, 69737-5) and the LHC-Forms PHQ-9 leave the difficulty item (69722-7) optional. Pure.
 */
import type { Questionnaire, QuestionnaireItem, QuestionnaireResponse } from 'fhir/r4.js';
import { type ResponseIssue, validateResponse } from './questionnaire-engine.js';
import { sameCoding } from './response-values.js';
import { definitionFor, type ScoringDefinition, scoringDefinitions } from './scoring.rules.js';

export interface ScoredForm {
  definition: ScoringDefinition;
  /** The form's linkId of each definition item it asks, by the definition's linkId. */
  linkIdOf: ReadonlyMap<string, string>;
}

/** The shipped form of a definition: its linkIds are the definition's. */
export function shippedForm(definition: ScoringDefinition): ScoredForm {
  return { definition, linkIdOf: new Map(definition.items.map((i) => [i.linkId, i.linkId])) };
}

/** How CareLoop scores answers to `questionnaire`; undefined when it does not score them. */
export function scoredForm(questionnaire: Questionnaire): ScoredForm | undefined {
  const shipped = definitionFor(questionnaire.url);
  if (shipped) return shippedForm(shipped);
  const definition = Object.values(scoringDefinitions).find((d) =>
    (questionnaire.code ?? []).some((c) => sameCoding(c, d.panel)),
  );
  if (!definition) return undefined;
  const linkIdOf = new Map<string, string>();
  const visit = (items: QuestionnaireItem[]) => {
    for (const item of items) {
      for (const wanted of definition.items)
        if (!linkIdOf.has(wanted.linkId) && (item.code ?? []).some((c) => sameCoding(c, wanted.code)))
          linkIdOf.set(wanted.linkId, item.linkId);
      visit(item.item ?? []);
    }
  };
  visit(questionnaire.item ?? []);
  // A form that leaves out an item a score needs is another form, however it is coded.
  return neededItems(definition).every((linkId) => linkIdOf.has(linkId))
    ? { definition, linkIdOf }
    : undefined;
}

/** The definition's linkIds a score needs: the total's items and every item a domain rule reads. */
export function neededItems(definition: ScoringDefinition): string[] {
  const total = definition.totalFrom ?? definition.items.filter((i) => i.points).map((i) => i.linkId);
  const domains = (definition.domains ?? []).flatMap((d) => [
    ...(d.anyOf ?? []).map((a) => a.linkId),
    ...(d.sumAbove?.linkIds ?? []),
  ]);
  return [...new Set([...total, ...domains])];
}

/**
 * The issues of `response` as CareLoop judges them: the engine's (questionnaire-engine.ts), except
 * that for a form CareLoop scores, a required item that no score needs (nor holds one, for a group)
 * left unanswered is a warning: the form asks for it, another system may leave it out.
 */
export function responseIssues(
  questionnaire: Questionnaire,
  response: QuestionnaireResponse,
  form: ScoredForm | undefined = scoredForm(questionnaire),
): ResponseIssue[] {
  const issues = validateResponse(questionnaire, response);
  if (!form) return issues;
  const needed = neededLinkIds(form, questionnaire);
  return issues.map((i) =>
    i.code === 'required' && i.severity === 'error' && !needed.has(i.linkId)
      ? {
          ...i,
          severity: 'warning',
          message: `${i.message} by the form; no score needs it, so it may be left out`,
        }
      : i,
  );
}

/** The errors of `response` (what refuses it), as `responseIssues` judges them. */
export function responseFaults(
  questionnaire: Questionnaire,
  response: QuestionnaireResponse,
  form?: ScoredForm,
): ResponseIssue[] {
  return responseIssues(questionnaire, response, form).filter((i) => i.severity === 'error');
}

/** The form's linkIds of the needed items and of the groups that hold them. */
function neededLinkIds(form: ScoredForm, questionnaire: Questionnaire): Set<string> {
  const wanted = new Set(neededItems(form.definition).map((id) => form.linkIdOf.get(id)!));
  const needed = new Set<string>();
  const visit = (items: QuestionnaireItem[], groups: string[]) => {
    for (const item of items) {
      if (wanted.has(item.linkId)) for (const id of [...groups, item.linkId]) needed.add(id);
      visit(item.item ?? [], [...groups, item.linkId]);
    }
  };
  visit(questionnaire.item ?? [], []);
  return needed;
}

/**
 * Small builders for the shipped instruments: every item carries its LOINC code (where LOINC has
 * one), every answer its LOINC answer code and, for scored scales, its points as the FHIR
 * `ordinalValue` extension, so renderers and other systems see the same numbers the scoring uses.
 */
import type { Coding, Questionnaire, QuestionnaireItem, QuestionnaireItemAnswerOption } from 'fhir/r4.js';

export const LOINC = 'http://loinc.org';
export const ORDINAL_VALUE = 'http://hl7.org/fhir/StructureDefinition/ordinalValue';
/** Where CareLoop's shipped Questionnaires live (their canonical URLs). */
export const INSTRUMENT_BASE = 'https://careloop.org/fhir/Questionnaire';

export interface Answer {
  code: string;
  display: string;
  /** Points, when the scale is scored. */
  points?: number;
  /** Code system; LOINC unless said. */
  system?: string;
}

/** An answer option (LOINC answer code unless another system is given). */
export function option(answer: Answer): QuestionnaireItemAnswerOption {
  return {
    ...(answer.points !== undefined
      ? { extension: [{ url: ORDINAL_VALUE, valueDecimal: answer.points }] }
      : {}),
    valueCoding: { system: answer.system ?? LOINC, code: answer.code, display: answer.display },
  };
}

/** A single-answer choice question coded with `code` (LOINC unless the coding says otherwise). */
export function choice(
  linkId: string,
  text: string,
  answers: readonly Answer[],
  extra: Partial<QuestionnaireItem> & { code?: Coding[] } = {},
): QuestionnaireItem {
  return {
    linkId,
    ...(extra.code
      ? {}
      : /^\d+-\d$/.test(linkId)
        ? { code: [{ system: LOINC, code: linkId, display: text }] }
        : {}),
    text,
    type: 'choice',
    required: true,
    answerOption: answers.map(option),
    ...extra,
  };
}

/** Common metadata of a shipped instrument. */
export function instrument(
  fields: Pick<
    Questionnaire,
    'id' | 'name' | 'title' | 'version' | 'copyright' | 'description' | 'code' | 'item'
  >,
): Questionnaire {
  return {
    resourceType: 'Questionnaire',
    url: `${INSTRUMENT_BASE}/${fields.id}`,
    status: 'active',
    subjectType: ['Patient'],
    publisher: 'CareLoop (content from the sources named in copyright)',
    ...fields,
  };
}
